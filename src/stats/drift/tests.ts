/**
 * Statistical drift tests: two-sample Kolmogorov–Smirnov (scipy.stats.ks_2samp, method='auto', two-sided),
 * the chi-square test of homogeneity on category counts, and the two-proportion z-test.
 */

import { normalCdf } from '../metrics/hypothesis.js';
import { chiSquareSf, kstwoSf } from './special.js';

export interface TestResult {
  statistic: number;
  pValue: number;
}

export interface KsResult extends TestResult {
  method: 'exact' | 'asymptotic';
}

/** scipy's MAX_AUTO_N: ks_2samp(method='auto') computes the exact p-value when max(n, m) ≤ 10 000. */
export const KS_MAX_EXACT_N = 10_000;

/** en·d² (en = nm/(n+m)) from which the p-value is below 1e-307 and the exact computation is skipped. */
const KS_EXACT_SKIP = 350;

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/**
 * Two-sample KS statistic D = sup |F_ref − F_cur| on SORTED inputs, by one merge walk (O(n + m), no allocation).
 * Both ECDFs are right-continuous and evaluated after every distinct value, so ties within and across samples
 * are handled exactly like scipy's `searchsorted(side='right')`. Returned as the integer max |i·m − j·n|, so that
 * D = that / (n·m) exactly.
 */
function ksScaledStatistic(ref: Float64Array, cur: Float64Array): number {
  const n = ref.length;
  const m = cur.length;
  let i = 0;
  let j = 0;
  let best = 0;
  while (i < n && j < m) {
    const a = ref[i]!;
    const b = cur[j]!;
    const v = a <= b ? a : b;
    while (i < n && ref[i]! <= v) i++;
    while (j < m && cur[j]! <= v) j++;
    const diff = i * m - j * n;
    const ad = diff < 0 ? -diff : diff;
    if (ad > best) best = ad;
  }
  // Once one sample is exhausted the gap only shrinks, and its value right then was taken inside the loop.
  return best;
}

/**
 * Two-sided two-sample Kolmogorov–Smirnov test, matching `scipy.stats.ks_2samp(ref, cur)` (method='auto').
 *
 * `ref` and `cur` must be SORTED ascending and contain no NaN (the caller sorts once, e.g. with
 * `sortedNumbers` from `src/stats/sort.ts`; nothing is sorted or checked here). The statistic is one O(n + m)
 * merge walk. p-value: see {@link ksPValue}. Empty input: statistic 0, p-value 1 (scipy raises instead).
 */
export function ksTwoSample(ref: Float64Array, cur: Float64Array): KsResult {
  const n = ref.length;
  const m = cur.length;
  if (n === 0 || m === 0) return { statistic: 0, pValue: 1, method: 'exact' };
  const scaled = ksScaledStatistic(ref, cur);
  const statistic = scaled / (n * m);
  const { pValue, method } = ksPValueWithMethod(statistic, n, m);
  return { statistic, pValue, method };
}

/**
 * p-value of a two-sided two-sample KS statistic `d` for sample sizes n and m (e.g. when D was computed from
 * sketches). Same rule as scipy's ks_2samp(method='auto'): exact when max(n, m) ≤ 10 000 (d is snapped to the
 * lattice h / lcm(n, m) first, as scipy does), otherwise `kstwo.sf(d, round(n·m/(n + m)))`. One deviation: when
 * n·m/(n+m)·d² ≥ 350 the p-value is < 1e-307 either way and the (slow) exact count is skipped for kstwo.
 * n and m are floored to integers; NaN for n or m < 1 or NaN d.
 */
export function ksPValue(d: number, n: number, m: number): number {
  return ksPValueWithMethod(d, n, m).pValue;
}

