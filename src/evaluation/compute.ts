/**
 * The numbers of an evaluation, from labels and predictions already in memory: metrics overall and per slice,
 * curves, fairness, and the paired comparison with a champion. No I/O here, so the benchmark measures exactly
 * this and tests can feed it fixed inputs.
 */
import { pairedBootstrap, QUANTILES, type DeltaDistribution, type ModelOutput, type PairedData } from '../stats/bootstrap/paired.js';
import { confusionMatrix, confusionMetrics } from '../stats/metrics/confusion.js';
import { fairnessMetrics } from '../stats/metrics/fairness.js';
import { mcnemar } from '../stats/metrics/hypothesis.js';
import { brierScore, calibration, logLoss } from '../stats/metrics/probabilistic.js';
import { rankingSummary, rocAucOvr } from '../stats/metrics/ranking.js';
import { regressionMetrics } from '../stats/metrics/regression.js';
import type { SliceFamily } from './slices.js';
import { HIGHER_IS_BETTER, type Comparison, type Curves, type EvaluationReport, type MetricDelta, type SliceDelta, type SliceResult, type TaskType } from './report.js';

/** Predictions of one model on the evaluation rows; class indices follow `Labels.classes`. */
export type Outputs = { labelIndex: Int32Array; proba?: Float64Array } | { value: Float64Array };

export interface Labels {
  task: TaskType;
  /** Classification: class labels; binary: classes[1] is the positive class. */
  classes: string[];
  /** Class index per row (classification) or target value (regression). */
  y: Int32Array | Float64Array;
}

export interface ComputeInput extends Labels {
  challenger: Outputs;
  champion?: Outputs;
  slices: SliceFamily[];
  /** Sensitive columns, as families of their values (binary tasks only). */
  sensitive: SliceFamily[];
  confidence: number;
  resamples: number;
  seed: number;
  workers?: number;
  onProgress?(done: number, total: number): void;
  signal?: AbortSignal;
}

/** The parts of a report computed here; the caller adds what it knows of the inputs. */
export type Computed = Pick<EvaluationReport, 'primaryMetric' | 'metrics' | 'perClass' | 'confusion' | 'curves' | 'slices' | 'fairness'> & {
  comparison?: Omit<Comparison, 'champion' | 'alias'>;
};

export const PRIMARY_METRIC: Record<TaskType, string> = { binary: 'roc_auc', multiclass: 'f1_macro', regression: 'rmse' };

/**
 * Every metric of one model over the rows listed in `rows` (all rows when null). For a binary classifier with
 * probabilities, `curves` (when given) receives the ROC, precision-recall and calibration curves from the same sort.
 */
