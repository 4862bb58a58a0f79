/**
 * Group fairness metrics for a binary task, with fairlearn's definitions (demographic_parity_difference /
 * _ratio, equalized_odds_difference, and the TPR gap for equal opportunity). One pass over the rows.
 */

export interface GroupRates {
  value: string;
  support: number;
  selectionRate: number;
  truePositiveRate: number;
  falsePositiveRate: number;
}

export interface FairnessMetrics {
  groups: GroupRates[];
  /** max − min selection rate (fairlearn demographic_parity_difference). */
  demographicParityDifference: number;
  /** max − min true positive rate. */
  equalOpportunityDifference: number;
  /** max(TPR gap, FPR gap) (fairlearn equalized_odds_difference). */
  equalizedOddsDifference: number;
  /** min / max selection rate (fairlearn demographic_parity_ratio). */
  disparateImpactRatio: number;
}

/**
 * Per-group selection rate, TPR and FPR, and the between-group gaps. y and pred are 0/1 (non-zero counts as 1);
 * group[i] is a code into `groups`, −1 (or any code out of range) = missing, and the row is skipped.
 * A rate whose denominator is empty (a group with no rows, no true positives for TPR, or no true negatives for FPR)
 * is NaN and left out of the corresponding max − min; a gap with no defined rate is NaN. The ratio is NaN when
 * every selection rate is 0 (0/0).
 */
export function fairnessMetrics(y: Int32Array, pred: Int32Array, group: Int32Array, groups: string[]): FairnessMetrics {
  const n = y.length;
  if (pred.length !== n || group.length !== n) {
    throw new RangeError(`fairnessMetrics: y, pred and group must have the same length (${n}, ${pred.length}, ${group.length})`);
  }
  const G = groups.length;
  // Per group: rows, predicted positives, actual positives, true positives, false positives.
  const rows = new Float64Array(G);
  const sel = new Float64Array(G);
  const actPos = new Float64Array(G);
  const tp = new Float64Array(G);
  const fp = new Float64Array(G);
  for (let i = 0; i < n; i++) {
    const g = group[i]!;
    if (g >>> 0 >= G) continue;
    const yi = y[i] !== 0;
    const pi = pred[i] !== 0;
    rows[g]!++;
    if (pi) sel[g]!++;
    if (yi) {
      actPos[g]!++;
      if (pi) tp[g]!++;
    } else if (pi) {
      fp[g]!++;
    }
  }
  const out: GroupRates[] = new Array(G);
  let selMin = Infinity, selMax = -Infinity;
  let tprMin = Infinity, tprMax = -Infinity;
  let fprMin = Infinity, fprMax = -Infinity;
  for (let g = 0; g < G; g++) {
    const r = rows[g]!;
    const pos = actPos[g]!;
    const neg = r - pos;
    const selectionRate = r > 0 ? sel[g]! / r : NaN;
    const truePositiveRate = pos > 0 ? tp[g]! / pos : NaN;
    const falsePositiveRate = neg > 0 ? fp[g]! / neg : NaN;
    out[g] = { value: groups[g]!, support: r, selectionRate, truePositiveRate, falsePositiveRate };
    if (r > 0) {
      if (selectionRate < selMin) selMin = selectionRate;
      if (selectionRate > selMax) selMax = selectionRate;
    }
    if (pos > 0) {
      if (truePositiveRate < tprMin) tprMin = truePositiveRate;
      if (truePositiveRate > tprMax) tprMax = truePositiveRate;
    }
    if (neg > 0) {
      if (falsePositiveRate < fprMin) fprMin = falsePositiveRate;
      if (falsePositiveRate > fprMax) fprMax = falsePositiveRate;
    }
  }
  const gap = (lo: number, hi: number) => (hi >= lo ? hi - lo : NaN);
  const tprGap = gap(tprMin, tprMax);
  const fprGap = gap(fprMin, fprMax);
  let eod: number;
  if (Number.isNaN(tprGap)) eod = fprGap;
  else if (Number.isNaN(fprGap)) eod = tprGap;
  else eod = Math.max(tprGap, fprGap);
  return {
    groups: out,
    demographicParityDifference: gap(selMin, selMax),
    equalOpportunityDifference: tprGap,
    equalizedOddsDifference: eod,
    disparateImpactRatio: selMax > 0 ? selMin / selMax : NaN,
  };
}
