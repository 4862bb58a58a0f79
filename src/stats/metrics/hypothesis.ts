/**
 * Significance tests for comparing models: McNemar's test on paired predictions, plus the distribution functions
 * it needs (standard normal CDF and the chi-square survival function for 1 degree of freedom), built on an erfc
 * accurate to about 1e-14 relative (power series below 2.5, continued fraction above).
 */

const SQRT_PI = Math.sqrt(Math.PI);

/**
 * Complementary error function. |x| < 2.5: erf from the all-positive series
 * erf(x) = 2/√π · e^(−x²) · Σ 2ⁿ x^(2n+1) / (1·3·…·(2n+1)); otherwise the Laplace continued fraction
 * erfc(x) = e^(−x²)/√π · 1/(x + ½/(x + 1/(x + (3/2)/(x + …)))), evaluated bottom-up.
 */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < 0) return 2 - erfc(-x);
  if (x < 2.5) {
    const x2 = x * x;
    let term = x;
    let sum = x;
    for (let n = 1; n < 200; n++) {
      term *= (2 * x2) / (2 * n + 1);
      sum += term;
      if (term < sum * 1e-17) break;
    }
    return 1 - (2 / SQRT_PI) * Math.exp(-x2) * sum;
  }
  if (x > 27) return 0; // e^(−729) underflows a double
  // 80 levels are ample at x ≥ 2.5 (the fraction converges faster as x grows).
  let t = x;
  for (let k = 80; k >= 1; k--) t = x + k / 2 / t;
  return Math.exp(-x * x) / SQRT_PI / t;
}

/** Standard normal CDF Φ(z) = erfc(−z/√2) / 2. */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2);
}

/** Chi-square survival function for 1 degree of freedom: P(χ²₁ > x) = P(|Z| > √x) = erfc(√(x/2)). */
export function chiSquare1Sf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x <= 0) return 1;
  return erfc(Math.sqrt(x / 2));
}

/**
 * McNemar's test on the discordant pairs: b = rows only model A got right, c = rows only model B got right
 * (non-negative integer counts). Exact two-sided binomial p-value, min(1, 2·P(X ≤ min(b, c))) with X ~ Bin(b + c, ½),
 * when b + c < 25 (statistic = min(b, c), as statsmodels reports it); otherwise the chi-square statistic with
 * continuity correction (|b − c| − 1)² / (b + c), floored at 0 when b = c, and its 1-df p-value.
 */
export function mcnemar(b: number, c: number): { statistic: number; pValue: number; exact: boolean } {
  if (!(b >= 0) || !(c >= 0)) throw new RangeError('mcnemar: b and c must be non-negative counts');
  const n = b + c;
  if (n < 25) {
    const k = Math.min(b, c);
    // P(X ≤ k) for X ~ Bin(n, 1/2): Σ C(n, i) / 2ⁿ, C(n, i) built incrementally (exact in doubles for n < 25).
    let coef = 1;
    let cum = 0;
    for (let i = 0; i <= k; i++) {
      cum += coef;
      coef = (coef * (n - i)) / (i + 1);
    }
    const p = Math.min(1, (2 * cum) / 2 ** n);
    return { statistic: k, pValue: p, exact: true };
  }
  const d = Math.max(0, Math.abs(b - c) - 1);
  const statistic = (d * d) / n;
  return { statistic, pValue: chiSquare1Sf(statistic), exact: false };
}
