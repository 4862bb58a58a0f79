import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { recordAudit } from '../access/audit.js';
import type { Actor } from '../core/actor.js';
import { nowMs } from '../core/clock.js';
import { ALLOW_ANY_CHANGE, type IdentityGuard, type RenameFollower } from '../core/promotion.js';
import { alreadyExists, invalid } from '../core/errors.js';
import type { DB } from '../db/schema.js';
import { LIMITS, validateKey, validateValueLength } from '../tracking/limits.js';
import type { KeyValue } from '../tracking/types.js';
import { requireModelRow, toModels, validateModelName } from './load.js';
import type { RegisteredModel } from './types.js';

const AUDIT_TYPE = 'registered_model';

/** Registry tag values may be as long as run tag values. */
export function validateRegistryTag(tag: KeyValue): KeyValue {
  validateKey(tag.key, 'Tag');
  if (typeof tag.value !== 'string') throw invalid(`Tag '${tag.key}' must have a string value.`);
  validateValueLength(tag.value, LIMITS.tagValueLength, 'Tag', tag.key);
  return tag;
}

export interface CreateModelInput {
  name: string;
  description?: string;
  tags?: KeyValue[];
}

/** Creates an empty registered model; RESOURCE_ALREADY_EXISTS when the name is taken. */
export async function createRegisteredModel(db: Kysely<DB>, actor: Actor, input: CreateModelInput): Promise<RegisteredModel> {
  const name = validateModelName(input.name);
  const tags = [...new Map((input.tags ?? []).map(validateRegistryTag).map((t) => [t.key, t])).values()];
  await db.transaction().execute(async (trx) => {
    const clash = await trx.selectFrom('registered_models').select('name').where('name', '=', name).executeTakeFirst();
    if (clash) throw alreadyExists(`Registered Model (name=${name}) already exists.`);
    const now = nowMs();
    // A concurrent create of the same name fails on the primary key; report it as the duplicate it is.
    const inserted = await trx
      .insertInto('registered_models')
      .values({ id: randomUUID(), name, description: input.description ?? null, creation_timestamp: now, last_updated_timestamp: now, last_version: 0 })
      .onConflict((oc) => oc.column('name').doNothing())
      .returning('name')
      .executeTakeFirst();
    if (!inserted) throw alreadyExists(`Registered Model (name=${name}) already exists.`);
    if (tags.length > 0) await trx.insertInto('registered_model_tags').values(tags.map((t) => ({ name, key: t.key, value: t.value }))).execute();
    await recordAudit(trx, actor, { action: 'registered_model.create', targetType: AUDIT_TYPE, targetId: name, after: { name, description: input.description ?? null, tags } });
  });
  return getRegisteredModel(db, name);
}

/** A registered model with its tags, aliases and latest version per stage. */
export async function getRegisteredModel(db: Kysely<DB>, name: unknown): Promise<RegisteredModel> {
  return (await toModels(db, [await requireModelRow(db, name)]))[0]!;
}

/** Renames a model; its versions, tags, aliases and history follow it, and its id (what policies hang on) stays. */
export async function renameRegisteredModel(
  db: Kysely<DB>,
  actor: Actor,
  name: unknown,
  newName: unknown,
  options: { guard?: IdentityGuard; followers?: RenameFollower[] } = {},
): Promise<RegisteredModel> {
  const to = validateModelName(newName, 'new_name');
  if (typeof name === 'string' && name !== to) await (options.guard ?? ALLOW_ANY_CHANGE)({ model: name, kind: 'rename', actor });
  let from: string | null = null;
  await db.transaction().execute(async (trx) => {
    const row = await requireModelRow(trx, name);
    if (row.name === to) return;
    const clash = await trx.selectFrom('registered_models').select('name').where('name', '=', to).executeTakeFirst();
    if (clash) throw alreadyExists(`Registered Model (name=${to}) already exists.`);
    // Renamed in place, so the row keeps its id; the children follow in the same transaction.
    await trx.updateTable('registered_models').set({ name: to, last_updated_timestamp: nowMs() }).where('name', '=', row.name).execute();
    for (const table of ['registered_model_tags', 'model_versions', 'registered_model_aliases', 'model_stage_history'] as const) {
      await trx.updateTable(table).set({ name: to }).where('name', '=', row.name).execute();
    }
    await recordAudit(trx, actor, { action: 'registered_model.rename', targetType: AUDIT_TYPE, targetId: to, before: { name: row.name }, after: { name: to } });
    from = row.name;
  });
  // What other domains keep under the name follows once the rename is committed (each in its own audited change).
  if (from !== null) for (const follow of options.followers ?? []) await follow({ from, to, actor });
  return getRegisteredModel(db, to);
}

