import { useState } from 'react';
import type { Deployment, RolloutBody } from '@slipway/client';
import { useApi, useApiState } from '../../api';
import { ErrorBox } from '../Common';
import { MODE_WORD, pct, rollbackTarget } from './shared';

/** The result of the last action, shown until the deployment changes again (here or elsewhere). */
type Outcome = { ok: true; text: string; revision: number } | { ok: false; error: Error; revision: number } | null;

function useAction(d: Deployment, onChanged: () => void) {
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<Outcome>(null);
  const run = async (what: () => Promise<{ text: string; revision: number }>) => {
    setBusy(true);
    setOutcome(null);
    try {
      setOutcome({ ok: true, ...(await what()) });
    } catch (error) {
      setOutcome({ ok: false, error: error as Error, revision: d.revision });
    } finally {
      setBusy(false);
      onChanged();
    }
  };
  const view =
    outcome === null || outcome.revision !== d.revision ? null : outcome.ok ? (
      <div className="notice ok" role="status">
        <strong>✓ {outcome.text}</strong>
      </div>
    ) : (
      <ErrorBox error={outcome.error} />
    );
  return { busy, run, view };
}

/** The big red button: all traffic back to the last stable version, at once. */
export function Rollback({ d, onChanged }: { d: Deployment; onChanged(): void }) {
  const { client } = useApiState();
  const [reason, setReason] = useState('');
  const { busy, run, view } = useAction(d, onChanged);
  const target = rollbackTarget(d);
  const rollback = () => {
    if (!target || !window.confirm(`Roll back "${d.name}"? This ${target}.`)) return;
    void run(async () => {
      const { deployment } = await client.rollbackDeployment(d.name, reason.trim() || undefined);
      setReason('');
      return { text: `Rolled back: v${deployment.stable} serves all traffic (revision ${deployment.revision})`, revision: deployment.revision };
    });
  };
  return (
    <div className="rollback">
      <button type="button" className="danger big" onClick={rollback} disabled={busy || !target}>
        {busy ? 'Rolling back…' : '⟲ Roll back'}
      </button>
      <p className="small muted">{target ? `Rolling back ${target}.` : `Nothing to roll back to: no rollout is running and v${d.stable} was not promoted over another version.`}</p>
      {target && <input value={reason} onChange={(e) => setReason(e.target.value)} placeholder="Reason (optional), e.g. p99 up in the EU region" aria-label="Rollback reason" maxLength={2000} className="wide" />}
      {view}
    </div>
  );
}

/** The candidate becomes stable and answers all requests. */
export function Promote({ d, onChanged }: { d: Deployment; onChanged(): void }) {
  const { client } = useApiState();
  const { busy, run, view } = useAction(d, onChanged);
  if (d.candidate === null) return null;
  const promote = () => {
    if (!window.confirm(`Promote v${d.candidate} of ${d.model}? It answers all requests of "${d.name}"; v${d.stable} stays loaded for a rollback.`)) return;
    void run(async () => {
      const { deployment } = await client.promoteDeployment(d.name);
      return { text: `v${deployment.stable} promoted: it serves all traffic`, revision: deployment.revision };
    });
  };
  return (
    <div className="promote-candidate">
      <button type="button" onClick={promote} disabled={busy}>
        {busy ? 'Promoting…' : `Promote v${d.candidate}`}
      </button>{' '}
      <span className="small muted">ends the {MODE_WORD[d.mode]}: v{d.candidate} takes 100%</span>
      {view}
    </div>
  );
}

/** Starts a canary, shadow or A/B of another version of the model. */
export function StartRollout({ d, onChanged }: { d: Deployment; onChanged(): void }) {
  const { client } = useApiState();
  const versions = useApi((c) => c.getModel(d.model).then((r) => r.model.versions.map((v) => v.version)), [d.model]);
  const [mode, setMode] = useState<RolloutBody['mode']>('canary');
  const [version, setVersion] = useState('');
  const [weight, setWeight] = useState('10');
  const [reason, setReason] = useState('');
  const { busy, run, view } = useAction(d, onChanged);
  const choices = (versions.data ?? []).filter((v) => v !== d.stable);
  const chosen = version || String(d.candidate ?? choices[0] ?? '');
  const w = Number(weight) / 100;
  const weightOk = mode === 'canary' || (weight.trim() !== '' && w >= 0 && w <= 1);
  const steps = d.canary.steps.map((s) => pct(s.weight)).join(' → ');
  const submit = () =>
    void run(async () => {
      const body: RolloutBody = { mode, version: Number(chosen), ...(mode !== 'canary' ? { weight: w } : {}), ...(reason.trim() ? { reason: reason.trim() } : {}) };
      const { deployment } = await client.startRollout(d.name, body);
      setReason('');
      return { text: `Started the ${MODE_WORD[deployment.mode]} of v${deployment.candidate} at ${pct(deployment.weight)}`, revision: deployment.revision };
    });
  return (
    <form
      className="stack rollout-form"
      onSubmit={(e) => {
        e.preventDefault();
        if (chosen && weightOk) submit();
      }}
    >
      <div className="toolbar">
        <label>
          Mode{' '}
          <select value={mode} onChange={(e) => setMode(e.target.value as RolloutBody['mode'])} aria-label="Rollout mode">
            <option value="canary">canary</option>
            <option value="shadow">shadow</option>
            <option value="ab">A/B</option>
          </select>
        </label>
        <label>
          Version{' '}
          <select value={chosen} onChange={(e) => setVersion(e.target.value)} aria-label="Version to roll out">
            {choices.map((v) => (
              <option key={v} value={v}>
                v{v}
              </option>
            ))}
          </select>
        </label>
        {mode !== 'canary' && (
          <label>
            Weight{' '}
            <input type="number" min={0} max={100} step="any" value={weight} onChange={(e) => setWeight(e.target.value)} aria-label="Weight in percent" className="num-input" /> %
          </label>
        )}
      </div>
      <p className="small muted">
        {mode === 'canary'
          ? `Steps ${steps}; after each, the controller compares error rate, latency and predictions with v${d.stable}, then steps up, promotes or rolls back.`
          : mode === 'shadow'
            ? `v${d.stable} keeps answering; v${chosen || '…'} gets a copy of ${weightOk ? pct(w) : '…'} of requests and its answers are only logged.`
            : `v${chosen || '…'} answers ${weightOk ? pct(w) : '…'} of callers, chosen by the ${d.stickyHeader} header (the same caller always gets the same version).`}
      </p>
      <input value={reason} onChange={(e) => setReason(e.target.value)} placeholder="Reason (optional)" aria-label="Rollout reason" maxLength={2000} />
      <div>
        <button type="submit" disabled={busy || !chosen || !weightOk}>
          {busy ? 'Starting…' : `Start ${MODE_WORD[mode]}`}
        </button>
        {versions.data && choices.length === 0 && <span className="small muted"> {d.model} has no other version to roll out.</span>}
      </div>
      <ErrorBox error={versions.error} />
      {view}
    </form>
  );
}
