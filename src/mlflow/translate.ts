import type { ArtifactEntry } from '../artifacts/store.js';
import { metricValueJson } from '../tracking/limits.js';
import type { LoggedModel, LoggedModelMetric } from '../tracking/logged-models.js';
import type { DatasetInput, Experiment, KeyValue, Metric, Run, RunInfo } from '../tracking/types.js';

/**
 * Domain objects to MLflow's JSON, as protobuf's MessageToJson writes it with MLflow's settings: snake_case field
 * names, int64 as JSON numbers, enums as names, non-finite doubles as "NaN"/"Infinity"/"-Infinity", and unset
 * fields (null, empty repeated fields) left out.
 */

type Json = Record<string, unknown>;

/** Drops unset fields: undefined, null and empty lists. */
export function compact(obj: Json): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(obj)) {
    if (v === undefined || v === null || (Array.isArray(v) && v.length === 0)) continue;
    out[k] = v;
  }
  return out;
}

const keyValues = (list: KeyValue[]): Json[] => list.map((kv) => ({ key: kv.key, value: kv.value }));

export const experimentJson = (e: Experiment): Json =>
  compact({
    experiment_id: e.experimentId,
    name: e.name,
    artifact_location: e.artifactLocation,
    lifecycle_stage: e.lifecycleStage,
    last_update_time: e.lastUpdateTime,
    creation_time: e.creationTime,
    tags: keyValues(e.tags),
  });

export const metricJson = (m: Metric): Json => ({ key: m.key, value: metricValueJson(m.value), timestamp: m.timestamp, step: m.step });


export const runInfoJson = (i: RunInfo): Json =>
  compact({
    run_id: i.runId,
    run_uuid: i.runId,
    run_name: i.runName,
    experiment_id: i.experimentId,
    user_id: i.userId,
    status: i.status,
    start_time: i.startTime,
    end_time: i.endTime,
    artifact_uri: i.artifactUri,
    lifecycle_stage: i.lifecycleStage,
  });

const datasetInputJson = (d: DatasetInput): Json =>
  compact({
    tags: keyValues(d.tags),
    dataset: compact({
      name: d.dataset.name,
      digest: d.dataset.digest,
      source_type: d.dataset.sourceType,
      source: d.dataset.source,
      schema: d.dataset.schema,
      profile: d.dataset.profile,
    }),
  });

export const runJson = (r: Run): Json => ({
  info: runInfoJson(r.info),
  data: compact({ metrics: r.data.metrics.map(metricJson), params: keyValues(r.data.params), tags: keyValues(r.data.tags) }),
  inputs: compact({
    dataset_inputs: r.inputs.datasetInputs.map(datasetInputJson),
    model_inputs: r.inputs.modelInputs.map((m) => ({ model_id: m.modelId })),
  }),
  outputs: compact({ model_outputs: r.outputs.modelOutputs.map((o) => ({ model_id: o.modelId, step: o.step })) }),
});

const loggedModelMetricJson = (m: LoggedModelMetric): Json =>
  compact({
    key: m.key,
    value: metricValueJson(m.value),
    timestamp: m.timestamp,
    step: m.step,
    dataset_name: m.datasetName,
    dataset_digest: m.datasetDigest,
    model_id: m.modelId,
    run_id: m.runId,
  });

export const loggedModelJson = (m: LoggedModel): Json => ({
  info: compact({
    model_id: m.modelId,
    experiment_id: m.experimentId,
    name: m.name,
    creation_timestamp_ms: m.creationTimestamp,
    last_updated_timestamp_ms: m.lastUpdatedTimestamp,
    artifact_uri: m.artifactUri,
    status: m.status,
    model_type: m.modelType,
    source_run_id: m.sourceRunId,
    status_message: m.statusMessage,
    tags: keyValues(m.tags),
  }),
  data: compact({ params: keyValues(m.params), metrics: m.metrics.map(loggedModelMetricJson) }),
});

/** A FileInfo; `path` is given by the caller (relative to a root, or a basename); dirs have no file_size. */
export const fileInfoJson = (path: string, e: ArtifactEntry): Json =>
  e.isDir ? { path, is_dir: true } : { path, is_dir: false, file_size: e.size ?? 0 };

/** A page of results: the list and the token, each left out when empty. */
export const pageJson = (field: string, items: Json[], nextPageToken: string | null): Json =>
  compact({ [field]: items, next_page_token: nextPageToken || undefined });
