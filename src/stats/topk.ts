/**
 * Frequent items (Misra-Gries with the amortized purge used by Apache DataSketches' frequent-items sketch).
 *
 * The sketch keeps at most `2 * k` counters. When full, it subtracts the median counter from every counter and
 * drops the ones that fall to zero, which frees about half the slots at once: O(1) amortized per item instead of
 * O(k) for textbook Misra-Gries. The accumulated subtraction `offset` bounds the error: every reported count
 * is an underestimate by at most `offset`, and `offset <= n / (k + 1)`. If no purge ever happened (fewer than
 * 2k distinct values), counts are exact.
 */
export interface TopKState {
  k: number;
  n: number;
  offset: number;
  counters: [string, number][];
}

export interface FrequentItem {
  value: string;
  /** Lower bound of the true count (exact when `exact` is true). */
  count: number;
  share: number;
}

export class TopK {
  readonly k: number;
  n = 0;
  /** Total amount subtracted from counters: the maximum underestimate of any count. */
  offset = 0;
  /**
   * Counters are stored raised by `offset` (true lower bound = stored - offset), so a purge only deletes
   * entries instead of rewriting every survivor: the purge is most of the cost on high-cardinality columns.
   */
  private counters = new Map<string, number>();

  /** @param k number of items to report; the sketch keeps 2k counters. */
  constructor(k = 20) {
    if (!Number.isInteger(k) || k < 1) throw new RangeError('TopK k must be a positive integer');
    this.k = k;
  }

  /** Counts one occurrence (or `weight` occurrences) of `value`. */
  add(value: string, weight = 1): void {
    this.n += weight;
    const c = this.counters.get(value);
    if (c !== undefined) {
      this.counters.set(value, c + weight);
      return;
    }
    this.counters.set(value, this.offset + weight);
    if (this.counters.size > 2 * this.k) this.purge();
  }

  /** Subtracts the median count from all counters, removing at least half of them. */
  private purge(): void {
    const counts = Float64Array.from(this.counters.values()).sort();
    const median = counts[Math.floor(counts.length / 2)]!;
    // Subtracting (median - offset) from every true count is the same as raising the floor to the median.
    this.offset = median;
    for (const [v, c] of this.counters) if (c <= median) this.counters.delete(v);
  }

  /** Merges another sketch: add counters, then purge until within capacity; offsets add up. */
  merge(other: TopK): this {
    const o = other.toJSON();
    const mine = this.toJSON();
    this.n += o.n;
    this.offset = mine.offset + o.offset;
    const sum = new Map(mine.counters);
    for (const [v, c] of o.counters) sum.set(v, (sum.get(v) ?? 0) + c);
    this.counters = new Map([...sum].map(([v, c]) => [v, c + this.offset]));
    while (this.counters.size > 2 * this.k) this.purge();
    return this;
  }

  /** True when no counter was ever purged, so every count is exact. */
  get exact(): boolean {
    return this.offset === 0;
  }

  /** Number of distinct values, exact only when `exact` is true. */
  get tracked(): number {
    return this.counters.size;
  }

  /** The k most frequent values, most frequent first (ties by value, so output is deterministic). */
  top(k = this.k): FrequentItem[] {
    return [...this.counters]
      .map(([v, c]): [string, number] => [v, c - this.offset])
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .slice(0, k)
      .map(([value, count]) => ({ value, count, share: this.n > 0 ? count / this.n : 0 }));
  }

  /** Serializable state. */
  toJSON(): TopKState {
    return { k: this.k, n: this.n, offset: this.offset, counters: [...this.counters].map(([v, c]) => [v, c - this.offset]) };
  }

  /** Rebuilds a sketch from `toJSON()` output. */
  static fromJSON(s: TopKState): TopK {
    const t = new TopK(s.k);
    t.n = s.n;
    t.offset = s.offset;
    t.counters = new Map(s.counters.map(([v, c]) => [v, c + s.offset]));
    return t;
  }
}
