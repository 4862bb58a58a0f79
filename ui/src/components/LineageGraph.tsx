import type { Lineage } from '@slipway/client';
import { useApi } from '../api';
import { formatTime } from '../format';
import { Link, path } from '../router';
import { ErrorBox, Loading } from './Common';

/** Data → run → model version, left to right, with the code and the promotions under them. */
export function LineageGraph({ refText }: { refText: string }) {
  const loaded = useApi((c) => c.lineage(refText), [refText]);
  const l: Lineage | undefined = loaded.data;
  return (
    <div className="lineage">
      <ErrorBox error={loaded.error} />
      <Loading when={loaded.loading && !l} />
      {l && (
        <>
          <div className="lineage-graph" data-testid="lineage-graph">
            <div className="lineage-column">
              <h3>Data</h3>
              {l.datasets.length === 0 && <div className="lineage-node muted">no datasets recorded</div>}
              {l.datasets.map((d) => (
                <div key={`${d.name}/${d.digest}`} className="lineage-node">
                  <strong>{d.name}</strong> {d.context && <span className="badge">{d.context}</span>}
                  <div className="mono small">{d.digest.slice(0, 16)}</div>
                </div>
              ))}
            </div>
            <div className="lineage-arrow">→</div>
            <div className="lineage-column">
              <h3>Run</h3>
              {l.run ? (
                <div className="lineage-node">
                  <Link href={path('runs', l.run.id)}>
                    <strong>{l.run.name}</strong>
                  </Link>
                  <div className="small">
                    {l.experiment?.name} · {l.run.status}
                  </div>
                  <div className="mono small">
                    {l.code?.gitCommit ? `${l.code.gitCommit.slice(0, 10)}${l.code.dirty ? ' (dirty)' : ''}` : 'code not recorded'}
                  </div>
                  <div className="small">{Object.entries(l.run.params).map(([k, v]) => `${k}=${v}`).join(', ') || 'no params'}</div>
                </div>
              ) : (
                <div className="lineage-node muted">no source run</div>
              )}
            </div>
            <div className="lineage-arrow">→</div>
            <div className="lineage-column">
              <h3>Model</h3>
              {l.modelVersion && (
                <div className="lineage-node">
                  <strong>
                    {l.modelVersion.name} v{l.modelVersion.version}
                  </strong>
                  <div className="small">{l.modelVersion.aliases.map((a) => `@${a}`).join(' ') || l.modelVersion.stage}</div>
                </div>
              )}
            </div>
          </div>
          {l.promotions.length > 0 && (
            <table className="grid">
              <thead>
                <tr>
                  <th>When</th>
                  <th>Who</th>
                  <th>Move</th>
                </tr>
              </thead>
              <tbody>
                {l.promotions.map((p) => (
                  <tr key={p.id}>
                    <td>{formatTime(p.at)}</td>
                    <td>{p.actor}</td>
                    <td>
                      {p.kind === 'alias' ? `@${p.key}` : 'stage'}: {p.from ?? '—'} → {p.to ?? '—'}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </div>
  );
}