function ksPValueWithMethod(d: number, n: number, m: number): { pValue: number; method: 'exact' | 'asymptotic' } {
  if (!(n >= 1) || !(m >= 1) || Number.isNaN(d)) return { pValue: NaN, method: 'exact' };
  n = Math.floor(n);
  m = Math.floor(m);
  const en = (n * m) / (n + m);
  // Shortcut (a deliberate deviation from scipy, for speed): when en·d² ≥ 350 the exact p-value is below 1e-307
  // (scipy gives e.g. 2.9e-308 at n = 10 000, m = 9 999, en·d² = 350, and 0 beyond), yet the lattice count costs up
  // to ~0.7 s at n ≈ m ≈ 10 000. There the asymptotic value is returned (itself < 1e-307; exactly 0 from 370 on).
  if (Math.max(n, m) <= KS_MAX_EXACT_N && en * d * d < KS_EXACT_SKIP) {
    const p = ksExactPValue(d, n, m);
    if (p >= 0 && p <= 1) return { pValue: p, method: 'exact' };
    // scipy falls back to the asymptotic distribution when the exact computation fails.
  }
  return { pValue: kstwoSf(d, Math.max(1, roundHalfEven(en))), method: 'asymptotic' };
}

/** numpy's np.round: halves go to the even neighbour (en = n/2 for n = m odd is exactly k + ½). */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** scipy `_attempt_exact_2kssamp` (two-sided): NaN when the computation fails. */
function ksExactPValue(d: number, n: number, m: number): number {
  const g = gcd(n, m);
  const lcm = (n / g) * m;
  const h = Math.round(d * lcm);
  if (h <= 0) return 1;
  if (h > lcm) return 0; // d > 1 cannot happen for a real statistic
  const p = n === m ? probOutsideSquare(n, h) : outerProbInsideMethod(n, m, g, h);
  return Number.isFinite(p) ? Math.min(1, Math.max(0, p)) : NaN;
}

/**
 * P(D_{n,n} ≥ h/n) = 2 Σ_{k≥1} (−1)^{k−1} C(2n, n − kh) / C(2n, n), in scipy's Horner-like form
 * (`_compute_prob_outside_square`) to avoid cancellation. O(n).
 */
function probOutsideSquare(n: number, h: number): number {
  let P = 0;
  for (let k = Math.floor(n / h); k >= 0; k--) {
    let p1 = 1;
    for (let j = 0; j < h; j++) p1 = ((n - k * h - j) * p1) / (n + k * h + j + 1);
    P = p1 * (1 - P);
  }
  return 2 * P;
}

/**
 * Proportion of monotone lattice paths (0,0)→(m,n) that leave the band |x/m − y/n| < h/lcm(m, n), i.e. the exact
 * P(D ≥ h/lcm). scipy `_compute_outer_prob_inside_method`: Hodges' inside method, with Viehmann's (2021)
 * recursion on 1 − p so no binomial coefficient is ever formed (no overflow), keeping one sliding column.
 * O(max(n,m) · band width).
 */
function outerProbInsideMethod(m0: number, n0: number, g: number, h: number): number {
  const m = Math.max(m0, n0);
  const n = Math.min(m0, n0);
  const mg = m / g;
  const ng = n / g;
  // q(i, j): share of paths to (i, j) that have left the band; 1 outside the band.
  // Column i holds j in [minj, maxj); A[jj] = q(i, minj + jj).
  let minj = 0;
  let maxj = Math.min(Math.ceil(h / mg), n + 1);
  let curlen = maxj - minj;
  const lenA = Math.min(2 * maxj + 2, n + 1);
  const A = new Float64Array(Math.max(lenA, 1)).fill(1);
  for (let jj = 0; jj < maxj; jj++) A[jj] = 0;
  for (let i = 1; i <= m; i++) {
    const lastminj = minj;
    const lastlen = curlen;
    minj = Math.min(Math.max(Math.floor((ng * i - h) / mg) + 1, 0), n);
    maxj = Math.min(Math.ceil((ng * i + h) / mg), n + 1);
    if (maxj <= minj) return 1;
    let val = minj === 0 ? 0 : 1;
    const len = maxj - minj;
    const shift = minj - lastminj;
    for (let jj = 0; jj < len; jj++) {
      const j = jj + minj;
      const prev = jj + shift < lastlen ? A[jj + shift]! : 1;
      val = (prev * i + val * j) / (i + j);
      A[jj] = val;
    }
    curlen = len;
  }
  return A[curlen - 1]!;
}

