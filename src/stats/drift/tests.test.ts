import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { chiSquareTest, ksCritical, ksPValue, ksTwoSample, zTestProportions } from './tests.js';

const f64 = (xs: number[]): Float64Array => Float64Array.from(xs);
const grid = (n: number, shift = 0): Float64Array => {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = i / n + shift; // same doubles as numpy's np.arange(n)/n + shift
  return out;
};
const binom = (n: number, k: number): number => {
  let c = 1;
  for (let i = 0; i < k; i++) c = (c * (n - i)) / (i + 1);
  return c;
};

describe('ksTwoSample / ksPValue (scipy.stats.ks_2samp, two-sided, method="auto")', () => {
  it('small hand-checkable cases, exact p-values', () => {
    // ref = 0..9, cur = 4..13: D = 0.4 (h = 4, n = m = 10). By the reflection formula
    // P(D ≥ h/n) = 2·[C(20, 10−4) − C(20, 10−8)] / C(20, 10) = 0.41752365281777043 (scipy gives the same).
    const r = ksTwoSample(grid(10).map((_, i) => i), grid(10).map((_, i) => i + 4));
    expect(r.statistic).toBeCloseTo(0.4, 15);
    expect(r.pValue).toBeCloseTo((2 * (binom(20, 6) - binom(20, 2))) / binom(20, 10), 14);
    expect(r.pValue).toBeCloseTo(0.41752365281777043, 14);
    expect(r.method).toBe('exact');
    // Disjoint samples [1,2,3] vs [4,5,6]: D = 1, reached by 2 of the C(6,3) = 20 orderings: p = 0.1.
    const d = ksTwoSample(f64([1, 2, 3]), f64([4, 5, 6]));
    expect(d.statistic).toBe(1);
    expect(d.pValue).toBeCloseTo(0.1, 14);
    // n ≠ m: [1,2,3] vs 1..10: D = 1 − 3/10 = 0.7 at x = 3; scipy p = 0.13986013986013984 = 40/C(13,3) = 20/143.
    const u = ksTwoSample(f64([1, 2, 3]), f64([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]));
    expect(u.statistic).toBeCloseTo(0.7, 15);
    expect(u.pValue).toBeCloseTo(20 / 143, 14);
  });

  it('handles ties within and across samples like searchsorted(side="right")', () => {
    // F_ref − F_cur after each distinct value: x=1: 1/4 − 0; x=2: 3/4 − 1/5 = 0.55; x=3: 1 − 3/5; ... ⇒ D = 0.55.
    // scipy.stats.ks_2samp([1,2,2,3], [2,3,3,4,5]) = (0.55, 0.4285714285714286 = 3/7).
    const r = ksTwoSample(f64([1, 2, 2, 3]), f64([2, 3, 3, 4, 5]));
    expect(r.statistic).toBeCloseTo(0.55, 15);
    expect(r.pValue).toBeCloseTo(3 / 7, 14);
    // Identical samples (all ties): D = 0, p = 1.
    const same = ksTwoSample(f64([1, 1, 2, 2, 2, 5]), f64([1, 1, 2, 2, 2, 5]));
    expect(same.statistic).toBe(0);
    expect(same.pValue).toBe(1);
    // Same support, different weights: [0,0,0,1] vs [0,1,1,1]: D = 3/4 − 1/4 = 0.5.
    expect(ksTwoSample(f64([0, 0, 0, 1]), f64([0, 1, 1, 1])).statistic).toBeCloseTo(0.5, 15);
  });

  it('ksPValue reproduces the scipy ks_2samp documentation examples', () => {
    // scipy.stats.ks_2samp docstring (scipy 1.17): sizes 100/110 → statistic 0.5454545454545454, pvalue 7.37417839555191e-15;
    // sizes 105/95 → statistic 0.10927318295739348, pvalue 0.5438289009927495.
    expect(Math.abs(ksPValue(0.5454545454545454, 100, 110) / 7.37417839555191e-15 - 1)).toBeLessThan(1e-9);
    expect(ksPValue(0.10927318295739348, 105, 95)).toBeCloseTo(0.5438289009927495, 13);
  });

  it('exact branch up to max(n, m) = 10000 and asymptotic (kstwo) above, as scipy (values from scipy 1.17.1)', () => {
    // np.arange(n)/n (+ shift) inputs; statistic and p-value from scipy.stats.ks_2samp.
    const e1 = ksTwoSample(grid(9999), grid(10000, 0.02));
    expect(e1.method).toBe('exact');
    expect(e1.statistic).toBeCloseTo(0.0201, 14);
    expect(e1.pValue).toBeCloseTo(0.03448148625232041, 13);
    const e2 = ksTwoSample(grid(10000), grid(10000, 0.02)); // n == m: reflection-formula branch
    expect(e2.method).toBe('exact');
    expect(e2.pValue).toBeCloseTo(0.03518876957795689, 13);
    const a1 = ksTwoSample(grid(12000), grid(15000, 0.01));
    expect(a1.method).toBe('asymptotic');
    expect(a1.statistic).toBeCloseTo(0.010083333333333333, 14);
    expect(a1.pValue).toBeCloseTo(0.5034958213542058, 12);
    const a2 = ksTwoSample(grid(20000), grid(20000, 0.015));
    expect(a2.statistic).toBeCloseTo(0.01505, 14);
    expect(a2.pValue).toBeCloseTo(0.021342302982115643, 12);
    const a3 = ksTwoSample(grid(1_000_000), grid(1_000_000, 0.002));
    expect(a3.statistic).toBeCloseTo(0.002001, 12);
    expect(a3.pValue).toBeCloseTo(0.03643608495986128, 12);
  });

  it('rounds en = nm/(n+m) half to even like np.round (n = m = 10001: en = 5000.5 → kstwo n = 5000)', () => {
    // scipy 1.17.1: ks_2samp(np.arange(10001)/10001, np.arange(10001)/10001 + 0.02) =
    // (0.020097990200979965, 0.034744524736609494); with n = 5001 kstwo would give 0.034716465333234914 instead.
    const r = ksTwoSample(grid(10001), grid(10001, 0.02));
    expect(r.method).toBe('asymptotic');
    expect(r.statistic).toBeCloseTo(0.020097990200979965, 14);
    expect(r.pValue).toBeCloseTo(0.034744524736609494, 13);
  });

  it('skips the exact count when en·d² ≥ 350, where every p-value is below 1e-307', () => {
    // scipy 1.17.1 exact values: _attempt_exact_2kssamp(10000, 9999, d=0.5) → 0.0; at en·d² = 350 (d = 0.2646) → 2.9e-308.
    expect(ksPValue(0.5, 10000, 9999)).toBe(0);
    expect(ksPValue(Math.sqrt(350 / ((10000 * 9999) / 19999)), 10000, 9999)).toBeLessThan(1e-307);
    // Just below the threshold the exact branch still runs: scipy 1.17.1 gives 5.692894561555429e-44 for d = 0.1.
    expect(Math.abs(ksPValue(0.1, 10000, 9999) / 5.692894561555429e-44 - 1)).toBeLessThan(1e-9);
    // Disjoint samples of 5000: D = 1, exact p = 2/C(10000, 5000), which underflows to 0 in scipy too.
    const r = ksTwoSample(grid(5000), grid(5000, 2));
    expect(r).toEqual({ statistic: 1, pValue: 0, method: 'asymptotic' });
  });

  it('empty input gives statistic 0, p 1; statistic stays in [0, 1] (property)', () => {
    expect(ksTwoSample(f64([]), f64([1, 2]))).toEqual({ statistic: 0, pValue: 1, method: 'exact' });
    const sample = fc.array(fc.integer({ min: -5, max: 5 }), { minLength: 1, maxLength: 40 });
    fc.assert(
      fc.property(sample, sample, (a, b) => {
        const x = f64(a).sort();
        const y = f64(b).sort();
        const r = ksTwoSample(x, y);
        const s = ksTwoSample(y, x);
        // Brute force D over every data point.
        let d = 0;
        for (const v of [...a, ...b]) {
          const fx = a.filter((t) => t <= v).length / a.length;
          const fy = b.filter((t) => t <= v).length / b.length;
          d = Math.max(d, Math.abs(fx - fy));
        }
        return (
          r.statistic >= 0 && r.statistic <= 1 && Math.abs(r.statistic - d) < 1e-12 && r.statistic === s.statistic &&
          r.pValue >= 0 && r.pValue <= 1 && Math.abs(r.pValue - s.pValue) < 1e-12
        );
      }),
    );
  });

  it('ksCritical: c(α)·√((n+m)/(nm)) with the tabulated c(0.05) = 1.358, c(0.01) = 1.628, c(0.1) = 1.224', () => {
    // Smirnov's table (e.g. Wikipedia "Kolmogorov–Smirnov test", two-sample section).
    expect(ksCritical(0.05, 1, 1) / Math.SQRT2).toBeCloseTo(1.358, 3);
    expect(ksCritical(0.01, 1, 1) / Math.SQRT2).toBeCloseTo(1.628, 3);
    expect(ksCritical(0.1, 1, 1) / Math.SQRT2).toBeCloseTo(1.224, 3);
    // c(0.05) = √(−ln(0.025)/2) = 1.3581015157406195
    expect(ksCritical(0.05, 100, 100)).toBeCloseTo(1.3581015157406195 * Math.sqrt(0.02), 14);
  });
});

