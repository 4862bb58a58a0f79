/**
 * Drift of each column between a reference window and a current one, and of the dataset as a whole.
 *
 * Default method per column, as Evidently (the most used open-source drift library) chooses it, counting distinct
 * values over both windows together:
 *  - numbers with more than 5 distinct values: two-sample Kolmogorov–Smirnov at p < 0.05 when the reference has at
 *    most 1,000 rows, else the Wasserstein distance normalised by the reference's standard deviation, drifted at
 *    ≥ 0.1;
 *  - categories (and numbers with at most 5 distinct values): chi-square at p < 0.05 (a Z-test for proportions when
 *    there are two values) up to 1,000 reference rows, else the Jensen–Shannon distance, drifted at ≥ 0.1.
 * One deliberate difference: chi-square is the two-sample test of homogeneity (scipy chi2_contingency), not
 * Evidently's goodness-of-fit against the reference's proportions, whose false-alarm rate is far above its threshold
 * (see src/stats/drift/tests.ts).
 * Every column's method and threshold can be overridden (psi, kl, hellinger, jensenshannon, wasserstein, ks,
 * chisquare, ztest).
 *
 * Each result carries a sampling-error band (`noise`): the value the statistic stays below 95% of the time when
 * both windows come from the same distribution at these sizes, so a reader can tell a real move from noise.
 *  - KS: the asymptotic critical value c(0.05)·sqrt((n+m)/(nm)).
 *  - Binned divergences (B bins, n_eff = nm/(n+m)): n_eff·PSI tends to χ²(B−1) under no change, KL to half of
 *    it, JS divergence and squared Hellinger to an eighth; the bands use χ²₀.₉₅(B−1) with those factors.
 *  - Chi-square and Z: their own 95% critical values.
 *  - Normalised Wasserstein: simulated (200 seeded pairs of samples drawn from the reference at up to 500 rows each),
 *    scaled by sqrt(n_sim/n_eff), since √n_eff·W converges in distribution.
 *
 * Numbers are binned for PSI, KL, Jensen–Shannon and Hellinger on up to 10 equal-frequency bins of the reference
 * (the usual PSI deciles; a value taken by many rows becomes its own bin). Empty bins are smoothed (see
 * src/stats/drift/distance.ts), so no statistic is ever NaN or infinite.
 */
import { mulberry32 } from '../stats/random.js';
import {
  benjaminiHochberg,
  chiSquareQuantile,
  chiSquareTest,
  hellinger,
  jensenShannonDistance,
  klDivergence,
  ksCritical,
  ksPValue,
  ksTwoSample,
  psi,
  wasserstein1,
  zTestProportions,
} from '../stats/drift/index.js';
import { countAtMost, countBelow, quantileOf, type CategorySummary, type ColumnSummary, type NumericSummary, type WindowSummary } from './summary.js';

export { DRIFT_METHODS, METHOD_NAMES, type DriftMethod } from './methods.js';
import type { DriftMethod } from './methods.js';

/** Tests answer with a p-value (drift when p < threshold); distances with a value (drift when ≥ threshold). */
export const P_VALUE_METHODS: ReadonlySet<DriftMethod> = new Set(['ks', 'chisquare', 'ztest']);

export const DEFAULT_THRESHOLDS: Record<DriftMethod, number> = { ks: 0.05, chisquare: 0.05, ztest: 0.05, wasserstein: 0.1, jensenshannon: 0.1, psi: 0.1, kl: 0.1, hellinger: 0.1 };

/**
 * How far a statistic computed from sketches (KLL, k = 200, both windows) may be from the exact one, absolute.
 * KLL's CDF is within about 1.3% of the true one (99% confidence) per window, so the KS statistic moves by at most
 * their sum; binned divergences inherit it through the bin edges and counts; the normalised Wasserstein distance
 * integrates the CDF error over the data's spread. Measured worst cases in src/monitoring/drift.test.ts stay well
 * under these on normal, lognormal, integer and spiked data. Categories are counted exactly under the cap.
 */
