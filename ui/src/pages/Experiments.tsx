import { useState } from 'react';
import { useApi } from '../api';
import { ErrorBox, Loading } from '../components/Common';
import { formatTime } from '../format';
import { Link, path, setQuery, useLocation } from '../router';

export function ExperimentsPage() {
  const { query } = useLocation();
  const filter = query.get('filter') ?? '';
  const view = (query.get('view') ?? 'active') as 'active' | 'deleted' | 'all';
  const [draft, setDraft] = useState(filter);
  const { data, error, loading } = useApi((c) => c.searchExperiments({ filter: filter || undefined, view, maxResults: 1000, orderBy: 'name ASC' }), [filter, view]);
  return (
    <section>
      <h1>Experiments</h1>
      <form
        className="toolbar"
        onSubmit={(e) => {
          e.preventDefault();
          setQuery({ filter: draft });
        }}
      >
        <input className="grow mono" value={draft} onChange={(e) => setDraft(e.target.value)} placeholder="Filter: name LIKE 'fraud%' OR tags.team = 'risk'" aria-label="Filter experiments" />
        <select value={view} onChange={(e) => setQuery({ view: e.target.value === 'active' ? null : e.target.value })} aria-label="Lifecycle">
          <option value="active">active</option>
          <option value="deleted">deleted</option>
          <option value="all">all</option>
        </select>
        <button type="submit">Search</button>
      </form>
      <ErrorBox error={error} source={filter} />
      <Loading when={loading && !data} />
      {data && (
        <table className="grid">
          <thead>
            <tr>
              <th>Name</th>
              <th>ID</th>
              <th>Created</th>
              <th>Updated</th>
              <th>Tags</th>
            </tr>
          </thead>
          <tbody>
            {data.experiments.map((e) => (
              <tr key={e.id} className={e.lifecycleStage === 'deleted' ? 'deleted' : undefined}>
                <td>
                  <Link href={path('experiments', e.id)}>{e.name}</Link>
                </td>
                <td className="mono">{e.id}</td>
                <td>{formatTime(e.createdAt)}</td>
                <td>{formatTime(e.updatedAt)}</td>
                <td>
                  {Object.entries(e.tags)
                    .filter(([k]) => !k.startsWith('mlflow.'))
                    .map(([k, v]) => (
                      <span key={k} className="chip">
                        {k}={v}
                      </span>
                    ))}
                </td>
              </tr>
            ))}
            {data.experiments.length === 0 && (
              <tr>
                <td colSpan={5} className="muted">
                  No experiments.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      )}
    </section>
  );
}
