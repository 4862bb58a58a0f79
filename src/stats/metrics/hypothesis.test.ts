import { describe, expect, it } from 'vitest';
import { chiSquare1Sf, erfc, mcnemar, normalCdf } from './hypothesis.js';

describe('normalCdf / chiSquare1Sf', () => {
  it('match standard reference values (scipy.stats.norm.cdf / chi2.sf) to 1e-12', () => {
    // scipy: norm.cdf(-1) = 0.15865525393145707, norm.cdf(1) = 0.8413447460685429, norm.cdf(-3) = 0.0013498980316301035
    expect(normalCdf(-1)).toBeCloseTo(0.15865525393145707, 12);
    expect(normalCdf(1)).toBeCloseTo(0.8413447460685429, 12);
    expect(normalCdf(-3)).toBeCloseTo(0.0013498980316301035, 14);
    expect(normalCdf(0)).toBe(0.5);
    // 1.959963984540054 is the 97.5% normal quantile; 3.841458820694124 = 1.959963984540054² is chi2(1) at 95%
    expect(normalCdf(1.959963984540054)).toBeCloseTo(0.975, 12);
    expect(chiSquare1Sf(3.841458820694124)).toBeCloseTo(0.05, 12);
    // P(χ²₁ > x) = 2·(1 − Φ(√x)): consistency at a few points
    for (const x of [0.1, 1, 2.5, 7, 20]) expect(chiSquare1Sf(x)).toBeCloseTo(2 * normalCdf(-Math.sqrt(x)), 14);
    expect(chiSquare1Sf(0)).toBe(1);
  });

  it('erfc matches reference values with small relative error in the tails', () => {
    // Abramowitz & Stegun table values: erfc(1) = 0.157299207050285, erfc(2) = 0.004677734981047, erfc(3) = 2.209049699858544e-5
    expect(erfc(1)).toBeCloseTo(0.15729920705028513, 14);
    expect(Math.abs(erfc(2) / 0.004677734981047266 - 1)).toBeLessThan(1e-12);
    expect(Math.abs(erfc(3) / 2.209049699858544e-5 - 1)).toBeLessThan(1e-12);
    expect(erfc(-1)).toBeCloseTo(2 - 0.15729920705028513, 14);
    // Continuity where the series hands over to the continued fraction.
    expect(Math.abs(erfc(2.4999999999) / erfc(2.5) - 1)).toBeLessThan(1e-9);
  });
});

describe('mcnemar', () => {
  it('uses the chi-square with continuity correction when b + c >= 25 (textbook example)', () => {
    // b = 10, c = 25: (|10 − 25| − 1)² / 35 = 196 / 35 = 5.6, p = P(χ²₁ > 5.6) ≈ 0.018
    const r = mcnemar(10, 25);
    expect(r.exact).toBe(false);
    expect(r.statistic).toBeCloseTo(5.6, 14);
    expect(r.pValue).toBeCloseTo(0.018, 3);
    expect(r.pValue).toBeCloseTo(2 * normalCdf(-Math.sqrt(5.6)), 14);
  });

  it('uses the exact binomial test when b + c < 25', () => {
    // b = 1, c = 8: 2·P(X ≤ 1), X ~ Bin(9, ½) = 2·(1 + 9)/512 = 0.0390625
    const r = mcnemar(1, 8);
    expect(r.exact).toBe(true);
    expect(r.pValue).toBe(0.0390625);
    expect(r.statistic).toBe(1);
    expect(mcnemar(8, 1).pValue).toBe(0.0390625);
    // b = c: the two-sided p-value is capped at 1; no discordant pairs -> p = 1
    expect(mcnemar(5, 5).pValue).toBe(1);
    expect(mcnemar(0, 0).pValue).toBe(1);
    // b = 0, c = 24: 2 / 2²⁴
    expect(mcnemar(0, 24).pValue).toBe(2 / 2 ** 24);
  });

  it('floors the corrected statistic at 0 when b = c in the asymptotic branch', () => {
    expect(mcnemar(20, 20)).toEqual({ statistic: 0, pValue: 1, exact: false });
    expect(() => mcnemar(-1, 3)).toThrow(RangeError);
  });
});
