import { useEffect, useMemo, useState } from 'react';
import type { Run } from '@slipway/client';
import { useApi, useApiState } from '../api';
import { ErrorBox, Loading } from '../components/Common';
import { formatDuration, formatNumber, formatTime, runLabel } from '../format';
import { Link, navigate, path, setQuery, useLocation } from '../router';

const PAGE = 500;

interface Column {
  /** The order_by identifier, also the column's id: start_time, metrics.loss, params.lr, tags.team. */
  id: string;
  label: string;
  value(run: Run): string;
  numeric?: boolean;
}

const quoteKey = (key: string) => (/^[\w.]+$/.test(key) ? key : '`' + key.replaceAll('`', '') + '`');

const BASE: Column[] = [
  { id: 'status', label: 'Status', value: (r) => r.status },
  { id: 'start_time', label: 'Started', value: (r) => formatTime(r.startTime) },
  { id: 'duration', label: 'Duration', value: (r) => formatDuration(r) },
  { id: 'user_id', label: 'User', value: (r) => r.userId },
];

function dynamicColumn(id: string): Column {
  const dot = id.indexOf('.');
  const kind = id.slice(0, dot);
  const key = id.slice(dot + 1);
  if (kind === 'metrics') {
    return { id: `metrics.${quoteKey(key)}`, label: key, numeric: true, value: (r) => (r.metrics[key] ? formatNumber(r.metrics[key].value) : '') };
  }
  const map = kind === 'params' ? 'params' : 'tags';
  return { id: `${map}.${quoteKey(key)}`, label: key, value: (r) => r[map][key] ?? '' };
}

const storageKey = (experimentId: string) => `slipway.columns.${experimentId}`;
const loadChosen = (experimentId: string): string[] | null => {
  try {
    const v = localStorage.getItem(storageKey(experimentId));
    return v ? (JSON.parse(v) as string[]) : null;
  } catch {
    return null;
  }
};

