/**
 * Regression metrics with scikit-learn's definitions. Inputs are assumed finite (filtering NaN rows is the
 * caller's job). One pass for the sums plus an O(n) selection for the median absolute error.
 */

/** sklearn's MAPE floor for |y|: np.finfo(np.float64).eps. */
export const MAPE_EPS = 2.220446049250313e-16;

export interface RegressionMetrics {
  mae: number;
  mse: number;
  rmse: number;
  mape: number;
  r2: number;
  medianAbsoluteError: number;
}

/**
 * MAE, MSE, RMSE, MAPE (mean |y − ŷ| / max(|y|, eps), a fraction not a percentage), R² and median absolute error.
 * R² follows sklearn's force_finite default: when y is constant it is 1 for a perfect fit and 0 otherwise.
 * Every field is NaN for empty input.
 */
export function regressionMetrics(y: Float64Array, yhat: Float64Array): RegressionMetrics {
  const n = y.length;
  if (yhat.length !== n) throw new RangeError(`regressionMetrics: y has ${n} rows but yhat has ${yhat.length}`);
  if (n === 0) return { mae: NaN, mse: NaN, rmse: NaN, mape: NaN, r2: NaN, medianAbsoluteError: NaN };
  const abs = new Float64Array(n);
  let sumAbs = 0, sumSq = 0, sumPct = 0;
  // Welford's running mean and sum of squared deviations of y (no cancellation, still one pass).
  let mean = 0, m2 = 0;
  for (let i = 0; i < n; i++) {
    const t = y[i]!;
    const e = t - yhat[i]!;
    const a = e < 0 ? -e : e;
    abs[i] = a;
    sumAbs += a;
    sumSq += e * e;
    const at = t < 0 ? -t : t;
    sumPct += a / (at > MAPE_EPS ? at : MAPE_EPS);
    const d = t - mean;
    mean += d / (i + 1);
    m2 += d * (t - mean);
  }
  const mse = sumSq / n;
  let r2: number;
  if (m2 === 0) r2 = sumSq === 0 ? 1 : 0;
  else r2 = 1 - sumSq / m2;
  return {
    mae: sumAbs / n,
    mse,
    rmse: Math.sqrt(mse),
    mape: sumPct / n,
    r2,
    medianAbsoluteError: medianInPlace(abs),
  };
}

/** Median of a non-empty array (numpy's: mean of the two middle values when n is even); reorders `a`. */
export function medianInPlace(a: Float64Array): number {
  const n = a.length;
  if (n === 0) return NaN;
  const k = n >> 1;
  const upper = select(a, k);
  if (n & 1) return upper;
  // After selecting k, a[0..k-1] are all <= a[k]; the lower middle is their maximum.
  let lower = a[0]!;
  for (let i = 1; i < k; i++) if (a[i]! > lower) lower = a[i]!;
  return (lower + upper) / 2;
}

/** Quickselect (Hoare partition, median-of-three pivot): places the k-th smallest at a[k] and returns it. */
function select(a: Float64Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (hi > lo) {
    const mid = (lo + hi) >>> 1;
    // Order a[lo], a[mid], a[hi] so the median of the three is at mid.
    if (a[mid]! < a[lo]!) swap(a, mid, lo);
    if (a[hi]! < a[lo]!) swap(a, hi, lo);
    if (a[hi]! < a[mid]!) swap(a, hi, mid);
    const pivot = a[mid]!;
    let i = lo, j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) { swap(a, i, j); i++; j--; }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k]!;
  }
  return a[k]!;
}

function swap(a: Float64Array, i: number, j: number): void {
  const t = a[i]!;
  a[i] = a[j]!;
  a[j] = t;
}
