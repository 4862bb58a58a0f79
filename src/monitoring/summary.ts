/**
 * What drift and data-quality checks know of one column in one window: counts, missing values, and its
 * distribution. The same shape comes from two places:
 *  - exactly, from raw rows (a dataset, a sample of the prediction log): numbers are kept sorted, categories
 *    counted;
 *  - from mergeable sketches (the gateway's per-bucket profiles): numbers as a KLL sketch's weighted items,
 *    categories as capped counts.
 * Checks read a summary through the same fields either way, so a window of 100 million predictions costs the
 * sketches' size, and the exact path exists to prove the sketches stay within tolerance.
 */
import type { Column, Frame } from '../runtimes/frame.js';
import { infinityOf } from '../runtimes/frame-file.js';
import { KllSketch, type KllState } from '../stats/kll.js';
import { TopK, type TopKState } from '../stats/topk.js';
import { sortedNumbers } from '../stats/sort.js';

/**
 * Counters a sketch keeps per category column: a Misra–Gries frequent-items sketch (src/stats/topk.ts) of
 * CATEGORY_CAP / 2 items, so the frequent categories are kept whatever the order they arrive in, each count is low
 * by at most n / (CATEGORY_CAP / 2 + 1), and the rest is pooled (and counted) as `other`. Under the cap, exact.
 */
export const CATEGORY_CAP = 1000;
/** The same bound when counting rows exactly: high enough for routes, zip codes and products, not for ids. */
export const EXACT_CATEGORY_CAP = 100_000;

export interface NumericSummary {
  kind: 'number';
  /** Values that are not missing. */
  n: number;
  missing: number;
  min: number;
  max: number;
  mean: number;
  /** Population standard deviation (numpy's default). */
  std: number;
  /** Sorted ascending; with `weights`, distinct values each carrying a weight, else every value once. */
  values: Float64Array;
  weights: Float64Array | null;
  /** Distinct values, exact when counted from rows (null from a sketch). */
  distinct: number | null;
  /** Values that did not parse as numbers (a type mismatch against the reference's schema). */
  invalid: number;
  /** ±Infinity values: neither missing nor in `values`, so no statistic of the distribution sees them. */
  nonFinite: number;
}

export interface CategorySummary {
  kind: 'category';
  n: number;
  missing: number;
  /** Counts of the categories kept (at most CATEGORY_CAP). */
  counts: Map<string, number>;
  /** Rows whose category was not kept: the capped tail. */
  other: number;
  /** Distinct categories seen, kept or not (a lower bound once the cap is reached). */
  distinct: number;
}

export type ColumnSummary = NumericSummary | CategorySummary;

export interface WindowSummary {
  rows: number;
  columns: Map<string, ColumnSummary>;
}

// -------------------------------------------------------------------------------------------------------------
// Exact, from rows

/** Summaries of a frame's columns (all, or the named ones). Numbers are sorted: O(n) memory per column. */
export function summarizeFrame(frame: Frame, names?: readonly string[]): WindowSummary {
  const columns = new Map<string, ColumnSummary>();
  for (const [name, col] of frame.columns) {
    if (names && !names.includes(name)) continue;
    columns.set(name, summarizeColumn(col));
  }
  return { rows: frame.rows, columns };
}

/** With `buffer` (as long as the column), a number column's sorted values live in it: see sortedNumbers. */
export function summarizeColumn(col: Column, buffer?: Float64Array): ColumnSummary {
  if (col.kind === 'number') return numericSummary(col.values, 0, buffer);
  return categorySummary(col.values, EXACT_CATEGORY_CAP);
}