export const SKETCH_TOLERANCE: Record<Exclude<DriftMethod, 'chisquare' | 'ztest'>, number> = { ks: 0.027, wasserstein: 0.03, psi: 0.02, kl: 0.02, jensenshannon: 0.02, hellinger: 0.02 };

const NUMERIC_ONLY: ReadonlySet<DriftMethod> = new Set(['ks', 'wasserstein']);
const CATEGORY_ONLY: ReadonlySet<DriftMethod> = new Set(['chisquare', 'ztest']);

export interface ColumnDriftOptions {
  method?: DriftMethod;
  threshold?: number;
}

export interface DriftOptions {
  /** Per-column overrides. */
  columns?: Record<string, ColumnDriftOptions>;
  /** The dataset drifts when at least this share of columns drift. Default 0.5. */
  driftShare?: number;
  /** Benjamini–Hochberg across the columns tested with a p-value. Default none. */
  correction?: 'none' | 'bh';
  /** Fewer current (or reference) values than this: "insufficient data", never drift. Default MIN_ROWS. */
  minRows?: number;
  /** Reference rows above which large-sample distances replace tests. Default 1,000. */
  smallSample?: number;
}

export interface Histogram {
  /** For numbers: bin edges (bins + 1; the first and last are the windows' extremes). */
  edges?: number[];
  /** For categories: labels (the capped tail as "(other)"). */
  labels?: string[];
  reference: number[];
  current: number[];
}

export interface ColumnDrift {
  column: string;
  type: 'number' | 'category';
  method: DriftMethod;
  /** Null when there is not enough data. */
  statistic: number | null;
  pValue: number | null;
  /** p-value after the correction across columns (equal to pValue without one). */
  adjustedPValue: number | null;
  threshold: number;
  drifted: boolean;
  /** 'insufficient': too few rows in one window to judge; never drifted. */
  status: 'ok' | 'insufficient';
  /** 95% sampling-error band of the statistic (for tests: of the test statistic, for distances: of the distance). */
  noise: number | null;
  /** The statistic's distance from its band: > 1 is beyond noise. */
  referenceRows: number;
  currentRows: number;
  histogram: Histogram;
  /** Plain words, e.g. "mean 41.2 → 47.9 (+0.45 σ)" or "'pro' 20% → 34%". */
  change: string;
}

export interface DriftResult {
  /** 'insufficient_data' when either window is too small to judge: see MIN_ROWS. */
  verdict: DriftVerdict;
  /** With 'insufficient_data': why, in plain words. */
  insufficientReason?: string;
  minRows: number;
  columns: ColumnDrift[];
  driftedColumns: number;
  /** Of the columns with enough data. */
  driftedShare: number;
  driftShareThreshold: number;
  datasetDrift: boolean;
  correction: 'none' | 'bh';
  referenceRows: number;
  currentRows: number;
}

/**
 * Below this many rows in either window (or values of a column in both), drift is not judged: the verdict is
 * "insufficient data", which a `--fail-on-drift` run treats as a failure of its own, never as "no drift".
 */
export const MIN_ROWS = 30;

export type DriftVerdict = 'drift' | 'no_drift' | 'insufficient_data';

export class DriftInputError extends Error {}

/** Checks a method applies to a column type; the message says what to use instead. */
export function checkMethod(column: string, type: 'number' | 'category', method: DriftMethod): void {
  if (type === 'category' && NUMERIC_ONLY.has(method)) {
    throw new DriftInputError(`Column "${column}" holds categories; ${method} needs numbers. Use chisquare, ztest, jensenshannon, psi, kl or hellinger.`);
  }
  if (type === 'number' && CATEGORY_ONLY.has(method)) {
    // Allowed on numbers with few values, which are compared as categories; checked where the values are known.
  }
}

