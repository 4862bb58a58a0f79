import { useCallback, useEffect, useRef, useState, type MouseEvent } from 'react';
import type { Evaluation, EvaluationReport, GatePolicy } from '@slipway/client';
import type { PolicySpec } from '../../../src/evaluation/policy.js';
import { describeRule } from '../../../src/evaluation/rules.js';
import { SlipwayApiError, useApi, useApiState } from '../api';
import { ErrorBox, KeyValues, Loading } from '../components/Common';
import { VersionNav } from '../components/VersionNav';
import { formatNumber, formatTime } from '../format';
import { Link, navigate, path } from '../router';

type GateResult = NonNullable<EvaluationReport['gate']>;
type GateRule = GateResult['rules'][number];

/** Advances every `ms` while `active`; used as a dependency to re-fetch running evaluations. */
function usePolling(active: boolean, ms = 1000): number {
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (!active) return;
    const t = setInterval(() => setTick((n) => n + 1), ms);
    return () => clearInterval(t);
  }, [active, ms]);
  return tick;
}

const evaluationHref = (name: string, version: number, id?: string) => (id ? path('models', name, 'versions', version, 'evaluations', id) : path('models', name, 'versions', version, 'evaluations'));
const shortDigest = (d: string) => d.replace(/^sha256:/, '').slice(0, 12);

/** `/evaluations/:id`: finds the evaluation's model version and shows it on that version's evaluation page. */
export function EvaluationRedirect({ id }: { id: string }) {
  const e = useApi((c) => c.getEvaluation(id), [id]);
  const ev = e.data?.evaluation;
  useEffect(() => {
    if (ev) navigate(evaluationHref(ev.model, ev.version, ev.id), true);
  }, [ev]);
  return (
    <section>
      <ErrorBox error={e.error} />
      <Loading when={e.loading || Boolean(ev)} />
    </section>
  );
}

export function EvaluationsPage({ name, version, id }: { name: string; version: number; id?: string }) {
  const [listNonce, setListNonce] = useState(0);
  const [selectedNonce, setSelectedNonce] = useState(0);
  const [pollList, setPollList] = useState(false);
  const tick = usePolling(pollList);
  const list = useApi((c) => c.listEvaluations(name, version), [name, version, tick, listNonce]);
  const evaluations = list.data?.evaluations;
  const selectedId = id ?? evaluations?.[0]?.id;
  const row = evaluations?.find((e) => e.id === selectedId);

  const [pollSelected, setPollSelected] = useState(false);
  const selectedTick = usePolling(pollSelected);
  const selected = useApi((c) => (selectedId ? c.getEvaluation(selectedId) : Promise.resolve(null)), [selectedId, selectedTick, selectedNonce]);
  const ev = selected.data?.evaluation.id === selectedId ? selected.data?.evaluation : undefined;

  useEffect(() => setPollList(Boolean(evaluations?.some((e) => e.status === 'running'))), [evaluations]);
  useEffect(() => setPollSelected(ev?.status === 'running' || (row?.status === 'running' && !ev)), [ev, row]);
  // The list says the selected one finished before the polled copy does: fetch it once more.
  useEffect(() => {
    if (row && ev && row.status !== 'running' && ev.status === 'running') setSelectedNonce((n) => n + 1);
  }, [row, ev]);

  const policy = useApi(
    (c) =>
      c.getGatePolicy(name).then(
        (r) => r.policy,
        (e: unknown) => {
          if (e instanceof SlipwayApiError && e.status === 404) return null;
          throw e;
        },
      ),
    [name],
  );
  const [modelNonce, setModelNonce] = useState(0);
  const model = useApi((c) => c.getModel(name), [name, modelNonce]);

  const refresh = useCallback(() => {
    setListNonce((n) => n + 1);
    setSelectedNonce((n) => n + 1);
    setModelNonce((n) => n + 1);
  }, []);

  return (
    <section>
      <nav className="crumbs">
        <Link href="/models">Models</Link> / <Link href={path('models', name)}>{name}</Link> / <Link href={path('models', name, 'versions', version)}>v{version}</Link> / <span>Evaluations</span>
      </nav>
      <h1>
        {name} v{version}: evaluations
      </h1>
      <VersionNav name={name} version={version} active="evaluations" />
      <ErrorBox error={list.error} />
      <Loading when={list.loading && !evaluations} />
      {evaluations && <EvaluationTable name={name} version={version} evaluations={evaluations} selectedId={selectedId} />}
      <div className="eval-layout">
        <div className="eval-main">
          {selectedId && (
            <>
              <ErrorBox error={selected.error} />
              <Loading when={!ev && !selected.error} />
            </>
          )}
          {ev && ev.model === name && ev.version === version && <SelectedEvaluation evaluation={ev} />}
          {ev && (ev.model !== name || ev.version !== version) && (
            <p className="error">
              Evaluation <span className="mono">{ev.id}</span> is of {ev.model} v{ev.version}, not of this version.{' '}
              <Link href={evaluationHref(ev.model, ev.version, ev.id)}>Open it there</Link>.
            </p>
          )}
        </div>
        <aside className="release-panel" aria-label="Release">
          <ReleasePanel
            name={name}
            version={version}
            policy={policy.data}
            policyError={policy.error}
            aliases={model.data?.model.aliases}
            evaluation={ev && ev.model === name && ev.version === version ? ev : undefined}
            onChanged={refresh}
          />
        </aside>
      </div>
    </section>
  );
}

