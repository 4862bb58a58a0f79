import { useMemo, useState } from 'react';
import type { Run } from '@slipway/client';
import { useApi } from '../api';
import { ErrorBox, Loading } from '../components/Common';
import { PALETTE } from '../components/Chart';
import { MetricCharts } from '../components/MetricCharts';
import { formatNumber, runLabel } from '../format';
import { Link, path, useLocation } from '../router';

function DiffTable({ title, runs, rows, onlyDiff }: { title: string; runs: Run[]; rows: [string, (r: Run) => string | undefined][]; onlyDiff: boolean }) {
  const shown = rows
    .map(([key, get]) => {
      const values = runs.map(get);
      return { key, values, differs: new Set(values).size > 1 };
    })
    .filter((r) => !onlyDiff || r.differs);
  return (
    <>
      <h2>{title}</h2>
      {shown.length === 0 ? (
        <p className="muted">{onlyDiff ? 'No differences.' : 'None.'}</p>
      ) : (
        <div className="table-scroll">
          <table className="grid diff">
            <thead>
              <tr>
                <th>Key</th>
                {runs.map((r) => (
                  <th key={r.id}>{runLabel(r)}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {shown.map((row) => (
                <tr key={row.key} className={row.differs ? 'differs' : undefined}>
                  <th>{row.key}</th>
                  {row.values.map((v, i) => (
                    <td key={i} className="mono">
                      {v ?? <span className="muted">—</span>}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

export function ComparePage() {
  const { query } = useLocation();
  const ids = useMemo(() => [...new Set((query.get('runs') ?? '').split(',').map((s) => s.trim()).filter(Boolean))], [query]);
  const [onlyDiff, setOnlyDiff] = useState(false);
  const loaded = useApi((c) => Promise.all(ids.map((id) => c.getRun(id).then((r) => r.run))), [ids.join(',')]);
  const runs = loaded.data ?? [];
  const chartRuns = useMemo(() => (loaded.data ?? []).map((r) => ({ id: r.id, label: runLabel(r) })), [loaded.data]);
  const keys = useMemo(() => [...new Set(runs.flatMap((r) => Object.keys(r.metrics)))].sort(), [runs]);
  const params = useMemo(() => [...new Set(runs.flatMap((r) => Object.keys(r.params)))].sort(), [runs]);
  const tags = useMemo(() => [...new Set(runs.flatMap((r) => Object.keys(r.tags)))].filter((k) => !k.startsWith('mlflow.')).sort(), [runs]);

  if (ids.length < 2 || ids.length > 10) {
    return (
      <section>
        <h1>Compare runs</h1>
        <p className="error">Compare takes 2 to 10 runs: /compare?runs=&lt;id&gt;,&lt;id&gt;. Select them in an experiment's runs table.</p>
      </section>
    );
  }
  return (
    <section>
      <h1>Compare {ids.length} runs</h1>
      <ErrorBox error={loaded.error} />
      <Loading when={loaded.loading && !loaded.data} />
      {loaded.data && (
        <>
          <ul className="legend-list">
            {runs.map((r, i) => (
              <li key={r.id}>
                <span className="swatch" style={{ background: PALETTE[i % PALETTE.length] }} />
                <Link href={path('runs', r.id)}>{runLabel(r)}</Link> <span className="muted mono">{r.id.slice(0, 8)}</span>
              </li>
            ))}
          </ul>
          <label>
            <input type="checkbox" checked={onlyDiff} onChange={(e) => setOnlyDiff(e.target.checked)} /> Only rows that differ
          </label>
          <DiffTable title="Parameters" runs={runs} rows={params.map((k) => [k, (r: Run) => r.params[k]])} onlyDiff={onlyDiff} />
          <DiffTable title="Latest metrics" runs={runs} rows={keys.map((k) => [k, (r: Run) => (r.metrics[k] ? formatNumber(r.metrics[k].value) : undefined)])} onlyDiff={onlyDiff} />
          <DiffTable title="Tags" runs={runs} rows={tags.map((k) => [k, (r: Run) => r.tags[k]])} onlyDiff={onlyDiff} />
          <h2>Metrics</h2>
          <MetricCharts runs={chartRuns} keys={keys} />
        </>
      )}
    </section>
  );
}