export function metricsOf(labels: Labels, out: Outputs, rows: Int32Array | null = null, curves?: Curves): Record<string, number> {
  const pick = <T extends Int32Array | Float64Array>(a: T, width = 1): T => {
    if (!rows) return a;
    const sub = new (a.constructor as { new (n: number): T })(rows.length * width);
    for (let i = 0; i < rows.length; i++) for (let k = 0; k < width; k++) sub[i * width + k] = a[rows[i]! * width + k]!;
    return sub;
  };
  if (labels.task === 'regression') {
    if (!('value' in out)) throw new Error('regression needs values');
    const m = regressionMetrics(pick(labels.y as Float64Array), pick(out.value));
    return { mae: m.mae, mse: m.mse, rmse: m.rmse, mape: m.mape, r2: m.r2, median_absolute_error: m.medianAbsoluteError };
  }
  if (!('labelIndex' in out)) throw new Error('classification needs labels');
  const C = labels.classes.length;
  const y = pick(labels.y as Int32Array);
  const pred = pick(out.labelIndex);
  const cm = confusionMetrics(confusionMatrix(y, pred, C), C);
  const proba = out.proba ? pick(out.proba, C) : undefined;
  const result: Record<string, number> = { accuracy: cm.accuracy, balanced_accuracy: cm.balancedAccuracy };
  if (labels.task === 'binary') {
    Object.assign(result, { precision: cm.perClass.precision[1]!, recall: cm.perClass.recall[1]!, f1: cm.perClass.f1[1]! });
    if (proba) {
      const score = new Float64Array(y.length);
      for (let i = 0; i < y.length; i++) score[i] = proba[i * 2 + 1]!;
      const ranking = rankingSummary(score, y, curves ? 200 : 2);
      const cal = calibration(score, y);
      Object.assign(result, {
        roc_auc: ranking.auc,
        average_precision: ranking.averagePrecision,
        log_loss: logLoss(proba, y, 2),
        brier_score: brierScore(proba, y, 2),
        expected_calibration_error: cal.ece,
      });
      if (curves) {
        curves.roc = { fpr: ranking.roc.fpr, tpr: ranking.roc.tpr };
        curves.pr = { recall: ranking.pr.recall, precision: ranking.pr.precision };
        curves.calibration = cal.bins;
      }
    }
  } else {
    Object.assign(result, {
      precision_macro: cm.macro.precision,
      recall_macro: cm.macro.recall,
      f1_macro: cm.macro.f1,
      precision_weighted: cm.weighted.precision,
      recall_weighted: cm.weighted.recall,
      f1_weighted: cm.weighted.f1,
    });
    if (proba) Object.assign(result, { roc_auc_ovr: rocAucOvr(proba, y, C), log_loss: logLoss(proba, y, C), brier_score: brierScore(proba, y, C) });
  }
  return result;
}

/** Row indices of each slice of a family. */
function rowsBySlice(family: SliceFamily): Int32Array[] {
  const counts = new Int32Array(family.labels.length);
  for (const c of family.codes) if (c >= 0) counts[c]!++;
  const rows = Array.from(counts, (n) => new Int32Array(n));
  const fill = new Int32Array(family.labels.length);
  family.codes.forEach((c, i) => {
    if (c >= 0) rows[c]![fill[c]!++] = i;
  });
  return rows;
}

const qIndex = (q: number) => QUANTILES.findIndex((l) => Math.abs(l - q) < 1e-9);

/** A bootstrap distribution as the report shows it: the exact values and the two-sided interval at `confidence`. */
function toDelta(d: DeltaDistribution, confidence: number, exact?: { champion: number; challenger: number }): MetricDelta {
  const higherIsBetter = HIGHER_IS_BETTER[d.metric] ?? true;
  const low = d.quantiles[qIndex((1 - confidence) / 2)] ?? Number.NaN;
  const high = d.quantiles[qIndex((1 + confidence) / 2)] ?? Number.NaN;
  const champion = exact?.champion ?? d.champion;
  const challenger = exact?.challenger ?? d.challenger;
  const improves = higherIsBetter ? low > 0 : high < 0;
  const worsens = higherIsBetter ? high < 0 : low > 0;
  return {
    metric: d.metric,
    champion,
    challenger,
    delta: challenger - champion,
    low,
    high,
    higherIsBetter,
    verdict: improves ? 'better' : worsens ? 'worse' : 'unchanged',
    quantiles: d.quantiles,
  };
}

const toModelOutput = (o: Outputs): ModelOutput => ('value' in o ? { value: o.value } : { label: o.labelIndex, ...(o.proba ? { proba: o.proba } : {}) });

