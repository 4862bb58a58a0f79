/**
 * Probabilistic classification metrics: log loss, Brier score and calibration (reliability bins + ECE), with
 * scikit-learn's current definitions. All inputs are assumed finite (filtering NaN rows is the caller's job). In the
 * multiclass functions a row whose label is outside 0..C-1 (e.g. -1 = missing) is skipped and not counted.
 */

/**
 * Log loss clips probabilities to [eps, 1 − eps] with eps the float64 machine epsilon, as scikit-learn's log_loss
 * does since 1.2 (`eps="auto"`, the only behaviour since 1.5); it keeps a row that does not sum to 1 as it is (since
 * 1.5 scikit-learn warns and no longer renormalises), so a model answering such rows is scored on what it said.
 */
export const LOG_LOSS_EPS = 2.220446049250313e-16;

/** −ln p(true class) of row `row` of an n×C row-major matrix, clipped as {@link LOG_LOSS_EPS} says. */
export function logLossTerm(proba: Float64Array, row: number, trueClass: number, classes: number): number {
  const p = proba[row * classes + trueClass]!;
  return -Math.log(p < LOG_LOSS_EPS ? LOG_LOSS_EPS : p > 1 - LOG_LOSS_EPS ? 1 - LOG_LOSS_EPS : p);
}

/**
 * Mean cross-entropy (scikit-learn ≥ 1.5 log_loss); proba is n×C row-major, clipped and not renormalised (see
 * {@link LOG_LOSS_EPS}). NaN with no rows.
 */
export function logLoss(proba: Float64Array, y: Int32Array, classes: number): number {
  const C = classes;
  const n = y.length;
  if (proba.length !== n * C) throw new RangeError(`logLoss: proba has ${proba.length} entries, expected ${n}×${C}`);
  let sum = 0;
  let used = 0;
  for (let i = 0; i < n; i++) {
    const t = y[i]!;
    if (t >>> 0 >= C) continue;
    sum += logLossTerm(proba, i, t, C);
    used++;
  }
  return used > 0 ? sum / used : NaN;
}

/**
 * Brier score; proba is n×C row-major. Binary (C = 2): mean (p₁ − y)², as sklearn brier_score_loss on the positive
 * column. C > 2: mean over rows of Σ_k (p_k − 1[y = k])² (the original multiclass Brier score; note it is twice the
 * binary value when applied to two classes). No renormalisation. NaN with no rows.
 */
export function brierScore(proba: Float64Array, y: Int32Array, classes: number): number {
  const C = classes;
  const n = y.length;
  if (proba.length !== n * C) throw new RangeError(`brierScore: proba has ${proba.length} entries, expected ${n}×${C}`);
  let sum = 0;
  let used = 0;
  if (C === 2) {
    for (let i = 0; i < n; i++) {
      const t = y[i]!;
      if (t >>> 0 >= 2) continue;
      const d = proba[2 * i + 1]! - t;
      sum += d * d;
      used++;
    }
  } else {
    for (let i = 0; i < n; i++) {
      const t = y[i]!;
      if (t >>> 0 >= C) continue;
      const base = i * C;
      for (let k = 0; k < C; k++) {
        const d = proba[base + k]! - (k === t ? 1 : 0);
        sum += d * d;
      }
      used++;
    }
  }
  return used > 0 ? sum / used : NaN;
}

export interface CalibrationBin {
  lower: number;
  upper: number;
  count: number;
  meanPredicted: number;
  fractionPositive: number;
}

/**
 * Reliability bins and expected calibration error for binary scores in [0, 1]: `bins` equal-width bins (default 10)
 * with sklearn calibration_curve's edges (numpy linspace) and assignment (searchsorted on the inner edges, so a score
 * equal to an inner edge falls in the lower bin; scores below 0 or above 1 land in the first or last bin).
 * ECE = Σ_b (n_b / n) |fractionPositive_b − meanPredicted_b|. Empty bins are reported with count 0 and NaN means.
 * `positive[i]` non-zero marks a positive row. ECE is NaN with no rows.
 */
export function calibration(scores: ArrayLike<number>, positive: ArrayLike<number>, bins = 10): { bins: CalibrationBin[]; ece: number } {
  const n = scores.length;
  if (positive.length !== n) throw new RangeError(`calibration: scores has ${n} rows but positive has ${positive.length}`);
  const B = bins;
  if (!Number.isInteger(B) || B < 1) throw new RangeError('calibration: bins must be a positive integer');
  // numpy.linspace(0, 1, B + 1) computes k * (1 / B) and pins the last edge to exactly 1.
  const step = 1 / B;
  const edges = new Float64Array(B + 1);
  for (let k = 0; k <= B; k++) edges[k] = k * step;
  edges[B] = 1;
  const count = new Float64Array(B);
  const sumP = new Float64Array(B);
  const sumY = new Float64Array(B);
  for (let i = 0; i < n; i++) {
    const p = scores[i]!;
    // Candidate from arithmetic, then fixed up against the exact edges: bin = #inner edges strictly below p.
    let b = Math.ceil(p * B) - 1;
    if (b < 0) b = 0;
    else if (b > B - 1) b = B - 1;
    while (b > 0 && p <= edges[b]!) b--;
    while (b < B - 1 && p > edges[b + 1]!) b++;
    count[b]!++;
    sumP[b]! += p;
    if (positive[i] !== 0) sumY[b]!++;
  }
  const out: CalibrationBin[] = new Array(B);
  let ece = 0;
  for (let b = 0; b < B; b++) {
    const c = count[b]!;
    const meanPredicted = c > 0 ? sumP[b]! / c : NaN;
    const fractionPositive = c > 0 ? sumY[b]! / c : NaN;
    if (c > 0) ece += (c / n) * Math.abs(fractionPositive - meanPredicted);
    out[b] = { lower: edges[b]!, upper: edges[b + 1]!, count: c, meanPredicted, fractionPositive };
  }
  return { bins: out, ece: n > 0 ? ece : NaN };
}
