/**
 * Binary ranking metrics (ROC AUC, average precision and their curves) with scikit-learn's definitions.
 *
 * `positive[i]` is 1 for a positive row and 0 otherwise (any non-zero value counts as positive). Scores must be
 * finite: filtering NaN rows is the caller's job (a NaN would sort last and be treated as the highest score).
 *
 * The exact functions sort twice (the positive scores and the negative scores, each with the native numeric
 * Float64Array sort, no comparator callback) and merge the two sorted runs into a histogram with one bin per
 * distinct score; every metric is then a single pass over that histogram, the same code the *FromHistogram
 * variants run, so the two agree exactly when every distinct score has its own bin.
 */

/** Per-distinct-score counts in ascending score order; only the first `length` entries are meaningful. */
interface ScoreHistogram {
  values: Float64Array;
  pos: Float64Array;
  neg: Float64Array;
  length: number;
}

function checkLengths(scores: ArrayLike<number>, positive: ArrayLike<number>, fn: string): void {
  if (scores.length !== positive.length) {
    throw new RangeError(`${fn}: scores has ${scores.length} rows but positive has ${positive.length}`);
  }
}

/** Merges two ascending runs into per-distinct-value counts written to `out` (capacity ≥ ps.length + ns.length). */
function mergeSorted(ps: Float64Array, ns: Float64Array, out: ScoreHistogram): void {
  const P = ps.length;
  const N = ns.length;
  const { values, pos, neg } = out;
  let i = 0, j = 0, m = 0;
  while (i < P || j < N) {
    let v: number;
    if (i < P && j < N) v = ps[i]! < ns[j]! ? ps[i]! : ns[j]!;
    else v = i < P ? ps[i]! : ns[j]!;
    let cp = 0;
    while (i < P && ps[i] === v) { cp++; i++; }
    let cn = 0;
    while (j < N && ns[j] === v) { cn++; j++; }
    values[m] = v;
    pos[m] = cp;
    neg[m] = cn;
    m++;
  }
  out.length = m;
}

/** Splits scores by label into two sorted arrays and merges them into a one-bin-per-distinct-score histogram. */
function histogramOf(scores: ArrayLike<number>, positive: ArrayLike<number>): ScoreHistogram {
  const n = scores.length;
  let P = 0;
  for (let i = 0; i < n; i++) if (positive[i] !== 0) P++;
  const buf = new Float64Array(n);
  const ps = buf.subarray(0, P);
  const ns = buf.subarray(P, n);
  let a = 0, b = 0;
  for (let i = 0; i < n; i++) {
    if (positive[i] !== 0) ps[a++] = scores[i]!;
    else ns[b++] = scores[i]!;
  }
  ps.sort();
  ns.sort();
  const h: ScoreHistogram = { values: new Float64Array(n), pos: new Float64Array(n), neg: new Float64Array(n), length: 0 };
  mergeSorted(ps, ns, h);
  return h;
}

function aucOfBins(pos: ArrayLike<number>, neg: ArrayLike<number>, length: number): number {
  // Walk from the highest bin down: a negative in bin b is outranked by every positive above b and ties with the
  // positives in b (half credit), which is the Mann–Whitney U statistic with average ranks for ties.
  let above = 0;
  let totalNeg = 0;
  let area = 0;
  for (let b = length - 1; b >= 0; b--) {
    const p = pos[b]!;
    const q = neg[b]!;
    area += q * (above + 0.5 * p);
    above += p;
    totalNeg += q;
  }
  if (above === 0 || totalNeg === 0) return NaN;
  return area / above / totalNeg;
}

function apOfBins(pos: ArrayLike<number>, neg: ArrayLike<number>, length: number): number {
  let totalPos = 0;
  for (let b = 0; b < length; b++) totalPos += pos[b]!;
  if (totalPos === 0) return NaN;
  // Σ (R_n − R_{n−1}) P_n over thresholds in descending order; recall only moves where a bin holds positives.
  let tp = 0, fp = 0, ap = 0;
  for (let b = length - 1; b >= 0; b--) {
    const p = pos[b]!;
    tp += p;
    fp += neg[b]!;
    if (p > 0) ap += p * (tp / (tp + fp));
  }
  return ap / totalPos;
}

function checkHistogram(pos: ArrayLike<number>, neg: ArrayLike<number>, fn: string): void {
  if (pos.length !== neg.length) throw new RangeError(`${fn}: pos has ${pos.length} bins but neg has ${neg.length}`);
}

/** Exact ROC AUC (sklearn roc_auc_score): tied scores get half credit; NaN when either class is absent. */
export function rocAuc(scores: ArrayLike<number>, positive: ArrayLike<number>): number {
  checkLengths(scores, positive, 'rocAuc');
  const h = histogramOf(scores, positive);
  return aucOfBins(h.pos, h.neg, h.length);
}

