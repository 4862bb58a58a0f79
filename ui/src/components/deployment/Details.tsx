import { useState } from 'react';
import type { Deployment, DeploymentRevision } from '@slipway/client';
import { useApiState } from '../../api';
import { formatTime } from '../../format';
import { useNow } from '../../lib/polling';
import { ErrorBox } from '../Common';
import { ActionBadge, isAutoRollback, pct, trafficText } from './shared';

const clock = (ms: number): string => {
  const s = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return h ? `${h}h ${String(m).padStart(2, '0')}m` : m ? `${m}m ${String(r).padStart(2, '0')}s` : `${r}s`;
};

/** Step k of n, each step's weight, and the time left in the current one. */
export function CanaryProgress({ d }: { d: Deployment }) {
  const { steps, step, stepStartedAt, thresholds } = d.canary;
  const running = d.mode === 'canary' && d.candidate !== null;
  const now = useNow(running);
  if (!running) return null;
  const current = steps[step];
  const ends = stepStartedAt + (current?.durationSeconds ?? 0) * 1000;
  const left = ends - now;
  const elapsed = current && current.durationSeconds > 0 ? Math.min(1, Math.max(0, (now - stepStartedAt) / (current.durationSeconds * 1000))) : 1;
  return (
    <div className="canary" data-testid="canary-progress">
      <div className="canary-head">
        <strong>
          Step {step + 1} of {steps.length}
        </strong>{' '}
        <span className="muted">
          · v{d.candidate} at {pct(d.weight)}
        </span>
        <span className="grow" />
        {left > 0 ? (
          <span>
            <strong className="mono">{clock(left)}</strong> <span className="muted small">left in this step</span>
          </span>
        ) : (
          <span className="small muted">step time is up: analysing (needs {thresholds.minRequests} candidate requests)</span>
        )}
      </div>
      <progress max={1} value={elapsed} aria-label="time in this step" />
      <ol className="canary-steps">
        {steps.map((s, i) => (
          <li key={i} className={i < step ? 'done' : i === step ? 'current' : undefined}>
            <span className="canary-step-weight">{pct(s.weight)}</span>
            <span className="small muted">{clock(s.durationSeconds * 1000)}</span>
          </li>
        ))}
        <li className="canary-promote">
          <span className="canary-step-weight">100%</span>
          <span className="small muted">promote</span>
        </li>
      </ol>
      <p className="small muted">
        After each step: error rate at most {pct(thresholds.maxErrorRateIncrease)} above v{d.stable}, p99 latency at most {thresholds.maxLatencyRatio}× (±{thresholds.latencySlackMs} ms), prediction shift
        (KS) at most {thresholds.maxPredictionShift}, over at least {thresholds.minRequests} requests.
      </p>
    </div>
  );
}

/** Which versions answer traffic and why, as the server recorded it; an overridden gate stands out. */
export function WhoAnswers({ d }: { d: Deployment }) {
  const notes = d.release ?? [];
  return (
    <ul className="who-answers" data-testid="who-answers">
      {notes.map((n) => (
        <li key={n.version} className={n.override ? 'gate-override' : undefined}>
          <strong>v{n.version}</strong> <span className="muted small">{n.exposure === 'full' ? 'stable' : `${d.mode} ${pct(d.weight)}`}</span>{' '}
          {n.override ? (
            <span>
              ⚠ release gate overridden by {n.override.by}: {n.override.reason}
            </span>
          ) : (
            <span className="small">{n.why}</span>
          )}
        </li>
      ))}
      {notes.length === 0 && (
        <li>
          <strong>v{d.stable}</strong> <span className="small muted">no release check recorded: this revision predates it</span>
        </li>
      )}
      {d.candidate !== null && d.mode === 'shadow' && (
        <li>
          <strong>v{d.candidate}</strong> <span className="small muted">shadow: sees {pct(d.weight)} of requests, answers none</span>
        </li>
      )}
    </ul>
  );
}

/** The last change, its reason and who made it; an automatic rollback stands out. */
export function LastChange({ d, latest }: { d: Deployment; latest: DeploymentRevision | undefined }) {
  const rev = latest && latest.revision === d.revision ? latest : undefined;
  const auto = isAutoRollback({ action: d.lastAction, reason: d.lastReason, actor: rev?.actor });
  return (
    <div className={auto ? 'last-change auto-rollback' : 'last-change'} data-testid="last-change">
      {auto && <div className="auto-rollback-title">⚠ Rolled back automatically: the candidate failed the canary analysis</div>}
      <div>
        <ActionBadge action={d.lastAction} auto={auto} /> <span className="muted small">revision {d.revision}</span>
        {rev && (
          <span className="muted small">
            {' '}
            · by {rev.actor} · {formatTime(rev.at)}
          </span>
        )}
      </div>
      <div className="last-change-reason">{d.lastReason ?? <span className="muted">no reason given</span>}</div>
    </div>
  );
}

