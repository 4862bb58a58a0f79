/**
 * Streaming moments: count, missing, min, max, mean and standard deviation in one pass with O(1) memory.
 * Welford's update keeps the variance numerically stable (no sum-of-squares cancellation), and Chan et al.'s
 * pairwise formula merges two partial results exactly as if one sketch had seen both streams.
 */
export interface MomentsState {
  count: number;
  missing: number;
  min: number;
  max: number;
  mean: number;
  /** Sum of squared deviations from the mean (Welford's M2). */
  m2: number;
}

/** Mergeable count, missing, min, max, mean and variance of a stream of numbers. */
export class Moments {
  count = 0;
  missing = 0;
  min = Infinity;
  max = -Infinity;
  mean = 0;
  private m2 = 0;

  /** Adds one observation; non-finite values are counted as missing because they would poison the mean. */
  add(x: number): void {
    if (!Number.isFinite(x)) {
      this.missing++;
      return;
    }
    this.count++;
    if (x < this.min) this.min = x;
    if (x > this.max) this.max = x;
    const delta = x - this.mean;
    this.mean += delta / this.count;
    this.m2 += delta * (x - this.mean);
  }

  /** Records a missing value (empty cell, null) so missing shares can be computed. */
  addMissing(n = 1): void {
    this.missing += n;
  }

  /** Merges another sketch into this one (Chan et al. 1979), as if this sketch had seen both streams. */
  merge(other: Moments): this {
    const o = other.toJSON();
    this.missing += o.missing;
    if (o.count === 0) return this;
    if (this.count === 0) {
      Object.assign(this, { count: o.count, min: o.min, max: o.max, mean: o.mean, m2: o.m2 });
      return this;
    }
    const n = this.count + o.count;
    const delta = o.mean - this.mean;
    this.m2 += o.m2 + (delta * delta * this.count * o.count) / n;
    this.mean += (delta * o.count) / n;
    this.count = n;
    this.min = Math.min(this.min, o.min);
    this.max = Math.max(this.max, o.max);
    return this;
  }

  /** Population variance (divides by n): the profile describes the data set itself, not a sample of it. */
  variance(): number {
    return this.count > 0 ? this.m2 / this.count : NaN;
  }

  /** Sample variance (divides by n - 1), for callers that treat the data as a sample. */
  sampleVariance(): number {
    return this.count > 1 ? this.m2 / (this.count - 1) : NaN;
  }

  /** Population standard deviation. */
  std(): number {
    return Math.sqrt(this.variance());
  }

  /** Serializable state, so partial sketches can be stored and merged later. */
  toJSON(): MomentsState {
    return { count: this.count, missing: this.missing, min: this.min, max: this.max, mean: this.mean, m2: this.m2 };
  }

  /** Rebuilds a sketch from `toJSON()` output. */
  static fromJSON(s: MomentsState): Moments {
    // JSON turns the empty sketch's ±Infinity into null, so restore them from the count.
    const empty = s.count === 0;
    return Object.assign(new Moments(), { ...s, min: empty ? Infinity : s.min, max: empty ? -Infinity : s.max });
  }
}