function Status({ e }: { e: Evaluation }) {
  if (e.status === 'running') {
    const p = e.progress;
    return (
      <div className="eval-progress">
        <span className="status status-running">RUNNING</span> <span className="small muted">{p ? p.phase : 'queued'}</span>
        <progress max={p && p.total > 0 ? p.total : undefined} value={p && p.total > 0 ? p.done : undefined} aria-label={`progress: ${p?.phase ?? 'queued'}`} />
      </div>
    );
  }
  return <span className={`status status-${e.status === 'completed' ? 'finished' : 'failed'}`}>{e.status.toUpperCase()}</span>;
}

function GateBadge({ passed }: { passed: boolean | null }) {
  if (passed === null) return <span className="gate-badge gate-none">none</span>;
  return <span className={`gate-badge ${passed ? 'gate-pass' : 'gate-fail'}`}>{passed ? 'PASS' : 'FAIL'}</span>;
}

function EvaluationTable({ name, version, evaluations, selectedId }: { name: string; version: number; evaluations: Evaluation[]; selectedId: string | undefined }) {
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
              <td>{e.championVersion !== null ? `${e.against ? `@${e.against} → ` : ''}v${e.championVersion}` : <span className="muted">—</span>}</td>
              <td>
                <Status e={e} />
              </td>
              <td>
                <GateBadge passed={e.status === 'completed' ? e.gatePassed : null} />
              </td>
              <td className="eval-headline">{e.headline ?? (e.status === 'failed' ? <span className="fail-text">{e.error?.message ?? 'failed'}</span> : <span className="muted">—</span>)}</td>
              <td title={e.approvals.map((a) => `${a.approver}: ${a.note}`).join('\n')}>{e.approvals.length ? e.approvals.map((a) => a.approver).join(', ') : <span className="muted">—</span>}</td>
              <td>{e.runId ? <Link href={path('runs', e.runId)} className="mono">{e.runId.slice(0, 8)}</Link> : <span className="muted">—</span>}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function SelectedEvaluation({ evaluation: e }: { evaluation: Evaluation }) {
  const scorecard = useApi((c) => (e.status === 'completed' ? c.scorecard(e.id, 'html').then((html) => ({ id: e.id, html })) : Promise.resolve(null)), [e.id, e.status]);
  const html = scorecard.data && scorecard.data.id === e.id ? scorecard.data.html : undefined;
  return (
    <div>
      <h2>
        {e.status === 'completed' ? 'Scorecard' : 'Evaluation'}{' '}
        <span className="small muted mono" title="Evaluation ID">
          {e.id}
        </span>
      </h2>
      <p className="small muted">
        Started {formatTime(e.createdAt)} by {e.createdBy}
        {e.finishedAt ? `, finished ${formatTime(e.finishedAt)}` : ''} · {e.dataset.name}@v{e.dataset.version} · {e.championVersion !== null ? `against ${e.against ? `@${e.against} ` : ''}v${e.championVersion}` : 'no champion'} · policy{' '}
        {e.policyVersion !== null ? `v${e.policyVersion}` : 'none'}
        {e.runId && (
          <>
            {' '}
            · <Link href={path('runs', e.runId)}>tracking run</Link>
          </>
        )}
      </p>
      {e.status === 'failed' && (
        <div className="error eval-failed" role="alert">
          <strong>Evaluation failed{e.error ? ` (${e.error.code})` : ''}</strong>
          <p>{e.error?.message ?? 'No error message was recorded.'}</p>
        </div>
      )}
      {e.status === 'running' && (
        <div className="eval-running">
          <Status e={e} />
          <p className="muted">The scorecard appears here when the evaluation completes.</p>
        </div>
      )}
      {e.status === 'completed' && (
        <>
          <ErrorBox error={scorecard.error} />
          <Loading when={!html && !scorecard.error} />
          {html !== undefined && <ScorecardFrame key={e.id} html={html} title={`Scorecard of evaluation ${e.id}`} />}
          {html !== undefined && <ScorecardLinks id={e.id} html={html} />}
        </>
      )}
    </div>
  );
}

/** The API needs the token in a header, so plain links to the scorecard would fail with auth on: hand out blobs. */
function ScorecardLinks({ id, html }: { id: string; html: string }) {
  const { client } = useApiState();
  const [error, setError] = useState<Error | undefined>();
  const open = (text: string, type: string, download?: string) => {
    const url = URL.createObjectURL(new Blob([text], { type }));
    const a = document.createElement('a');
    a.href = url;
    if (download) a.download = download;
    else a.target = '_blank';
    a.rel = 'noopener';
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  };
  return (
    <div className="scorecard-links small">
      <button type="button" className="secondary" onClick={() => open(html, 'text/html')}>
        Open in a new tab
      </button>{' '}
      <button
        type="button"
        className="secondary"
        onClick={() => {
          setError(undefined);
          client.scorecard(id, 'md').then((md) => open(md, 'text/markdown', `scorecard-${id}.md`), setError);
        }}
      >
        Download Markdown
      </button>
      <ErrorBox error={error} />
    </div>
  );
}

/**
 * The scorecard is a whole HTML page with its own styles: an iframe keeps them apart. The sandbox allows no
 * scripts; same-origin only so the height of its content can be read and the frame grown to fit it.
 */
function ScorecardFrame({ html, title }: { html: string; title: string }) {
  const ref = useRef<HTMLIFrameElement>(null);
  const [height, setHeight] = useState(900);
  const measure = useCallback(() => {
    const doc = ref.current?.contentDocument;
    if (!doc?.documentElement) return;
    const h = Math.ceil(doc.documentElement.getBoundingClientRect().height);
    if (h > 0) setHeight(Math.max(200, h + 2));
  }, []);
  useEffect(() => {
    const el = ref.current;
    if (!el || typeof ResizeObserver === 'undefined') return;
    let width = el.clientWidth;
    // Re-measure when the frame gets narrower or wider (its content reflows), not when its own height changes.
    const ro = new ResizeObserver(() => {
      if (el.clientWidth !== width) {
        width = el.clientWidth;
        measure();
      }
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, [measure]);
  return <iframe ref={ref} className="scorecard-frame" title={title} sandbox="allow-same-origin" srcDoc={html} style={{ height }} onLoad={measure} />;
}

// ---- release panel ----


function PolicySummary({ policy }: { policy: GatePolicy }) {
  const spec = policy.spec as PolicySpec;
  return (
    <>
      <KeyValues
        entries={[
          ['Policy', `v${policy.version}, set by ${policy.createdBy} ${formatTime(policy.createdAt)}`],
          [
            'Protects',
            <>
              {spec.protect.map((a) => (
                <span key={a} className="chip alias">
                  @{a}
                </span>
              ))}
            </>,
          ],
          ['Champion', spec.against ? `@${spec.against}` : spec.protect[0] ? `@${spec.protect[0]}` : '—'],
          ['Dataset', spec.dataset ? <span className="mono">{spec.dataset}</span> : '—'],
          ['Sign-off', spec.signoff ? 'a reviewer must approve' : 'not needed'],
        ]}
      />
      <h3>Rules</h3>
      {spec.rules.length === 0 ? (
        <p className="muted">No rules: the gate checks nothing.</p>
      ) : (
        <ol className="policy-rules">
          {spec.rules.map((r, i) => (
            <li key={i}>{describeRule(r)}</li>
          ))}
        </ol>
      )}
      <details>
        <summary className="muted small">Policy as written (YAML)</summary>
        <pre className="preview-text">{policy.source}</pre>
      </details>
    </>
  );
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

function SelectedGate({ evaluation: e }: { evaluation: Evaluation | undefined }) {
  if (!e) return <p className="muted">No evaluation selected.</p>;
  if (e.status === 'running') return <p className="muted">The evaluation is still running.</p>;
  if (e.status === 'failed') return <p className="fail-text">No gate result: the evaluation failed.</p>;
  const gate = e.report?.gate;
  if (!gate) return <p className="muted">No gate was applied to this evaluation (there was no policy with rules when it ran).</p>;
  const failed = gate.rules.filter((r) => !r.passed).length;
  return (
    <>
      <p>
        <GateBadge passed={gate.passed} />{' '}
        <span className="small muted">
          {failed === 0 ? `all ${gate.rules.length} checks passed` : `${failed} of ${gate.rules.length} checks failed`} · policy {gate.policyVersion !== null ? `v${gate.policyVersion}` : 'given with the request'}
        </span>
      </p>
      {failed > 0 && <GateList rules={gate.rules.filter((r) => !r.passed)} />}
      {failed < gate.rules.length && (
        // Passed checks fold away so the promote button stays in view; open when there is nothing else to show.
        <details className="gate-passed" open={failed === 0}>
          <summary className="small pass-text">✓ {gate.rules.length - failed} passed</summary>
          <GateList rules={gate.rules.filter((r) => r.passed)} />
        </details>
      )}
    </>
  );
}

type PromoteOutcome = { ok: true; alias: string; version: number; overridden: boolean } | { ok: false; error: Error };

function ReleasePanel({
  name,
  version,
  policy,
  policyError,
  aliases,
  evaluation,
  onChanged,
}: {
  name: string;
  version: number;
  policy: GatePolicy | null | undefined;
  policyError: Error | undefined;
  aliases: Record<string, number> | undefined;
  evaluation: Evaluation | undefined;
  onChanged(): void;
}) {
  const spec = policy ? (policy.spec as PolicySpec) : null;
  return (
    <>
      <h2>Gate result of this evaluation</h2>
      <SelectedGate evaluation={evaluation} />

      <h2>Promote v{version}</h2>
      <ErrorBox error={policyError} />
      {policy === null && <p className="notice">No gate policy: promotion is not checked.</p>}
      <Promote name={name} version={version} spec={spec} policyLoaded={policy !== undefined || policyError !== undefined} aliases={aliases} onChanged={onChanged} />

      {spec?.signoff && <SignOff evaluation={evaluation} onChanged={onChanged} />}

      {policy && (
        <>
          <h2>Gate policy</h2>
          <PolicySummary policy={policy} />
        </>
      )}
      {policy === undefined && !policyError && <Loading when />}
    </>
  );
}

function SignOff({ evaluation: e, onChanged }: { evaluation: Evaluation | undefined; onChanged(): void }) {
  const { client } = useApiState();
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | undefined>();
  const approve = async () => {
    if (!e) return;
    setBusy(true);
    setError(undefined);
    try {
      await client.approveEvaluation(e.id, note.trim());
      setNote('');
      onChanged();
    } catch (err) {
      setError(err as Error);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <h2>Sign-off</h2>
      <p className="small muted">The policy needs a reviewer other than the person who starts the evaluation or promotes to approve it.</p>
      {e && e.approvals.length > 0 ? (
        <ul className="approvals">
          {e.approvals.map((a) => (
            <li key={a.approver}>
              <span className="pass-text">✓ {a.approver}</span> <span className="small muted">{formatTime(a.at)}</span>
              {a.note && <div className="small">{a.note}</div>}
            </li>
          ))}
        </ul>
      ) : (
        <p className="muted">{e ? 'Not approved yet.' : 'No evaluation selected.'}</p>
      )}
      {e && e.status === 'completed' && (
        <form
          className="stack"
          onSubmit={(ev) => {
            ev.preventDefault();
            void approve();
          }}
        >
          <textarea value={note} onChange={(ev) => setNote(ev.target.value)} rows={2} placeholder="Note (what you checked)" aria-label="Approval note" maxLength={2000} />
          <div>
            <button type="submit" disabled={busy}>
              {busy ? 'Approving…' : 'Approve'}
            </button>
          </div>
        </form>
      )}
      <ErrorBox error={error} />
    </>
  );
}

function Promote({
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

  const refused = outcome && !outcome.ok && outcome.error instanceof SlipwayApiError ? outcome.error : null;
  const refusedGate = refused?.details.gate as GateResult | undefined;
  const refusedEvaluation = typeof refused?.details.evaluationId === 'string' ? refused.details.evaluationId : null;

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
      {outcome && !outcome.ok && (
        <div className="error" role="alert">
          <strong>{refused?.status === 409 ? 'Promotion refused' : refused ? `${refused.code}${refused.status ? ` (${refused.status})` : ''}` : 'Error'}</strong>
          {refusedGate ? (
            <>
              <p className="small">
                {refusedGate.rules.filter((r) => !r.passed).length} of {refusedGate.rules.length} release checks failed
                {refusedEvaluation && (
                  <>
                    {' '}
                    (evaluation <Link href={evaluationHref(name, version, refusedEvaluation)} className="mono">{refusedEvaluation.slice(0, 8)}</Link>)
                  </>
                )}
                . @{chosen} is unchanged.
              </p>
              <GateList rules={refusedGate.rules.filter((r) => !r.passed)} />
              <details>
                <summary className="small muted">Full message</summary>
                <p className="small">{outcome.error.message}</p>
              </details>
            </>
          ) : (
            <p>
              {outcome.error.message}
              {refusedEvaluation && (
                <>
                  {' '}
                  <Link href={evaluationHref(name, version, refusedEvaluation)}>Open the evaluation</Link>.
                </>
              )}
            </p>
          )}
        </div>
      )}
      {spec && (
        <details className="override">
          <summary>Override…</summary>
          <p className="small muted">Admins only: moves @{chosen || '…'} to v{version} without the gate. The reason (at least 10 characters) is kept in the audit log.</p>
          <form
            className="stack"
            onSubmit={(e) => {
              e.preventDefault();
              void promote({ reason: reason.trim() });
            }}
          >
            <textarea value={reason} onChange={(e) => setReason(e.target.value)} rows={3} placeholder="Why the gate is overridden, e.g. hotfix for incident 123, evaluation rerun tomorrow" aria-label="Override reason" />
            <div>
              <button type="submit" className="danger" disabled={busy || !chosen || reason.trim().length < 10}>
                Promote with override
              </button>{' '}
              {reason.trim().length > 0 && reason.trim().length < 10 && <span className="small muted">{10 - reason.trim().length} more characters</span>}
            </div>
          </form>
        </details>
      )}
    </div>
  );
}