export function RunsPage({ experimentId }: { experimentId: string }) {
  const { client } = useApiState();
  const { query } = useLocation();
  const filter = query.get('filter') ?? '';
  const orderBy = query.get('order') ?? 'start_time DESC';
  const [draft, setDraft] = useState(filter);
  useEffect(() => setDraft(filter), [filter]);

  const experiment = useApi((c) => c.getExperiment(experimentId), [experimentId]);
  const first = useApi((c) => c.searchRuns({ experimentIds: [experimentId], filter: filter || undefined, orderBy: [orderBy], maxResults: PAGE }), [experimentId, filter, orderBy]);
  const [more, setMore] = useState<{ runs: Run[]; next: string | null } | null>(null);
  useEffect(() => setMore(null), [first.data]);
  const runs = useMemo(() => [...(first.data?.runs ?? []), ...(more?.runs ?? [])], [first.data, more]);
  const next = more ? more.next : (first.data?.nextPageToken ?? null);
  const loadMore = async () => {
    if (!next) return;
    const page = await client.searchRuns({ experimentIds: [experimentId], filter: filter || undefined, orderBy: [orderBy], maxResults: PAGE, pageToken: next });
    setMore({ runs: [...(more?.runs ?? []), ...page.runs], next: page.nextPageToken });
  };

  // Every key seen in the loaded runs can become a column.
  const available = useMemo(() => {
    const metrics = new Set<string>();
    const params = new Set<string>();
    const tags = new Set<string>();
    for (const r of runs) {
      for (const k of Object.keys(r.metrics)) metrics.add(k);
      for (const k of Object.keys(r.params)) params.add(k);
      for (const k of Object.keys(r.tags)) if (!k.startsWith('mlflow.')) tags.add(k);
    }
    const sorted = (s: Set<string>) => [...s].sort();
    return { metrics: sorted(metrics), params: sorted(params), tags: sorted(tags) };
  }, [runs]);

  const [chosen, setChosen] = useState<string[] | null>(() => loadChosen(experimentId));
  const columns = useMemo(() => {
    const ids = chosen ?? [...available.metrics.slice(0, 6).map((k) => `metrics.${k}`), ...available.params.slice(0, 4).map((k) => `params.${k}`)];
    return ids.map(dynamicColumn);
  }, [chosen, available]);
  const toggleColumn = (id: string) => {
    const current = chosen ?? columns.map((c) => c.id.replace(/`/g, ''));
    const nextIds = current.includes(id) ? current.filter((c) => c !== id) : [...current, id];
    setChosen(nextIds);
    try {
      localStorage.setItem(storageKey(experimentId), JSON.stringify(nextIds));
    } catch {
      /* not persisted */
    }
  };
  const isChosen = (id: string) => (chosen ?? columns.map((c) => c.id.replace(/`/g, ''))).includes(id);

  const [selected, setSelected] = useState<Set<string>>(new Set());
  const toggle = (id: string) =>
    setSelected((s) => {
      const n = new Set(s);
      if (n.has(id)) n.delete(id);
      else n.add(id);
      return n;
    });

  const [sortKey, sortDir] = orderBy.split(/\s+(?=(?:ASC|DESC)$)/i) as [string, string | undefined];
  const sortBy = (id: string) => {
    if (id === 'duration') return;
    const dir = sortKey === id && (sortDir ?? 'ASC').toUpperCase() === 'DESC' ? 'ASC' : 'DESC';
    setQuery({ order: id === 'start_time' && dir === 'DESC' ? null : `${id} ${dir}` });
  };
  const header = (c: Column | { id: string; label: string; numeric?: boolean }) => (
    <th key={c.id} className={`sortable${c.numeric ? ' num' : ''}`} onClick={() => sortBy(c.id)} title={c.id === 'duration' ? undefined : `Sort by ${c.id}`}>
      {c.label}
      {sortKey === c.id ? ((sortDir ?? 'ASC').toUpperCase() === 'DESC' ? ' ▼' : ' ▲') : ''}
    </th>
  );

  return (
    <section>
      <nav className="crumbs">
        <Link href="/">Experiments</Link> / <span>{experiment.data?.experiment.name ?? experimentId}</span>
      </nav>
      <h1>{experiment.data?.experiment.name ?? 'Experiment'}</h1>
      <ErrorBox error={experiment.error} />
      <form
        className="toolbar"
        onSubmit={(e) => {
          e.preventDefault();
          setQuery({ filter: draft.trim() });
        }}
      >
        <input
          className="grow mono"
          value={draft}
          onChange={(e) => setDraft(e.target.value)}
          placeholder="metrics.loss < 0.5 AND (params.lr = '0.01' OR tags.stage = 'prod')"
          aria-label="Filter runs"
        />
        <button type="submit">Search</button>
        {filter && (
          <button type="button" className="secondary" onClick={() => setQuery({ filter: null })}>
            Clear
          </button>
        )}
        <details className="chooser">
          <summary className="button secondary">Columns</summary>
          <div className="chooser-panel">
            {(['metrics', 'params', 'tags'] as const).map((kind) => (
              <fieldset key={kind}>
                <legend>{kind}</legend>
                {available[kind].length === 0 && <span className="muted">none</span>}
                {available[kind].map((k) => (
                  <label key={k}>
                    <input type="checkbox" checked={isChosen(`${kind}.${k}`)} onChange={() => toggleColumn(`${kind}.${k}`)} /> {k}
                  </label>
                ))}
              </fieldset>
            ))}
          </div>
        </details>
        <button type="button" disabled={selected.size < 2 || selected.size > 10} onClick={() => navigate(`/compare?runs=${[...selected].map(encodeURIComponent).join(',')}`)} title="Select 2 to 10 runs">
          Compare{selected.size ? ` (${selected.size})` : ''}
        </button>
      </form>
      <ErrorBox error={first.error} source={filter} />
      <Loading when={first.loading && !first.data} />
      {first.data && (
        <div className="table-scroll">
          <table className="grid">
            <thead>
              <tr>
                <th />
                {header({ id: 'run_name', label: 'Run' })}
                {BASE.map(header)}
                {columns.map(header)}
              </tr>
            </thead>
            <tbody>
              {runs.map((r) => (
                <tr key={r.id}>
                  <td>
                    <input type="checkbox" checked={selected.has(r.id)} onChange={() => toggle(r.id)} aria-label={`Select ${runLabel(r)}`} />
                  </td>
                  <td>
                    <Link href={path('runs', r.id)}>{runLabel(r)}</Link>
                  </td>
                  {BASE.map((c) => (
                    <td key={c.id} className={c.id === 'status' ? `status status-${r.status.toLowerCase()}` : undefined}>
                      {c.value(r)}
                    </td>
                  ))}
                  {columns.map((c) => (
                    <td key={c.id} className={c.numeric ? 'num' : undefined}>
                      {c.value(r)}
                    </td>
                  ))}
                </tr>
              ))}
              {runs.length === 0 && (
                <tr>
                  <td colSpan={6 + columns.length} className="muted">
                    No runs{filter ? ' match this filter' : ''}.
                  </td>
                </tr>
              )}
            </tbody>
          </table>
        </div>
      )}
      {next && (
        <p>
          <button type="button" className="secondary" onClick={() => void loadMore()}>
            Load {PAGE} more
          </button>
        </p>
      )}
    </section>
  );
}
