import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { recordAudit } from '../access/audit.js';
import type { Actor } from '../core/actor.js';
import { invalid } from '../core/errors.js';
import type { DB } from '../db/schema.js';
import { LIMITS, validateKey, validateValueLength } from './limits.js';
import { requireActiveRun } from './runs.js';
import type { DatasetInput } from './types.js';

function validateDatasetInput(input: DatasetInput): DatasetInput {
  const d = input.dataset;
  if (!d || typeof d !== 'object') throw invalid('Each dataset input needs a dataset object.');
  for (const field of ['name', 'digest', 'sourceType', 'source'] as const) {
    if (typeof d[field] !== 'string' || d[field] === '') throw invalid(`Dataset field '${field}' is required and must be a non-empty string.`);
  }
  validateValueLength(d.name, LIMITS.datasetNameLength, 'Dataset name of', d.name);
  validateValueLength(d.digest, LIMITS.datasetDigestLength, 'Dataset digest of', d.name);
  validateValueLength(d.source, LIMITS.datasetSourceLength, 'Dataset source of', d.name);
  if (d.schema) validateValueLength(d.schema, LIMITS.datasetSchemaLength, 'Dataset schema of', d.name);
  if (d.profile) validateValueLength(d.profile, LIMITS.datasetProfileLength, 'Dataset profile of', d.name);
  for (const t of input.tags ?? []) {
    validateKey(t.key, 'Input tag');
    if (typeof t.value !== 'string') throw invalid(`Input tag '${t.key}' must have a string value.`);
    validateValueLength(t.value, LIMITS.inputTagValueLength, 'Input tag', t.key);
  }
  return input;
}

/**
 * Records the datasets (and MLflow 3 logged models) a run consumed. A dataset is stored once per experiment by
 * (name, digest); linking the same dataset to a run twice keeps the first link, as MLflow does.
 */
export async function logInputs(
  db: Kysely<DB>,
  actor: Actor,
  runId: unknown,
  input: { datasets?: DatasetInput[]; models?: { modelId: string }[] },
): Promise<void> {
  const datasets = (input.datasets ?? []).map(validateDatasetInput);
  const models = input.models ?? [];
  for (const m of models) if (typeof m.modelId !== 'string' || !m.modelId) throw invalid('Each model input needs a model_id.');
  await db.transaction().execute(async (trx) => {
    const run = await requireActiveRun(trx, runId);
    for (const { dataset: d, tags } of datasets) {
      await trx
        .insertInto('datasets')
        .values({
          dataset_uuid: randomUUID(),
          experiment_id: run.experiment_id,
          name: d.name,
          digest: d.digest,
          source_type: d.sourceType,
          source: d.source,
          schema: d.schema ?? null,
          profile: d.profile ?? null,
        })
        .onConflict((oc) => oc.columns(['experiment_id', 'name', 'digest']).doNothing())
        .execute();
      const stored = await trx
        .selectFrom('datasets')
        .select('dataset_uuid')
        .where('experiment_id', '=', run.experiment_id)
        .where('name', '=', d.name)
        .where('digest', '=', d.digest)
        .executeTakeFirstOrThrow();
      await trx
        .insertInto('run_inputs')
        .values({ run_uuid: run.run_uuid, dataset_uuid: stored.dataset_uuid, tags: JSON.stringify(tags ?? []) })
        .onConflict((oc) => oc.columns(['run_uuid', 'dataset_uuid']).doNothing())
        .execute();
    }
    if (models.length > 0) {
      await requireModels(trx, models.map((m) => m.modelId));
      await trx
        .insertInto('run_model_inputs')
        .values(models.map((m) => ({ run_uuid: run.run_uuid, model_id: m.modelId })))
        .onConflict((oc) => oc.columns(['run_uuid', 'model_id']).doNothing())
        .execute();
    }
    await recordAudit(trx, actor, {
      action: 'run.log_inputs',
      targetType: 'run',
      targetId: run.run_uuid,
      after: { datasets: datasets.map((i) => ({ name: i.dataset.name, digest: i.dataset.digest, tags: i.tags })), models },
    });
  });
}

/** Records the logged models a run produced (MLflow 3 `runs/outputs`). */
export async function logOutputs(db: Kysely<DB>, actor: Actor, runId: unknown, models: { modelId: string; step?: number }[]): Promise<void> {
  for (const m of models) if (typeof m.modelId !== 'string' || !m.modelId) throw invalid('Each model output needs a model_id.');
  await db.transaction().execute(async (trx) => {
    const run = await requireActiveRun(trx, runId);
    if (models.length > 0) {
      await requireModels(trx, models.map((m) => m.modelId));
      await trx
        .insertInto('run_outputs')
        .values(models.map((m) => ({ run_uuid: run.run_uuid, model_id: m.modelId, step: m.step ?? 0 })))
        .onConflict((oc) => oc.columns(['run_uuid', 'model_id']).doUpdateSet((eb) => ({ step: eb.ref('excluded.step') })))
        .execute();
    }
    await recordAudit(trx, actor, { action: 'run.log_outputs', targetType: 'run', targetId: run.run_uuid, after: { models } });
  });
}

async function requireModels(trx: Kysely<DB>, ids: string[]): Promise<void> {
  const found = await trx.selectFrom('logged_models').select('model_id').where('model_id', 'in', ids).execute();
  const missing = ids.find((id) => !found.some((f) => f.model_id === id));
  if (missing) throw invalid(`Logged model '${missing}' does not exist.`);
}
