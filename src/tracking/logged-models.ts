import type { Kysely } from 'kysely';
import { recordAudit } from '../access/audit.js';
import type { Actor } from '../core/actor.js';
import { nowMs } from '../core/clock.js';
import { invalid, notFound } from '../core/errors.js';
import { newModelId } from '../core/ids.js';
import type { DB, LoggedModelRow } from '../db/schema.js';
import { requireActiveExperiment } from './experiments.js';
import { requireRunRow, validateParam, validateTag } from './runs.js';
import type { KeyValue } from './types.js';

export const LOGGED_MODEL_STATUSES = ['LOGGED_MODEL_PENDING', 'LOGGED_MODEL_READY', 'LOGGED_MODEL_UPLOAD_FAILED'] as const;
export type LoggedModelStatus = (typeof LOGGED_MODEL_STATUSES)[number];

export interface LoggedModelMetric {
  key: string;
  value: number;
  timestamp: number;
  step: number;
  runId: string;
  modelId: string;
  datasetName: string | null;
  datasetDigest: string | null;
}

/** An MLflow 3 logged model: the output of a run (or of nothing), with its own params, tags and metrics. */
export interface LoggedModel {
  modelId: string;
  experimentId: string;
  name: string;
  artifactUri: string;
  creationTimestamp: number;
  lastUpdatedTimestamp: number;
  status: LoggedModelStatus;
  statusMessage: string | null;
  lifecycleStage: 'active' | 'deleted';
  modelType: string | null;
  sourceRunId: string | null;
  tags: KeyValue[];
  params: KeyValue[];
  metrics: LoggedModelMetric[];
}

export async function requireModelRow(db: Kysely<DB>, modelId: unknown): Promise<LoggedModelRow> {
  if (typeof modelId !== 'string' || !modelId) throw invalid(`Missing value for required parameter 'model_id'.`);
  const row = await db.selectFrom('logged_models').selectAll().where('model_id', '=', modelId).executeTakeFirst();
  if (!row || row.lifecycle_stage === 'deleted') throw notFound(`Logged model with ID '${modelId}' not found.`);
  return row;
}

export async function loadLoggedModels(db: Kysely<DB>, rows: LoggedModelRow[]): Promise<LoggedModel[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.model_id);
  const [tags, params, metrics] = await Promise.all([
    db.selectFrom('logged_model_tags').selectAll().where('model_id', 'in', ids).orderBy('key').execute(),
    db.selectFrom('logged_model_params').selectAll().where('model_id', 'in', ids).orderBy('key').execute(),
    db.selectFrom('logged_model_metrics').selectAll().where('model_id', 'in', ids).orderBy('key').orderBy('step').execute(),
  ]);
  return rows.map((r) => ({
    modelId: r.model_id,
    experimentId: String(r.experiment_id),
    name: r.name,
    artifactUri: r.artifact_location,
    creationTimestamp: r.creation_timestamp,
    lastUpdatedTimestamp: r.last_updated_timestamp,
    status: r.status as LoggedModelStatus,
    statusMessage: r.status_message,
    lifecycleStage: r.lifecycle_stage,
    modelType: r.model_type,
    sourceRunId: r.source_run_id,
    tags: tags.filter((t) => t.model_id === r.model_id).map(({ key, value }) => ({ key, value })),
    params: params.filter((p) => p.model_id === r.model_id).map(({ key, value }) => ({ key, value })),
    metrics: metrics
      .filter((m) => m.model_id === r.model_id)
      .map((m) => ({
        key: m.key,
        value: m.is_nan ? NaN : m.value,
        timestamp: m.timestamp,
        step: m.step,
        runId: m.run_uuid,
        modelId: m.model_id,
        datasetName: m.dataset_name,
        datasetDigest: m.dataset_digest,
      })),
  }));
}

export async function getLoggedModel(db: Kysely<DB>, modelId: unknown): Promise<LoggedModel> {
  return (await loadLoggedModels(db, [await requireModelRow(db, modelId)]))[0]!;
}

export interface CreateLoggedModelInput {
  experimentId: string;
  name?: string;
  modelType?: string;
  sourceRunId?: string;
  params?: KeyValue[];
  tags?: KeyValue[];
}

export async function createLoggedModel(db: Kysely<DB>, actor: Actor, input: CreateLoggedModelInput): Promise<LoggedModel> {
  const params = (input.params ?? []).map(validateParam);
  const tags = (input.tags ?? []).map(validateTag);
  const modelId = newModelId();
  const name = input.name || `model-${modelId.slice(2, 10)}`;
  if (name.length > 500) throw invalid('Logged model name is longer than 500 characters.');
  await db.transaction().execute(async (trx) => {
    const experiment = await requireActiveExperiment(trx, input.experimentId);
    if (input.sourceRunId) await requireRunRow(trx, input.sourceRunId);
    const now = nowMs();
    const row: LoggedModelRow = {
      model_id: modelId,
      experiment_id: experiment.experiment_id,
      name,
      artifact_location: `${experiment.artifact_location}/models/${modelId}/artifacts`,
      creation_timestamp: now,
      last_updated_timestamp: now,
      status: 'LOGGED_MODEL_PENDING',
      status_message: null,
      lifecycle_stage: 'active',
      model_type: input.modelType || null,
      source_run_id: input.sourceRunId || null,
    };
    await trx.insertInto('logged_models').values(row).execute();
    if (params.length) await trx.insertInto('logged_model_params').values(uniq(params).map((p) => ({ model_id: modelId, ...p }))).execute();
    if (tags.length) await trx.insertInto('logged_model_tags').values(uniq(tags).map((t) => ({ model_id: modelId, ...t }))).execute();
    await recordAudit(trx, actor, { action: 'logged_model.create', targetType: 'logged_model', targetId: modelId, after: { ...row, params, tags } });
  });
  return getLoggedModel(db, modelId);
}

