import { isoOf } from '../core/clock.js';
import { invalid } from '../core/errors.js';
import { metricValueJson } from './limits.js';
import type * as S from './schemas.js';
import type { Experiment, KeyValue, Run, ViewType } from './types.js';

/** Translations between domain objects and the native API's JSON (ISO times, maps for tags and params). */

export const toMap = (list: KeyValue[]): Record<string, string> => Object.fromEntries(list.map((kv) => [kv.key, kv.value]));
export const fromMap = (map: Record<string, string> | undefined): KeyValue[] =>
  Object.entries(map ?? {}).map(([key, value]) => ({ key, value }));

export const nativeExperiment = (e: Experiment): S.Experiment => ({
  id: e.experimentId,
  name: e.name,
  artifactLocation: e.artifactLocation,
  lifecycleStage: e.lifecycleStage,
  createdAt: isoOf(e.creationTime)!,
  updatedAt: isoOf(e.lastUpdateTime)!,
  tags: toMap(e.tags),
});

export const nativeRun = (r: Run): S.Run => ({
  id: r.info.runId,
  name: r.info.runName,
  experimentId: r.info.experimentId,
  userId: r.info.userId,
  status: r.info.status,
  startTime: isoOf(r.info.startTime)!,
  endTime: isoOf(r.info.endTime),
  artifactUri: r.info.artifactUri,
  lifecycleStage: r.info.lifecycleStage,
  metrics: Object.fromEntries(
    r.data.metrics.map((m) => [m.key, { value: metricValueJson(m.value) as number, step: m.step, timestamp: isoOf(m.timestamp)! }]),
  ),
  params: toMap(r.data.params),
  tags: toMap(r.data.tags),
  inputs: {
    datasets: r.inputs.datasetInputs.map((i) => ({
      name: i.dataset.name,
      digest: i.dataset.digest,
      sourceType: i.dataset.sourceType,
      source: i.dataset.source,
      schema: i.dataset.schema ?? null,
      profile: i.dataset.profile ?? null,
      tags: toMap(i.tags),
    })),
    models: r.inputs.modelInputs.map((m) => m.modelId),
  },
  outputs: { models: r.outputs.modelOutputs },
});

export const viewTypeOf = (view: 'active' | 'deleted' | 'all' | undefined): ViewType =>
  view === 'deleted' ? 'DELETED_ONLY' : view === 'all' ? 'ALL' : 'ACTIVE_ONLY';

/** Accepts ISO 8601 or epoch milliseconds. */
export function parseTime(value: string | number | undefined, what: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = typeof value === 'number' ? value : Date.parse(value);
  if (!Number.isFinite(ms)) throw invalid(`${what} must be an ISO 8601 time or epoch milliseconds, got ${JSON.stringify(value)}.`);
  return ms;
}