/** Computes everything an evaluation reports from predictions in memory. */
export async function computeEvaluation(input: ComputeInput): Promise<Computed> {
  const { task, classes } = input;
  const primaryMetric = PRIMARY_METRIC[task];
  const curves: Curves = {};
  const metrics = metricsOf(input, input.challenger, null, curves);
  const out: Computed = { primaryMetric: primaryMetric in metrics ? primaryMetric : task === 'regression' ? 'rmse' : 'accuracy', metrics, slices: [] };

  const challenger = input.challenger;
  if (task !== 'regression' && 'labelIndex' in challenger) {
    const C = classes.length;
    const y = input.y as Int32Array;
    const counts = confusionMatrix(y, challenger.labelIndex, C);
    const cm = confusionMetrics(counts, C);
    out.confusion = { labels: classes, matrix: classes.map((_, t) => classes.map((_, p) => counts[t * C + p]!)) };
    out.perClass = classes.map((label, k) => ({ label, precision: cm.perClass.precision[k]!, recall: cm.perClass.recall[k]!, f1: cm.perClass.f1[k]!, support: cm.perClass.support[k]! }));
    if (curves.roc) out.curves = curves;
    if (task === 'binary' && input.sensitive.length > 0) {
      out.fairness = input.sensitive.map((f) => ({ column: f.family, ...fairnessMetrics(y, challenger.labelIndex, f.codes, f.labels) }));
    }
  }

  for (const family of input.slices) {
    rowsBySlice(family).forEach((rows, k) => {
      out.slices.push({
        family: family.family,
        label: family.labels[k]!,
        kind: family.kind,
        ...(family.filters ? { filter: family.filters[k]! } : {}),
        support: rows.length,
        metrics: rows.length > 0 ? metricsOf(input, input.challenger, rows) : {},
      });
    });
  }

  if (input.champion) out.comparison = await compare(input, input.champion, metrics, out.slices, out.primaryMetric);
  return out;
}

async function compare(input: ComputeInput, champion: Outputs, challengerMetrics: Record<string, number>, slices: SliceResult[], primary: string): Promise<Omit<Comparison, 'champion' | 'alias'>> {
  const data: PairedData = {
    task: input.task,
    classes: input.task === 'regression' ? 0 : input.classes.length,
    y: input.y,
    a: toModelOutput(champion),
    b: toModelOutput(input.challenger),
    groups: input.slices.map((f) => ({ family: f.family, labels: f.labels, codes: f.codes })),
  };
  const boot = await pairedBootstrap(data, {
    resamples: input.resamples,
    seed: input.seed,
    ...(input.workers !== undefined ? { workers: input.workers } : {}),
    ...(input.onProgress ? { onProgress: input.onProgress } : {}),
    ...(input.signal ? { signal: input.signal } : {}),
  });
  const championMetrics = metricsOf(input, champion);
  const exactOf = (metric: string, a: Record<string, number>, b: Record<string, number>) =>
    metric in a && metric in b ? { champion: a[metric]!, challenger: b[metric]! } : undefined;
  const metrics = boot.overall.map((d) => toDelta(d, input.confidence, exactOf(d.metric, championMetrics, challengerMetrics)));

  const sliceDeltas: SliceDelta[] = boot.groups.map((g) => {
    const slice = slices.find((s) => s.family === g.family && s.label === g.label);
    return { family: g.family, label: g.label, kind: slice?.kind ?? 'category', support: g.support, deltas: g.deltas.map((d) => toDelta(d, input.confidence)) };
  });
  const primaryDelta = (s: SliceDelta) => {
    const d = s.deltas.find((x) => x.metric === primary);
    return d ? (d.higherIsBetter ? d.delta : -d.delta) : 0;
  };
  const worse = (s: SliceDelta) => s.deltas.some((d) => d.verdict === 'worse');
  sliceDeltas.sort((a, b) => Number(worse(b)) - Number(worse(a)) || primaryDelta(a) - primaryDelta(b));

  let mc: Comparison['mcnemar'];
  const challenger = input.challenger;
  if (input.task !== 'regression' && 'labelIndex' in champion && 'labelIndex' in challenger) {
    const y = input.y as Int32Array;
    let b = 0;
    let c = 0;
    for (let i = 0; i < y.length; i++) {
      const a = champion.labelIndex[i] === y[i];
      const d = challenger.labelIndex[i] === y[i];
      if (a && !d) b++;
      else if (d && !a) c++;
    }
    mc = { b, c, ...mcnemar(b, c) };
  }
  return {
    confidence: input.confidence,
    resamples: boot.resamples,
    seed: boot.seed,
    quantileLevels: [...QUANTILES],
    metrics,
    ...(mc ? { mcnemar: mc } : {}),
    slices: sliceDeltas,
  };
}