/** Compares two windows column by column. Columns missing from either window are left to the data-quality checks. */
export function compareWindows(reference: WindowSummary, current: WindowSummary, options: DriftOptions = {}): DriftResult {
  const columns: ColumnDrift[] = [];
  for (const [name, ref] of reference.columns) {
    const cur = current.columns.get(name);
    if (!cur) continue;
    columns.push(compareColumn(name, ref, cur, options.columns?.[name] ?? {}, options));
  }
  return combineColumns(columns, reference.rows, current.rows, options);
}

/** The dataset's verdict from its columns' results: the correction across columns, then the share that drifted. */
export function combineColumns(columns: ColumnDrift[], referenceRows: number, currentRows: number, options: DriftOptions = {}): DriftResult {
  const correction = options.correction ?? 'none';
  if (correction === 'bh') {
    const tested = columns.filter((c) => c.status === 'ok' && c.pValue !== null);
    if (tested.length > 0) {
      const alpha = Math.min(...tested.map((c) => c.threshold));
      const { adjusted } = benjaminiHochberg(
        tested.map((c) => c.pValue!),
        alpha,
      );
      tested.forEach((c, i) => {
        c.adjustedPValue = adjusted[i]!;
        c.drifted = adjusted[i]! < c.threshold;
      });
    }
  }
  const judged = columns.filter((c) => c.status === 'ok');
  const drifted = judged.filter((c) => c.drifted).length;
  const share = judged.length > 0 ? drifted / judged.length : 0;
  const threshold = options.driftShare ?? 0.5;
  const minRows = options.minRows ?? MIN_ROWS;
  const rule = `drift needs at least ${minRows} in each window`;
  const insufficientReason =
    currentRows < minRows
      ? `the current data has ${currentRows} row${currentRows === 1 ? '' : 's'}; ${rule}`
      : referenceRows < minRows
        ? `the reference has ${referenceRows} row${referenceRows === 1 ? '' : 's'}; ${rule}`
        : judged.length === 0
          ? `no column has ${minRows} values in both windows (${columns.length} compared)`
          : null;
  const datasetDrift = insufficientReason === null && share >= threshold;
  return {
    verdict: insufficientReason !== null ? 'insufficient_data' : datasetDrift ? 'drift' : 'no_drift',
    ...(insufficientReason !== null ? { insufficientReason } : {}),
    minRows,
    columns,
    driftedColumns: drifted,
    driftedShare: share,
    driftShareThreshold: threshold,
    datasetDrift,
    correction,
    referenceRows,
    currentRows,
  };
}

/**
 * Distinct values of a column over both windows together, counted up to `bound` + 1 (enough to choose a test).
 * A capped category tail counts as at least one more value.
 */
export function distinctAcross(ref: ColumnSummary, cur: ColumnSummary, bound = 5): number {
  if (ref.kind === 'number' && cur.kind === 'number') {
    const a = ref.values;
    const b = cur.values;
    let i = 0;
    let j = 0;
    let count = 0;
    while ((i < a.length || j < b.length) && count <= bound) {
      const x = j >= b.length || (i < a.length && a[i]! <= b[j]!) ? a[i]! : b[j]!;
      while (i < a.length && a[i] === x) i++;
      while (j < b.length && b[j] === x) j++;
      count++;
    }
    return count;
  }
  const r = asCategories(ref);
  const c = asCategories(cur);
  const keys = new Set([...r.counts.keys(), ...c.counts.keys()]);
  return Math.min(bound + 1, Math.max(keys.size + (r.other > 0 || c.other > 0 ? 1 : 0), r.distinct, c.distinct));
}

/**
 * The method Evidently would pick for this column, chosen from both windows as Evidently does (the number of
 * distinct values of reference and current together): a category binary in the reference that gains a third value
 * in the current window gets chi-square, not the Z-test, and numbers with a sixth value become numbers.
 */