describe('chiSquareTest (two-sample chi-square test of homogeneity)', () => {
  // Every reference value below: scipy 1.10.1 (Debian python3-scipy),
  // scipy.stats.chi2_contingency(np.array([ref, cur]), correction=False) → (statistic, pvalue, dof).
  const SCIPY: [number[], number[], number, number, number][] = [
    [[40, 20, 40], [30, 20, 50], 2.5396825396825395, 0.28087620176428163, 2],
    [[762, 327, 468], [484, 239, 477], 30.070149095754672, 2.9535891832117595e-7, 2],
    [[16, 16, 16, 16, 16, 8], [16, 18, 16, 14, 12, 12], 1.6224089635854342, 0.8985262394026607, 5],
    [[10, 10], [5, 15], 2.666666666666667, 0.10247043485974885, 1],
    // A category only in the current window has a finite expected count in a 2×k table: no smoothing needed.
    [[10, 0], [5, 5], 6.666666666666667, 0.009823274507519235, 1],
    [[120, 80, 0], [60, 40, 25], 43.333333333333336, 3.8930163297890694e-10, 2],
  ];

  it('matches scipy chi2_contingency(correction=False)', () => {
    for (const [ref, cur, statistic, pValue, df] of SCIPY) {
      const r = chiSquareTest(ref, cur);
      expect(r.statistic, `${ref} vs ${cur}`).toBeCloseTo(statistic, 11);
      expect(r.pValue / pValue, `${ref} vs ${cur}`).toBeCloseTo(1, 10);
      expect(r.df).toBe(df);
    }
  });

  it('is symmetric in the two windows, treats both as samples (scaling one changes the answer), and equals Z² for two categories', () => {
    const a = chiSquareTest([762, 327, 468], [484, 239, 477]);
    const b = chiSquareTest([484, 239, 477], [762, 327, 468]);
    expect(b.statistic).toBeCloseTo(a.statistic, 12);
    expect(chiSquareTest([400, 200, 400], [30, 20, 50]).statistic).not.toBeCloseTo(chiSquareTest([40, 20, 40], [30, 20, 50]).statistic, 3);
    const z = zTestProportions(10, 20, 5, 20);
    expect(chiSquareTest([10, 10], [5, 15]).statistic).toBeCloseTo(z.statistic ** 2, 12);
    expect(chiSquareTest([10, 10], [5, 15]).pValue).toBeCloseTo(z.pValue, 12);
  });

  it('drops categories empty on both sides; degenerate inputs give statistic 0, p-value 1', () => {
    expect(chiSquareTest([10, 0, 10], [5, 0, 15]).statistic).toBeCloseTo(2.666666666666667, 12);
    expect(chiSquareTest([10, 0, 10], [5, 0, 15]).df).toBe(1);
    expect(chiSquareTest([], [])).toEqual({ statistic: 0, pValue: 1, df: 0 });
    expect(chiSquareTest([0, 0], [3, 4])).toEqual({ statistic: 0, pValue: 1, df: 0 });
    expect(chiSquareTest([7], [3])).toEqual({ statistic: 0, pValue: 1, df: 0 });
    // Unequal lengths: missing entries count as 0.
    expect(chiSquareTest([40, 20, 40], [30, 20, 50, 0]).statistic).toBeCloseTo(2.5396825396825395, 12);
  });
});

