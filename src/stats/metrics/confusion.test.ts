import { describe, expect, it } from 'vitest';
import { confusionMatrix, confusionMetrics } from './confusion.js';

const i32 = (xs: number[]) => Int32Array.from(xs);

describe('confusionMatrix', () => {
  it('matches the sklearn confusion_matrix docstring', () => {
    // sklearn confusion_matrix docstring: y_true=[2,0,2,2,0,1], y_pred=[0,0,2,2,0,2] -> [[2,0,0],[0,0,1],[1,0,2]]
    const cm = confusionMatrix(i32([2, 0, 2, 2, 0, 1]), i32([0, 0, 2, 2, 0, 2]), 3);
    expect(Array.from(cm)).toEqual([2, 0, 0, 0, 0, 1, 1, 0, 2]);
  });

  it('weights rows and skips out-of-range codes (-1 = missing)', () => {
    const cm = confusionMatrix(i32([0, 1, 1, -1, 0, 2]), i32([0, 1, 0, 1, 5, 0]), 2, [1, 2, 0.5, 9, 9, 9]);
    expect(Array.from(cm)).toEqual([1, 0, 0.5, 2]);
  });

  it('rejects mismatched lengths', () => {
    expect(() => confusionMatrix(i32([0, 1]), i32([0]), 2)).toThrow(RangeError);
  });
});