/** Average precision as sklearn defines it: Σ (R_n − R_{n−1}) P_n, step-wise (no interpolation); NaN without positives. */
export function averagePrecision(scores: ArrayLike<number>, positive: ArrayLike<number>): number {
  checkLengths(scores, positive, 'averagePrecision');
  const h = histogramOf(scores, positive);
  return apOfBins(h.pos, h.neg, h.length);
}

/** ROC AUC from per-bin weighted counts, bins in ascending score order; rows in the same bin are tied. */
export function rocAucFromHistogram(pos: ArrayLike<number>, neg: ArrayLike<number>): number {
  checkHistogram(pos, neg, 'rocAucFromHistogram');
  return aucOfBins(pos, neg, pos.length);
}

/** Average precision from per-bin weighted counts, bins in ascending score order; rows in the same bin are tied. */
export function averagePrecisionFromHistogram(pos: ArrayLike<number>, neg: ArrayLike<number>): number {
  checkHistogram(pos, neg, 'averagePrecisionFromHistogram');
  return apOfBins(pos, neg, pos.length);
}

/** Indices 0..m-1 thinned to at most maxPoints evenly spaced ones, always keeping the first and the last. */
function pickIndices(m: number, maxPoints: number): Int32Array | null {
  const k = Math.max(2, Math.floor(maxPoints));
  if (m <= k) return null;
  const idx = new Int32Array(k);
  const step = (m - 1) / (k - 1);
  for (let j = 0; j < k; j++) idx[j] = Math.round(j * step);
  idx[k - 1] = m - 1;
  return idx;
}

/**
 * ROC curve for charts, like sklearn roc_curve (drop_intermediate=True: collinear points dropped, then a (0, 0) point
 * with threshold +Infinity prepended), thresholds descending, downsampled to at most maxPoints points (default 1000,
 * first and last kept). fpr / tpr are NaN when the class they divide by is absent.
 */
export function rocCurve(scores: ArrayLike<number>, positive: ArrayLike<number>, maxPoints = 1000): { fpr: number[]; tpr: number[]; thresholds: number[] } {
  checkLengths(scores, positive, 'rocCurve');
  return rocCurveOf(histogramOf(scores, positive), maxPoints);
}

/** The ROC curve of a histogram; reuses (overwrites) its arrays. */
function rocCurveOf(h: ScoreHistogram, maxPoints: number): { fpr: number[]; tpr: number[]; thresholds: number[] } {
  const L = h.length;
  // Cumulative counts at each distinct threshold, highest first, reusing the histogram arrays in place.
  const fps = h.neg;
  const tps = h.pos;
  const thr = h.values;
  // Reverse to descending order and accumulate.
  for (let a = 0, b = L - 1; a < b; a++, b--) {
    let t = thr[a]!; thr[a] = thr[b]!; thr[b] = t;
    t = tps[a]!; tps[a] = tps[b]!; tps[b] = t;
    t = fps[a]!; fps[a] = fps[b]!; fps[b] = t;
  }
  for (let i = 1; i < L; i++) {
    tps[i]! += tps[i - 1]!;
    fps[i]! += fps[i - 1]!;
  }
  // sklearn's drop_intermediate: keep the ends and every point where either cumulative series changes slope.
  let m = 0;
  for (let i = 0; i < L; i++) {
    const keep = i === 0 || i === L - 1 ||
      fps[i + 1]! - 2 * fps[i]! + fps[i - 1]! !== 0 || tps[i + 1]! - 2 * tps[i]! + tps[i - 1]! !== 0;
    if (keep) {
      thr[m] = thr[i]!;
      tps[m] = tps[i]!;
      fps[m] = fps[i]!;
      m++;
    }
  }
  const P = L > 0 ? tps[m - 1]! : 0;
  const N = L > 0 ? fps[m - 1]! : 0;
  const total = m + 1; // with the prepended (0, 0) point
  const idx = pickIndices(total, maxPoints);
  const count = idx ? idx.length : total;
  const fpr = new Array<number>(count);
  const tpr = new Array<number>(count);
  const thresholds = new Array<number>(count);
  for (let j = 0; j < count; j++) {
    const k = idx ? idx[j]! : j;
    if (k === 0) {
      fpr[j] = N > 0 ? 0 : NaN;
      tpr[j] = P > 0 ? 0 : NaN;
      thresholds[j] = Infinity;
    } else {
      fpr[j] = N > 0 ? fps[k - 1]! / N : NaN;
      tpr[j] = P > 0 ? tps[k - 1]! / P : NaN;
      thresholds[j] = thr[k - 1]!;
    }
  }
  return { fpr, tpr, thresholds };
}

