/**
 * One window of a monitor: merges the gateway's buckets for [end − window, end), compares them with the reference
 * (drift per column, dataset drift, data quality), adds operations (requests, errors, latency), freshness (time
 * since the last prediction, model age), performance on the labelled predictions of the window with an EWMA chart
 * over past windows, label lag, and performance estimated from the predicted probabilities before labels arrive.
 * Every number also becomes a signal sample for the alert rules.
 */
import type { Kysely } from 'kysely';
import type { SignalSample } from '../alerts/signals.js';
import type { DB } from '../db/schema.js';
import { getVersionByAlias } from '../registry/aliases.js';
import { getModelVersion } from '../registry/versions.js';
import type { ModelVersion } from '../registry/types.js';
import { getDeployment } from '../serving/deployments.js';
import { calibrate, calibrationError, estimatePerformance, fitIsotonic, type Calibrator } from '../stats/cbpe.js';
import { cusumChart, estimateBaseline, ewmaChart, shewhartChart, type ChartResult } from '../stats/spc.js';
import { combineColumns, compareColumn, type ColumnDrift, type DriftResult } from './drift.js';
import type { Monitor } from './monitors.js';
import { checkColumnQuality, schemaIssues, type QualityResult } from './quality.js';
import type { ReferenceProfile, ReferenceProfiles } from './reference.js';
import { PREDICTION_COLUMN, readWindow, SCORE_COLUMN } from './sketcher.js';
import { categorySummary, numericSummary, quantileOf } from './summary.js';
import { psi as psiOf } from '../stats/drift/index.js';
import { findSegments, frameOfInputs, referenceSample, whereText, type WindowSegments } from './where.js';

export type { SignalSample } from '../alerts/signals.js';

export interface WindowResult {
  monitor: string;
  deployment: string;
  version: number;
  windowStart: number;
  windowEnd: number;
  status: 'ok' | 'insufficient' | 'failed';
  error?: string;
  reference: string;
  drift: DriftResult | null;
  /** PSI of every compared column, whatever its drift method (for rules on PSI). */
  psi: Record<string, number | null>;
  quality: QualityResult | null;
  operations: { requests: number; rows: number; errors: number; errorRate: number | null; requestsPerSecond: number; latencyMs: { p50: number | null; p95: number | null; p99: number | null } };
  freshness: { lastPredictionAt: number | null; sinceLastPredictionSeconds: number | null; modelAgeDays: number | null };
  performance: {
    labelled: number;
    metric: 'accuracy' | 'mae' | null;
    value: number | null;
    /** Estimated from predicted probabilities (binary classifiers), before labels. */
    estimatedAccuracy: number | null;
    estimatedF1: number | null;
    /** Expected calibration error of the model's scores on the reference: how far the estimate can be trusted. */
    referenceCalibrationError: number | null;
    labelLagP50Seconds: number | null;
    /** The EWMA chart of the metric over the monitor's windows (the one alerts read by default). */
    chart: ChartResult | null;
    /** All three charts on the same series: EWMA, tabular CUSUM, Shewhart with the Western Electric rules. */
    charts: { ewma: ChartResult; cusum: ChartResult; shewhart: ChartResult } | null;
  };
  /** Where the drift or the errors concentrate (from the logged inputs of the window). */
  segments: WindowSegments;
  /** How much the model depends on each input (permutation importance on the reference). */
  importance: Record<string, number>;
}

const isBinaryScore = (p: ReferenceProfile) => p.scores !== null;

export interface EvaluateContext {
  db: Kysely<DB>;
  references: ReferenceProfiles;
  /** Most recent first: the results before this window, for the SPC chart. */
  history(monitor: string, limit: number): Promise<WindowResult[]>;
}

/** The version a deployment serves now (its stable version). */
async function servedVersion(db: Kysely<DB>, deployment: string): Promise<ModelVersion> {
  const d = await getDeployment(db, deployment);
  return d.stable !== null ? getModelVersion(db, d.model, d.stable) : getVersionByAlias(db, d.model, d.alias ?? 'production');
}