export function numericSummary(raw: ArrayLike<number>, invalid = 0, buffer?: Float64Array): NumericSummary {
  const sorted = sortedNumbers(raw, buffer);
  // Sorting puts −Infinity first and +Infinity last: the finite values are the middle.
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi && sorted[lo] === -Infinity) lo++;
  while (hi > lo && sorted[hi - 1] === Infinity) hi--;
  const values = lo === 0 && hi === sorted.length ? sorted : sorted.subarray(lo, hi);
  const n = values.length;
  let sum = 0;
  let distinct = 0;
  for (let i = 0; i < n; i++) {
    sum += values[i]!;
    if (i === 0 || values[i] !== values[i - 1]) distinct++;
  }
  const mean = n > 0 ? sum / n : NaN;
  let ss = 0;
  for (let i = 0; i < n; i++) {
    const d = values[i]! - mean;
    ss += d * d;
  }
  return {
    kind: 'number',
    n,
    missing: raw.length - sorted.length,
    min: n > 0 ? values[0]! : NaN,
    max: n > 0 ? values[n - 1]! : NaN,
    mean,
    std: n > 0 ? Math.sqrt(ss / n) : NaN,
    values,
    weights: null,
    distinct,
    invalid,
    nonFinite: sorted.length - n,
  };
}

export function categorySummary(values: readonly (string | null)[], cap = CATEGORY_CAP): CategorySummary {
  const counts = new Map<string, number>();
  let missing = 0;
  let other = 0;
  let extra: Set<string> | null = null;
  for (const v of values) {
    if (v === null) {
      missing++;
      continue;
    }
    const c = counts.get(v);
    if (c !== undefined) counts.set(v, c + 1);
    else if (counts.size < cap) counts.set(v, 1);
    else {
      other++;
      // Distinct values beyond the cap are still counted, up to a bound, so the report can say "at least N".
      if (extra === null) extra = new Set();
      if (extra.size < 100_000) extra.add(v);
    }
  }
  return { kind: 'category', n: values.length - missing, missing, counts, other, distinct: counts.size + (extra?.size ?? 0) };
}

// -------------------------------------------------------------------------------------------------------------
// Streaming sketches, mergeable and serializable

export interface NumericSketchState {
  kind: 'number';
  missing: number;
  invalid: number;
  /** Absent in buckets written before it was counted. */
  nonFinite?: number;
  sum: number;
  sumSq: number;
  kll: KllState;
}

export interface CategorySketchState {
  kind: 'category';
  missing: number;
  topk: TopKState;
}

export type ColumnSketchState = NumericSketchState | CategorySketchState;

/** A column folded value by value. Merge two (any order) and you get the sketch of both streams. */
export class ColumnSketch {
  readonly kind: 'number' | 'category';
  missing = 0;
  invalid = 0;
  nonFinite = 0;
  private sum = 0;
  private sumSq = 0;
  private kll: KllSketch | null;
  private topk: TopK | null;

  constructor(kind: 'number' | 'category', k = 200) {
    this.kind = kind;
    this.kll = kind === 'number' ? new KllSketch(k) : null;
    this.topk = kind === 'category' ? new TopK(CATEGORY_CAP / 2) : null;
  }

  /** A number, or NaN / null / undefined for a missing one; a string a number column cannot read is `invalid`. */
  addNumber(v: number): void {
    if (v !== v) {
      this.missing++;
      return;
    }
    if (v === Infinity || v === -Infinity) {
      this.nonFinite++;
      return;
    }
    this.sum += v;
    this.sumSq += v * v;
    this.kll!.add(v);
  }

  addCategory(v: string | null): void {
    if (v === null) {
      this.missing++;
      return;
    }
    this.topk!.add(v);
  }

