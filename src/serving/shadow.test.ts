import { describe, expect, it } from 'vitest';
import { outcomeOf } from './ab.js';
import { ksStatistic } from './analysis.js';
import { agreementOf, describeShift } from './shadow.js';

describe('shadow comparison', () => {
  it('agrees on classifiers by label and on regressors within the tolerance', () => {
    expect(agreementOf({ label: '1', probabilities: { 0: 0.2, 1: 0.8 } }, { label: '1' })).toEqual({ kind: 'label', agree: true });
    expect(agreementOf({ label: 1 }, { label: '1' })).toEqual({ kind: 'label', agree: true }); // same class, either encoding
    expect(agreementOf({ label: 'a' }, { label: 'b' })).toEqual({ kind: 'label', agree: false });
    // Relative 1% above 1 in magnitude, absolute 0.01 below.
    expect(agreementOf({ value: 200 }, { value: 201.9 })).toEqual({ kind: 'value', agree: true });
    expect(agreementOf({ value: 200 }, { value: 202.1 })).toEqual({ kind: 'value', agree: false });
    expect(agreementOf({ value: 0.001 }, { value: 0.009 })).toEqual({ kind: 'value', agree: true });
    expect(agreementOf({ value: 0.001 }, { value: 0.02 })).toEqual({ kind: 'value', agree: false });
    expect(agreementOf({ value: 10 }, { value: 12 }, 0.25)).toEqual({ kind: 'value', agree: true });
    expect(agreementOf({ value: 1 }, { label: 'x' })).toBeNull();
  });

  it('measures and describes the shift of the score distributions', () => {
    expect(ksStatistic([0.1, 0.2, 0.3, 0.4], [0.1, 0.2, 0.3, 0.4])).toBe(0);
    expect(ksStatistic([0.1, 0.2], [0.8, 0.9])).toBe(1);
    // F_a jumps to 1/2 at 0.2 while F_b is still 0; then b catches up: largest gap 1/2.
    expect(ksStatistic([0.1, 0.2, 0.5, 0.6], [0.3, 0.4, 0.5, 0.6])).toBe(0.5);
    expect(describeShift(0, 0)).toMatch(/distributed like stable's \(KS 0\.000\)/);
    expect(describeShift(0.1, 0.03)).toMatch(/slightly shifted .*higher by 0\.0300 on average/);
    expect(describeShift(0.3, -0.2)).toMatch(/clearly shifted .*lower by 0\.200/);
    expect(describeShift(0.9, 0.5)).toMatch(/very differently/);
    expect(describeShift(null, null)).toBe('no scores to compare yet');
  });
});

describe('A/B outcomes', () => {
  it('reads a numeric or boolean label, or a field of an object label', () => {
    expect(outcomeOf('1')).toBe(1);
    expect(outcomeOf('true')).toBe(1);
    expect(outcomeOf('false')).toBe(0);
    expect(outcomeOf('"1"')).toBeNull();
    expect(outcomeOf('{"revenue": 12.5}', 'revenue')).toBe(12.5);
    expect(outcomeOf('{"revenue": 12.5}')).toBeNull();
    expect(outcomeOf('{"revenue": null}', 'revenue')).toBeNull();
    expect(outcomeOf('3', 'revenue')).toBeNull();
    expect(outcomeOf('not json')).toBeNull();
  });
});
