import type { Kysely } from 'kysely';
import { recordAudit } from '../access/audit.js';
import type { Actor } from '../core/actor.js';
import { ALLOW_ALL, type PromotionGuard } from '../core/promotion.js';
import { nowMs } from '../core/clock.js';
import { invalid, notFound } from '../core/errors.js';
import type { DB } from '../db/schema.js';
import { parseVersion, requireModelRow, requireVersionRow, toVersions, validateModelName } from './load.js';
import type { ModelVersion, StageMove } from './types.js';

const ALIAS_PATTERN = /^[\p{L}\p{N}\p{M}_\-.]+$/u;

/**
 * MLflow's alias rules: non-empty, at most 255 characters, and neither `latest` nor `v<digits>` (any case), which
 * `models:/name@...` URIs reserve. Slipway also keeps aliases to word characters, dashes and dots because they
 * appear in URIs and paths.
 */
export function validateAlias(alias: unknown): string {
  if (typeof alias !== 'string' || alias === '') throw invalid('Registered model alias name cannot be empty.');
  if (alias.length > 255) throw invalid(`Registered model alias name is ${alias.length} characters long; the limit is 255.`);
  if (alias.toLowerCase() === 'latest') throw invalid("'latest' alias name (case insensitive) is reserved.");
  if (/^v\d+$/i.test(alias)) throw invalid(`Version alias name '${alias}' is reserved.`);
  if (!ALIAS_PATTERN.test(alias)) throw invalid(`Invalid alias name '${alias}': use letters, digits, underscores (_), dashes (-) and periods (.).`);
  return alias;
}

export interface Move {
  name: string;
  version: number;
  kind: 'alias' | 'stage';
  key: string;
  from: string | null;
  to: string | null;
}

/** Appends an alias or stage move to model_stage_history; call it in the transaction that makes the move. */
export async function recordMove(trx: Kysely<DB>, actor: Actor, move: Move): Promise<void> {
  await trx
    .insertInto('model_stage_history')
    .values({ name: move.name, version: move.version, kind: move.kind, key: move.key, from_value: move.from, to_value: move.to, actor: actor.name, at: nowMs() })
    .execute();
}

export interface MoveOptions {
  /** Judges the move first (release gates); outside any transaction, as it may take long. */
  guard?: PromotionGuard;
  override?: { reason: string };
}

/**
 * Points an alias at a live version (moving it if it exists); RESOURCE_DOES_NOT_EXIST for an unknown version.
 * The guard runs first, unless the alias already points there.
 */
export async function setAlias(db: Kysely<DB>, actor: Actor, name: unknown, alias: unknown, version: unknown, options: MoveOptions = {}): Promise<void> {
  const a = validateAlias(alias);
  const model = await requireModelRow(db, name);
  const wanted = Number((await requireVersionRow(db, model.name, version)).version);
  const current = await db.selectFrom('registered_model_aliases').select('version').where('name', '=', model.name).where('alias', '=', a).executeTakeFirst();
  if (current && Number(current.version) === wanted) return;
  await (options.guard ?? ALLOW_ALL)({ model: model.name, version: wanted, kind: 'alias', key: a, actor, ...(options.override ? { override: options.override } : {}) });
  await db.transaction().execute(async (trx) => {
    const model = await requireModelRow(trx, name);
    const target = await requireVersionRow(trx, model.name, version);
    const v = Number(target.version);
    const before = await trx.selectFrom('registered_model_aliases').select('version').where('name', '=', model.name).where('alias', '=', a).executeTakeFirst();
    if (before && Number(before.version) === v) return;
    await trx
      .insertInto('registered_model_aliases')
      .values({ name: model.name, alias: a, version: v })
      .onConflict((oc) => oc.columns(['name', 'alias']).doUpdateSet({ version: v }))
      .execute();
    const from = before ? String(before.version) : null;
    await recordMove(trx, actor, { name: model.name, version: v, kind: 'alias', key: a, from, to: String(v) });
    await recordAudit(trx, actor, {
      action: 'registered_model.set_alias',
      targetType: 'registered_model',
      targetId: model.name,
      before: { [a]: from },
      after: { [a]: String(v) },
    });
  });
}

/** Removes an alias; removing one the model does not have is a no-op, as in MLflow. */
export async function deleteAlias(db: Kysely<DB>, actor: Actor, name: unknown, alias: unknown): Promise<void> {
  const a = validateAlias(alias);
  await db.transaction().execute(async (trx) => {
    const model = await requireModelRow(trx, name);
    const before = await trx.selectFrom('registered_model_aliases').select('version').where('name', '=', model.name).where('alias', '=', a).executeTakeFirst();
    if (!before) return;
    await trx.deleteFrom('registered_model_aliases').where('name', '=', model.name).where('alias', '=', a).execute();
    await recordMove(trx, actor, { name: model.name, version: Number(before.version), kind: 'alias', key: a, from: String(before.version), to: null });
    await recordAudit(trx, actor, {
      action: 'registered_model.delete_alias',
      targetType: 'registered_model',
      targetId: model.name,
      before: { [a]: String(before.version) },
      after: null,
    });
  });
}

/** The version an alias points at; RESOURCE_DOES_NOT_EXIST for an unknown model or alias. */
export async function getVersionByAlias(db: Kysely<DB>, name: unknown, alias: unknown): Promise<ModelVersion> {
  const found = await findVersionByAlias(db, name, alias);
  if (!found.version) throw notFound(`Registered model alias ${found.alias} not found.`);
  return found.version;
}

/**
 * The version an alias points at, or null when the model has no such alias (RESOURCE_DOES_NOT_EXIST for an
 * unknown model): the MLflow API answers a missing alias differently from the native one.
 */
export async function findVersionByAlias(db: Kysely<DB>, name: unknown, alias: unknown): Promise<{ alias: string; version: ModelVersion | null }> {
  const model = await requireModelRow(db, name);
  const a = typeof alias === 'string' ? alias : '';
  if (a === '') throw invalid("Missing value for required parameter 'alias'.");
  const row = await db.selectFrom('registered_model_aliases').select('version').where('name', '=', model.name).where('alias', '=', a).executeTakeFirst();
  if (!row) return { alias: a, version: null };
  return { alias: a, version: (await toVersions(db, [await requireVersionRow(db, model.name, Number(row.version))]))[0]! };
}

export interface HistoryQuery {
  version?: number | string;
  kind?: 'alias' | 'stage';
  /** Entries with an id below this, for paging backwards. */
  beforeId?: number;
  limit?: number;
}

/** A model's alias and stage moves, newest first. */
export async function listStageHistory(db: Kysely<DB>, name: unknown, q: HistoryQuery = {}): Promise<StageMove[]> {
  const model = await requireModelRow(db, validateModelName(name));
  let query = db.selectFrom('model_stage_history').selectAll().where('name', '=', model.name);
  if (q.version !== undefined) query = query.where('version', '=', parseVersion(q.version));
  if (q.kind) query = query.where('kind', '=', q.kind);
  if (q.beforeId !== undefined) query = query.where('id', '<', q.beforeId);
  const rows = await query.orderBy('id', 'desc').limit(q.limit ?? 100).execute();
  return rows.map((r) => ({
    id: Number(r.id),
    name: r.name,
    version: Number(r.version),
    kind: r.kind,
    key: r.key,
    from: r.from_value,
    to: r.to_value,
    actor: r.actor,
    at: r.at,
  }));
}
