import { invalid } from '../core/errors.js';

/** MLflow's limits, so a request MLflow accepts is accepted here and one it rejects is rejected here. */
export const LIMITS = {
  keyLength: 250,
  paramValueLength: 6000,
  tagValueLength: 8000,
  experimentTagValueLength: 5000,
  experimentNameLength: 500,
  runNameLength: 250,
  batchMetrics: 1000,
  batchParams: 100,
  batchTags: 100,
  batchTotal: 1000,
  searchDefault: 1000,
  searchMax: 50_000,
  datasetNameLength: 500,
  // MLflow allows 36; a full sha256 in hex (Slipway's dataset versions) takes 64.
  datasetDigestLength: 64,
  datasetSourceLength: 65_535,
  datasetSchemaLength: 1_048_575,
  datasetProfileLength: 16_384,
  inputTagValueLength: 500,
} as const;

// MLflow allows word characters (Unicode, as Python's \w), and _ - . space : /
const KEY_PATTERN = /^[\p{L}\p{N}\p{M}\p{Pc}\-. :/]+$/u;

/** Validates a metric, param or tag key the way MLflow does. `what` names it in the message. */
export function validateKey(key: unknown, what: string): string {
  if (typeof key !== 'string' || key.length === 0) throw invalid(`${what} key must be a non-empty string.`);
  if (key.length > LIMITS.keyLength) {
    throw invalid(`${what} key '${key.slice(0, 40)}…' is ${key.length} characters long; the limit is ${LIMITS.keyLength}.`);
  }
  if (!KEY_PATTERN.test(key)) {
    throw invalid(
      `Invalid ${what.toLowerCase()} name: '${key}'. Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colons (:) and slashes (/).`,
    );
  }
  if (key.startsWith('/') || key.split('/').some((s) => s === '.' || s === '..')) {
    throw invalid(`Invalid ${what.toLowerCase()} name: '${key}'. Names may not start with '/' or contain '.' or '..' path segments.`);
  }
  return key;
}

export function validateValueLength(value: string, limit: number, what: string, key: string): string {
  if (value.length > limit) {
    throw invalid(`${what} '${key}' has a value of ${value.length} characters; the limit is ${limit}.`);
  }
  return value;
}

export function validateExperimentName(name: unknown): string {
  if (typeof name !== 'string' || name.trim() === '') throw invalid('Experiment name must be a non-empty string.');
  if (name.length > LIMITS.experimentNameLength) {
    throw invalid(`Experiment name is ${name.length} characters long; the limit is ${LIMITS.experimentNameLength}.`);
  }
  return name;
}

export function validateMaxResults(value: number | undefined, max: number = LIMITS.searchMax): number {
  if (value === undefined) return LIMITS.searchDefault;
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw invalid(`max_results must be an integer between 1 and ${max}, got ${value}.`);
  }
  return value;
}

/** Parses a metric value as MLflow's protobuf JSON does: a number or "NaN", "Infinity", "-Infinity". */
export function parseMetricValue(value: unknown, key: string): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') {
    if (value === 'NaN') return NaN;
    if (value === 'Infinity' || value === 'inf') return Infinity;
    if (value === '-Infinity' || value === '-inf') return -Infinity;
    const n = Number(value);
    if (value.trim() !== '' && !Number.isNaN(n)) return n;
  }
  throw invalid(`Metric '${key}' has value ${JSON.stringify(value)}; expected a number, or "NaN", "Infinity", "-Infinity".`);
}

/** MLflow's protobuf JSON writes non-finite doubles as strings. */
export const metricValueJson = (v: number): number | string =>
  Number.isFinite(v) ? v : Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';

export function parseInteger(value: unknown, what: string, fallback?: number): number {
  if (value === undefined || value === null) {
    if (fallback !== undefined) return fallback;
    throw invalid(`Missing value for required parameter '${what}'.`);
  }
  const n = typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n)) {
    throw invalid(`Parameter '${what}' must be an integer, got ${JSON.stringify(value)}.`);
  }
  return n;
}
