import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../random.js';
import {
  averagePrecision,
  averagePrecisionFromHistogram,
  precisionRecallCurve,
  rankingSummary,
  rocAuc,
  rocAucFromHistogram,
  rocAucOvr,
  rocCurve,
} from './ranking.js';

const Y = [0, 0, 1, 1];
const S = [0.1, 0.4, 0.35, 0.8];

/** Brute-force O(n²) Mann–Whitney AUC with half credit for ties, the definition sklearn's roc_auc_score matches. */
function bruteAuc(s: ArrayLike<number>, y: ArrayLike<number>): number {
  let num = 0, pairs = 0;
  for (let i = 0; i < s.length; i++) {
    if (y[i] !== 1) continue;
    for (let j = 0; j < s.length; j++) {
      if (y[j] !== 0) continue;
      pairs++;
      num += s[i]! > s[j]! ? 1 : s[i] === s[j] ? 0.5 : 0;
    }
  }
  return num / pairs;
}

/** Brute-force sklearn AP: for each distinct threshold (descending), add (ΔR) · P. */
function bruteAp(s: ArrayLike<number>, y: ArrayLike<number>): number {
  const th = [...new Set(Array.from(s))].sort((a, b) => b - a);
  let P = 0;
  for (let i = 0; i < y.length; i++) P += y[i]!;
  let ap = 0, prevR = 0;
  for (const t of th) {
    let tp = 0, k = 0;
    for (let i = 0; i < s.length; i++) if (s[i]! >= t) { k++; tp += y[i]!; }
    const r = tp / P;
    ap += (r - prevR) * (tp / k);
    prevR = r;
  }
  return ap;
}

function exactHistogram(s: number[], y: number[]) {
  const values = [...new Set(s)].sort((a, b) => a - b);
  const pos = new Float64Array(values.length);
  const neg = new Float64Array(values.length);
  s.forEach((v, i) => {
    const b = values.indexOf(v);
    if (y[i] === 1) pos[b]!++;
    else neg[b]!++;
  });
  return { pos, neg };
}

describe('rocAuc / averagePrecision', () => {
  it('match the sklearn docstrings', () => {
    // sklearn roc_auc_score docstring (and auc(roc_curve) docstring): y=[0,0,1,1], scores=[0.1,0.4,0.35,0.8] -> 0.75
    expect(rocAuc(S, Y)).toBe(0.75);
    // sklearn average_precision_score docstring: same data -> 0.83...
    // by hand: thresholds 0.8 (R=.5, P=1), 0.4 (R=.5), 0.35 (R=1, P=2/3) -> 0.5·1 + 0.5·(2/3) = 5/6
    expect(averagePrecision(S, Y)).toBeCloseTo(0.8333333333333334, 15);
  });

  it('gives tied scores half credit and uses the step-wise AP', () => {
    // y=[0,1,0,1], s=[0.5,0.5,0.2,0.9]: pairs (pos, neg): (0.5 vs 0.5) tie 0.5, (0.5 vs 0.2) 1, (0.9 vs both) 2 -> 3.5/4
    const s = [0.5, 0.5, 0.2, 0.9];
    const y = [0, 1, 0, 1];
    expect(rocAuc(s, y)).toBe(0.875);
    // AP: threshold 0.9: R=.5, P=1; threshold 0.5: R=1, P=2/3 -> 0.5 + 0.5·2/3 = 5/6 (the trapezoid would differ)
    expect(averagePrecision(s, y)).toBeCloseTo(5 / 6, 15);
  });

  it('agree with brute force on random data with many ties', () => {
    const rng = mulberry32(7);
    const n = 400;
    const s = Array.from({ length: n }, () => Math.round(rng() * 30) / 30);
    const y = Array.from({ length: n }, (_, i) => (rng() < 0.3 + 0.4 * s[i]! ? 1 : 0));
    expect(rocAuc(s, y)).toBeCloseTo(bruteAuc(s, y), 12);
    expect(averagePrecision(s, y)).toBeCloseTo(bruteAp(s, y), 12);
  });

  it('return NaN, not throw, when a class is absent', () => {
    expect(rocAuc([0.1, 0.2, 0.3], [1, 1, 1])).toBeNaN();
    expect(rocAuc([0.1, 0.2, 0.3], [0, 0, 0])).toBeNaN();
    expect(averagePrecision([0.1, 0.2], [0, 0])).toBeNaN();
    expect(rocAuc([], [])).toBeNaN();
    // Only positives: every threshold has precision 1.
    expect(averagePrecision([0.1, 0.2], [1, 1])).toBe(1);
  });

  it('accept typed arrays and non-0/1 positive flags', () => {
    expect(rocAuc(Float64Array.from(S), Uint8Array.from(Y))).toBe(0.75);
    expect(rocAuc(Float32Array.from([0.1, 0.9]), Int32Array.from([0, 7]))).toBe(1);
  });
});

