import type { Kysely } from 'kysely';
import { recordAudit } from '../access/audit.js';
import type { Actor } from '../core/actor.js';
import { nowMs } from '../core/clock.js';
import { alreadyExists, invalid, notFound } from '../core/errors.js';
import { onDuplicate } from '../db/unique.js';
import type { DB, ExperimentRow } from '../db/schema.js';
import { LIMITS, validateExperimentName, validateKey, validateValueLength } from './limits.js';
import type { Experiment, KeyValue } from './types.js';

export const DEFAULT_EXPERIMENT_ID = '0';
export const DEFAULT_EXPERIMENT_NAME = 'Default';

/** Artifacts of experiment N live under `mlflow-artifacts:/N`, served by the server's artifact proxy. */
export const experimentArtifactRoot = (experimentId: string | number): string => `mlflow-artifacts:/${experimentId}`;

type ExperimentRecord = Omit<ExperimentRow, 'experiment_id'> & { experiment_id: number };

export function parseExperimentId(id: unknown): number {
  const s = typeof id === 'number' ? String(id) : id;
  if (typeof s !== 'string' || !/^\d{1,15}$/.test(s)) {
    throw invalid(`Invalid experiment ID: ${JSON.stringify(id)}. Experiment IDs are non-negative integers given as strings.`);
  }
  return Number(s);
}

export async function ensureDefaultExperiment(db: Kysely<DB>): Promise<void> {
  const row = await db.selectFrom('experiments').select('experiment_id').where('experiment_id', '=', 0).executeTakeFirst();
  if (row) return;
  const now = nowMs();
  await db
    .insertInto('experiments')
    .values({
      experiment_id: 0,
      name: DEFAULT_EXPERIMENT_NAME,
      artifact_location: experimentArtifactRoot(0),
      lifecycle_stage: 'active',
      creation_time: now,
      last_update_time: now,
      deleted_time: null,
    })
    .onConflict((oc) => oc.doNothing())
    .execute();
}

export async function toExperiments(db: Kysely<DB>, rows: ExperimentRecord[]): Promise<Experiment[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.experiment_id);
  const tags = await db.selectFrom('experiment_tags').selectAll().where('experiment_id', 'in', ids).orderBy('key').execute();
  const byId = new Map<number, KeyValue[]>();
  for (const t of tags) {
    const list = byId.get(Number(t.experiment_id)) ?? [];
    list.push({ key: t.key, value: t.value });
    byId.set(Number(t.experiment_id), list);
  }
  return rows.map((r) => ({
    experimentId: String(r.experiment_id),
    name: r.name,
    artifactLocation: r.artifact_location,
    lifecycleStage: r.lifecycle_stage,
    creationTime: r.creation_time,
    lastUpdateTime: r.last_update_time,
    tags: byId.get(Number(r.experiment_id)) ?? [],
  }));
}

async function requireExperimentRow(db: Kysely<DB>, id: unknown): Promise<ExperimentRecord> {
  const experimentId = parseExperimentId(id);
  const row = await db.selectFrom('experiments').selectAll().where('experiment_id', '=', experimentId).executeTakeFirst();
  if (!row) throw notFound(`No Experiment with id=${experimentId} exists`);
  return row;
}

export async function getExperiment(db: Kysely<DB>, id: unknown): Promise<Experiment> {
  return (await toExperiments(db, [await requireExperimentRow(db, id)]))[0]!;
}

/** Throws unless the experiment exists and is active (runs and models may only be created in active ones). */
export async function requireActiveExperiment(db: Kysely<DB>, id: unknown): Promise<ExperimentRecord> {
  const row = await requireExperimentRow(db, id);
  if (row.lifecycle_stage !== 'active') {
    throw invalid(`The experiment ${row.experiment_id} must be in the 'active' state. Current state is ${row.lifecycle_stage}.`);
  }
  return row;
}

