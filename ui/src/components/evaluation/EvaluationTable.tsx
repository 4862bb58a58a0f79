import type { MouseEvent } from 'react';
import type { Evaluation } from '@slipway/client';
import { formatTime } from '../../format';
import { Link, navigate, path } from '../../router';
import { EvaluationStatus, GateBadge, evaluationHref } from './shared';

const shortDigest = (d: string) => d.replace(/^sha256:/, '').slice(0, 12);
const none = <span className="muted">—</span>;

/** The evaluations of one model version, newest first; a click on a row selects it. */
export function EvaluationTable({ name, version, evaluations, selectedId }: { name: string; version: number; evaluations: Evaluation[]; selectedId: string | undefined }) {
  if (evaluations.length === 0) {
    return (
      <p className="muted">
        No evaluations of this version yet. Start one with <code>slipway eval run {name} {version}</code>; promoting to a protected alias also runs one.
      </p>
    );
  }
  const open = (e: MouseEvent<HTMLTableRowElement>, id: string) => {
    if ((e.target as HTMLElement).closest('a, button')) return;
    navigate(evaluationHref(name, version, id));
  };
  return (
    <div className="table-scroll eval-list">
      <table className="grid">
        <thead>
          <tr>
            <th>Started</th>
            <th>Dataset</th>
            <th>Champion</th>
            <th>Status</th>
            <th>Gate</th>
            <th>Headline</th>
            <th>Approvals</th>
            <th>Run</th>
          </tr>
        </thead>
        <tbody>
          {evaluations.map((e) => (
            <tr key={e.id} className={e.id === selectedId ? 'selected clickable' : 'clickable'} aria-selected={e.id === selectedId} onClick={(ev) => open(ev, e.id)}>
              <td>
                <Link href={evaluationHref(name, version, e.id)} title={`Evaluation ${e.id}, started by ${e.createdBy}`}>
                  {formatTime(e.createdAt)}
                </Link>
              </td>
              <td>
                {e.dataset.name}@v{e.dataset.version}{' '}
                <span className="mono muted small" title={e.dataset.digest}>
                  {shortDigest(e.dataset.digest)}
                </span>
              </td>
              <td>{e.championVersion !== null ? `${e.against ? `@${e.against} → ` : ''}v${e.championVersion}` : none}</td>
              <td>
                <EvaluationStatus e={e} />
              </td>
              <td>
                <GateBadge passed={e.status === 'completed' ? e.gatePassed : null} />
              </td>
              <td className="eval-headline">{e.headline ?? (e.status === 'failed' || e.status === 'cancelled' ? <span className="fail-text">{e.error?.message ?? 'failed'}</span> : none)}</td>
              <td title={e.approvals.map((a) => `${a.approver}: ${a.note}`).join('\n')}>{e.approvals.length ? e.approvals.map((a) => a.approver).join(', ') : none}</td>
              <td>{e.runId ? <Link href={path('runs', e.runId)} className="mono">{e.runId.slice(0, 8)}</Link> : none}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