describe('histogram variants', () => {
  it('agree exactly with the exact functions when every distinct score has its own bin', () => {
    const h = exactHistogram(S, Y);
    expect(rocAucFromHistogram(h.pos, h.neg)).toBe(rocAuc(S, Y));
    expect(averagePrecisionFromHistogram(h.pos, h.neg)).toBe(averagePrecision(S, Y));
    const rng = mulberry32(11);
    const s = Array.from({ length: 2000 }, () => Math.floor(rng() * 200) / 200);
    const y = s.map((v) => (rng() < v ? 1 : 0));
    const h2 = exactHistogram(s, y);
    expect(rocAucFromHistogram(h2.pos, h2.neg)).toBe(rocAuc(s, y));
    expect(averagePrecisionFromHistogram(h2.pos, h2.neg)).toBe(averagePrecision(s, y));
  });

  it('are within 1e-3 of the exact values with 1024 quantile bins on 100k rows', () => {
    const rng = mulberry32(2024);
    const n = 100_000;
    const s = new Float64Array(n);
    const y = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      y[i] = rng() < 0.3 ? 1 : 0;
      // Logistic score of a shifted normal: informative but overlapping classes.
      const z = Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng()) + (y[i] ? 1.2 : 0);
      s[i] = 1 / (1 + Math.exp(-z));
    }
    const sorted = Float64Array.from(s).sort();
    const B = 1024;
    const edges = new Float64Array(B - 1);
    for (let b = 1; b < B; b++) edges[b - 1] = sorted[Math.floor((b * n) / B)]!;
    const pos = new Float64Array(B);
    const neg = new Float64Array(B);
    for (let i = 0; i < n; i++) {
      let lo = 0, hi = edges.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (edges[mid]! <= s[i]!) lo = mid + 1;
        else hi = mid;
      }
      if (y[i]) pos[lo]!++;
      else neg[lo]!++;
    }
    const exactAuc = rocAuc(s, y);
    const exactAp = averagePrecision(s, y);
    expect(exactAuc).toBeGreaterThan(0.7);
    expect(Math.abs(rocAucFromHistogram(pos, neg) - exactAuc)).toBeLessThan(1e-3);
    expect(Math.abs(averagePrecisionFromHistogram(pos, neg) - exactAp)).toBeLessThan(1e-3);
  });

  it('use weighted counts and return NaN with an absent class', () => {
    // Bins ascending: (pos 0, neg 2), (pos 1, neg 1), (pos 3, neg 0): AUC = [2·(4 + 0) + 1·(3 + 0.5)] / (4·3) = 11.5/12
    expect(rocAucFromHistogram([0, 1, 3], [2, 1, 0])).toBeCloseTo(11.5 / 12, 15);
    // AP: top bin R=3/4, P=1; next R=1, P=4/5 -> 0.75 + 0.25·0.8 = 0.95
    expect(averagePrecisionFromHistogram([0, 1, 3], [2, 1, 0])).toBeCloseTo(0.95, 15);
    expect(rocAucFromHistogram([0, 0], [1, 2])).toBeNaN();
    expect(() => rocAucFromHistogram([1], [1, 2])).toThrow(RangeError);
  });
});

