import type { Evaluation, EvaluationReport } from '@slipway/client';
import { formatNumber } from '../../format';
import { path } from '../../router';

export type GateResult = NonNullable<EvaluationReport['gate']>;
export type GateRule = GateResult['rules'][number];

/** The evaluations page of a model version, with `id` selected when given. */
export const evaluationHref = (name: string, version: number, id?: string) => (id ? path('models', name, 'versions', version, 'evaluations', id) : path('models', name, 'versions', version, 'evaluations'));

/** Whether an evaluation has yet to end: waiting for a slot, or running. */
export const isActive = (e: Pick<Evaluation, 'status'>) => e.status === 'running' || e.status === 'queued';

/** RUNNING with a progress bar, QUEUED, else COMPLETED, FAILED or CANCELLED. */
export function EvaluationStatus({ e }: { e: Evaluation }) {
  if (e.status === 'queued') return <span className="status status-running">QUEUED</span>;
  if (e.status === 'running') {
    const p = e.progress;
    const phase = p?.phase ?? 'queued';
    const sized = p && p.total > 0 ? p : undefined;
    return (
      <div className="eval-progress">
        <span className="status status-running">RUNNING</span> <span className="small muted">{phase}</span>
        <progress max={sized?.total} value={sized?.done} aria-label={`progress: ${phase}`} />
      </div>
    );
  }
  return <span className={`status status-${e.status === 'completed' ? 'finished' : 'failed'}`}>{e.status.toUpperCase()}</span>;
}

export function GateBadge({ passed }: { passed: boolean | null }) {
  if (passed === null) return <span className="gate-badge gate-none">none</span>;
  return <span className={`gate-badge ${passed ? 'gate-pass' : 'gate-fail'}`}>{passed ? 'PASS' : 'FAIL'}</span>;
}

/** ✓/✗ per rule, failed first, with the reason in plain words. */
export function GateList({ rules }: { rules: GateRule[] }) {
  const sorted = [...rules].sort((a, b) => Number(a.passed) - Number(b.passed) || a.index - b.index);
  // A no_regression rule with slices yields two results with the same text: say which is which.
  const qualifier = (r: GateRule) =>
    r.kind === 'slice_no_regression' ? ' · per slice' : r.kind === 'no_regression' && rules.some((o) => o.index === r.index && o.kind === 'slice_no_regression') ? ' · overall' : '';
  return (
    <ul className="gate-list">
      {sorted.map((r, i) => (
        <li key={`${r.index}-${r.kind}-${i}`} className={r.passed ? 'gate-rule pass' : 'gate-rule fail'}>
          <span className="gate-mark" aria-label={r.passed ? 'passed' : 'failed'}>
            {r.passed ? '✓' : '✗'}
          </span>
          <div>
            <div className="gate-rule-name">
              {r.rule}
              {qualifier(r) && <span className="muted small">{qualifier(r)}</span>}
            </div>
            <div className="small">{r.reason}</div>
            {r.failures && r.failures.length > 0 && (
              <ul className="small gate-failures">
                {r.failures.slice(0, 5).map((f) => (
                  <li key={f.slice}>
                    {f.slice}: up to {formatNumber(-f.observed)} worse (allowed {formatNumber(-f.threshold)})
                  </li>
                ))}
                {r.failures.length > 5 && <li className="muted">and {r.failures.length - 5} more</li>}
              </ul>
            )}
          </div>
        </li>
      ))}
    </ul>
  );
}
