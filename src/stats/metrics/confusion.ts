/**
 * Confusion-matrix metrics (accuracy, balanced accuracy, per-class / macro / weighted precision, recall and F1),
 * following scikit-learn's definitions and its default `zero_division` behaviour (an undefined ratio counts as 0).
 *
 * Inputs are class codes 0..C-1; a code outside that range (e.g. -1 for a missing label or prediction) is skipped.
 * Weights are assumed finite and non-negative: validating them is the caller's job.
 */

/** Weighted or plain confusion counts, C×C row-major: counts[t * C + p], t = true class, p = predicted class. */
export function confusionMatrix(y: Int32Array, pred: Int32Array, classes: number, weights?: ArrayLike<number>): Float64Array {
  const n = y.length;
  if (pred.length !== n) throw new RangeError(`confusionMatrix: y has ${n} rows but pred has ${pred.length}`);
  if (weights !== undefined && weights.length !== n) throw new RangeError(`confusionMatrix: weights has ${weights.length} rows, expected ${n}`);
  if (!Number.isInteger(classes) || classes < 1) throw new RangeError('confusionMatrix: classes must be a positive integer');
  const C = classes;
  const counts = new Float64Array(C * C);
  if (weights === undefined) {
    for (let i = 0; i < n; i++) {
      const t = y[i]!;
      const p = pred[i]!;
      // Unsigned comparison rejects negatives and codes >= C in one test each.
      if (t >>> 0 < C && p >>> 0 < C) counts[t * C + p]!++;
    }
  } else {
    for (let i = 0; i < n; i++) {
      const t = y[i]!;
      const p = pred[i]!;
      if (t >>> 0 < C && p >>> 0 < C) counts[t * C + p]! += weights[i]!;
    }
  }
  return counts;
}

export interface ConfusionMetrics {
  accuracy: number;
  balancedAccuracy: number;
  perClass: { precision: number[]; recall: number[]; f1: number[]; support: number[] };
  macro: { precision: number; recall: number; f1: number };
  weighted: { precision: number; recall: number; f1: number };
}

/**
 * Every confusion-derived metric from (possibly weighted) counts, as sklearn computes them with its defaults.
 *
 * - perClass: all C classes; precision = tp / predicted, recall = tp / support, F1 = 2tp / (support + predicted),
 *   each 0 when its denominator is 0 (sklearn's zero_division default).
 * - macro: unweighted mean over the classes present in y_true ∪ y_pred (support > 0 or predicted > 0), which is the
 *   label set sklearn uses when `labels` is not given; a class that never occurs and is never predicted is ignored.
 * - weighted: mean weighted by support (classes absent from y_true carry weight 0).
 * - balancedAccuracy: mean recall over the classes with support > 0 (sklearn drops classes absent from y_true with a
 *   warning, so it can differ from macro recall when a class is predicted but never true).
 * - With no counts at all every scalar is NaN.
 */
export function confusionMetrics(counts: ArrayLike<number>, classes: number): ConfusionMetrics {
  const C = classes;
  if (!Number.isInteger(C) || C < 1) throw new RangeError('confusionMetrics: classes must be a positive integer');
  if (counts.length !== C * C) throw new RangeError(`confusionMetrics: expected ${C * C} counts, got ${counts.length}`);
  const support = new Array<number>(C).fill(0);
  const predicted = new Array<number>(C).fill(0);
  let total = 0;
  let correct = 0;
  for (let t = 0; t < C; t++) {
    for (let p = 0; p < C; p++) {
      const v = counts[t * C + p]!;
      support[t]! += v;
      predicted[p]! += v;
      total += v;
    }
    correct += counts[t * C + t]!;
  }
  const precision = new Array<number>(C);
  const recall = new Array<number>(C);
  const f1 = new Array<number>(C);
  let present = 0;
  let withSupport = 0;
  let sumP = 0, sumR = 0, sumF = 0, sumRecallSupported = 0;
  let wP = 0, wR = 0, wF = 0;
  for (let k = 0; k < C; k++) {
    const tp = counts[k * C + k]!;
    const s = support[k]!;
    const q = predicted[k]!;
    const pk = q > 0 ? tp / q : 0;
    const rk = s > 0 ? tp / s : 0;
    const fk = s + q > 0 ? (2 * tp) / (s + q) : 0;
    precision[k] = pk;
    recall[k] = rk;
    f1[k] = fk;
    if (s > 0 || q > 0) {
      present++;
      sumP += pk;
      sumR += rk;
      sumF += fk;
    }
    if (s > 0) {
      withSupport++;
      sumRecallSupported += rk;
      wP += s * pk;
      wR += s * rk;
      wF += s * fk;
    }
  }
  const empty = total === 0;
  return {
    accuracy: empty ? NaN : correct / total,
    balancedAccuracy: withSupport > 0 ? sumRecallSupported / withSupport : NaN,
    perClass: { precision, recall, f1, support },
    macro: present > 0 ? { precision: sumP / present, recall: sumR / present, f1: sumF / present } : { precision: NaN, recall: NaN, f1: NaN },
    weighted: empty ? { precision: NaN, recall: NaN, f1: NaN } : { precision: wP / total, recall: wR / total, f1: wF / total },
  };
}