export function defaultMethod(ref: ColumnSummary, cur: ColumnSummary, smallSample = 1000): DriftMethod {
  const small = ref.n <= smallSample;
  const values = distinctAcross(ref, cur);
  // A column whose type changed between windows is compared as categories (and flagged by the quality checks).
  const categorical = ref.kind !== 'number' || cur.kind !== 'number' || values <= 5;
  if (!categorical) return small ? 'ks' : 'wasserstein';
  if (small) return values <= 2 ? 'ztest' : 'chisquare';
  return 'jensenshannon';
}

export function compareColumn(column: string, ref: ColumnSummary, cur: ColumnSummary, spec: ColumnDriftOptions = {}, options: DriftOptions = {}): ColumnDrift {
  const type = ref.kind;
  if (spec.method) checkMethod(column, type, spec.method);
  const asCategories = ref.kind === 'number' && cur.kind === 'number' ? distinctAcross(ref, cur) <= 5 && (spec.method === undefined || !NUMERIC_ONLY.has(spec.method)) : ref.kind === 'category';
  const typeChanged = ref.kind !== cur.kind;
  let method = spec.method ?? defaultMethod(ref, cur, options.smallSample);
  if (typeChanged && NUMERIC_ONLY.has(method)) method = defaultMethod(ref, cur, options.smallSample);
  const threshold = spec.threshold ?? DEFAULT_THRESHOLDS[method];
  const minRows = options.minRows ?? MIN_ROWS;
  const base = { column, type, method, threshold, referenceRows: ref.n, currentRows: cur.n };

  const categorical = asCategories || typeChanged || CATEGORY_ONLY.has(method);
  const hist = categorical ? categoryHistogram(ref, cur) : numericHistogram(ref as NumericSummary, cur as NumericSummary);
  const change = describeChange(ref, cur, hist, categorical);

  if (ref.n < minRows || cur.n < minRows) {
    return { ...base, statistic: null, pValue: null, adjustedPValue: null, drifted: false, status: 'insufficient', noise: null, histogram: hist, change };
  }
  const n = ref.n;
  const m = cur.n;
  const nEff = (n * m) / (n + m);
  const bins = hist.reference.length;
  let statistic: number;
  let pValue: number | null = null;
  let noise: number;
  switch (method) {
    case 'ks': {
      const r = ref as NumericSummary;
      const c = cur as NumericSummary;
      if (!r.weights && !c.weights) {
        const t = ksTwoSample(r.values, c.values);
        statistic = t.statistic;
        pValue = t.pValue;
      } else {
        statistic = ksWeighted(r, c);
        pValue = ksPValue(statistic, n, m);
      }
      noise = ksCritical(0.05, n, m);
      break;
    }
    case 'wasserstein': {
      const r = ref as NumericSummary;
      const c = cur as NumericSummary;
      const scale = Math.max(r.std, 0.001);
      statistic = wasserstein1(r.values, c.values, r.weights ?? undefined, c.weights ?? undefined) / scale;
      noise = wassersteinNoise(r, nEff, scale);
      break;
    }
    case 'chisquare': {
      const t = chiSquareTest(hist.reference, hist.current);
      statistic = t.statistic;
      pValue = t.pValue;
      noise = chiSquareQuantile(0.95, Math.max(1, t.df));
      break;
    }
    case 'ztest': {
      // The share of the reference's most common value, in both windows.
      const top = hist.reference.indexOf(Math.max(...hist.reference));
      const t = zTestProportions(hist.reference[top]!, n, hist.current[top]!, m);
      statistic = Math.abs(t.statistic);
      pValue = t.pValue;
      noise = 1.959964;
      break;
    }
    case 'psi':
      statistic = psi(hist.reference, hist.current);
      noise = chiSquareQuantile(0.95, Math.max(1, bins - 1)) / nEff;
      break;
    case 'kl':
      statistic = klDivergence(hist.current, hist.reference);
      noise = chiSquareQuantile(0.95, Math.max(1, bins - 1)) / (2 * nEff);
      break;
    case 'jensenshannon':
      statistic = jensenShannonDistance(hist.reference, hist.current);
      noise = Math.sqrt(chiSquareQuantile(0.95, Math.max(1, bins - 1)) / (8 * nEff));
      break;
    case 'hellinger':
      statistic = hellinger(hist.reference, hist.current);
      noise = Math.sqrt(chiSquareQuantile(0.95, Math.max(1, bins - 1)) / (8 * nEff));
      break;
  }
  const drifted = pValue !== null ? pValue < threshold : statistic >= threshold;
  return { ...base, statistic, pValue, adjustedPValue: pValue, drifted, status: 'ok', noise, histogram: hist, change };
}