  /** Any JSON value: numbers and numeric strings for a number column, anything as text for a category. */
  add(v: unknown): void {
    if (this.kind === 'number') {
      if (v === null || v === undefined || v === '') this.addNumber(NaN);
      else if (typeof v === 'number') this.addNumber(v);
      else if (typeof v === 'boolean') this.addNumber(v ? 1 : 0);
      else {
        const n = typeof v === 'string' ? Number(v) : NaN;
        const inf = typeof v === 'string' ? infinityOf(v) : undefined;
        if (Number.isFinite(n)) this.addNumber(n);
        else if (inf !== undefined) this.addNumber(inf);
        else {
          this.invalid++;
          this.missing++;
        }
      }
    } else this.addCategory(v === null || v === undefined || v === '' ? null : typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v));
  }

  merge(other: ColumnSketch): this {
    if (other.kind !== this.kind) throw new TypeError(`cannot merge a ${other.kind} sketch into a ${this.kind} sketch`);
    this.missing += other.missing;
    this.invalid += other.invalid;
    this.nonFinite += other.nonFinite;
    if (this.kind === 'number') {
      this.sum += other.sum;
      this.sumSq += other.sumSq;
      this.kll!.merge(other.kll!);
    } else this.topk!.merge(other.topk!);
    return this;
  }

  toJSON(): ColumnSketchState {
    if (this.kind === 'number') return { kind: 'number', missing: this.missing, invalid: this.invalid, nonFinite: this.nonFinite, sum: this.sum, sumSq: this.sumSq, kll: this.kll!.toJSON() };
    return { kind: 'category', missing: this.missing, topk: this.topk!.toJSON() };
  }

  /** With `adopt`, arrays of the state (freshly parsed JSON) are used in place. */
  static fromJSON(s: ColumnSketchState, adopt = false): ColumnSketch {
    const sketch = new ColumnSketch(s.kind);
    sketch.missing = s.missing;
    if (s.kind === 'number') {
      sketch.invalid = s.invalid;
      sketch.nonFinite = s.nonFinite ?? 0;
      sketch.sum = s.sum;
      sketch.sumSq = s.sumSq;
      sketch.kll = KllSketch.fromJSON(s.kll, undefined, adopt);
    } else {
      sketch.topk = TopK.fromJSON(s.topk);
    }
    return sketch;
  }

  /** The summary the checks read. */
  summary(): ColumnSummary {
    if (this.kind === 'category') {
      const t = this.topk!;
      const counts = new Map<string, number>();
      let kept = 0;
      for (const { value, count } of t.top(Infinity)) {
        if (count <= 0) continue;
        counts.set(value, count);
        kept += count;
      }
      // Lower-bound counts: what they miss, and every purged category, is the tail.
      return { kind: 'category', n: t.n, missing: this.missing, counts, other: t.n - kept, distinct: t.tracked };
    }
    const kll = this.kll!;
    const n = kll.n;
    const mean = n > 0 ? this.sum / n : NaN;
    const { values, weights } = kll.weighted();
    return {
      kind: 'number',
      n,
      missing: this.missing,
      min: n > 0 ? kll.min : NaN,
      max: n > 0 ? kll.max : NaN,
      mean,
      std: n > 0 ? Math.sqrt(Math.max(0, this.sumSq / n - mean * mean)) : NaN,
      values,
      weights,
      distinct: null,
      invalid: this.invalid,
      nonFinite: this.nonFinite,
    };
  }
}

// -------------------------------------------------------------------------------------------------------------
// Reading a numeric summary, exact or weighted

/** Number of values <= x. */
export function countAtMost(s: NumericSummary, x: number): number {
  const { values, weights } = s;
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (values[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  if (!weights) return lo;
  return cumulative(s)[lo]!;
}

/** Number of values < x. */
export function countBelow(s: NumericSummary, x: number): number {
  const { values, weights } = s;
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (values[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  if (!weights) return lo;
  return cumulative(s)[lo]!;
}

const cumulatives = new WeakMap<Float64Array, Float64Array>();
/** cum[i] = total weight of the first i points (length + 1 entries). */
function cumulative(s: NumericSummary): Float64Array {
  const w = s.weights!;
  let cum = cumulatives.get(w);
  if (!cum) {
    cum = new Float64Array(w.length + 1);
    for (let i = 0; i < w.length; i++) cum[i + 1] = cum[i]! + w[i]!;
    cumulatives.set(w, cum);
  }
  return cum;
}

/** The value at quantile q (lower empirical quantile: the smallest value whose CDF reaches q). */
export function quantileOf(s: NumericSummary, q: number): number {
  if (s.n === 0) return NaN;
  if (q <= 0) return s.min;
  if (q >= 1) return s.max;
  const target = q * s.n;
  if (!s.weights) return s.values[Math.min(s.values.length - 1, Math.max(0, Math.ceil(target) - 1))]!;
  const cum = cumulative(s);
  let lo = 1;
  let hi = cum.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cum[mid]! >= target) hi = mid;
    else lo = mid + 1;
  }
  return s.values[lo - 1]!;
}
