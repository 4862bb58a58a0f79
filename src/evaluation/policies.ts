/** Gate policies per registered model: each change stores a new version, validated first and audited. */
import type { Kysely } from 'kysely';
import { recordAudit } from '../access/audit.js';
import type { Actor } from '../core/actor.js';
import { nowMs } from '../core/clock.js';
import { notFound, SlipwayError } from '../core/errors.js';
import type { DB, GatePolicyRow } from '../db/schema.js';
import { modelIdOf, requireModelRow } from '../registry/load.js';
import { diffPolicies } from './policy-diff.js';
import { parsePolicy, type PolicySpec } from './policy.js';

export interface GatePolicy {
  model: string;
  version: number;
  spec: PolicySpec;
  source: string;
  createdAt: number;
  createdBy: string;
}

const toPolicy = (r: GatePolicyRow): GatePolicy => ({
  model: r.model_name,
  version: Number(r.version),
  spec: JSON.parse(r.spec) as PolicySpec,
  source: r.source,
  createdAt: Number(r.created_at),
  createdBy: r.created_by,
});

/**
 * Stores a new version of a model's gate policy from its YAML text. The first policy of a model only adds a gate,
 * so any editor may write it; once a model is protected, only an admin may change its policy, and a change that
 * lets more versions through is audited as `gate_policy.weaken` with a readable diff.
 */
export async function setPolicy(db: Kysely<DB>, actor: Actor, model: string, source: string): Promise<GatePolicy> {
  const spec = parsePolicy(source);
  const m = await requireModelRow(db, model);
  return db.transaction().execute(async (trx) => {
    const last = await trx.selectFrom('gate_policies').selectAll().where('model_id', '=', m.id).orderBy('version', 'desc').executeTakeFirst();
    const before = last ? toPolicy(last) : null;
    if (before && actor.role !== 'admin') {
      throw new SlipwayError('PERMISSION_DENIED', `${m.name} is protected by gate policy v${before.version}: only an admin may change it; ${actor.name} is ${actor.role}.`);
    }
    const diff = diffPolicies(before?.spec ?? null, spec);
    const row: GatePolicyRow = { model_id: m.id, model_name: m.name, version: (before?.version ?? 0) + 1, spec: JSON.stringify(spec), source, created_at: nowMs(), created_by: actor.name };
    await trx.insertInto('gate_policies').values(row).execute();
    await recordAudit(trx, actor, {
      action: diff.weakenings.length > 0 ? 'gate_policy.weaken' : 'gate_policy.set',
      targetType: 'registered_model',
      targetId: m.name,
      before: before ? { version: before.version, spec: before.spec } : null,
      after: { version: row.version, spec, diff: diff.changes.join('\n'), weakens: diff.weakenings },
    });
    return toPolicy(row);
  });
}

/** The newest policy of a model (or a given version), found by the model's id; null when it has none. */
export async function getPolicy(db: Kysely<DB>, model: string, version?: number): Promise<GatePolicy | null> {
  const id = await modelIdOf(db, model);
  const r = id === null ? undefined : await (version === undefined ? byModel(db, id).orderBy('version', 'desc') : byModel(db, id).where('version', '=', version)).executeTakeFirst();
  if (!r && version !== undefined) throw notFound(`Model "${model}" has no gate policy version ${version}.`);
  return r ? { ...toPolicy(r), model } : null;
}

/** Every version of a model's policy, newest first. */
export async function listPolicies(db: Kysely<DB>, model: string): Promise<GatePolicy[]> {
  const id = await modelIdOf(db, model);
  if (id === null) return [];
  return (await byModel(db, id).orderBy('version', 'desc').execute()).map((r) => ({ ...toPolicy(r), model }));
}

const byModel = (db: Kysely<DB>, id: string) => db.selectFrom('gate_policies').selectAll().where('model_id', '=', id);
