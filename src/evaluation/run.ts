/**
 * Runs one evaluation: reads the dataset version, gets predictions from the challenger (and the champion) through
 * the shared model runtimes, computes the report and applies the gate. Pure of storage writes: the service records
 * what this returns.
 */
import { performance } from 'node:perf_hooks';
import type { Kysely } from 'kysely';
import type { ArtifactStore } from '../artifacts/store.js';
import { invalid, invalidState, SlipwayError } from '../core/errors.js';
import type { DB } from '../db/schema.js';
import { openVersionRuntime } from '../registry/runtime.js';
import type { ModelVersion } from '../registry/types.js';
import { sliceFrame, type Frame } from '../runtimes/frame.js';
import type { ModelRuntime, Predictions, RuntimeInput } from '../runtimes/types.js';
import type { DatasetAccess } from '../tracking/datasets/source-access.js';
import type { DatasetVersion } from '../tracking/datasets/versions.js';
import { computeEvaluation, type Outputs } from './compute.js';
import { loadFrame } from './dataset.js';
import { applyGate } from './gate.js';
import type { PolicySpec } from './policy.js';
import type { EvaluationReport, ModelRef, TaskType } from './report.js';
import { buildSlices, categorical, type SliceFamily } from './slices.js';

export const BATCH_ROWS = 4096;
const LATENCY_SAMPLES = 200;

export interface Progress {
  phase: 'reading dataset' | 'scoring challenger' | 'scoring champion' | 'measuring latency' | 'comparing' | 'writing scorecard';
  done: number;
  total: number;
}

export interface RunInput {
  id: string;
  challenger: ModelVersion;
  champion: { version: ModelVersion; alias?: string } | null;
  dataset: DatasetVersion;
  /** Where the dataset's bytes may be read from. */
  datasets: DatasetAccess;
  settings: PolicySpec;
  /** Apply the rules (a stored policy's version, or null for an ad hoc one); absent: no gate. */
  gate?: { policyVersion: number | null };
  workers?: number;
  /** Hosts a model-server version may call: `TrustSettings.modelServerHosts`. */
  modelServerHosts: readonly string[];
  onProgress?(p: Progress): void;
  signal?: AbortSignal;
}

interface Scored {
  runtime: ModelRef['runtime'];
  predictions: Predictions;
  rowsPerSecond: number;
  latency?: { samples: number; p50Ms: number; p99Ms: number };
}

/** Concatenates batch predictions. */
function concat(parts: Predictions[], rows: number): Predictions {
  const first = parts[0]!;
  const out: Predictions = { rows };
  if (first.value) {
    out.value = new Float64Array(rows);
    let o = 0;
    for (const p of parts) (out.value.set(p.value!, o), (o += p.rows));
  }
  if (first.labelIndex) {
    out.classes = first.classes!;
    out.labelIndex = new Int32Array(rows);
    let o = 0;
    for (const p of parts) (out.labelIndex.set(p.labelIndex!, o), (o += p.rows));
  }
  if (first.proba) {
    const C = first.classes!.length;
    out.proba = new Float64Array(rows * C);
    let o = 0;
    for (const p of parts) (out.proba.set(p.proba!, o * C), (o += p.rows));
  }
  return out;
}

