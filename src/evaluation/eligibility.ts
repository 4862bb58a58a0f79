/**
 * Release eligibility: the one answer to "has this version passed the gate protecting what this deployment
 * serves?", given to serving at start-up (core/release.ts) so every change of who answers traffic asks it.
 */
import type { Kysely } from 'kysely';
import type { ReleaseEligibility, ReleaseQuestion, ReleaseVerdict } from '../core/release.js';
import type { DB } from '../db/schema.js';
import { modelIdOf } from '../registry/load.js';
import { getPolicy, type GatePolicy } from './policies.js';

/**
 * A version passed the gate of a protected alias when, under the model's current policy, the alias points at it
 * (it got there through the gate or an audited override), or a completed evaluation under the current policy
 * passed (signed off by someone other than the asker if the policy wants sign-off), or an admin overrode the gate
 * for it under the current policy. Only recorded facts count: this never runs an evaluation.
 */
export function releaseEligibility(db: Kysely<DB>): ReleaseEligibility {
  return async (q: ReleaseQuestion): Promise<ReleaseVerdict> => {
    const policy = await getPolicy(db, q.model);
    const gates = gatesFor(policy, q.alias);
    if (!policy || gates.length === 0) {
      return { allowed: true, gate: null, why: q.alias ? `@${q.alias} of ${q.model} is not protected by a gate policy` : `${q.model} has no gate policy` };
    }
    const gate = gates[0]!;
    const fact = await gateFact(db, policy, q, gates);
    if (fact) return { allowed: true, gate, why: `v${q.version} passed the gate of @${gate}: ${fact}` };
    if (q.exposure === 'partial' && policy.spec.canaryUngated === 'allow') {
      return { allowed: true, gate, why: `v${q.version} has not passed the gate of @${gate}; policy v${policy.version} allows canary and A/B exposure of ungated versions (canary_ungated: allow)` };
    }
    const what = q.exposure === 'full' ? 'answer all traffic' : 'answer canary or A/B traffic (policy setting canary_ungated: refuse)';
    return {
      allowed: false,
      gate,
      why:
        `${q.model} v${q.version} has not passed the release gate of @${gate} (policy v${policy.version}), so it may not ${what}. ` +
        `Move @${gate} to it through the gate (slipway models promote ${q.model} ${q.version} --alias ${gate}), shadow it instead (answers nothing), ` +
        `or, as an admin, override with a reason of at least 10 characters.`,
    };
  };
}

/** The protected aliases whose gate applies: the followed one, or for a pinned deployment any the policy protects. */
function gatesFor(policy: GatePolicy | null, alias: string | null): string[] {
  if (!policy) return [];
  if (alias === null) return policy.spec.protect;
  return policy.spec.protect.includes(alias) ? [alias] : [];
}

/** Why the version counts as having passed, in a few words; null when nothing recorded says so. */
async function gateFact(db: Kysely<DB>, policy: GatePolicy, q: ReleaseQuestion, gates: string[]): Promise<string | null> {
  const held = await db
    .selectFrom('registered_model_aliases')
    .select('alias')
    .where('name', '=', q.model)
    .where('version', '=', q.version)
    .where('alias', 'in', gates)
    .executeTakeFirst();
  if (held) return `@${held.alias} points at it`;
  // Evaluations and overrides count by the model's id: a model renamed, or deleted and re-created under the same
  // name, does not inherit another model's passes.
  const modelId = (await modelIdOf(db, q.model)) ?? '';
  const passed = await db
    .selectFrom('evaluations')
    .select('id')
    .where('model_id', '=', modelId)
    .where('model_version', '=', q.version)
    .where('policy_version', '=', policy.version)
    .where('status', '=', 'completed')
    .where('gate_passed', '=', 1)
    .orderBy('created_at', 'desc')
    .execute();
  for (const e of passed) {
    if (!policy.spec.signoff) return `evaluation ${e.id} passed policy v${policy.version}`;
    const other = await db.selectFrom('evaluation_approvals').select('approver').where('evaluation_id', '=', e.id).where('approver', '!=', q.actor.name).executeTakeFirst();
    if (other) return `evaluation ${e.id} passed policy v${policy.version}, signed off by ${other.approver}`;
  }
  const overrides = await db.selectFrom('audit_log').select(['after', 'actor']).where('action', '=', 'gate.override').where('target_id', '=', `${q.model}/${q.version}`).execute();
  for (const o of overrides) {
    const after = o.after ? (JSON.parse(o.after) as { key?: string; policyVersion?: number; modelId?: string }) : {};
    if (after.modelId === modelId && after.policyVersion === policy.version && after.key !== undefined && gates.includes(after.key)) return `${o.actor} overrode the gate of @${after.key} for it`;
  }
  return null;
}
