import type { Kysely } from 'kysely';
import { recordAudit } from '../access/audit.js';
import type { Actor } from '../core/actor.js';
import { nowMs } from '../core/clock.js';
import { invalid, notFound } from '../core/errors.js';
import { newRunId } from '../core/ids.js';
import type { DB, RunRow } from '../db/schema.js';
import { DEFAULT_EXPERIMENT_ID, requireActiveExperiment } from './experiments.js';
import { LIMITS, validateKey, validateValueLength } from './limits.js';
import { randomRunName } from './run-names.js';
import { RUN_STATUSES, TAG, type KeyValue, type Run, type RunInfo, type RunStatus } from './types.js';

const RUN_ID = /^[0-9a-f]{32}$/;

export function toRunInfo(r: RunRow): RunInfo {
  return {
    runId: r.run_uuid,
    runName: r.name,
    experimentId: String(r.experiment_id),
    userId: r.user_id,
    status: r.status as RunStatus,
    startTime: r.start_time,
    endTime: r.end_time,
    artifactUri: r.artifact_uri,
    lifecycleStage: r.lifecycle_stage,
  };
}

export async function requireRunRow(db: Kysely<DB>, runId: unknown): Promise<RunRow> {
  if (typeof runId !== 'string' || runId === '') throw invalid(`Missing value for required parameter 'run_id'.`);
  const row = RUN_ID.test(runId)
    ? await db.selectFrom('runs').selectAll().where('run_uuid', '=', runId).executeTakeFirst()
    : undefined;
  if (!row) throw notFound(`Run with id=${runId} not found`);
  return row;
}

/** Writes are only allowed to active runs, as in MLflow. */
export async function requireActiveRun(db: Kysely<DB>, runId: unknown): Promise<RunRow> {
  const row = await requireRunRow(db, runId);
  if (row.lifecycle_stage !== 'active') {
    throw invalid(`The run ${row.run_uuid} must be in the 'active' state. Current state is ${row.lifecycle_stage}.`);
  }
  return row;
}

export function validateTag(tag: KeyValue): KeyValue {
  validateKey(tag.key, 'Tag');
  if (typeof tag.value !== 'string') throw invalid(`Tag '${tag.key}' must have a string value.`);
  validateValueLength(tag.value, LIMITS.tagValueLength, 'Tag', tag.key);
  return tag;
}

export function validateParam(param: KeyValue): KeyValue {
  validateKey(param.key, 'Param');
  if (typeof param.value !== 'string') throw invalid(`Param '${param.key}' must have a string value.`);
  validateValueLength(param.value, LIMITS.paramValueLength, 'Param', param.key);
  return param;
}

export function validateRunStatus(status: unknown): RunStatus {
  if (!RUN_STATUSES.includes(status as RunStatus)) {
    throw invalid(`Invalid run status ${JSON.stringify(status)}; expected one of ${RUN_STATUSES.join(', ')}.`);
  }
  return status as RunStatus;
}

function validateRunName(name: string): string {
  if (name.length > LIMITS.runNameLength) throw invalid(`Run name is ${name.length} characters long; the limit is ${LIMITS.runNameLength}.`);
  return name;
}

export interface CreateRunInput {
  experimentId?: string;
  userId?: string;
  runName?: string;
  startTime?: number;
  tags?: KeyValue[];
}

export async function createRun(db: Kysely<DB>, actor: Actor, input: CreateRunInput): Promise<Run> {
  const tags = (input.tags ?? []).map(validateTag);
  const tagOf = (key: string) => tags.find((t) => t.key === key)?.value;
  const runName = validateRunName(input.runName || tagOf(TAG.runName) || randomRunName());
  const userId = input.userId || tagOf(TAG.user) || actor.name;
  const parent = tagOf(TAG.parentRunId);
  const runId = newRunId();
  const row = await db.transaction().execute(async (trx) => {
    const experiment = await requireActiveExperiment(trx, input.experimentId || DEFAULT_EXPERIMENT_ID);
    if (parent !== undefined) await requireRunRow(trx, parent);
    const row: RunRow = {
      run_uuid: runId,
      experiment_id: experiment.experiment_id,
      name: runName,
      user_id: userId,
      status: 'RUNNING',
      start_time: input.startTime ?? nowMs(),
      end_time: null,
      lifecycle_stage: 'active',
      artifact_uri: `${experiment.artifact_location}/${runId}/artifacts`,
      deleted_time: null,
    };
    await trx.insertInto('runs').values(row).execute();
    const allTags = tags.filter((t) => t.key !== TAG.runName).concat({ key: TAG.runName, value: runName });
    await trx.insertInto('tags').values(dedupeLast(allTags).map((t) => ({ run_uuid: runId, key: t.key, value: t.value }))).execute();
    await recordAudit(trx, actor, { action: 'run.create', targetType: 'run', targetId: runId, after: { ...toRunInfo(row), tags: allTags } });
    return row;
  });
  return {
    info: toRunInfo(row),
    data: { metrics: [], params: [], tags: (await loadRuns(db, [runId]))[0]!.data.tags },
    inputs: { datasetInputs: [], modelInputs: [] },
    outputs: { modelOutputs: [] },
  };
}

