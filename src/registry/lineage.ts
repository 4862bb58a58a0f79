import type { Kysely } from 'kysely';
import { invalid } from '../core/errors.js';
import type { DB } from '../db/schema.js';
import { getExperiment } from '../tracking/experiments.js';
import { getLoggedModel } from '../tracking/logged-models.js';
import { getRun } from '../tracking/runs.js';
import { TAG, type KeyValue, type RunInfo } from '../tracking/types.js';
import { getVersionByAlias, listStageHistory } from './aliases.js';
import { STAGES, type ModelVersion, type StageMove } from './types.js';
import { getLatestVersions, getModelVersion } from './versions.js';

/** The code a run was trained with, from the tags MLflow clients set (and Slipway's dirty flag). */
export interface CodeVersion {
  gitCommit: string | null;
  /** True when the working tree had uncommitted changes; null when the client did not say. */
  dirty: boolean | null;
  repoUrl: string | null;
  sourceName: string | null;
  sourceType: string | null;
}

export interface LineageDataset {
  name: string;
  digest: string;
  source: string;
  sourceType: string;
  /** `train`, `eval`, ... from the input's `mlflow.data.context` tag. */
  context: string | null;
}

/** Where a model version (or a run) comes from: run, parameters, code, data, and who promoted it when. */
export interface Lineage {
  ref: string;
  modelVersion: ModelVersion | null;
  /** Alias and stage moves of that version, oldest first. */
  promotions: StageMove[];
  /** The MLflow 3 logged model the version was registered from, if any. */
  loggedModelId: string | null;
  run: (RunInfo & { params: KeyValue[]; parentRunId: string | null }) | null;
  experiment: { id: string; name: string } | null;
  code: CodeVersion | null;
  datasets: LineageDataset[];
}

const RUN_ID = /^[0-9a-f]{32}$/;

/**
 * Resolves `models:/<name>@<alias>`, `models:/<name>/<version>`, `models:/<name>/<stage>` (newest version in that
 * stage), `models:/<logged-model-id>`, `runs:/<run_id>` or a bare run id, and gathers its lineage.
 */
export async function getLineage(db: Kysely<DB>, ref: string): Promise<Lineage> {
  const lineage: Lineage = { ref, modelVersion: null, promotions: [], loggedModelId: null, run: null, experiment: null, code: null, datasets: [] };
  let runId: string | null = null;
  const trimmed = ref.trim();
  if (RUN_ID.test(trimmed) || trimmed.startsWith('runs:/')) {
    runId = trimmed.replace(/^runs:\//, '').split('/')[0]!;
  } else if (trimmed.startsWith('models:/')) {
    const rest = trimmed.slice('models:/'.length);
    if (/^m-[0-9a-f]{32}\/?$/.test(rest)) {
      const model = await getLoggedModel(db, rest.replace(/\/$/, ''));
      lineage.loggedModelId = model.modelId;
      runId = model.sourceRunId;
    } else {
      const version = await resolveVersion(db, rest);
      lineage.modelVersion = version;
      lineage.loggedModelId = version.modelId;
      // An alias moving away from this version is part of its story too; those moves are recorded on the new version.
      const history = await listStageHistory(db, version.name, { limit: 1000 });
      lineage.promotions = history
        .filter((m) => m.version === version.version || (m.kind === 'alias' && m.from === String(version.version)))
        .reverse();
      runId = version.runId;
    }
  } else {
    throw invalid(`Cannot read "${ref}": give models:/<name>@<alias>, models:/<name>/<version>, runs:/<run_id> or a run id.`);
  }
  if (runId) {
    const run = await getRun(db, runId);
    const tag = (key: string) => run.data.tags.find((t) => t.key === key)?.value ?? null;
    const dirty = tag('slipway.source.git.dirty') ?? tag('mlflow.source.git.dirty');
    lineage.run = { ...run.info, params: run.data.params, parentRunId: tag(TAG.parentRunId) };
    const experiment = await getExperiment(db, run.info.experimentId);
    lineage.experiment = { id: experiment.experimentId, name: experiment.name };
    lineage.code = {
      gitCommit: tag('mlflow.source.git.commit'),
      dirty: dirty === null ? null : dirty.toLowerCase() === 'true',
      repoUrl: tag('mlflow.source.git.repoURL'),
      sourceName: tag('mlflow.source.name'),
      sourceType: tag('mlflow.source.type'),
    };
    lineage.datasets = run.inputs.datasetInputs.map((i) => ({
      name: i.dataset.name,
      digest: i.dataset.digest,
      source: i.dataset.source,
      sourceType: i.dataset.sourceType,
      context: i.tags.find((t) => t.key === TAG.dataContext)?.value ?? null,
    }));
  }
  return lineage;
}

async function resolveVersion(db: Kysely<DB>, rest: string): Promise<ModelVersion> {
  const at = rest.lastIndexOf('@');
  if (at > 0) return getVersionByAlias(db, rest.slice(0, at), rest.slice(at + 1));
  const slash = rest.lastIndexOf('/');
  if (slash <= 0) throw invalid(`Cannot read "models:/${rest}": give models:/<name>@<alias> or models:/<name>/<version>.`);
  const name = rest.slice(0, slash);
  const selector = rest.slice(slash + 1);
  if (/^\d+$/.test(selector)) return getModelVersion(db, name, Number(selector));
  const stage = STAGES.find((s) => s.toLowerCase() === selector.toLowerCase());
  if (stage === undefined && selector.toLowerCase() !== 'latest') {
    throw invalid(`"${selector}" in models:/${rest} is neither a version number, an alias (use @), a stage nor "latest".`);
  }
  const latest = await getLatestVersions(db, name, stage ? [stage] : []);
  const newest = latest.sort((a, b) => b.version - a.version)[0];
  if (!newest) throw invalid(`Model "${name}" has no version${stage ? ` in stage ${stage}` : ''}.`);
  return newest;
}
