/** Gate policies per registered model: each change stores a new version, validated first and audited. */
import type { Kysely } from 'kysely';
import { recordAudit } from '../access/audit.js';
import type { Actor } from '../core/actor.js';
import { nowMs } from '../core/clock.js';
import { notFound } from '../core/errors.js';
import type { DB, GatePolicyRow } from '../db/schema.js';
import { getRegisteredModel } from '../registry/models.js';
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

/** Stores a new version of a model's gate policy from its YAML text. */
export async function setPolicy(db: Kysely<DB>, actor: Actor, model: string, source: string): Promise<GatePolicy> {
  const spec = parsePolicy(source);
  const m = await getRegisteredModel(db, model);
  return db.transaction().execute(async (trx) => {
    const last = await trx.selectFrom('gate_policies').select((eb) => eb.fn.max('version').as('v')).where('model_name', '=', m.name).executeTakeFirst();
    const row: GatePolicyRow = { model_name: m.name, version: Number(last?.v ?? 0) + 1, spec: JSON.stringify(spec), source, created_at: nowMs(), created_by: actor.name };
    await trx.insertInto('gate_policies').values(row).execute();
    await recordAudit(trx, actor, { action: 'gate_policy.set', targetType: 'registered_model', targetId: m.name, after: { version: row.version, spec } });
    return toPolicy(row);
  });
}

/** The newest policy of a model (or a given version); null when it has none. */
export async function getPolicy(db: Kysely<DB>, model: string, version?: number): Promise<GatePolicy | null> {
  let q = db.selectFrom('gate_policies').selectAll().where('model_name', '=', model);
  q = version === undefined ? q.orderBy('version', 'desc') : q.where('version', '=', version);
  const r = await q.executeTakeFirst();
  if (!r && version !== undefined) throw notFound(`Model "${model}" has no gate policy version ${version}.`);
  return r ? toPolicy(r) : null;
}

/** Every version of a model's policy, newest first. */
export async function listPolicies(db: Kysely<DB>, model: string): Promise<GatePolicy[]> {
  return (await db.selectFrom('gate_policies').selectAll().where('model_name', '=', model).orderBy('version', 'desc').execute()).map(toPolicy);
}