export async function getExperimentByName(db: Kysely<DB>, name: string): Promise<Experiment> {
  const row = await db.selectFrom('experiments').selectAll().where('name', '=', name).executeTakeFirst();
  if (!row) throw notFound(`Could not find experiment with name '${name}'`);
  return (await toExperiments(db, [row]))[0]!;
}

function validateTags(tags: KeyValue[] | undefined): KeyValue[] {
  const list = tags ?? [];
  for (const t of list) {
    validateKey(t.key, 'Tag');
    if (typeof t.value !== 'string') throw invalid(`Tag '${t.key}' must have a string value.`);
    validateValueLength(t.value, LIMITS.experimentTagValueLength, 'Experiment tag', t.key);
  }
  return list;
}

export interface CreateExperimentInput {
  name: string;
  artifactLocation?: string;
  tags?: KeyValue[];
}

export async function createExperiment(db: Kysely<DB>, actor: Actor, input: CreateExperimentInput): Promise<string> {
  const name = validateExperimentName(input.name);
  const tags = validateTags(input.tags);
  if (input.artifactLocation !== undefined && typeof input.artifactLocation !== 'string') {
    throw invalid('artifact_location must be a string.');
  }
  // The server's own store is laid out by experiment id; a chosen location inside it could alias (and, at gc,
  // remove) another experiment's artifacts.
  if (input.artifactLocation?.startsWith('mlflow-artifacts:')) {
    throw invalid('artifact_location may not point into this server\'s artifact store; leave it empty to store artifacts there.');
  }
  return onDuplicate(() => db.transaction().execute(async (trx) => {
    const clash = await trx.selectFrom('experiments').select(['experiment_id', 'lifecycle_stage']).where('name', '=', name).executeTakeFirst();
    if (clash) {
      throw alreadyExists(
        clash.lifecycle_stage === 'deleted'
          ? `Experiment '${name}' already exists in deleted state. Restore it, or remove it for good with \`slipway gc\` before reusing the name.`
          : `Experiment '${name}' already exists.`,
      );
    }
    const now = nowMs();
    const inserted = await trx
      .insertInto('experiments')
      .values({
        name,
        artifact_location: input.artifactLocation || '',
        lifecycle_stage: 'active',
        creation_time: now,
        last_update_time: now,
        deleted_time: null,
      })
      .returning('experiment_id')
      .executeTakeFirstOrThrow();
    const id = Number(inserted.experiment_id);
    if (!input.artifactLocation) {
      await trx.updateTable('experiments').set({ artifact_location: experimentArtifactRoot(id) }).where('experiment_id', '=', id).execute();
    }
    if (tags.length > 0) {
      await trx.insertInto('experiment_tags').values(tags.map((t) => ({ experiment_id: id, key: t.key, value: t.value }))).execute();
    }
    await recordAudit(trx, actor, {
      action: 'experiment.create',
      targetType: 'experiment',
      targetId: String(id),
      after: { name, artifactLocation: input.artifactLocation || experimentArtifactRoot(id), tags },
    });
    return String(id);
  }), () => alreadyExists(`Experiment '${name}' already exists.`));
}

export async function renameExperiment(db: Kysely<DB>, actor: Actor, id: unknown, newName: string): Promise<void> {
  const name = validateExperimentName(newName);
  await onDuplicate(() => db.transaction().execute(async (trx) => {
    const row = await requireExperimentRow(trx, id);
    if (row.lifecycle_stage !== 'active') {
      throw invalid(`Cannot rename a non-active experiment. Restore experiment ${row.experiment_id} first.`);
    }
    if (row.name === name) return;
    const clash = await trx.selectFrom('experiments').select('experiment_id').where('name', '=', name).executeTakeFirst();
    if (clash) throw alreadyExists(`Experiment '${name}' already exists.`);
    await trx.updateTable('experiments').set({ name, last_update_time: nowMs() }).where('experiment_id', '=', row.experiment_id).execute();
    await recordAudit(trx, actor, {
      action: 'experiment.rename',
      targetType: 'experiment',
      targetId: String(row.experiment_id),
      before: { name: row.name },
      after: { name },
    });
  }), () => alreadyExists(`Experiment '${name}' already exists.`));
}

