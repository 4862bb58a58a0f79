import type { Kysely } from 'kysely';
import { recordAudit } from '../access/audit.js';
import type { ArtifactStore } from '../artifacts/store.js';
import type { Actor } from '../core/actor.js';
import { nowMs } from '../core/clock.js';
import type { DB } from '../db/schema.js';

const PROXY_SCHEME = 'mlflow-artifacts:/';

/** The store path of an artifact URI served by this server's proxy, or null for a URI elsewhere. */
export const proxiedArtifactPath = (uri: string): string | null =>
  uri.startsWith(PROXY_SCHEME) ? uri.slice(PROXY_SCHEME.length).replace(/^\/+/, '') : null;

export interface GcOptions {
  /** Only remove what was deleted at least this long ago. */
  olderThanMs?: number;
  /** Only these experiments / runs (they must be deleted). */
  experimentIds?: string[];
  runIds?: string[];
  /** Report what would be removed, remove nothing. */
  dryRun?: boolean;
  onProgress?: (done: number, total: number) => void;
}

export interface GcResult {
  experiments: string[];
  runs: string[];
  loggedModels: string[];
  /** Artifact locations outside this server's store, left in place. */
  skippedArtifacts: string[];
}

/**
 * Removes deleted experiments, runs and logged models for good, with their metrics, params, tags, inputs and
 * artifacts, and frees the experiments' names. Each run is removed in its own transaction, so a crash midway
 * leaves every remaining run whole and a rerun finishes the job.
 */
export async function collectGarbage(db: Kysely<DB>, actor: Actor, artifacts: ArtifactStore, opts: GcOptions = {}): Promise<GcResult> {
  const cutoff = opts.olderThanMs !== undefined ? nowMs() - opts.olderThanMs : undefined;
  const scope = opts.experimentIds?.map(Number);
  const runsOnly = opts.runIds !== undefined && scope === undefined;
  if (scope?.length === 0 || opts.runIds?.length === 0) return { experiments: [], runs: [], loggedModels: [], skippedArtifacts: [] };

  let expQ = db.selectFrom('experiments').select(['experiment_id', 'artifact_location', 'name']).where('lifecycle_stage', '=', 'deleted');
  if (cutoff !== undefined) expQ = expQ.where('deleted_time', '<=', cutoff);
  if (scope) expQ = expQ.where('experiment_id', 'in', scope);
  const experiments = runsOnly ? [] : await expQ.execute();
  const expIds = experiments.map((e) => Number(e.experiment_id));

  // Deleted runs and models in scope, plus everything inside an experiment that goes.
  const runs = await db
    .selectFrom('runs')
    .select(['run_uuid', 'artifact_uri', 'experiment_id'])
    .where((eb) => {
      const own = [eb('lifecycle_stage', '=', 'deleted')];
      if (cutoff !== undefined) own.push(eb('deleted_time', '<=', cutoff));
      if (opts.runIds) own.push(eb('run_uuid', 'in', opts.runIds));
      if (scope && !opts.runIds) own.push(eb('experiment_id', 'in', scope));
      return expIds.length ? eb.or([eb.and(own), eb('experiment_id', 'in', expIds)]) : eb.and(own);
    })
    .execute();
  const models = runsOnly
    ? []
    : await db
        .selectFrom('logged_models')
        .select(['model_id', 'artifact_location'])
        .where((eb) => {
          const own = [eb('lifecycle_stage', '=', 'deleted')];
          if (cutoff !== undefined) own.push(eb('last_updated_timestamp', '<=', cutoff));
          if (scope) own.push(eb('experiment_id', 'in', scope));
          return expIds.length ? eb.or([eb.and(own), eb('experiment_id', 'in', expIds)]) : eb.and(own);
        })
        .execute();

  if (opts.dryRun) {
    return {
      experiments: experiments.map((e) => String(e.experiment_id)),
      runs: runs.map((r) => r.run_uuid),
      loggedModels: models.map((m) => m.model_id),
      skippedArtifacts: [],
    };
  }
  const result: GcResult = { experiments: [], runs: [], loggedModels: [], skippedArtifacts: [] };
  const total = runs.length + models.length + experiments.length;
  let done = 0;
  // Runs and models own the folder above their `.../artifacts` URI; an experiment owns its whole root.
  const removeArtifacts = async (uri: string) => {
    const path = proxiedArtifactPath(uri);
    const owned = path?.replace(/\/artifacts$/, '');
    // Never the store root: an experiment created with artifact_location 'mlflow-artifacts:/' shares it.
    if (!owned) result.skippedArtifacts.push(uri);
    else await artifacts.delete(owned);
  };

  for (const run of runs) {
    await removeArtifacts(run.artifact_uri);
    await db.transaction().execute(async (trx) => {
      for (const table of ['metrics', 'latest_metrics', 'params', 'tags', 'run_inputs', 'run_model_inputs', 'run_outputs'] as const) {
        await trx.deleteFrom(table).where('run_uuid', '=', run.run_uuid).execute();
      }
      await trx.deleteFrom('runs').where('run_uuid', '=', run.run_uuid).execute();
      await recordAudit(trx, actor, { action: 'run.purge', targetType: 'run', targetId: run.run_uuid, before: { experimentId: String(run.experiment_id) } });
    });
    result.runs.push(run.run_uuid);
    opts.onProgress?.(++done, total);
  }
  for (const model of models) {
    await removeArtifacts(model.artifact_location);
    await db.transaction().execute(async (trx) => {
      for (const table of ['logged_model_params', 'logged_model_tags', 'logged_model_metrics'] as const) {
        await trx.deleteFrom(table).where('model_id', '=', model.model_id).execute();
      }
      await trx.deleteFrom('logged_models').where('model_id', '=', model.model_id).execute();
      await recordAudit(trx, actor, { action: 'logged_model.purge', targetType: 'logged_model', targetId: model.model_id });
    });
    result.loggedModels.push(model.model_id);
    opts.onProgress?.(++done, total);
  }
  for (const exp of experiments) {
    const id = Number(exp.experiment_id);
    await removeArtifacts(exp.artifact_location);
    await db.transaction().execute(async (trx) => {
      const runIds = trx.selectFrom('runs').select('run_uuid').where('experiment_id', '=', id);
      const left = await runIds.execute();
      if (left.length > 0) return; // a run was added meanwhile: keep the experiment
      await trx.deleteFrom('datasets').where('experiment_id', '=', id).execute();
      await trx.deleteFrom('experiment_tags').where('experiment_id', '=', id).execute();
      await trx.deleteFrom('experiments').where('experiment_id', '=', id).execute();
      await recordAudit(trx, actor, { action: 'experiment.purge', targetType: 'experiment', targetId: String(id), before: { name: exp.name } });
      result.experiments.push(String(id));
    });
    opts.onProgress?.(++done, total);
  }
  return result;
}