/** Sets the description ('' clears it as in MLflow, which stores what it is given). */
export async function updateRegisteredModel(db: Kysely<DB>, actor: Actor, name: unknown, description: string | undefined): Promise<RegisteredModel> {
  const row = await db.transaction().execute(async (trx) => {
    const row = await requireModelRow(trx, name);
    if (description === undefined) return row;
    await trx.updateTable('registered_models').set({ description, last_updated_timestamp: nowMs() }).where('name', '=', row.name).execute();
    await recordAudit(trx, actor, {
      action: 'registered_model.update',
      targetType: AUDIT_TYPE,
      targetId: row.name,
      before: { description: row.description },
      after: { description },
    });
    return row;
  });
  return getRegisteredModel(db, row.name);
}

/** Deletes a model with all its versions, tags, aliases and their history, as MLflow does. */
export async function deleteRegisteredModel(db: Kysely<DB>, actor: Actor, name: unknown, guard: IdentityGuard = ALLOW_ANY_CHANGE): Promise<void> {
  if (typeof name === 'string') await guard({ model: name, kind: 'delete', actor });
  await db.transaction().execute(async (trx) => {
    const row = await requireModelRow(trx, name);
    const versions = await trx.selectFrom('model_versions').select(['id', 'version']).where('name', '=', row.name).execute();
    if (versions.length > 0) await trx.deleteFrom('model_version_tags').where('version_id', 'in', versions.map((v) => v.id)).execute();
    for (const table of ['model_versions', 'registered_model_tags', 'registered_model_aliases', 'model_stage_history', 'registered_models'] as const) {
      await trx.deleteFrom(table).where('name', '=', row.name).execute();
    }
    await recordAudit(trx, actor, {
      action: 'registered_model.delete',
      targetType: AUDIT_TYPE,
      targetId: row.name,
      before: { name: row.name, description: row.description, versions: versions.map((v) => Number(v.version)) },
      after: null,
    });
  });
}

/** Sets (or replaces) a tag of a registered model. */
export async function setRegisteredModelTag(db: Kysely<DB>, actor: Actor, name: unknown, tag: KeyValue): Promise<void> {
  validateRegistryTag(tag);
  await db.transaction().execute(async (trx) => {
    const row = await requireModelRow(trx, name);
    const before = await trx.selectFrom('registered_model_tags').select('value').where('name', '=', row.name).where('key', '=', tag.key).executeTakeFirst();
    await trx
      .insertInto('registered_model_tags')
      .values({ name: row.name, key: tag.key, value: tag.value })
      .onConflict((oc) => oc.columns(['name', 'key']).doUpdateSet({ value: tag.value }))
      .execute();
    await recordAudit(trx, actor, {
      action: 'registered_model.set_tag',
      targetType: AUDIT_TYPE,
      targetId: row.name,
      before: before ? { [tag.key]: before.value } : null,
      after: { [tag.key]: tag.value },
    });
  });
}

/** Deletes a tag of a registered model; deleting a tag it does not have is a no-op, as in MLflow. */
export async function deleteRegisteredModelTag(db: Kysely<DB>, actor: Actor, name: unknown, key: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const row = await requireModelRow(trx, name);
    const before = await trx.selectFrom('registered_model_tags').select('value').where('name', '=', row.name).where('key', '=', key).executeTakeFirst();
    if (!before) return;
    await trx.deleteFrom('registered_model_tags').where('name', '=', row.name).where('key', '=', key).execute();
    await recordAudit(trx, actor, { action: 'registered_model.delete_tag', targetType: AUDIT_TYPE, targetId: row.name, before: { [key]: before.value }, after: null });
  });
}