describe('confusionMetrics', () => {
  const metricsOf = (y: number[], p: number[], C: number) => confusionMetrics(confusionMatrix(i32(y), i32(p), C), C);

  it('matches the sklearn precision/recall/f1 docstrings (y=[0,1,2,0,1,2], pred=[0,2,1,0,0,1])', () => {
    const m = metricsOf([0, 1, 2, 0, 1, 2], [0, 2, 1, 0, 0, 1], 3);
    // sklearn f1_score docstring: macro 0.26..., weighted 0.26..., average=None [0.8, 0, 0]
    // (full precision 0.26666666666666666 as printed by sklearn); by hand: F1_0 = 2*2/(2+3) = 0.8, mean = 0.8/3.
    expect(m.macro.f1).toBeCloseTo(0.26666666666666666, 15);
    expect(m.weighted.f1).toBeCloseTo(0.26666666666666666, 15);
    expect(m.perClass.f1).toEqual([0.8, 0, 0]);
    // sklearn precision_score docstring: macro 0.22..., weighted 0.22..., None [0.66..., 0, 0] (0.2222222222222222 = (2/3)/3)
    expect(m.macro.precision).toBeCloseTo(0.2222222222222222, 15);
    expect(m.weighted.precision).toBeCloseTo(0.2222222222222222, 15);
    expect(m.perClass.precision[0]).toBeCloseTo(2 / 3, 15);
    // sklearn recall_score docstring: macro 0.33..., weighted 0.33..., None [1, 0, 0]
    expect(m.macro.recall).toBeCloseTo(1 / 3, 15);
    expect(m.weighted.recall).toBeCloseTo(1 / 3, 15);
    expect(m.perClass.recall).toEqual([1, 0, 0]);
    // micro = accuracy = 2/6 (sklearn f1_score docstring average='micro': 0.33...)
    expect(m.accuracy).toBeCloseTo(1 / 3, 15);
    expect(m.perClass.support).toEqual([2, 2, 2]);
  });

  it('matches the sklearn balanced_accuracy_score docstring: 0.625', () => {
    // sklearn balanced_accuracy_score docstring: y_true=[0,1,0,0,1,0], y_pred=[0,1,0,0,0,1] -> 0.625
    // by hand: recall_0 = 3/4, recall_1 = 1/2, mean = 0.625
    const m = metricsOf([0, 1, 0, 0, 1, 0], [0, 1, 0, 0, 0, 1], 2);
    expect(m.balancedAccuracy).toBe(0.625);
    expect(m.macro.recall).toBe(0.625);
  });

  it('matches the sklearn classification_report docstring', () => {
    // sklearn classification_report docstring: y_true=[0,1,2,2,2], y_pred=[0,0,2,2,1]
    //   class 0: 0.50 1.00 0.67 | class 1: 0.00 0.00 0.00 | class 2: 1.00 0.67 0.80
    //   accuracy 0.60; macro avg 0.50 0.56 0.49; weighted avg 0.70 0.60 0.61
    const m = metricsOf([0, 1, 2, 2, 2], [0, 0, 2, 2, 1], 3);
    expect(m.perClass.precision).toEqual([0.5, 0, 1]);
    expect(m.perClass.recall[2]).toBeCloseTo(2 / 3, 15);
    expect(m.perClass.f1[0]).toBeCloseTo(2 / 3, 15);
    expect(m.perClass.f1[2]).toBeCloseTo(0.8, 15);
    expect(m.accuracy).toBeCloseTo(0.6, 15);
    expect(m.macro.precision).toBeCloseTo(0.5, 15);
    expect(m.macro.recall.toFixed(2)).toBe('0.56'); // (1 + 0 + 2/3) / 3 = 0.5556
    expect(m.macro.f1.toFixed(2)).toBe('0.49'); // (2/3 + 0 + 0.8) / 3 = 0.4889
    expect(m.weighted.precision).toBeCloseTo(0.7, 15); // (0.5 + 0 + 3) / 5
    expect(m.weighted.recall).toBeCloseTo(0.6, 15);
    expect(m.weighted.f1.toFixed(2)).toBe('0.61'); // (2/3 + 0 + 2.4) / 5 = 0.6133
  });

  it('gives precision 0 to a class that is never predicted (sklearn zero_division default)', () => {
    // sklearn precision_score docstring: y_true=[0,1,2,0,1,2], y_pred all 0 -> average=None [0.33..., 0, 0]
    const m = metricsOf([0, 1, 2, 0, 1, 2], [0, 0, 0, 0, 0, 0], 3);
    expect(m.perClass.precision[0]).toBeCloseTo(1 / 3, 15);
    expect(m.perClass.precision[1]).toBe(0);
    expect(m.perClass.precision[2]).toBe(0);
    expect(m.perClass.f1[1]).toBe(0);
  });

  it('averages only over labels in y_true ∪ y_pred, as sklearn does without `labels`', () => {
    // Class 2 never occurs and is never predicted: sklearn (labels = unique(y_true ∪ y_pred) = [0, 1]) gives
    // macro recall (1 + 0.5) / 2 = 0.75, not 1.5 / 3.
    const m = metricsOf([0, 0, 1, 1], [0, 0, 1, 0], 3);
    expect(m.macro.recall).toBe(0.75);
    // precision_0 = 2/3, precision_1 = 1 -> macro 5/6
    expect(m.macro.precision).toBeCloseTo(5 / 6, 15);
    expect(m.perClass.precision[2]).toBe(0);
  });

  it('balanced accuracy drops classes absent from y_true while macro recall keeps predicted-only ones', () => {
    // y_true has only class 0; class 1 is predicted once. sklearn balanced_accuracy_score: recall over [0] = 2/3
    // (class 1 has no support and is dropped with a warning); recall_score(average='macro') over [0, 1] = (2/3 + 0) / 2.
    const m = metricsOf([0, 0, 0], [0, 0, 1], 2);
    expect(m.balancedAccuracy).toBeCloseTo(2 / 3, 15);
    expect(m.macro.recall).toBeCloseTo(1 / 3, 15);
  });

  it('uses weighted counts', () => {
    // Weights double the row (t=1, p=1): counts [[1,1],[0,2]]; precision_1 = 2/3, recall_0 = 1/2.
    const cm = confusionMatrix(i32([0, 0, 1]), i32([0, 1, 1]), 2, Float64Array.from([1, 1, 2]));
    const m = confusionMetrics(cm, 2);
    expect(m.accuracy).toBe(0.75);
    expect(m.perClass.precision[1]).toBeCloseTo(2 / 3, 15);
    expect(m.perClass.recall[0]).toBe(0.5);
    expect(m.perClass.support).toEqual([2, 2]);
  });

  it('returns NaN scalars for empty counts rather than throwing', () => {
    const m = confusionMetrics(new Float64Array(4), 2);
    expect(m.accuracy).toBeNaN();
    expect(m.balancedAccuracy).toBeNaN();
    expect(m.macro.f1).toBeNaN();
  });
});