/** Marks the experiment and its runs deleted; `slipway gc` removes them for good. */
export async function deleteExperiment(db: Kysely<DB>, actor: Actor, id: unknown): Promise<void> {
  await setExperimentStage(db, actor, id, 'deleted');
}

export async function restoreExperiment(db: Kysely<DB>, actor: Actor, id: unknown): Promise<void> {
  await setExperimentStage(db, actor, id, 'active');
}

async function setExperimentStage(db: Kysely<DB>, actor: Actor, id: unknown, stage: 'active' | 'deleted'): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const row = await requireExperimentRow(trx, id);
    if (stage === 'deleted' && row.experiment_id === 0) {
      throw invalid('Cannot delete the default experiment 0. This is an internally reserved experiment.');
    }
    if (row.lifecycle_stage === stage) {
      if (stage === 'active') throw invalid(`Cannot restore an active experiment: experiment ${row.experiment_id} is active.`);
      return;
    }
    const now = nowMs();
    const deletedTime = stage === 'deleted' ? now : null;
    await trx
      .updateTable('experiments')
      .set({ lifecycle_stage: stage, last_update_time: now, deleted_time: deletedTime })
      .where('experiment_id', '=', row.experiment_id)
      .execute();
    // Runs follow their experiment, as in MLflow; a run deleted on its own before stays deleted on restore.
    const runs = trx.updateTable('runs').set({ lifecycle_stage: stage, deleted_time: deletedTime }).where('experiment_id', '=', row.experiment_id);
    await (stage === 'deleted'
      ? runs.where('lifecycle_stage', '=', 'active')
      : runs.where('deleted_time', '=', row.deleted_time ?? -1)
    ).execute();
    await recordAudit(trx, actor, {
      action: stage === 'deleted' ? 'experiment.delete' : 'experiment.restore',
      targetType: 'experiment',
      targetId: String(row.experiment_id),
      before: { lifecycleStage: row.lifecycle_stage },
      after: { lifecycleStage: stage },
    });
  });
}

export async function setExperimentTag(db: Kysely<DB>, actor: Actor, id: unknown, tag: KeyValue): Promise<void> {
  validateTags([tag]);
  await db.transaction().execute(async (trx) => {
    const row = await requireActiveExperiment(trx, id);
    const before = await trx
      .selectFrom('experiment_tags')
      .select('value')
      .where('experiment_id', '=', row.experiment_id)
      .where('key', '=', tag.key)
      .executeTakeFirst();
    await trx
      .insertInto('experiment_tags')
      .values({ experiment_id: row.experiment_id, key: tag.key, value: tag.value })
      .onConflict((oc) => oc.columns(['experiment_id', 'key']).doUpdateSet({ value: tag.value }))
      .execute();
    await recordAudit(trx, actor, {
      action: 'experiment.set_tag',
      targetType: 'experiment',
      targetId: String(row.experiment_id),
      before: before ? { [tag.key]: before.value } : null,
      after: { [tag.key]: tag.value },
    });
  });
}

export async function deleteExperimentTag(db: Kysely<DB>, actor: Actor, id: unknown, key: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const row = await requireActiveExperiment(trx, id);
    const before = await trx
      .selectFrom('experiment_tags')
      .select('value')
      .where('experiment_id', '=', row.experiment_id)
      .where('key', '=', key)
      .executeTakeFirst();
    if (!before) throw notFound(`No tag with name: ${key} in experiment with id ${row.experiment_id}`);
    await trx.deleteFrom('experiment_tags').where('experiment_id', '=', row.experiment_id).where('key', '=', key).execute();
    await recordAudit(trx, actor, {
      action: 'experiment.delete_tag',
      targetType: 'experiment',
      targetId: String(row.experiment_id),
      before: { [key]: before.value },
      after: null,
    });
  });
}
