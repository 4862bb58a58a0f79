import { useState } from 'react';
import type { PolicySpec } from '../../../../src/evaluation/policy.js';
import { SlipwayApiError, useApiState } from '../../api';
import { Link } from '../../router';
import { GateList, evaluationHref, type GateResult } from './shared';

type PromoteOutcome = { ok: true; alias: string; version: number; overridden: boolean } | { ok: false; error: Error };

/** Points an alias at this version through the release gate, or (admins) past it with a reason. */
export function Promote({
  name,
  version,
  spec,
  policyLoaded,
  aliases,
  onChanged,
}: {
  name: string;
  version: number;
  spec: PolicySpec | null;
  policyLoaded: boolean;
  aliases: Record<string, number> | undefined;
  onChanged(): void;
}) {
  const { client } = useApiState();
  const defaultAlias = spec?.protect[0] ?? 'production';
  const [alias, setAlias] = useState<string | null>(null);
  const chosen = (alias ?? defaultAlias).trim();
  const [reason, setReason] = useState('');
  const why = reason.trim();
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<PromoteOutcome | null>(null);
  const choices = [...new Set([...(spec?.protect ?? []), 'production', ...Object.keys(aliases ?? {})])];
  const protectedAlias = spec?.protect.includes(chosen) ?? false;
  const current = aliases?.[chosen];

  const promote = async (override?: { reason: string }) => {
    setBusy(true);
    setOutcome(null);
    try {
      const { version: v } = await client.setModelAlias(name, chosen, version, override);
      setOutcome({ ok: true, alias: chosen, version: v.version, overridden: Boolean(override) });
      if (override) setReason('');
    } catch (err) {
      setOutcome({ ok: false, error: err as Error });
    } finally {
      setBusy(false);
      // The gate may have run (and recorded) an evaluation, and the alias may have moved.
      onChanged();
    }
  };

  return (
    <div className="promote">
      <form
        className="toolbar"
        onSubmit={(e) => {
          e.preventDefault();
          if (chosen) void promote();
        }}
      >
        <label htmlFor="promote-alias" className="muted">
          Alias @
        </label>
        <input id="promote-alias" className="mono" list="promote-aliases" value={alias ?? defaultAlias} onChange={(e) => setAlias(e.target.value)} size={14} aria-label="Alias" disabled={!policyLoaded} />
        <datalist id="promote-aliases">
          {choices.map((a) => (
            <option key={a} value={a} />
          ))}
        </datalist>
        <button type="submit" disabled={busy || !chosen || !policyLoaded}>
          {busy ? 'Checking…' : 'Promote'}
        </button>
      </form>
      <p className="small muted" data-testid="alias-target">
        @{chosen || '…'} {aliases === undefined ? '' : current !== undefined ? `now points to v${current}${current === version ? ' (this version)' : ''}` : 'points to no version yet'}
        {policyLoaded && (protectedAlias ? ' · protected: the release gate decides' : ' · not protected by the gate')}
      </p>
      {busy && <p className="small muted">Checking the release gate; this runs an evaluation when no matching one exists, which can take a while.</p>}
      {outcome?.ok && (
        <div className="notice ok" role="status">
          <strong>✓ @{outcome.alias} now points to v{outcome.version}</strong>
          {outcome.overridden && <span className="small"> (gate overridden; the reason is in the audit log)</span>}
        </div>
      )}
      {outcome && !outcome.ok && <PromoteError name={name} version={version} alias={chosen} error={outcome.error} />}
      {spec && (
        <details className="override">
          <summary>Override…</summary>
          <p className="small muted">Admins only: moves @{chosen || '…'} to v{version} without the gate. The reason (at least 10 characters) is kept in the audit log.</p>
          <form
            className="stack"
            onSubmit={(e) => {
              e.preventDefault();
              void promote({ reason: why });
            }}
          >
            <textarea value={reason} onChange={(e) => setReason(e.target.value)} rows={3} placeholder="Why the gate is overridden, e.g. hotfix for incident 123, evaluation rerun tomorrow" aria-label="Override reason" />
            <div>
              <button type="submit" className="danger" disabled={busy || !chosen || why.length < 10}>
                Promote with override
              </button>{' '}
              {why.length > 0 && why.length < 10 && <span className="small muted">{10 - why.length} more characters</span>}
            </div>
          </form>
        </details>
      )}
    </div>
  );
}

/** Why a promotion failed: the gate's failed checks when it refused, else the error. */
function PromoteError({ name, version, alias, error }: { name: string; version: number; alias: string; error: Error }) {
  const refused = error instanceof SlipwayApiError ? error : null;
  const refusedGate = refused?.details.gate as GateResult | undefined;
  const evaluationId = refused?.details.evaluationId;
  const refusedEvaluation = typeof evaluationId === 'string' ? { id: evaluationId, href: evaluationHref(name, version, evaluationId) } : null;
  const failedRules = refusedGate?.rules.filter((r) => !r.passed);
  return (
    <div className="error" role="alert">
      <strong>{refused?.status === 409 ? 'Promotion refused' : refused ? `${refused.code}${refused.status ? ` (${refused.status})` : ''}` : 'Error'}</strong>
      {refusedGate && failedRules ? (
        <>
          <p className="small">
            {failedRules.length} of {refusedGate.rules.length} release checks failed
            {refusedEvaluation && (
              <>
                {' '}
                (evaluation <Link href={refusedEvaluation.href} className="mono">{refusedEvaluation.id.slice(0, 8)}</Link>)
              </>
            )}
            . @{alias} is unchanged.
          </p>
          <GateList rules={failedRules} />
          <details>
            <summary className="small muted">Full message</summary>
            <p className="small">{error.message}</p>
          </details>
        </>
      ) : (
        <p>
          {error.message}
          {refusedEvaluation && (
            <>
              {' '}
              <Link href={refusedEvaluation.href}>Open the evaluation</Link>.
            </>
          )}
        </p>
      )}
    </div>
  );
}