/** Every revision, newest first, each restorable. */
export function History({ d, revisions, onChanged }: { d: Deployment; revisions: DeploymentRevision[]; onChanged(): void }) {
  const { client } = useApiState();
  const [busy, setBusy] = useState<number | null>(null);
  const [error, setError] = useState<Error | undefined>();
  const restore = async (r: DeploymentRevision) => {
    if (!window.confirm(`Restore revision ${r.revision} of "${d.name}"? Traffic becomes: ${trafficText(r.state)} (${r.state.mode}).`)) return;
    setBusy(r.revision);
    setError(undefined);
    try {
      await client.restoreDeployment(d.name, r.revision);
    } catch (e) {
      setError(e as Error);
    } finally {
      setBusy(null);
      onChanged();
    }
  };
  return (
    <>
      <ErrorBox error={error} />
      <table className="grid history" data-testid="history">
        <thead>
          <tr>
            <th className="num">Rev.</th>
            <th>Action</th>
            <th>Traffic</th>
            <th>Actor</th>
            <th>Time</th>
            <th>Reason</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {revisions.map((r) => {
            const auto = isAutoRollback(r);
            return (
              <tr key={r.revision} className={auto ? 'auto-rollback' : undefined}>
                <td className="num">{r.revision}</td>
                <td>
                  <ActionBadge action={r.action} auto={auto} />
                </td>
                <td className="nowrap">
                  {trafficText(r.state)}
                  {r.state.mode !== 'stable' && r.state.candidate !== null && <span className="muted small"> ({r.state.mode === 'ab' ? 'A/B' : r.state.mode})</span>}
                </td>
                <td>{r.actor}</td>
                <td className="nowrap">{formatTime(r.at)}</td>
                <td className="reason">{r.reason ?? <span className="muted">—</span>}</td>
                <td>
                  {r.revision === d.revision ? (
                    <span className="small muted">current</span>
                  ) : (
                    <button type="button" className="secondary small-button" onClick={() => void restore(r)} disabled={busy !== null} title={`Make revision ${r.revision}'s state current again`}>
                      {busy === r.revision ? 'Restoring…' : 'Restore'}
                    </button>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </>
  );
}

function CopyButton({ text }: { text: string }) {
  const [done, setDone] = useState(false);
  const copy = () => {
    void navigator.clipboard?.writeText(text).then(
      () => {
        setDone(true);
        setTimeout(() => setDone(false), 1500);
      },
      () => {},
    );
  };
  return (
    <button type="button" className="secondary small-button" onClick={copy} aria-label={`Copy ${text}`}>
      {done ? 'Copied' : 'Copy'}
    </button>
  );
}

/** The data-plane URLs of the deployment, for copy-paste. */
export function Endpoints({ d }: { d: Deployment }) {
  const base = location.origin;
  const n = encodeURIComponent(d.name);
  const rows: [string, string][] = [
    ['Open Inference Protocol v2', `POST ${base}/v2/models/${n}/infer`],
    ['KServe v1', `POST ${base}/v1/models/${n}:predict`],
    ['MLflow scoring', `POST ${base}/deployments/${n}/invocations`],
    ['Records', `POST ${base}/deployments/${n}/predict`],
  ];
  return (
    <>
      <table className="endpoints" data-testid="endpoints">
        <tbody>
          {rows.map(([label, url]) => (
            <tr key={label}>
              <th>{label}</th>
              <td>
                <code>{url}</code>
              </td>
              <td>
                <CopyButton text={url} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="small muted">
        Each answer carries the version in <code>x-model-version</code> and the prediction ids in <code>x-prediction-id</code> (send labels later to <code>POST /api/v1/feedback</code>).
        {d.mode === 'ab' && (
          <>
            {' '}
            A/B callers are assigned by the <code>{d.stickyHeader}</code> header.
          </>
        )}{' '}
        {pct(d.samplingRate)} of predictions are logged with their inputs and outputs. Prometheus metrics: <a href="/metrics">/metrics</a> (with auth on, scrape it with a viewer token unless the server runs with <code>--metrics-public</code>).
      </p>
    </>
  );
}
