import type { Evaluation, GatePolicy } from '@slipway/client';
import type { PolicySpec } from '../../../../src/evaluation/policy.js';
import { describeRule } from '../../../../src/evaluation/rules.js';
import { formatTime } from '../../format';
import { ErrorBox, KeyValues, Loading } from '../Common';
import { Promote } from './Promote';
import { SignOff } from './SignOff';
import { GateBadge, GateList } from './shared';

/** Beside the scorecard: the selected evaluation's gate result, promoting this version, sign-off and the policy. */
export function ReleasePanel({
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

      {policy && spec && (
        <>
          <h2>Gate policy</h2>
          <PolicySummary policy={policy} spec={spec} />
        </>
      )}
      {policy === undefined && !policyError && <Loading when />}
    </>
  );
}

function SelectedGate({ evaluation: e }: { evaluation: Evaluation | undefined }) {
  if (!e) return <p className="muted">No evaluation selected.</p>;
  if (e.status === 'running' || e.status === 'queued') return <p className="muted">The evaluation is still {e.status}.</p>;
  if (e.status === 'cancelled') return <p className="fail-text">No gate result: the evaluation was cancelled.</p>;
  if (e.status === 'failed') return <p className="fail-text">No gate result: the evaluation failed.</p>;
  const gate = e.report?.gate;
  if (!gate) return <p className="muted">No gate was applied to this evaluation (there was no policy with rules when it ran).</p>;
  const failedRules = gate.rules.filter((r) => !r.passed);
  const failed = failedRules.length;
  return (
    <>
      <p>
        <GateBadge passed={gate.passed} />{' '}
        <span className="small muted">
          {failed === 0 ? `all ${gate.rules.length} checks passed` : `${failed} of ${gate.rules.length} checks failed`} · policy {gate.policyVersion !== null ? `v${gate.policyVersion}` : 'given with the request'}
        </span>
      </p>
      {failed > 0 && <GateList rules={failedRules} />}
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

function PolicySummary({ policy, spec }: { policy: GatePolicy; spec: PolicySpec }) {
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