// -------------------------------------------------------------------------------------------------------------
// Histograms

const MAX_BINS = 10;

/** Up to 10 equal-frequency bins of the reference; both windows counted into them. */
export function numericHistogram(ref: NumericSummary, cur: NumericSummary): Histogram {
  const lo = Math.min(ref.n > 0 ? ref.min : Infinity, cur.n > 0 ? cur.min : Infinity);
  const hi = Math.max(ref.n > 0 ? ref.max : -Infinity, cur.n > 0 ? cur.max : -Infinity);
  if (ref.n > 0 && ref.min === ref.max) {
    // A constant reference has no quantiles to cut at: below, at and above its value, so a current window that
    // spreads out on either side is seen.
    const v = ref.min;
    const three = (s: NumericSummary) => [countBelow(s, v), countAtMost(s, v) - countBelow(s, v), s.n - countAtMost(s, v)];
    return { edges: [lo, v, v, hi], reference: three(ref), current: three(cur) };
  }
  const edges: number[] = [];
  if (ref.n > 0) {
    for (let b = 1; b < MAX_BINS; b++) {
      const q = quantileOf(ref, b / MAX_BINS);
      if (edges.length === 0 || q > edges[edges.length - 1]!) edges.push(q);
    }
  }
  // Interior edges are upper-inclusive cut points: bin i holds (edge[i-1], edge[i]].
  const cuts = edges.length > 0 && ref.n > 0 && edges[edges.length - 1]! >= ref.max ? edges.slice(0, -1) : edges;
  const count = (s: NumericSummary): number[] => {
    const out: number[] = [];
    let prev = 0;
    for (const e of cuts) {
      const at = countAtMost(s, e);
      out.push(at - prev);
      prev = at;
    }
    out.push(s.n - prev);
    return out;
  };
  return { edges: Number.isFinite(lo) ? [lo, ...cuts, hi] : [], reference: count(ref), current: count(cur) };
}

const OTHER = '(other)';

/**
 * Counts per category over both windows' categories; numbers with few values become categories. A category gets
 * its own bin only where its count is known in both windows (kept there, or that window was not capped so its count
 * is truly 0); the rest are pooled into "(other)" on both sides alike, so a category that one capped window merely
 * did not keep never looks like one that vanished.
 */
export function categoryHistogram(ref: ColumnSummary, cur: ColumnSummary): Histogram {
  const r = asCategories(ref);
  const c = asCategories(cur);
  const known = (s: CategorySummary, k: string) => s.counts.has(k) || s.other === 0;
  const labels: string[] = [];
  for (const k of r.counts.keys()) if (known(c, k)) labels.push(k);
  for (const k of c.counts.keys()) if (!r.counts.has(k) && known(r, k)) labels.push(k);
  // Most common in the reference first, then the current's new ones.
  labels.sort((a, b) => (r.counts.get(b) ?? 0) - (r.counts.get(a) ?? 0) || (c.counts.get(b) ?? 0) - (c.counts.get(a) ?? 0));
  const reference = labels.map((l) => r.counts.get(l) ?? 0);
  const current = labels.map((l) => c.counts.get(l) ?? 0);
  const restR = r.n - reference.reduce((a, b) => a + b, 0);
  const restC = c.n - current.reduce((a, b) => a + b, 0);
  if (restR > 0 || restC > 0) {
    labels.push(OTHER);
    reference.push(restR);
    current.push(restC);
  }
  return { labels, reference, current };
}