/**
 * Precision–recall curve for charts, like sklearn precision_recall_curve: thresholds ascending (one per distinct
 * score), recall falling, and a final (precision 1, recall 0) point without a threshold, so thresholds has one entry
 * fewer than the other two. Downsampled to at most maxPoints points (default 1000, first and last kept).
 * Recall is NaN when there are no positives.
 */
export function precisionRecallCurve(scores: ArrayLike<number>, positive: ArrayLike<number>, maxPoints = 1000): { recall: number[]; precision: number[]; thresholds: number[] } {
  checkLengths(scores, positive, 'precisionRecallCurve');
  return prCurveOf(histogramOf(scores, positive), maxPoints);
}

/** The precision-recall curve of a histogram; reuses (overwrites) its arrays. */
function prCurveOf(h: ScoreHistogram, maxPoints: number): { recall: number[]; precision: number[]; thresholds: number[] } {
  const L = h.length;
  // Turn per-bin counts into "rows scoring >= this bin's value" (suffix sums), still in ascending order.
  const tps = h.pos;
  const fps = h.neg;
  for (let i = L - 2; i >= 0; i--) {
    tps[i]! += tps[i + 1]!;
    fps[i]! += fps[i + 1]!;
  }
  const P = L > 0 ? tps[0]! : 0;
  const total = L + 1; // with the final (1, 0) point
  const idx = pickIndices(total, maxPoints);
  const count = idx ? idx.length : total;
  const recall = new Array<number>(count);
  const precision = new Array<number>(count);
  const thresholds: number[] = [];
  for (let j = 0; j < count; j++) {
    const k = idx ? idx[j]! : j;
    if (k === L) {
      precision[j] = 1;
      recall[j] = 0;
    } else {
      const tp = tps[k]!;
      precision[j] = tp / (tp + fps[k]!);
      recall[j] = P > 0 ? tp / P : NaN;
      thresholds.push(h.values[k]!);
    }
  }
  return { recall, precision, thresholds };
}

/**
 * ROC AUC, average precision and both curves from one sort of the scores: what an evaluation report needs, at a
 * quarter of the sorting the four functions above would do one by one. Same definitions and results as they give.
 */
export function rankingSummary(
  scores: ArrayLike<number>,
  positive: ArrayLike<number>,
  maxPoints = 1000,
): { auc: number; averagePrecision: number; roc: ReturnType<typeof rocCurve>; pr: ReturnType<typeof precisionRecallCurve> } {
  checkLengths(scores, positive, 'rankingSummary');
  const h = histogramOf(scores, positive);
  const auc = aucOfBins(h.pos, h.neg, h.length);
  const averagePrecision = apOfBins(h.pos, h.neg, h.length);
  const copy: ScoreHistogram = { values: h.values.slice(0, h.length), pos: h.pos.slice(0, h.length), neg: h.neg.slice(0, h.length), length: h.length };
  return { auc, averagePrecision, pr: prCurveOf(copy, maxPoints), roc: rocCurveOf(h, maxPoints) };
}

/**
 * One-vs-rest macro ROC AUC for multiclass (sklearn roc_auc_score multi_class='ovr', average='macro'); proba is n×C
 * row-major. Classes absent from y are skipped; rows whose label is outside 0..C-1 are ignored; NaN when fewer than
 * two classes are present.
 */
export function rocAucOvr(proba: Float64Array, y: Int32Array, classes: number): number {
  const C = classes;
  const n = y.length;
  if (proba.length !== n * C) throw new RangeError(`rocAucOvr: proba has ${proba.length} entries, expected ${n}×${C}`);
  const support = new Float64Array(C);
  let valid = 0;
  for (let i = 0; i < n; i++) {
    const t = y[i]!;
    if (t >>> 0 < C) { support[t]!++; valid++; }
  }
  const buf = new Float64Array(valid);
  const h: ScoreHistogram = { values: new Float64Array(valid), pos: new Float64Array(valid), neg: new Float64Array(valid), length: 0 };
  let sum = 0;
  let used = 0;
  for (let k = 0; k < C; k++) {
    const P = support[k]!;
    if (P === 0 || P === valid) continue;
    const ps = buf.subarray(0, P);
    const ns = buf.subarray(P, valid);
    let a = 0, b = 0;
    for (let i = 0; i < n; i++) {
      const t = y[i]!;
      if (t >>> 0 >= C) continue;
      const s = proba[i * C + k]!;
      if (t === k) ps[a++] = s;
      else ns[b++] = s;
    }
    ps.sort();
    ns.sort();
    mergeSorted(ps, ns, h);
    sum += aucOfBins(h.pos, h.neg, h.length);
    used++;
  }
  return used > 0 ? sum / used : NaN;
}
