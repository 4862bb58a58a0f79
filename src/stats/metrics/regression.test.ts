import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../random.js';
import { medianInPlace, regressionMetrics } from './regression.js';

const f64 = (xs: number[]) => Float64Array.from(xs);

describe('regressionMetrics', () => {
  it('matches the sklearn regression docstrings on y=[3,-0.5,2,7], ŷ=[2.5,0,2,8]', () => {
    const m = regressionMetrics(f64([3, -0.5, 2, 7]), f64([2.5, 0, 2, 8]));
    // sklearn mean_absolute_error docstring: 0.5
    expect(m.mae).toBe(0.5);
    // sklearn mean_squared_error docstring: 0.375
    expect(m.mse).toBe(0.375);
    // sklearn mean_squared_error(squared=False) docstring: 0.612... (sqrt(0.375) = 0.6123724356957945)
    expect(m.rmse).toBeCloseTo(0.6123724356957945, 15);
    // sklearn r2_score docstring: 0.948... (full precision 0.9486081370449679 as printed by sklearn);
    // by hand: SS_res = 1.5, mean(y) = 2.875, SS_tot = 29.1875, 1 − 1.5/29.1875
    expect(m.r2).toBeCloseTo(0.9486081370449679, 15);
    // sklearn median_absolute_error docstring: 0.5 (|e| = [0.5, 0.5, 0, 1])
    expect(m.medianAbsoluteError).toBe(0.5);
    // sklearn mean_absolute_percentage_error docstring: 0.3273809523809524 = (1/6 + 1 + 0 + 1/7) / 4
    expect(m.mape).toBeCloseTo(0.3273809523809524, 15);
  });

  it('matches the second sklearn MAPE docstring example and floors |y| at machine epsilon', () => {
    // sklearn mean_absolute_percentage_error docstring: y=[1,-1,2,-2], ŷ=[0.7,-0.7,1.4,-1.4] -> 0.30000000000000004
    expect(regressionMetrics(f64([1, -1, 2, -2]), f64([0.7, -0.7, 1.4, -1.4])).mape).toBeCloseTo(0.3, 15);
    // y = 0: |0 − 1| / eps = 1 / 2.220446049250313e-16 = 4503599627370496 (sklearn docstring: "... 1e15-ish")
    expect(regressionMetrics(f64([0]), f64([1])).mape).toBe(4503599627370496);
  });

  it('follows sklearn r2_score docstring edge cases (force_finite)', () => {
    // sklearn r2_score docstring: [1,2,3] vs [1,2,3] -> 1.0; vs [2,2,2] -> 0.0; vs [3,2,1] -> -3.0
    expect(regressionMetrics(f64([1, 2, 3]), f64([1, 2, 3])).r2).toBe(1);
    expect(regressionMetrics(f64([1, 2, 3]), f64([2, 2, 2])).r2).toBe(0);
    expect(regressionMetrics(f64([1, 2, 3]), f64([3, 2, 1])).r2).toBeCloseTo(-3, 15);
    // Constant y: sklearn force_finite=True gives 1 for a perfect fit and 0.0 otherwise.
    expect(regressionMetrics(f64([-2, -2]), f64([-2, -2])).r2).toBe(1);
    expect(regressionMetrics(f64([-2, -2]), f64([-2, -1])).r2).toBe(0);
  });

  it('is NaN for empty input and rejects mismatched lengths', () => {
    expect(regressionMetrics(new Float64Array(0), new Float64Array(0)).mae).toBeNaN();
    expect(() => regressionMetrics(f64([1]), f64([1, 2]))).toThrow(RangeError);
  });
});

describe('medianInPlace', () => {
  it('agrees with a sort-based median (numpy convention for even n)', () => {
    const rng = mulberry32(1);
    for (const n of [1, 2, 3, 4, 5, 10, 101, 1000, 1001]) {
      const a = Float64Array.from({ length: n }, () => Math.floor(rng() * 20));
      const s = Float64Array.from(a).sort();
      const expected = n % 2 ? s[n >> 1]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
      expect(medianInPlace(a)).toBe(expected);
    }
    expect(medianInPlace(new Float64Array(0))).toBeNaN();
  });
});