describe('zTestProportions', () => {
  it('statsmodels proportions_ztest docs example: counts [5, 12], nobs [83, 99] → p-value 0.159', () => {
    // statsmodels.stats.proportion.proportions_ztest docs print '{0:0.3f}'.format(pval) = 0.159.
    // Statistic by hand: p1 = 5/83, p2 = 12/99, P = 17/182, z = (p1 − p2)/√(P(1−P)(1/83 + 1/99)) = −1.4078304151258787.
    const r = zTestProportions(5, 83, 12, 99);
    expect(r.statistic).toBeCloseTo(-1.4078304151258787, 13);
    expect(r.pValue).toBeCloseTo(0.159, 3);
    expect(r.pValue).toBeCloseTo(0.15918129181156992, 12); // 2·scipy.stats.norm.sf(1.4078304151258787)
  });

  it('hand-derived: 50/100 vs 30/100', () => {
    // P = 0.4, variance = 0.4·0.6·(1/100 + 1/100) = 0.0048, z = 0.2/√0.0048 = 2.886751345948129,
    // p = 2·(1 − Φ(2.8868)) = 0.003892417122778628 (scipy.stats.norm.sf).
    const r = zTestProportions(50, 100, 30, 100);
    expect(r.statistic).toBeCloseTo(0.2 / Math.sqrt(0.0048), 13);
    expect(r.pValue).toBeCloseTo(0.003892417122778628, 14);
    expect(zTestProportions(30, 100, 50, 100).statistic).toBeCloseTo(-r.statistic, 14);
  });

  it('p-value 1 when the pooled variance is 0 or a sample is empty', () => {
    expect(zTestProportions(0, 10, 0, 20)).toEqual({ statistic: 0, pValue: 1 });
    expect(zTestProportions(10, 10, 20, 20)).toEqual({ statistic: 0, pValue: 1 });
    expect(zTestProportions(0, 0, 3, 20)).toEqual({ statistic: 0, pValue: 1 });
  });
});