async function score(runtime: ModelRuntime, frame: Frame, who: string, measureLatency: boolean, report: (done: number) => void, signal?: AbortSignal): Promise<Scored> {
  const parts: Predictions[] = [];
  const start = performance.now();
  for (let s = 0; s < frame.rows; s += BATCH_ROWS) {
    signal?.throwIfAborted();
    const part = await runtime.predict(sliceFrame(frame, s, Math.min(frame.rows, s + BATCH_ROWS)), signal ? { signal } : {}).catch((err: unknown) => {
      if (err instanceof SlipwayError) throw new SlipwayError(err.code, `Scoring the ${who}: ${err.message}`, err.details);
      throw err;
    });
    if (parts.length > 0 && Boolean(part.classes) !== Boolean(parts[0]!.classes)) throw invalidState(`The ${who} answered with classes for some rows and not for others.`);
    parts.push(part);
    report(Math.min(frame.rows, s + BATCH_ROWS));
  }
  const rowsPerSecond = frame.rows / ((performance.now() - start) / 1000);
  const scored: Scored = { runtime: runtime.kind, predictions: concat(parts, frame.rows), rowsPerSecond };
  if (measureLatency) {
    const times: number[] = [];
    for (let i = 0; i < LATENCY_SAMPLES + 10; i++) {
      signal?.throwIfAborted();
      const r = i % frame.rows;
      const t = performance.now();
      await runtime.predict(sliceFrame(frame, r, r + 1), signal ? { signal } : {});
      if (i >= 10) times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    scored.latency = { samples: times.length, p50Ms: times[Math.floor(times.length * 0.5)]!, p99Ms: times[Math.min(times.length - 1, Math.floor(times.length * 0.99))]! };
  }
  return scored;
}

/**
 * The one place that says which class is positive in a binary task: `positiveClass` when given, else the second
 * class in the model's (or the labels' sorted) order; it goes last, so index 1 is the positive class for every
 * score-based metric, whether the probabilities come from a model or from a score column.
 */
export function positiveLast(task: TaskType, classes: string[], positiveClass: string | undefined): string[] {
  if (task !== 'binary') return classes;
  if (classes.length !== 2) throw invalid(`task binary needs two classes; the model has ${classes.length} (${classes.join(', ')}). Use task: multiclass.`);
  const positive = positiveClass ?? classes[1]!;
  if (!classes.includes(positive)) throw invalid(`positive_class "${positive}" is not one of the classes (${classes.join(', ')}).`);
  return [classes.find((c) => c !== positive)!, positive];
}

/** Predictions read from dataset columns, for models Slipway cannot run; a score column is P(classes[1]), the positive class. */
function columnPredictions(frame: Frame, settings: PolicySpec, task: TaskType, classes: string[] | null): Predictions {
  const col = frame.columns.get(settings.predictionColumn!);
  if (!col) throw invalid(`The prediction column "${settings.predictionColumn}" is not in the dataset; its columns are: ${[...frame.columns.keys()].join(', ')}`, { column: settings.predictionColumn });
  if (task === 'regression') {
    if (col.kind !== 'number') throw invalid(`The prediction column "${settings.predictionColumn}" holds text; a regression needs numbers.`, { column: settings.predictionColumn });
    return { rows: frame.rows, value: col.values };
  }
  const text = (i: number) => (col.kind === 'number' ? (Number.isNaN(col.values[i]!) ? null : String(col.values[i])) : col.values[i]);
  const index = new Map(classes!.map((c, i) => [c, i]));
  const labelIndex = new Int32Array(frame.rows);
  for (let i = 0; i < frame.rows; i++) {
    const t = text(i);
    labelIndex[i] = t === null || t === undefined ? -1 : (index.get(t) ?? -1);
  }
  const p: Predictions = { rows: frame.rows, classes: classes!, labelIndex };
  if (settings.scoreColumn) {
    const s = frame.columns.get(settings.scoreColumn);
    if (!s) throw invalid(`The score column "${settings.scoreColumn}" is not in the dataset.`, { column: settings.scoreColumn });
    if (s.kind !== 'number') throw invalid(`The score column "${settings.scoreColumn}" holds text; it must hold the probability of the positive class.`, { column: settings.scoreColumn });
    if (classes!.length !== 2) throw invalid(`A score column describes a binary classifier, but the labels have ${classes!.length} classes.`);
    const proba = new Float64Array(frame.rows * 2);
    for (let i = 0; i < frame.rows; i++) {
      const v = s.values[i]!;
      if (!(v >= 0 && v <= 1)) throw invalid(`The score column "${settings.scoreColumn}" must hold probabilities in [0, 1]; row ${i + 1} holds ${v}.`, { column: settings.scoreColumn, row: i + 1 });
      proba[i * 2] = 1 - v;
      proba[i * 2 + 1] = v;
    }
    p.proba = proba;
  }
  return p;
}

const labelText = (frame: Frame, column: string, i: number): string | null => {
  const c = frame.columns.get(column)!;
  if (c.kind === 'number') return Number.isNaN(c.values[i]!) ? null : String(c.values[i]);
  return c.values[i] ?? null;
};

/** Keeps only the rows whose label is present. */
function dropMissingLabels(frame: Frame, label: string): { frame: Frame; dropped: number } {
  const keep: number[] = [];
  for (let i = 0; i < frame.rows; i++) if (labelText(frame, label, i) !== null) keep.push(i);
  if (keep.length === frame.rows) return { frame, dropped: 0 };
  const columns = new Map<string, Frame['columns'] extends Map<string, infer C> ? C : never>();
  for (const [name, c] of frame.columns) {
    columns.set(name, c.kind === 'number' ? { kind: 'number', values: Float64Array.from(keep, (i) => c.values[i]!) } : { kind: 'string', values: keep.map((i) => c.values[i] ?? null) });
  }
  return { frame: { rows: keep.length, columns }, dropped: frame.rows - keep.length };
}

/** Outputs with class indices in `classes` order (and positive class last for binary). */
function align(p: Predictions, classes: string[], who: string): Outputs {
  if (!p.labelIndex) throw invalid(`The ${who} returns values, not classes: evaluate it as a regression (task: regression).`);
  const from = p.classes!;
  const map = from.map((c) => classes.indexOf(c));
  const missing = classes.filter((c) => !from.includes(c));
  if (map.some((m) => m < 0) || missing.length > 0) {
    throw invalid(`The ${who}'s classes (${from.join(', ')}) differ from the labels' classes (${classes.join(', ')}).`);
  }
  const C = classes.length;
  const labelIndex = new Int32Array(p.rows);
  for (let i = 0; i < p.rows; i++) {
    const k = p.labelIndex[i]!;
    if (k < 0) throw invalid(`The ${who} gave no prediction for row ${i + 1}.`, { row: i + 1 });
    labelIndex[i] = map[k]!;
  }
  if (!p.proba) return { labelIndex };
  const proba = new Float64Array(p.rows * C);
  for (let i = 0; i < p.rows; i++) {
    for (let k = 0; k < C; k++) {
      const v = p.proba[i * C + k]!;
      if (Number.isNaN(v)) throw invalid(`The ${who} returned NaN probabilities (first at row ${i + 1}); check its inputs for missing values.`, { row: i + 1 });
      proba[i * C + map[k]!] = v;
    }
  }
  return { labelIndex, proba };
}

/** Far above the float32 rounding of a model's softmax outputs, far below a model that does not answer probabilities. */
const PROBABILITY_SUM_TOLERANCE = 1e-5;

/**
 * A warning when probability rows do not sum to 1. Log loss and the Brier score take them as given (scikit-learn
 * ≥ 1.5 no longer renormalises and warns instead), so the reader should know the model's numbers are not probabilities.
 */
function unnormalisedRows(out: Outputs, classes: number, who: string): string | null {
  if (!('proba' in out) || !out.proba) return null;
  const rows = out.proba.length / classes;
  let count = 0;
  let first = -1;
  for (let i = 0; i < rows; i++) {
    let sum = 0;
    for (let k = 0; k < classes; k++) sum += out.proba[i * classes + k]!;
    if (Math.abs(sum - 1) > PROBABILITY_SUM_TOLERANCE) {
      count++;
      if (first < 0) first = i;
    }
  }
  return count === 0 ? null : `The ${who}'s probabilities do not sum to 1 in ${count} of ${rows} rows (first at row ${first + 1}); log loss and the Brier score use them as given, as scikit-learn does.`;
}

function checkValues(p: Predictions, who: string): Outputs {
  if (!p.value) throw invalid(`The ${who} returns classes, not values: evaluate it as a classification.`);
  const bad = p.value.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw invalid(`The ${who} returned ${p.value[bad]} (first at row ${bad + 1}); check its inputs for missing values.`, { row: bad + 1 });
  return { value: p.value };
}

/** Runs the evaluation and returns its report (with the gate result when asked). */
export async function runEvaluation(db: Kysely<DB>, store: ArtifactStore, input: RunInput): Promise<EvaluationReport> {
  const { settings, dataset } = input;
  const progress = (phase: Progress['phase'], done: number, total: number) => input.onProgress?.({ phase, done, total });
  const label = settings.label;
  if (!label) throw invalid('Which column holds the labels? Set `label` in the policy or pass --label.');
  const schemaNames = ((dataset.schema as { name: string }[]) ?? []).map((f) => f.name);
  if (!schemaNames.includes(label)) {
    throw invalid(`The label column "${label}" is not in dataset ${dataset.name} v${dataset.version}; its columns are: ${schemaNames.join(', ')}`, { column: label });
  }

  const loaded = await loadFrame(input.datasets, dataset, { onProgress: (b, t) => progress('reading dataset', b, t), ...(input.signal ? { signal: input.signal } : {}) });
  const { frame, dropped } = dropMissingLabels(loaded, label);
  const warnings: string[] = [];
  if (dropped > 0) warnings.push(`${dropped} of ${loaded.rows} rows have no label and were left out.`);
  if (frame.rows === 0) throw invalid(`Every row of dataset ${dataset.name} v${dataset.version} lacks a label in column "${label}".`, { column: label });

  const slices = buildSlices(frame, settings.slices);
  for (const f of slices) if (f.kind === 'named' && !f.codes.some((c) => c >= 0)) warnings.push(`Slice "${f.family}" (${f.filters?.[0]}) matches no rows.`);
  const sensitiveColumns = [...new Set([...settings.sensitive, ...settings.rules.flatMap((r) => (r.kind === 'fairness' ? [r.column] : []))])];

  const notFeatures = new Set([label, ...sensitiveColumns, ...settings.ignoreColumns, ...slices.flatMap((f) => f.columns)]);
  const features: RuntimeInput[] = [...frame.columns].filter(([name]) => !notFeatures.has(name)).map(([name, c]) => ({ name, type: c.kind }));
  const runtimes: ModelRuntime[] = [];
  try {
    let challengerRuntime: ModelRuntime | null = null;
    if (!settings.predictionColumn) {
      const guess = settings.task ?? inferTask(frame, label, settings);
      challengerRuntime = await openVersionRuntime(db, store, input.challenger, { classes: guess === 'regression' ? null : labelClasses(frame, label), features, purpose: 'evaluate', modelServerHosts: input.modelServerHosts });
      runtimes.push(challengerRuntime);
      checkExtraColumns(frame, challengerRuntime, settings, label, slices, sensitiveColumns);
    }

    // Task and classes: from the model when it names its classes, else from the labels.
    const labelCol = frame.columns.get(label)!;
    let challenger: Scored;
    let task: TaskType;
    let classes: string[] = [];
    if (challengerRuntime) {
      challenger = await score(challengerRuntime, frame, `challenger (${input.challenger.name} v${input.challenger.version})`, true, (d) => progress('scoring challenger', d, frame.rows), input.signal);
      task = settings.task ?? (challenger.predictions.classes ? (challenger.predictions.classes.length === 2 ? 'binary' : 'multiclass') : 'regression');
      if (task !== 'regression') classes = challenger.predictions.classes ?? labelClasses(frame, label);
    } else {
      task = settings.task ?? inferTask(frame, label, settings);
      if (task !== 'regression') classes = positiveLast(task, labelClasses(frame, label, settings.predictionColumn), settings.positiveClass);
      challenger = { runtime: 'column', predictions: columnPredictions(frame, settings, task, classes), rowsPerSecond: Number.NaN };
    }
    if (task === 'regression' && labelCol.kind !== 'number') throw invalid(`The label column "${label}" holds text, but the model predicts numbers (regression).`, { column: label });

    classes = positiveLast(task, classes, settings.positiveClass);

    let y: Int32Array | Float64Array;
    if (task === 'regression') y = (labelCol as { values: Float64Array }).values;
    else {
      const index = new Map(classes.map((c, i) => [c, i]));
      const codes = new Int32Array(frame.rows);
      const seen = new Set<number>();
      for (let i = 0; i < frame.rows; i++) {
        const t = labelText(frame, label, i)!;
        const k = index.get(t);
        if (k === undefined) throw invalid(`Row ${i + 1} has label ${JSON.stringify(t)}, which is not one of the model's classes (${classes.join(', ')}).`, { column: label, row: i + 1 });
        codes[i] = k;
        seen.add(k);
      }
      if (seen.size < 2) {
        throw invalid(`The label column "${label}" holds a single class (${JSON.stringify(classes[[...seen][0]!])}) in all ${frame.rows} rows: a classification evaluation needs examples of at least two classes.`, { column: label });
      }
      y = codes;
    }
    const challengerOut = task === 'regression' ? checkValues(challenger.predictions, 'challenger') : align(challenger.predictions, classes, 'challenger');
    const challengerOff = unnormalisedRows(challengerOut, classes.length, 'challenger');
    if (challengerOff) warnings.push(challengerOff);

    let championOut: Outputs | undefined;
    let championRef: ModelRef | undefined;
    if (input.champion) {
      const v = input.champion.version;
      const rt = settings.predictionColumn ? null : await openVersionRuntime(db, store, v, { classes: task === 'regression' ? null : classes, features, purpose: 'evaluate', modelServerHosts: input.modelServerHosts });
      if (!rt) throw invalid('A champion can only be compared when both models can be run; with prediction_column there is nothing to run the champion on.');
      runtimes.push(rt);
      const scored = await score(rt, frame, `champion (${v.name} v${v.version})`, false, (d) => progress('scoring champion', d, frame.rows), input.signal);
      championOut = task === 'regression' ? checkValues(scored.predictions, 'champion') : align(scored.predictions, classes, 'champion');
      const championOff = unnormalisedRows(championOut, classes.length, 'champion');
      if (championOff) warnings.push(championOff);
      championRef = { name: v.name, version: v.version, runtime: rt.kind };
    }

    const sensitive: SliceFamily[] = task === 'binary' ? sensitiveColumns.map((c) => categorical(frame, c)) : [];
    if (task !== 'binary' && sensitiveColumns.length > 0) warnings.push(`Fairness metrics are computed for binary classification only; this is ${task}.`);

    const computed = await computeEvaluation({
      task,
      classes,
      y,
      challenger: challengerOut,
      ...(championOut ? { champion: championOut } : {}),
      slices,
      sensitive,
      confidence: settings.confidence,
      resamples: settings.resamples,
      seed: settings.seed,
      ...(input.workers !== undefined ? { workers: input.workers } : {}),
      onProgress: (d, t) => progress('comparing', d, t),
      ...(input.signal ? { signal: input.signal } : {}),
    });

    const report: EvaluationReport = {
      id: input.id,
      createdAt: new Date().toISOString(),
      model: { name: input.challenger.name, version: input.challenger.version, runtime: challenger.runtime },
      dataset: { name: dataset.name, version: dataset.version, digest: dataset.digest, rows: frame.rows },
      task,
      labelColumn: label,
      ...(task !== 'regression' ? { classes } : {}),
      primaryMetric: computed.primaryMetric,
      metrics: computed.metrics,
      ...(computed.perClass ? { perClass: computed.perClass } : {}),
      ...(computed.confusion ? { confusion: computed.confusion } : {}),
      ...(computed.curves ? { curves: computed.curves } : {}),
      slices: computed.slices,
      ...(computed.fairness ? { fairness: computed.fairness } : {}),
      ...(challenger.latency ? { latency: { ...challenger.latency, rowsPerSecond: challenger.rowsPerSecond } } : {}),
      ...(input.challenger.size !== null ? { artifactSizeBytes: input.challenger.size } : {}),
      ...(computed.comparison && championRef ? { comparison: { ...computed.comparison, champion: championRef, ...(input.champion?.alias ? { alias: input.champion.alias } : {}) } } : {}),
      warnings,
    };
    if (input.gate) report.gate = applyGate(settings, input.gate.policyVersion, report);
    return report;
  } finally {
    await Promise.all(runtimes.map((r) => r.close().catch(() => {})));
  }
}

/** Sorted distinct label values (and prediction values), as strings. */
function labelClasses(frame: Frame, label: string, predictionColumn?: string): string[] {
  const seen = new Set<string>();
  for (const column of predictionColumn ? [label, predictionColumn] : [label]) {
    for (let i = 0; i < frame.rows; i++) {
      const t = labelText(frame, column, i);
      if (t !== null) seen.add(t);
    }
  }
  const all = [...seen];
  return all.every((c) => Number.isFinite(Number(c))) ? all.sort((a, b) => Number(a) - Number(b)) : all.sort();
}

/** Numbers with more than 20 distinct values, or any fraction, are a regression target; anything else, classes. */
function inferTask(frame: Frame, label: string, settings: PolicySpec): TaskType {
  const col = frame.columns.get(label)!;
  if (col.kind === 'number') {
    const distinct = new Set<number>();
    for (const v of col.values) {
      if (!Number.isInteger(v)) return 'regression';
      distinct.add(v);
      if (distinct.size > 20) return 'regression';
    }
  }
  return labelClasses(frame, label, settings.predictionColumn).length === 2 ? 'binary' : 'multiclass';
}

/** A dataset column nobody reads is usually a renamed feature: refuse it unless the policy says to ignore it. */
function checkExtraColumns(frame: Frame, runtime: ModelRuntime, settings: PolicySpec, label: string, slices: SliceFamily[], sensitive: string[]): void {
  if (runtime.inputs.length === 0) return;
  const used = new Set([...runtime.inputs.map((i) => i.name), label, ...sensitive, ...settings.ignoreColumns, ...slices.flatMap((s) => s.columns)]);
  const extra = [...frame.columns.keys()].filter((c) => !used.has(c));
  const missing = runtime.inputs.filter((i) => !frame.columns.has(i.name)).map((i) => i.name);
  if (missing.length > 0) return; // the runtime's own check names them, with these extras as likely renames
  if (extra.length > 0) {
    throw invalid(
      `The dataset has ${extra.length === 1 ? 'a column' : 'columns'} the model does not read: ${extra.join(', ')}. If ${extra.length === 1 ? 'it is' : 'they are'} not a renamed feature, list ${extra.length === 1 ? 'it' : 'them'} under ignore_columns (CLI: --ignore-columns ${extra.join(',')}), or use ${extra.length === 1 ? 'it' : 'them'} as slices.`,
      { extra },
    );
  }
}
