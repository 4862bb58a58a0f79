/**
 * HyperLogLog distinct-count estimate (Flajolet et al. 2007) with the small-range (linear counting)
 * correction. 2^12 registers: a relative standard error of 1.04 / sqrt(4096) ≈ 1.6% in 4 KB per column.
 * Merge takes the register-wise maximum, so it is exact with respect to the union of the streams.
 */
const P = 12;
const M = 1 << P;
const ALPHA = 0.7213 / (1 + 1.079 / M);

/** MurmurHash3 (x86, 32-bit) over UTF-16 code units: fast, well mixed, and stable across processes. */
export function murmur3(s: string, seed = 0): number {
  let h = seed >>> 0;
  const n = s.length;
  for (let i = 0; i < n; i++) {
    let k = s.charCodeAt(i);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  h ^= n;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export class HyperLogLog {
  private readonly registers = new Uint8Array(M);

  /** Adds a value (by its string form). */
  add(value: string): void {
    const h = murmur3(value);
    const idx = h >>> (32 - P);
    // Rank = position of the first 1-bit in the remaining 20 bits (capped when they are all zero).
    const rest = (h << P) >>> 0;
    const rank = rest === 0 ? 32 - P + 1 : Math.clz32(rest) + 1;
    if (rank > this.registers[idx]!) this.registers[idx] = rank;
  }

  /** Merges another sketch (register-wise max). */
  merge(other: HyperLogLog): this {
    for (let i = 0; i < M; i++) if (other.registers[i]! > this.registers[i]!) this.registers[i] = other.registers[i]!;
    return this;
  }

  /** Estimated number of distinct values added. */
  estimate(): number {
    let sum = 0;
    let zeros = 0;
    for (let i = 0; i < M; i++) {
      const r = this.registers[i]!;
      sum += 2 ** -r;
      if (r === 0) zeros++;
    }
    const raw = (ALPHA * M * M) / sum;
    // Linear counting is far more accurate while many registers are still empty.
    if (raw <= 2.5 * M && zeros > 0) return Math.round(M * Math.log(M / zeros));
    return Math.round(raw);
  }

  /** Registers as base64, a compact serializable form. */
  toJSON(): string {
    return Buffer.from(this.registers).toString('base64');
  }

  /** Rebuilds a sketch from `toJSON()` output. */
  static fromJSON(s: string): HyperLogLog {
    const h = new HyperLogLog();
    h.registers.set(Buffer.from(s, 'base64'));
    return h;
  }
}