const calibrators = new WeakMap<ReferenceProfile, { calibrator: Calibrator; ece: number } | null>();

function calibratorOf(ref: ReferenceProfile, label: string | null): { calibrator: Calibrator; ece: number } | null {
  if (calibrators.has(ref)) return calibrators.get(ref)!;
  let out: { calibrator: Calibrator; ece: number } | null = null;
  const col = label ? ref.frame?.columns.get(label) : undefined;
  if (ref.scores && col) {
    // The positive class is the one whose probability the score is: labels 1/true/yes (or the larger of two values).
    const raw = col.kind === 'number' ? Array.from(col.values, (v) => (Number.isNaN(v) ? null : String(v))) : col.values;
    const values = [...new Set(raw.filter((v): v is string => v !== null))].sort();
    if (values.length === 2) {
      const positive = values[1]!;
      const keep: number[] = [];
      raw.forEach((v, i) => v !== null && Number.isFinite(ref.scores![i]!) && keep.push(i));
      const scores = keep.map((i) => ref.scores![i]!);
      const labels = keep.map((i) => (raw[i] === positive ? 1 : 0));
      if (keep.length >= 50) out = { calibrator: fitIsotonic(scores, labels), ece: calibrationError(scores, labels) };
    }
  }
  calibrators.set(ref, out);
  return out;
}