const uniq = (list: KeyValue[]): KeyValue[] => [...new Map(list.map((kv) => [kv.key, kv])).values()];

/** Marks the upload of a logged model's artifacts finished (READY) or failed. */
export async function finalizeLoggedModel(db: Kysely<DB>, actor: Actor, modelId: unknown, status: unknown): Promise<LoggedModel> {
  if (!LOGGED_MODEL_STATUSES.includes(status as LoggedModelStatus)) {
    throw invalid(`Invalid logged model status ${JSON.stringify(status)}; expected one of ${LOGGED_MODEL_STATUSES.join(', ')}.`);
  }
  const id = await db.transaction().execute(async (trx) => {
    const row = await requireModelRow(trx, modelId);
    await trx.updateTable('logged_models').set({ status: status as string, last_updated_timestamp: nowMs() }).where('model_id', '=', row.model_id).execute();
    await recordAudit(trx, actor, {
      action: 'logged_model.finalize',
      targetType: 'logged_model',
      targetId: row.model_id,
      before: { status: row.status },
      after: { status },
    });
    return row.model_id;
  });
  return getLoggedModel(db, id);
}

export async function deleteLoggedModel(db: Kysely<DB>, actor: Actor, modelId: unknown): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const row = await requireModelRow(trx, modelId);
    await trx.updateTable('logged_models').set({ lifecycle_stage: 'deleted', last_updated_timestamp: nowMs() }).where('model_id', '=', row.model_id).execute();
    await recordAudit(trx, actor, {
      action: 'logged_model.delete',
      targetType: 'logged_model',
      targetId: row.model_id,
      before: { lifecycleStage: 'active' },
      after: { lifecycleStage: 'deleted' },
    });
  });
}

export async function setLoggedModelTags(db: Kysely<DB>, actor: Actor, modelId: unknown, tags: KeyValue[]): Promise<void> {
  tags.forEach(validateTag);
  await db.transaction().execute(async (trx) => {
    const row = await requireModelRow(trx, modelId);
    if (tags.length === 0) return;
    await trx
      .insertInto('logged_model_tags')
      .values(uniq(tags).map((t) => ({ model_id: row.model_id, ...t })))
      .onConflict((oc) => oc.columns(['model_id', 'key']).doUpdateSet((eb) => ({ value: eb.ref('excluded.value') })))
      .execute();
    await trx.updateTable('logged_models').set({ last_updated_timestamp: nowMs() }).where('model_id', '=', row.model_id).execute();
    await recordAudit(trx, actor, { action: 'logged_model.set_tags', targetType: 'logged_model', targetId: row.model_id, after: { tags } });
  });
}

export async function deleteLoggedModelTag(db: Kysely<DB>, actor: Actor, modelId: unknown, key: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const row = await requireModelRow(trx, modelId);
    const before = await trx.selectFrom('logged_model_tags').select('value').where('model_id', '=', row.model_id).where('key', '=', key).executeTakeFirst();
    if (!before) throw notFound(`No tag with key '${key}' found for logged model with ID '${row.model_id}'.`);
    await trx.deleteFrom('logged_model_tags').where('model_id', '=', row.model_id).where('key', '=', key).execute();
    await recordAudit(trx, actor, {
      action: 'logged_model.delete_tag',
      targetType: 'logged_model',
      targetId: row.model_id,
      before: { [key]: before.value },
      after: null,
    });
  });
}

/** Logged-model params are immutable like run params: the same value again is a no-op, another one an error. */
export async function logLoggedModelParams(db: Kysely<DB>, actor: Actor, modelId: unknown, params: KeyValue[]): Promise<void> {
  params.forEach(validateParam);
  await db.transaction().execute(async (trx) => {
    const row = await requireModelRow(trx, modelId);
    if (params.length === 0) return;
    const existing = await trx
      .selectFrom('logged_model_params')
      .select(['key', 'value'])
      .where('model_id', '=', row.model_id)
      .where('key', 'in', params.map((p) => p.key))
      .execute();
    for (const p of params) {
      const e = existing.find((x) => x.key === p.key);
      if (e && e.value !== p.value) {
        throw invalid(`Changing param values is not allowed. Param with key='${p.key}' was already logged with value='${e.value}' for model ID='${row.model_id}'.`);
      }
    }
    const fresh = uniq(params).filter((p) => !existing.some((e) => e.key === p.key));
    if (fresh.length) await trx.insertInto('logged_model_params').values(fresh.map((p) => ({ model_id: row.model_id, ...p }))).execute();
    await recordAudit(trx, actor, { action: 'logged_model.log_params', targetType: 'logged_model', targetId: row.model_id, after: { params } });
  });
}
