import { describe, expect, it } from 'vitest';
import { fairnessMetrics } from './fairness.js';

const i32 = (xs: number[]) => Int32Array.from(xs);

describe('fairnessMetrics', () => {
  // fairlearn user guide, "Common fairness metrics" (docs/user_guide/assessment/common_fairness_metrics.rst):
  const yTrue = [0, 1, 1, 1, 1, 0, 1, 0, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1];
  const yPred = [0, 0, 1, 0, 1, 1, 1, 0, 0, 1, 1, 1, 1, 0, 0, 1, 1, 0];
  const sf = ['b', 'b', 'a', 'b', 'b', 'c', 'c', 'c', 'a', 'a', 'c', 'a', 'b', 'c', 'c', 'b', 'c', 'c'];
  const names = ['a', 'b', 'c'];
  const codes = i32(sf.map((s) => names.indexOf(s)));

  it('matches the fairlearn documented example', () => {
    const m = fairnessMetrics(i32(yTrue), i32(yPred), codes, names);
    // fairlearn docs: demographic_parity_difference = 0.25, demographic_parity_ratio = 0.66666...,
    // equalized_odds_difference = 1.0
    expect(m.demographicParityDifference).toBe(0.25);
    expect(m.disparateImpactRatio).toBeCloseTo(2 / 3, 15);
    expect(m.equalizedOddsDifference).toBe(1);
    // Per group by hand (selection, TPR, FPR):
    //   a: rows 2,8,9,11  y=[1,1,0,0] ŷ=[1,0,1,1]            -> 3/4, 1/2, 2/2
    //   b: rows 0,1,3,4,12,15  y=[0,1,1,1,1,1] ŷ=[0,0,0,1,1,1] -> 3/6, 3/5, 0/1
    //   c: rows 5,6,7,10,13,14,16,17 y=[0,1,0,0,1,1,1,1] ŷ=[1,1,0,1,0,0,1,0] -> 4/8, 2/5, 2/3
    // (fairlearn's MetricFrame example in the same guide lists the same selection rates / recalls / FPRs.)
    expect(m.groups.map((g) => g.support)).toEqual([4, 6, 8]);
    expect(m.groups.map((g) => g.selectionRate)).toEqual([0.75, 0.5, 0.5]);
    expect(m.groups.map((g) => g.truePositiveRate)).toEqual([0.5, 0.6, 0.4]);
    expect(m.groups[0]!.falsePositiveRate).toBe(1);
    expect(m.groups[1]!.falsePositiveRate).toBe(0);
    expect(m.groups[2]!.falsePositiveRate).toBeCloseTo(2 / 3, 15);
    // equal opportunity = TPR gap = 0.6 − 0.4 (hand-derived)
    expect(m.equalOpportunityDifference).toBeCloseTo(0.2, 15);
    expect(m.groups.map((g) => g.value)).toEqual(names);
  });

  it('skips rows with a missing group and reports empty groups with NaN rates', () => {
    const m = fairnessMetrics(i32([1, 0, 1, 1]), i32([1, 1, 0, 1]), i32([0, 0, -1, 0]), ['x', 'y']);
    expect(m.groups[0]!.support).toBe(3);
    expect(m.groups[0]!.selectionRate).toBe(1);
    expect(m.groups[0]!.truePositiveRate).toBe(1);
    expect(m.groups[0]!.falsePositiveRate).toBe(1);
    expect(m.groups[1]!.support).toBe(0);
    expect(m.groups[1]!.selectionRate).toBeNaN();
    // Only one group with data: every gap is 0, ratio 1.
    expect(m.demographicParityDifference).toBe(0);
    expect(m.equalizedOddsDifference).toBe(0);
    expect(m.disparateImpactRatio).toBe(1);
  });

  it('leaves undefined TPRs out of the gaps and is NaN when nothing is selected', () => {
    // group 0 has no positives (TPR undefined); group 1 TPR 1/2.
    const m = fairnessMetrics(i32([0, 0, 1, 1]), i32([0, 0, 0, 1]), i32([0, 0, 1, 1]), ['p', 'q']);
    expect(m.groups[0]!.truePositiveRate).toBeNaN();
    expect(m.equalOpportunityDifference).toBe(0);
    const none = fairnessMetrics(i32([0, 1]), i32([0, 0]), i32([0, 1]), ['p', 'q']);
    expect(none.disparateImpactRatio).toBeNaN();
    expect(none.demographicParityDifference).toBe(0);
  });
});