export async function evaluateWindow(ctx: EvaluateContext, monitor: Monitor, windowEnd: number, now = Date.now()): Promise<{ result: WindowResult; samples: SignalSample[] }> {
  const spec = monitor.spec;
  const windowStart = windowEnd - spec.windowMs;
  const version = await servedVersion(ctx.db, spec.deployment);
  const base: WindowResult = {
    monitor: monitor.name,
    deployment: spec.deployment,
    version: version.version,
    windowStart,
    windowEnd,
    status: 'ok',
    reference: '',
    drift: null,
    psi: {},
    quality: null,
    operations: { requests: 0, rows: 0, errors: 0, errorRate: null, requestsPerSecond: 0, latencyMs: { p50: null, p95: null, p99: null } },
    freshness: { lastPredictionAt: null, sinceLastPredictionSeconds: null, modelAgeDays: null },
    performance: { labelled: 0, metric: null, value: null, estimatedAccuracy: null, estimatedF1: null, referenceCalibrationError: null, labelLagP50Seconds: null, chart: null, charts: null },
    segments: { drift: [], performance: [] },
    importance: {},
  };
  const labels = { monitor: monitor.name, deployment: spec.deployment };
  const samples: SignalSample[] = [];
  const emit = (signal: string, value: number | null, extra: Record<string, string> = {}, annotations?: Record<string, string>) =>
    samples.push({ signal, labels: { ...labels, ...extra }, value: value === null || !Number.isFinite(value) ? null : value, at: windowEnd, ...(annotations ? { annotations } : {}) });

  const served = await readWindow(ctx.db, spec.deployment, windowStart, windowEnd);
  // The newest bucket before the window's end holds the last prediction (found through the primary key's order).
  const newest = await ctx.db.selectFrom('monitor_buckets').select('bucket_start').where('deployment', '=', spec.deployment).where('bucket_start', '<', windowEnd).orderBy('bucket_start', 'desc').limit(1).executeTakeFirst();
  const last = newest
    ? await ctx.db.selectFrom('monitor_buckets').select((eb) => eb.fn.max('last_at').as('last')).where('deployment', '=', spec.deployment).where('bucket_start', '=', newest.bucket_start).executeTakeFirst()
    : undefined;
  const lastAt = last?.last == null ? null : Number(last.last);
  base.freshness = {
    lastPredictionAt: lastAt,
    sinceLastPredictionSeconds: lastAt === null ? null : Math.max(0, (Math.min(now, windowEnd) - lastAt) / 1000),
    modelAgeDays: (Math.min(now, windowEnd) - version.creationTimestamp) / 86_400_000,
  };
  const seconds = spec.windowMs / 1000;
  const lat = served.latency.summary();
  const q = (p: number) => (lat.kind === 'number' && lat.n > 0 ? quantileOf(lat, p) : null);
  base.operations = {
    requests: served.requests,
    rows: served.rows,
    errors: served.errors,
    errorRate: served.requests > 0 ? served.errors / served.requests : null,
    requestsPerSecond: served.requests / seconds,
    latencyMs: { p50: q(0.5), p95: q(0.95), p99: q(0.99) },
  };
  emit('ops.requests_per_s', base.operations.requestsPerSecond);
  emit('ops.error_rate', base.operations.errorRate);
  emit('ops.latency_p99_ms', base.operations.latencyMs.p99);
  emit('freshness.since_last_prediction_s', base.freshness.sinceLastPredictionSeconds ?? (now - windowStart) / 1000);
  emit('freshness.model_age_days', base.freshness.modelAgeDays, { model: version.name, version: String(version.version) });

  let ref: ReferenceProfile;
  try {
    ref = await ctx.references.get(spec.reference, spec.deployment, version);
  } catch (e) {
    base.status = 'failed';
    base.error = `Reference profile: ${(e as Error).message}`;
    return { result: base, samples };
  }
  base.reference = ref.label;
  base.importance = ref.importance;

  // Drift and quality, column by column.
  const columns = (spec.features ?? [...ref.summary.columns.keys()]).filter((c) => ref.summary.columns.has(c) && c !== spec.performance.label);
  const drifts: ColumnDrift[] = [];
  const schema = schemaIssues(
    columns.filter((c) => c !== PREDICTION_COLUMN && c !== SCORE_COLUMN),
    served.rows === 0 ? columns : [...served.summary.columns.keys()].filter((c) => c !== PREDICTION_COLUMN && c !== SCORE_COLUMN),
  );
  const quality: QualityResult = { columns: [], missingColumns: schema.missingColumns, extraColumns: schema.extraColumns, issues: served.rows > 0 ? schema.issues : [] };
  for (const name of columns) {
    const r = ref.summary.columns.get(name)!;
    const c = served.summary.columns.get(name) ?? (r.kind === 'number' ? numericSummary([]) : categorySummary([]));
    const d = compareColumn(name, r, c, { ...(spec.drift.methods[name] ? { method: spec.drift.methods[name] } : {}), ...(spec.drift.thresholds[name] !== undefined ? { threshold: spec.drift.thresholds[name] } : {}) }, { minRows: spec.drift.minRows });
    drifts.push(d);
    // PSI over the same bins the comparison already counted, whatever its method.
    const psi = d.status === 'ok' ? (d.method === 'psi' ? d.statistic : psiOf(d.histogram.reference, d.histogram.current)) : null;
    base.psi[name] = psi;
    emit('drift.statistic', d.statistic, { feature: name });
    emit('drift.detected', d.status === 'ok' ? Number(d.drifted) : null, { feature: name });
    emit('drift.psi', psi, { feature: name });
    if (served.rows > 0 && name !== PREDICTION_COLUMN && name !== SCORE_COLUMN) {
      const cq = checkColumnQuality(name, r, c, spec.quality);
      quality.columns.push(cq.quality);
      quality.issues.push(...cq.issues);
      emit('quality.missing_share', cq.quality.missingShare, { feature: name });
      emit('quality.out_of_range_share', cq.quality.outOfRangeShare, { feature: name });
      emit('quality.new_category_share', cq.quality.newCategoryShare, { feature: name });
    }
  }
  // Requests the gateway refused because fields were missing: the schema changed upstream.
  if (served.schema.refused > 0) {
    const share = served.schema.refused / Math.max(1, served.requests);
    const top = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).slice(0, 5);
    for (const [field, count] of top(served.schema.missing)) {
      quality.issues.push({ column: field, check: 'missing_column', value: count / Math.max(1, served.requests), threshold: null, message: `${count} requests (${(100 * (count / Math.max(1, served.requests))).toFixed(1)}%) were refused because they lack "${field}".` });
    }
    const unexpected = top(served.schema.unexpected);
    if (unexpected.length > 0) {
      quality.issues.push({ column: null, check: 'extra_column', value: null, threshold: null, message: `Refused requests carried keys the model does not read: ${unexpected.map(([f]) => `"${f}"`).join(', ')} (renamed fields?).` });
    }
    emit('quality.refused_share', share);
  } else if (served.requests > 0) emit('quality.refused_share', 0);
  base.drift = combineColumns(drifts, ref.summary.rows, served.rows, { driftShare: spec.drift.driftShare, correction: spec.drift.correction, minRows: spec.drift.minRows });
  base.quality = quality;
  const judged = base.drift.columns.some((c) => c.status === 'ok');
  emit('drift.share_drifted', judged ? base.drift.driftedShare : null);
  if (served.rows < spec.drift.minRows) base.status = 'insufficient';

  // Performance: labelled predictions made in the window, and the estimate from probabilities.
  const logged = await performanceOf(ctx, monitor, ref, base, windowStart, windowEnd);
  const perf = base.performance;

  // Where to look: segments of the logged inputs, when something moved or predictions were labelled.
  const inputs = columns.filter((c) => c !== PREDICTION_COLUMN && c !== SCORE_COLUMN);
  const kinds = new Map(inputs.map((c) => [c, ref.summary.columns.get(c)!.kind === 'number' ? ('number' as const) : ('string' as const)]));
  const inputDrift = base.drift.columns.some((c) => c.drifted && inputs.includes(c.column));
  if ((inputDrift && ref.frame) || logged.labelled.length >= 100) {
    base.segments = findSegments(
      ref.frame ? referenceSample(ref.frame, inputs) : null,
      frameOfInputs(logged.all, kinds),
      logged.labelled.length >= 100 ? { frame: frameOfInputs(logged.labelled.map((l) => l.inputs), kinds), loss: Float64Array.from(logged.labelled, (l) => l.loss) } : null,
      inputDrift,
    );
  }
  const report = `/api/v1/monitors/${encodeURIComponent(monitor.name)}/report?format=html&window=${new Date(windowEnd).toISOString()}`;
  const driftWhere = whereText(base.segments.drift, 'drift');
  const perfWhere = whereText(base.segments.performance, 'performance');
  for (const s of samples) if (s.signal.startsWith('drift.')) s.annotations = { report, ...(driftWhere ? { where: driftWhere } : {}) };
  const perfNotes = { report, ...(perfWhere ? { where: perfWhere } : {}) };
  emit(perf.metric === 'mae' ? 'performance.mae' : 'performance.accuracy', perf.value, {}, perfNotes);
  emit('performance.estimated_accuracy', perf.estimatedAccuracy, {}, perfNotes);
  emit('labels.lag_p50_s', perf.labelLagP50Seconds);
  for (const [kind, chart] of Object.entries(perf.charts ?? {})) {
    const point = chart.points.at(-1);
    emit('spc.out_of_control', point && Number.isFinite(point.value) ? Number(point.outOfControl) : null, { chart: kind, metric: perf.metric ?? 'accuracy' }, perfNotes);
  }
  return { result: base, samples };
}