const dedupeLast = (tags: KeyValue[]): KeyValue[] => [...new Map(tags.map((t) => [t.key, t])).values()];

export async function getRun(db: Kysely<DB>, runId: unknown): Promise<Run> {
  const row = await requireRunRow(db, runId);
  return (await assembleRuns(db, [row]))[0]!;
}

/** Loads runs by id, in the given order, skipping ids that do not exist. */
export async function loadRuns(db: Kysely<DB>, runIds: string[]): Promise<Run[]> {
  if (runIds.length === 0) return [];
  const rows = await db.selectFrom('runs').selectAll().where('run_uuid', 'in', runIds).execute();
  const byId = new Map(rows.map((r) => [r.run_uuid, r]));
  return assembleRuns(db, runIds.flatMap((id) => (byId.has(id) ? [byId.get(id)!] : [])));
}

async function assembleRuns(db: Kysely<DB>, rows: RunRow[]): Promise<Run[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.run_uuid);
  const [metrics, params, tags, inputs, modelInputs, outputs] = await Promise.all([
    db.selectFrom('latest_metrics').selectAll().where('run_uuid', 'in', ids).orderBy('key').execute(),
    db.selectFrom('params').selectAll().where('run_uuid', 'in', ids).orderBy('key').execute(),
    db.selectFrom('tags').selectAll().where('run_uuid', 'in', ids).orderBy('key').execute(),
    db
      .selectFrom('run_inputs')
      .innerJoin('datasets', 'datasets.dataset_uuid', 'run_inputs.dataset_uuid')
      .selectAll('datasets')
      .select(['run_inputs.run_uuid', 'run_inputs.tags'])
      .where('run_inputs.run_uuid', 'in', ids)
      .orderBy('datasets.name')
      .execute(),
    db.selectFrom('run_model_inputs').selectAll().where('run_uuid', 'in', ids).orderBy('model_id').execute(),
    db.selectFrom('run_outputs').selectAll().where('run_uuid', 'in', ids).orderBy('model_id').execute(),
  ]);
  const runs = new Map<string, Run>(
    rows.map((r) => [
      r.run_uuid,
      {
        info: toRunInfo(r),
        data: { metrics: [], params: [], tags: [] },
        inputs: { datasetInputs: [], modelInputs: [] },
        outputs: { modelOutputs: [] },
      },
    ]),
  );
  for (const m of metrics) {
    runs.get(m.run_uuid)!.data.metrics.push({ key: m.key, value: m.is_nan ? NaN : m.value, timestamp: m.timestamp, step: m.step });
  }
  for (const p of params) runs.get(p.run_uuid)!.data.params.push({ key: p.key, value: p.value });
  for (const t of tags) runs.get(t.run_uuid)!.data.tags.push({ key: t.key, value: t.value });
  for (const i of inputs) {
    runs.get(i.run_uuid)!.inputs.datasetInputs.push({
      tags: JSON.parse(i.tags) as KeyValue[],
      dataset: { name: i.name, digest: i.digest, sourceType: i.source_type, source: i.source, schema: i.schema, profile: i.profile },
    });
  }
  for (const m of modelInputs) runs.get(m.run_uuid)!.inputs.modelInputs.push({ modelId: m.model_id });
  for (const o of outputs) runs.get(o.run_uuid)!.outputs.modelOutputs.push({ modelId: o.model_id, step: o.step });
  return [...runs.values()];
}

export interface UpdateRunInput {
  status?: RunStatus;
  endTime?: number | null;
  runName?: string;
}