describe('curves', () => {
  it('rocCurve matches the sklearn roc_curve docstring', () => {
    // sklearn roc_curve docstring: fpr [0, 0, 0.5, 0.5, 1], tpr [0, 0.5, 0.5, 1, 1], thresholds [inf, 0.8, 0.4, 0.35, 0.1]
    // (sklearn >= 1.3 prepends np.inf; older versions printed max + 1 = 1.8)
    const c = rocCurve(S, Y);
    expect(c.fpr).toEqual([0, 0, 0.5, 0.5, 1]);
    expect(c.tpr).toEqual([0, 0.5, 0.5, 1, 1]);
    expect(c.thresholds).toEqual([Infinity, 0.8, 0.4, 0.35, 0.1]);
  });

  it('rocCurve drops collinear points like sklearn drop_intermediate and downsamples keeping the ends', () => {
    // Three negatives on top then three positives: the middle points of each straight run are dropped.
    const c = rocCurve([0.9, 0.8, 0.7, 0.3, 0.2, 0.1], [0, 0, 0, 1, 1, 1]);
    expect(c.fpr).toEqual([0, 1 / 3, 1, 1]);
    expect(c.tpr).toEqual([0, 0, 0, 1]);
    const rng = mulberry32(3);
    const n = 5000;
    const s = Array.from({ length: n }, () => rng());
    const y = s.map((v) => (rng() < v ? 1 : 0));
    const d = rocCurve(s, y, 50);
    expect(d.fpr.length).toBe(50);
    expect(d.tpr.length).toBe(50);
    expect(d.thresholds[0]).toBe(Infinity);
    expect(d.fpr[0]).toBe(0);
    expect(d.fpr[49]).toBe(1);
    expect(d.tpr[49]).toBe(1);
    for (let i = 1; i < 50; i++) expect(d.fpr[i]!).toBeGreaterThanOrEqual(d.fpr[i - 1]!);
  });

  it('precisionRecallCurve matches the sklearn precision_recall_curve docstring', () => {
    // sklearn precision_recall_curve docstring (>= 1.1, no truncation at full recall):
    // precision [0.5, 0.66..., 0.5, 1, 1], recall [1, 1, 0.5, 0.5, 0], thresholds [0.1, 0.35, 0.4, 0.8]
    const c = precisionRecallCurve(S, Y);
    expect(c.precision[0]).toBe(0.5);
    expect(c.precision[1]).toBeCloseTo(2 / 3, 15);
    expect(c.precision.slice(2)).toEqual([0.5, 1, 1]);
    expect(c.recall).toEqual([1, 1, 0.5, 0.5, 0]);
    expect(c.thresholds).toEqual([0.1, 0.35, 0.4, 0.8]);
  });

  it('precisionRecallCurve downsamples keeping the first and the final (1, 0) point', () => {
    const rng = mulberry32(5);
    const s = Array.from({ length: 3000 }, () => rng());
    const y = s.map((v) => (rng() < v ? 1 : 0));
    const full = precisionRecallCurve(s, y);
    const c = precisionRecallCurve(s, y, 20);
    expect(c.recall.length).toBe(20);
    expect(c.precision.length).toBe(20);
    expect(c.thresholds.length).toBe(19);
    expect(c.recall[0]).toBe(1);
    expect(c.thresholds[0]).toBe(full.thresholds[0]);
    expect(c.recall[19]).toBe(0);
    expect(c.precision[19]).toBe(1);
  });
});

describe('rocAucOvr', () => {
  it('is the macro mean of one-vs-rest AUCs and skips classes absent from y', () => {
    // 3 rows, classes {0, 1} present, class 2 absent (its column is ignored).
    // class 0 scores [0.7, 0.2, 0.6], positives rows 0 and 2 vs row 1 -> AUC 1
    // class 1 scores [0.2, 0.5, 0.3], positive row 1 vs rows 0, 2 -> AUC 1
    const proba = Float64Array.from([0.7, 0.2, 0.1, 0.2, 0.5, 0.3, 0.6, 0.3, 0.1]);
    expect(rocAucOvr(proba, Int32Array.from([0, 1, 0]), 3)).toBe(1);
  });

  it('agrees with per-class binary rocAuc on random data', () => {
    const rng = mulberry32(9);
    const n = 600, C = 4;
    const proba = new Float64Array(n * C);
    const y = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      y[i] = Math.floor(rng() * C);
      let sum = 0;
      for (let k = 0; k < C; k++) {
        const v = rng() + (k === y[i] ? 0.5 : 0);
        proba[i * C + k] = v;
        sum += v;
      }
      for (let k = 0; k < C; k++) proba[i * C + k]! /= sum;
    }
    let expected = 0;
    for (let k = 0; k < C; k++) {
      const col = Array.from({ length: n }, (_, i) => proba[i * C + k]!);
      expected += rocAuc(col, Array.from(y, (t) => (t === k ? 1 : 0)));
    }
    expect(rocAucOvr(proba, y, C)).toBeCloseTo(expected / C, 14);
  });

  it('is NaN when only one class is present', () => {
    expect(rocAucOvr(Float64Array.from([0.9, 0.1, 0.8, 0.2]), Int32Array.from([0, 0]), 2)).toBeNaN();
  });
});

describe('rankingSummary', () => {
  it('gives what the four functions give, from one sort', () => {
    const rng = mulberry32(5);
    const n = 5000;
    const s = new Float64Array(n);
    const y = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      y[i] = rng() < 0.4 ? 1 : 0;
      s[i] = Math.round((rng() + 0.4 * y[i]!) * 100) / 100; // ties on purpose
    }
    const r = rankingSummary(s, y, 50);
    expect(r.auc).toBe(rocAuc(s, y));
    expect(r.averagePrecision).toBe(averagePrecision(s, y));
    expect(r.roc).toEqual(rocCurve(s, y, 50));
    expect(r.pr).toEqual(precisionRecallCurve(s, y, 50));
  });
});