/** Rows of the prediction log read per window for performance (the most recent first). */
const PERFORMANCE_ROWS = 50_000;

interface Logged {
  /** Inputs of every logged prediction read. */
  all: Record<string, unknown>[];
  /** Labelled ones, with 1 when the prediction was wrong (classification) or the absolute error (regression). */
  labelled: { inputs: Record<string, unknown>; loss: number }[];
}

async function performanceOf(ctx: EvaluateContext, monitor: Monitor, ref: ReferenceProfile, out: WindowResult, from: number, to: number): Promise<Logged> {
  const logged: Logged = { all: [], labelled: [] };
  const rows = await ctx.db
    .selectFrom('predictions')
    .select(['at', 'inputs', 'outputs', 'label', 'label_at'])
    .where('deployment', '=', monitor.spec.deployment)
    .where('at', '>=', from)
    .where('at', '<', to)
    .where('status', '=', 200)
    .where('role', '!=', 'shadow')
    .where('outputs', 'is not', null)
    .orderBy('at', 'desc')
    .limit(PERFORMANCE_ROWS)
    .execute();
  let hits = 0;
  let absErr = 0;
  let labelled = 0;
  let regression = false;
  const lags: number[] = [];
  const probabilities: number[] = [];
  const predicted: number[] = [];
  const cal = isBinaryScore(ref) ? calibratorOf(ref, monitor.spec.performance.label) : null;
  for (const r of rows) {
    let o: { label?: unknown; value?: unknown; probabilities?: Record<string, number> };
    try {
      o = JSON.parse(r.outputs!) as typeof o;
    } catch {
      continue;
    }
    let inputs: Record<string, unknown> = {};
    try {
      if (r.inputs) inputs = JSON.parse(r.inputs) as Record<string, unknown>;
    } catch {
      // An unreadable payload still counts for performance, not for segments.
    }
    logged.all.push(inputs);
    if (o.probabilities) {
      const classes = Object.keys(o.probabilities);
      if (classes.length === 2) {
        const raw = o.probabilities[classes[1]!]!;
        if (Number.isFinite(raw)) {
          probabilities.push(cal ? calibrate(cal.calibrator, raw) : raw);
          predicted.push(String(o.label) === classes[1] ? 1 : 0);
        }
      }
    }
    if (r.label === null) continue;
    labelled++;
    if (r.label_at !== null) lags.push((Number(r.label_at) - Number(r.at)) / 1000);
    if (typeof o.value === 'number') {
      regression = true;
      const y = Number(r.label);
      if (Number.isFinite(y)) {
        absErr += Math.abs(o.value - y);
        logged.labelled.push({ inputs, loss: Math.abs(o.value - y) });
      }
    } else {
      const right = String(o.label) === labelText(r.label);
      if (right) hits++;
      logged.labelled.push({ inputs, loss: right ? 0 : 1 });
    }
  }
  const perf = out.performance;
  perf.labelled = labelled;
  perf.metric = labelled === 0 ? (probabilities.length > 0 ? 'accuracy' : null) : regression ? 'mae' : 'accuracy';
  perf.value = labelled === 0 ? null : regression ? absErr / labelled : hits / labelled;
  if (probabilities.length >= 30) {
    const est = estimatePerformance(probabilities, 0.5, predicted);
    perf.estimatedAccuracy = est.accuracy;
    perf.estimatedF1 = est.f1;
  }
  perf.referenceCalibrationError = cal ? cal.ece : null;
  lags.sort((a, b) => a - b);
  perf.labelLagP50Seconds = lags.length > 0 ? lags[Math.floor(lags.length / 2)]! : null;

  // The chart: this metric over past windows; limits from the first baselineWindows windows that had labels.
  if (perf.metric === 'accuracy' && perf.value !== null) {
    const past = (await ctx.history(monitor.name, 500)).reverse();
    const series = [...past.map((p) => (p.performance.metric === 'accuracy' ? p.performance.value : null)), perf.value].map((v) => (v === null ? NaN : v));
    const labelledValues = series.filter((v) => Number.isFinite(v));
    const n = monitor.spec.performance.baselineWindows;
    if (labelledValues.length > n) {
      const baseline = estimateBaseline(labelledValues.slice(0, n));
      perf.charts = { ewma: ewmaChart(series, baseline, { direction: 'down' }), cusum: cusumChart(series, baseline, { direction: 'down' }), shewhart: shewhartChart(series, baseline, { direction: 'down' }) };
      perf.chart = perf.charts.ewma;
    }
  }
  return logged;
}

/** The feedback API stores labels as JSON text or plain text: compare as the predicted label's text. */
function labelText(stored: string): string {
  try {
    const v = JSON.parse(stored) as unknown;
    return typeof v === 'string' ? v : String(v);
  } catch {
    return stored;
  }
}