export async function updateRun(db: Kysely<DB>, actor: Actor, runId: unknown, input: UpdateRunInput): Promise<RunInfo> {
  if (input.status !== undefined) validateRunStatus(input.status);
  if (input.runName !== undefined) validateRunName(input.runName);
  return db.transaction().execute(async (trx) => {
    const row = await requireActiveRun(trx, runId);
    const next: RunRow = {
      ...row,
      status: input.status ?? row.status,
      end_time: input.endTime !== undefined ? input.endTime : row.end_time,
      name: input.runName || row.name,
    };
    await trx
      .updateTable('runs')
      .set({ status: next.status, end_time: next.end_time, name: next.name })
      .where('run_uuid', '=', row.run_uuid)
      .execute();
    if (next.name !== row.name) await upsertTags(trx, row.run_uuid, [{ key: TAG.runName, value: next.name }]);
    await recordAudit(trx, actor, {
      action: 'run.update',
      targetType: 'run',
      targetId: row.run_uuid,
      before: toRunInfo(row),
      after: toRunInfo(next),
    });
    return toRunInfo(next);
  });
}

export async function deleteRun(db: Kysely<DB>, actor: Actor, runId: unknown): Promise<void> {
  await setRunStage(db, actor, runId, 'deleted');
}

export async function restoreRun(db: Kysely<DB>, actor: Actor, runId: unknown): Promise<void> {
  await setRunStage(db, actor, runId, 'active');
}

async function setRunStage(db: Kysely<DB>, actor: Actor, runId: unknown, stage: 'active' | 'deleted'): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const row = await requireRunRow(trx, runId);
    if (row.lifecycle_stage === stage) return;
    if (stage === 'active') await requireActiveExperiment(trx, String(row.experiment_id));
    await trx
      .updateTable('runs')
      .set({ lifecycle_stage: stage, deleted_time: stage === 'deleted' ? nowMs() : null })
      .where('run_uuid', '=', row.run_uuid)
      .execute();
    await recordAudit(trx, actor, {
      action: stage === 'deleted' ? 'run.delete' : 'run.restore',
      targetType: 'run',
      targetId: row.run_uuid,
      before: { lifecycleStage: row.lifecycle_stage },
      after: { lifecycleStage: stage },
    });
  });
}

/** Upserts tags of a run, keeping the run's name in step with the `mlflow.runName` tag. */
export async function upsertTags(trx: Kysely<DB>, runId: string, tags: KeyValue[]): Promise<void> {
  if (tags.length === 0) return;
  const unique = dedupeLast(tags).sort((a, b) => (a.key < b.key ? -1 : 1));
  await trx
    .insertInto('tags')
    .values(unique.map((t) => ({ run_uuid: runId, key: t.key, value: t.value })))
    .onConflict((oc) => oc.columns(['run_uuid', 'key']).doUpdateSet((eb) => ({ value: eb.ref('excluded.value') })))
    .execute();
  const name = unique.find((t) => t.key === TAG.runName);
  if (name) await trx.updateTable('runs').set({ name: validateRunName(name.value) }).where('run_uuid', '=', runId).execute();
}

export async function setRunTag(db: Kysely<DB>, actor: Actor, runId: unknown, tag: KeyValue): Promise<void> {
  validateTag(tag);
  await db.transaction().execute(async (trx) => {
    const row = await requireActiveRun(trx, runId);
    const before = await trx.selectFrom('tags').select('value').where('run_uuid', '=', row.run_uuid).where('key', '=', tag.key).executeTakeFirst();
    await upsertTags(trx, row.run_uuid, [tag]);
    await recordAudit(trx, actor, {
      action: 'run.set_tag',
      targetType: 'run',
      targetId: row.run_uuid,
      before: before ? { [tag.key]: before.value } : null,
      after: { [tag.key]: tag.value },
    });
  });
}

export async function deleteRunTag(db: Kysely<DB>, actor: Actor, runId: unknown, key: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const row = await requireActiveRun(trx, runId);
    const before = await trx.selectFrom('tags').select('value').where('run_uuid', '=', row.run_uuid).where('key', '=', key).executeTakeFirst();
    if (!before) throw notFound(`No tag with name: ${key} in run with id ${row.run_uuid}`);
    await trx.deleteFrom('tags').where('run_uuid', '=', row.run_uuid).where('key', '=', key).execute();
    await recordAudit(trx, actor, {
      action: 'run.delete_tag',
      targetType: 'run',
      targetId: row.run_uuid,
      before: { [key]: before.value },
      after: null,
    });
  });
}