/**
 * Critical value of the two-sample KS statistic at level α from the asymptotic distribution:
 * c(α)·√((n + m)/(n·m)) with c(α) = √(−ln(α/2)/2) (e.g. c(0.05) = 1.3581).
 */
export function ksCritical(alpha: number, n: number, m: number): number {
  return Math.sqrt(-Math.log(alpha / 2) / 2) * Math.sqrt((n + m) / (n * m));
}

/**
 * Two-sample chi-square test of homogeneity on category counts aligned by index (scipy.stats.chi2_contingency on the
 * 2×k table [ref, cur], correction=False): expected count of a cell = row total · column total / grand total,
 * statistic = Σ (observed − expected)² / expected over both rows, df = (categories used) − 1.
 *
 * Why not Evidently's form (scipy.stats.chisquare(cur, expected = reference proportions · Σcur)): that treats the
 * reference's proportions as exact, so on two samples of one distribution its statistic is inflated by about
 * (1 + Σcur/Σref) and it flags far more than its level (26% at p < 0.05 with 700 vs 500 rows). This one holds the
 * level, and a category seen in only one window needs no smoothing (its expected count is positive).
 * Categories with a zero count on both sides are dropped; negative or NaN counts count as 0; an empty side or a
 * single category gives statistic 0, p-value 1, df 0. For two categories it is the square of the pooled Z-test.
 */
export function chiSquareTest(
  refCounts: ArrayLike<number>,
  curCounts: ArrayLike<number>,
): TestResult & { df: number } {
  const k = Math.max(refCounts.length, curCounts.length);
  const at = (a: ArrayLike<number>, i: number): number => {
    const v = i < a.length ? a[i]! : 0;
    return v > 0 ? v : 0;
  };
  let refTotal = 0;
  let curTotal = 0;
  let used = 0;
  for (let i = 0; i < k; i++) {
    const r = at(refCounts, i);
    const c = at(curCounts, i);
    refTotal += r;
    curTotal += c;
    if (r > 0 || c > 0) used++;
  }
  if (refTotal === 0 || curTotal === 0 || used < 2) return { statistic: 0, pValue: 1, df: 0 };
  const total = refTotal + curTotal;
  let statistic = 0;
  for (let i = 0; i < k; i++) {
    const r = at(refCounts, i);
    const c = at(curCounts, i);
    const column = r + c;
    if (column === 0) continue;
    const expectedRef = (column * refTotal) / total;
    const expectedCur = (column * curTotal) / total;
    statistic += (r - expectedRef) ** 2 / expectedRef + (c - expectedCur) ** 2 / expectedCur;
  }
  const df = used - 1;
  return { statistic, pValue: chiSquareSf(statistic, df), df };
}

/**
 * Two-sided two-proportion z-test with pooled variance (Evidently's `z` stattest; statsmodels
 * `proportions_ztest([refCount, curCount], [refN, curN])`): z = (p_ref − p_cur) / √(P(1 − P)(1/refN + 1/curN)),
 * P = (refCount + curCount)/(refN + curN), p-value = 2·Φ(−|z|). When the pooled variance is 0 (both proportions 0
 * or both 1) or a sample is empty: statistic 0, p-value 1.
 */
export function zTestProportions(refCount: number, refN: number, curCount: number, curN: number): TestResult {
  if (!(refN > 0) || !(curN > 0)) return { statistic: 0, pValue: 1 };
  const p1 = refCount / refN;
  const p2 = curCount / curN;
  const pooled = (refCount + curCount) / (refN + curN);
  const variance = pooled * (1 - pooled) * (1 / refN + 1 / curN);
  if (!(variance > 0)) return { statistic: 0, pValue: 1 };
  const statistic = (p1 - p2) / Math.sqrt(variance);
  return { statistic, pValue: Math.min(1, 2 * normalCdf(-Math.abs(statistic))) };
}
