import { describe, expect, it } from 'vitest';
import { brierScore, calibration, LOG_LOSS_EPS, logLoss } from './probabilistic.js';

const f64 = (xs: number[]) => Float64Array.from(xs);
const i32 = (xs: number[]) => Int32Array.from(xs);

describe('logLoss', () => {
  it('matches the sklearn log_loss docstring: 0.21616...', () => {
    // sklearn log_loss docstring: log_loss(["spam","ham","ham","spam"], [[.1,.9],[.9,.1],[.8,.2],[.35,.65]]) = 0.21616...
    // Labels sort alphabetically (ham = 0, spam = 1), so y = [1, 0, 0, 1] and the true-class probabilities are
    // .9, .9, .8, .65: −(2 ln .9 + ln .8 + ln .65) / 4 = 0.2161620...
    const v = logLoss(f64([0.1, 0.9, 0.9, 0.1, 0.8, 0.2, 0.35, 0.65]), i32([1, 0, 0, 1]), 2);
    expect(v).toBeCloseTo(0.21616187468057912, 14);
    expect(v.toFixed(5)).toBe('0.21616');
  });

  it('does not renormalise rows that do not sum to 1, as scikit-learn ≥ 1.5', () => {
    // scikit-learn ≥ 1.5 log_loss([1], [[0.2, 0.6]]) = −ln 0.6 (it only warns "The y_prob values do not sum to one");
    // 0.5108256237659907 computed with numpy 1.24.2 / scipy 1.10.1 as
    // -scipy.special.xlogy([[0, 1]], np.clip([[0.2, 0.6]], eps, 1 - eps)).sum(1).mean(), eps = np.finfo(np.float64).eps.
    // scikit-learn ≤ 1.4 renormalised the row to [0.25, 0.75] and answered −ln 0.75 = 0.2877.
    expect(logLoss(f64([0.2, 0.6]), i32([1]), 2)).toBeCloseTo(0.5108256237659907, 15);
  });

  it('clips probabilities to [eps, 1 − eps] with eps the float64 machine epsilon', () => {
    // scikit-learn 1.2.1 (Debian) log_loss([1], [[1.0, 0.0]], labels=[0, 1]) = 36.04365338911715 (eps="auto" is
    // np.finfo(float64).eps = 2.220446049250313e-16, as in every later version; the old 1e-15 gave 34.5388).
    const v = logLoss(f64([1, 0]), i32([1]), 2);
    expect(v).toBeCloseTo(36.04365338911715, 12);
    expect(LOG_LOSS_EPS).toBe(2.220446049250313e-16);
  });

  it('handles multiclass, skips out-of-range labels and is NaN for no rows', () => {
    // rows: true-class probabilities 0.7 and 0.5 -> (−ln 0.7 − ln 0.5) / 2; the row labelled −1 is skipped
    const v = logLoss(f64([0.7, 0.2, 0.1, 0.3, 0.2, 0.5, 1, 0, 0]), i32([0, 2, -1]), 3);
    expect(v).toBeCloseTo((-Math.log(0.7) - Math.log(0.5)) / 2, 15);
    expect(logLoss(new Float64Array(0), new Int32Array(0), 2)).toBeNaN();
  });
});

describe('brierScore', () => {
  it('matches the sklearn brier_score_loss docstring: 0.037... (binary)', () => {
    // sklearn brier_score_loss docstring: y=[0,1,1,0], p=[0.1,0.9,0.8,0.3] -> 0.037...
    // by hand: (0.01 + 0.01 + 0.04 + 0.09) / 4 = 0.0375
    expect(brierScore(f64([0.9, 0.1, 0.1, 0.9, 0.2, 0.8, 0.7, 0.3]), i32([0, 1, 1, 0]), 2)).toBeCloseTo(0.0375, 15);
    // sklearn user guide: p=[0.1,0.9,0.8,0.4] -> 0.055 ((0.01 + 0.01 + 0.04 + 0.16) / 4)
    expect(brierScore(f64([0.9, 0.1, 0.1, 0.9, 0.2, 0.8, 0.6, 0.4]), i32([0, 1, 1, 0]), 2)).toBeCloseTo(0.055, 15);
  });

  it('uses the multiclass sum over classes for C > 2', () => {
    // row 1: y=0, p=[0.7,0.2,0.1] -> 0.09 + 0.04 + 0.01 = 0.14; row 2: y=2, p=[0.2,0.3,0.5] -> 0.04 + 0.09 + 0.25 = 0.38
    expect(brierScore(f64([0.7, 0.2, 0.1, 0.2, 0.3, 0.5]), i32([0, 2]), 3)).toBeCloseTo(0.26, 15);
  });
});

describe('calibration', () => {
  it('reproduces the sklearn calibration_curve docstring bins (n_bins=3)', () => {
    // sklearn calibration_curve docstring: y_true=[0,0,0,0,1,1,1,1,1], y_pred=[0.1,0.2,0.3,0.4,0.65,0.7,0.8,0.9,1.0],
    // n_bins=3 -> prob_true [0, 0.5, 1], prob_pred [0.2, 0.525, 0.85]
    const y = [0, 0, 0, 0, 1, 1, 1, 1, 1];
    const p = [0.1, 0.2, 0.3, 0.4, 0.65, 0.7, 0.8, 0.9, 1.0];
    const { bins, ece } = calibration(p, y, 3);
    expect(bins.map((b) => b.count)).toEqual([3, 2, 4]);
    expect(bins.map((b) => b.fractionPositive)).toEqual([0, 0.5, 1]);
    expect(bins[0]!.meanPredicted).toBeCloseTo(0.2, 15);
    expect(bins[1]!.meanPredicted).toBeCloseTo(0.525, 15);
    expect(bins[2]!.meanPredicted).toBeCloseTo(0.85, 15);
    // ECE by hand: (3/9)·0.2 + (2/9)·0.025 + (4/9)·0.15 = (0.6 + 0.05 + 0.6) / 9 = 1.25 / 9
    expect(ece).toBeCloseTo(1.25 / 9, 15);
  });

  it('uses 10 equal-width bins by default, reports empty bins with NaN means, and puts edge values in the lower bin', () => {
    // 0.3 equals the inner edge 3·0.1 = 0.30000000000000004 from numpy.linspace -> searchsorted puts it in bin 2
    // (0.2, 0.3]; 0.25 -> bin 2; 0.95 -> bin 9; 0 -> bin 0.
    const { bins, ece } = calibration([0, 0.25, 0.3, 0.95], [0, 0, 1, 1]);
    expect(bins.length).toBe(10);
    expect(bins.map((b) => b.count)).toEqual([1, 0, 2, 0, 0, 0, 0, 0, 0, 1]);
    expect(bins[1]!.meanPredicted).toBeNaN();
    expect(bins[1]!.fractionPositive).toBeNaN();
    expect(bins[0]!.lower).toBe(0);
    expect(bins[9]!.upper).toBe(1);
    // ECE: bin0 (1/4)·|0 − 0| + bin2 (2/4)·|0.5 − 0.275| + bin9 (1/4)·|1 − 0.95| = 0.1125 + 0.0125 = 0.125
    expect(ece).toBeCloseTo(0.125, 15);
  });

  it('is perfectly calibrated at 0 ECE and NaN with no rows', () => {
    expect(calibration([0.5, 0.5], [0, 1]).ece).toBe(0);
    expect(calibration([], []).ece).toBeNaN();
  });
});
