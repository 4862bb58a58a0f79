/**
 * An evaluation as a tracking run: its params and metrics (what MLflow clients read), the dataset as an input with
 * context `eval` (lineage), and the scorecard as JSON, Markdown and HTML artifacts.
 */
import { Readable } from 'node:stream';
import type { ArtifactStore } from '../artifacts/store.js';
import type { Actor } from '../core/actor.js';
import { SlipwayError } from '../core/errors.js';
import type { Database } from '../db/database.js';
import type { DatasetVersion } from '../tracking/datasets/versions.js';
import { createExperiment, getExperimentByName } from '../tracking/experiments.js';
import { proxiedArtifactPath } from '../tracking/gc.js';
import { logBatch } from '../tracking/ingest.js';
import { logInputs } from '../tracking/inputs.js';
import { createRun, updateRun } from '../tracking/runs.js';
import type { EvaluationSettings } from './policy.js';
import type { EvaluationReport } from './report.js';
import { renderHtml, renderMarkdown, verdictOf } from './scorecard/index.js';

/** Evaluations of a model are runs of this experiment. */
export const EXPERIMENT_PREFIX = 'Evaluations: ';

export interface RecordInput {
  report: EvaluationReport;
  dataset: DatasetVersion;
  settings: EvaluationSettings;
  policyVersion: number | null;
  gate: boolean;
}

/** Records the run and returns its id. */
export async function recordRun(database: Database, store: ArtifactStore, actor: Actor, { report, dataset, settings, policyVersion, gate }: RecordInput): Promise<string> {

  const name = `${EXPERIMENT_PREFIX}${report.model.name}`;
  let experimentId: string;
  try {
    experimentId = (await getExperimentByName(database.db, name)).experimentId;
  } catch (err) {
    if (!(err instanceof SlipwayError && err.code === 'NOT_FOUND')) throw err;
    experimentId = await createExperiment(database.db, actor, { name }).catch(async (e: unknown) => {
      if (e instanceof SlipwayError && e.code === 'ALREADY_EXISTS') return (await getExperimentByName(database.db, name)).experimentId;
      throw e;
    });
  }
  const run = await createRun(database.db, actor, {
    experimentId,
    runName: `${report.model.name} v${report.model.version} on ${report.dataset.name} v${report.dataset.version}`,
    tags: [
      { key: 'slipway.evaluation_id', value: report.id },
      { key: 'slipway.model', value: `${report.model.name}/${report.model.version}` },
      { key: 'mlflow.note.content', value: verdictOf(report).headline },
    ],
  });
  const runId = run.info.runId;
  const t = Date.now();
  const metrics = Object.entries(report.metrics)
    .filter(([, v]) => Number.isFinite(v))
    .map(([key, value]) => ({ key, value, timestamp: t, step: 0 }));
  for (const d of report.comparison?.metrics ?? []) if (Number.isFinite(d.delta)) metrics.push({ key: `delta_${d.metric}`, value: d.delta, timestamp: t, step: 0 });
  if (report.gate) metrics.push({ key: 'gate_passed', value: report.gate.passed ? 1 : 0, timestamp: t, step: 0 });
  if (report.latency) metrics.push({ key: 'latency_p99_ms', value: report.latency.p99Ms, timestamp: t, step: 0 }, { key: 'latency_p50_ms', value: report.latency.p50Ms, timestamp: t, step: 0 });
  const params = [
    ['model', report.model.name],
    ['model_version', String(report.model.version)],
    ['dataset', `${report.dataset.name}@${report.dataset.digest}`],
    ['task', report.task],
    ['label', report.labelColumn],
    ['champion', report.comparison ? `${report.comparison.champion.name}/${report.comparison.champion.version}` : 'none'],
    ['resamples', String(settings.resamples)],
    ['seed', String(settings.seed)],
    ['policy_version', policyVersion === null ? (gate ? 'ad hoc' : 'none') : String(policyVersion)],
  ].map(([key, value]) => ({ key: key!, value: value! }));
  for (let i = 0; i < metrics.length; i += 1000) await logBatch(database, actor, runId, { metrics: metrics.slice(i, i + 1000), ...(i === 0 ? { params } : {}) });
  await logInputs(database.db, actor, runId, {
    datasets: [
      {
        dataset: { name: dataset.name, digest: dataset.digest, sourceType: dataset.sourceType, source: dataset.source },
        tags: [{ key: 'mlflow.data.context', value: 'eval' }],
      },
    ],
  });
  const root = proxiedArtifactPath(run.info.artifactUri);
  if (root !== null) {
    const put = (file: string, text: string) => store.put(`${root}/scorecard/${file}`, Readable.from([Buffer.from(text, 'utf8')]));
    await put('scorecard.json', JSON.stringify(report, null, 2));
    await put('scorecard.md', renderMarkdown(report));
    await put('scorecard.html', renderHtml(report));
  }
  await updateRun(database.db, actor, runId, { status: 'FINISHED', endTime: Date.now() });
  return runId;
}