/** A numeric summary's values as category counts (used for numbers with few distinct values). */
function asCategories(s: ColumnSummary): CategorySummary {
  if (s.kind === 'category') return s;
  const counts = new Map<string, number>();
  const { values, weights } = s;
  for (let i = 0; i < values.length; i++) {
    const k = String(values[i]);
    counts.set(k, (counts.get(k) ?? 0) + (weights ? weights[i]! : 1));
  }
  return { kind: 'category', n: s.n, missing: s.missing, counts, other: 0, distinct: counts.size };
}

// -------------------------------------------------------------------------------------------------------------
// Statistics on weighted (sketch) points

/** KS statistic between two summaries at least one of which is weighted: the largest CDF gap over all points. */
export function ksWeighted(a: NumericSummary, b: NumericSummary): number {
  let i = 0;
  let j = 0;
  let ca = 0;
  let cb = 0;
  let d = 0;
  const av = a.values;
  const bv = b.values;
  while (i < av.length || j < bv.length) {
    const x = j >= bv.length || (i < av.length && av[i]! <= bv[j]!) ? av[i]! : bv[j]!;
    while (i < av.length && av[i]! <= x) ca += a.weights ? a.weights[i++]! : (i++, 1);
    while (j < bv.length && bv[j]! <= x) cb += b.weights ? b.weights[j++]! : (j++, 1);
    const gap = Math.abs(ca / a.n - cb / b.n);
    if (gap > d) d = gap;
  }
  return d;
}

/** 95th percentile of the normalised Wasserstein distance between two samples of the reference, at these sizes. */
function wassersteinNoise(ref: NumericSummary, nEff: number, scale: number): number {
  const size = Math.max(2, Math.min(500, Math.round(2 * nEff)));
  const rng = mulberry32(0x5eed);
  const draws: number[] = [];
  const a = new Float64Array(size);
  const b = new Float64Array(size);
  for (let rep = 0; rep < 200; rep++) {
    for (let k = 0; k < size; k++) {
      a[k] = quantileOf(ref, rng());
      b[k] = quantileOf(ref, rng());
    }
    a.sort();
    b.sort();
    draws.push(wasserstein1(a, b) / scale);
  }
  draws.sort((x, y) => x - y);
  // Two samples of `size` rows have n_eff = size/2; rescale to this comparison's n_eff.
  return draws[Math.floor(0.95 * draws.length)]! * Math.sqrt(size / 2 / nEff);
}

// -------------------------------------------------------------------------------------------------------------
// Words

const fmt = (v: number): string => {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e6 || a < 1e-3)) return v.toExponential(2);
  return Number(v.toPrecision(3)).toString();
};
const pct = (v: number): string => `${(100 * v).toFixed(v < 0.1 ? 1 : 0)}%`;

function describeChange(ref: ColumnSummary, cur: ColumnSummary, hist: Histogram, categorical: boolean): string {
  if (cur.n === 0) return 'no values in the current window';
  if (ref.n === 0) return 'no values in the reference';
  if (!categorical && ref.kind === 'number' && cur.kind === 'number') {
    const sd = ref.std > 0 ? ` (${cur.mean >= ref.mean ? '+' : '−'}${fmt(Math.abs(cur.mean - ref.mean) / ref.std)} σ)` : '';
    return `mean ${fmt(ref.mean)} → ${fmt(cur.mean)}${sd}; median ${fmt(quantileOf(ref, 0.5))} → ${fmt(quantileOf(cur, 0.5))}`;
  }
  // The category whose share moved most.
  const labels = hist.labels ?? [];
  let best = -1;
  let move = -1;
  labels.forEach((_, i) => {
    const d = Math.abs(hist.current[i]! / cur.n - hist.reference[i]! / ref.n);
    if (d > move) {
      move = d;
      best = i;
    }
  });
  if (best < 0) return 'no categories';
  return `'${labels[best]}' ${pct(hist.reference[best]! / ref.n)} → ${pct(hist.current[best]! / cur.n)}`;
}
