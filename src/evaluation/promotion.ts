/**
 * Release gates on promotion: the guard the registry consults before an alias or stage moves (registered at
 * start-up through core/, so the registry never imports evaluation).
 */
import { recordAudit } from '../access/audit.js';
import { invalid, SlipwayError } from '../core/errors.js';
import { gateOverrideReason, type IdentityGuard, type PromotionGuard, type ProposedMove } from '../core/promotion.js';
import { modelIdOf } from '../registry/load.js';
import { getPolicy, type GatePolicy } from './policies.js';
import type { Evaluation, EvaluationService } from './service.js';

/**
 * The release gate: lets a move of a protected alias (or stage) through only when the version passed the model's
 * policy on the policy's dataset against the current champion — reusing such an evaluation, or running one now —
 * and, if the policy asks, a reviewer other than the promoter signed it off. An admin may override with a reason.
 */
export function releaseGate(service: EvaluationService): PromotionGuard {
  const db = service.db;
  return async (move: ProposedMove): Promise<void> => {
    const policy = await getPolicy(db, move.model);
    const protects = (key: string) => policy?.spec.protect.some((p) => (move.kind === 'alias' ? p === key : p.toLowerCase() === key.toLowerCase())) ?? false;
    if (!policy || !protects(move.key)) {
      if (move.override) throw invalid(`Nothing to override: ${move.kind} "${move.key}" of ${move.model} is not protected by a gate policy.`);
      return;
    }
    const target = `${move.model} v${move.version} to ${move.kind === 'alias' ? `@${move.key}` : `stage ${move.key}`}`;
    if (move.override) {
      const reason = gateOverrideReason(move.actor, move.override, 'override the release gate');
      const modelId = await modelIdOf(db, move.model);
      await db.transaction().execute((trx) =>
        recordAudit(trx, move.actor, { action: 'gate.override', targetType: 'model_version', targetId: `${move.model}/${move.version}`, after: { move: move.kind, key: move.key, reason, policyVersion: policy.version, modelId } }),
      );
      return;
    }
    const evaluation = await gateEvaluation(service, move, policy);
    const failed = evaluation.report?.gate?.rules.filter((r) => !r.passed) ?? [];
    if (evaluation.status !== 'completed') {
      throw new SlipwayError('INVALID_STATE', `Promotion of ${target} refused: its gate evaluation ${evaluation.id} ${evaluation.status === 'cancelled' ? 'was cancelled' : 'failed'}: ${evaluation.error?.message}`, { evaluationId: evaluation.id });
    }
    if (!evaluation.gatePassed) {
      // The message carries the failed checks for callers that read only it; `summary` is the same without them,
      // for clients that print details.gate as a table (the CLI), so nothing is said twice.
      const headline = `Promotion of ${target} refused: ${failed.length} of ${evaluation.report?.gate?.rules.length ?? 0} release checks failed (evaluation ${evaluation.id})`;
      const hint = `An admin may still promote it: slipway models promote ${move.model} ${move.version} --alias ${move.kind === 'alias' ? move.key : policy.spec.protect[0]} --override --reason "...".`;
      throw new SlipwayError('INVALID_STATE', `${headline}: ${failed.map((r) => `${r.rule}: ${r.reason}`).join(' | ')} ${hint}`, {
        evaluationId: evaluation.id,
        gate: evaluation.report?.gate,
        summary: `${headline}. ${hint}`,
      });
    }
    if (policy.spec.signoff && !evaluation.approvals.some((a) => a.approver !== move.actor.name)) {
      throw new SlipwayError(
        'INVALID_STATE',
        `Promotion of ${target} passed its release checks but needs a sign-off: a reviewer other than ${move.actor.name} must approve evaluation ${evaluation.id} (slipway eval approve ${evaluation.id}).`,
        { evaluationId: evaluation.id, gate: evaluation.report?.gate },
      );
    }
  };
}

/** The newest completed evaluation that still answers the gate's question, or a new one. */
async function gateEvaluation(service: EvaluationService, move: ProposedMove, policy: GatePolicy): Promise<Evaluation> {
  const p = await service.prepare({ model: move.model, version: move.version });
  const reusable = await service.db
    .selectFrom('evaluations')
    .select('id')
    .where('model_id', '=', (await modelIdOf(service.db, move.model)) ?? '')
    .where('model_version', '=', move.version)
    .where('policy_version', '=', policy.version)
    .where('dataset_digest', '=', p.dataset.digest)
    .where('status', '=', 'completed')
    .where('gate_passed', 'is not', null)
    .where((eb) => (p.champion ? eb('champion_version', '=', p.champion.version.version) : eb('champion_version', 'is', null)))
    .orderBy('created_at', 'desc')
    .executeTakeFirst();
  if (reusable) return service.get(reusable.id);
  return service.wait((await service.start(move.actor, { model: move.model, version: move.version })).id);
}

/**
 * A protected model keeps its name unless an admin changes it: an editor who renamed or deleted it could register
 * another model under the name, with no policy, and the deployments following `<name>@<alias>` would serve it.
 */
export function protectedIdentity(service: EvaluationService): IdentityGuard {
  return async ({ model, kind, actor }) => {
    const policy = await getPolicy(service.db, model);
    if (!policy || policy.spec.protect.length === 0 || actor.role === 'admin') return;
    const aliases = policy.spec.protect.map((a) => `@${a}`).join(', ');
    throw new SlipwayError(
      'PERMISSION_DENIED',
      `Only an admin may ${kind} ${model}: its gate policy v${policy.version} protects ${aliases}, and another model taking its name would be served without passing that gate. ${actor.name} is ${actor.role}.`,
    );
  };
}
