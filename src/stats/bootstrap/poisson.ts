/**
 * Seeded Poisson(1) weights for the Poisson bootstrap.
 *
 * The Poisson bootstrap (Hanley & MacGibbon, "Creating non-parametric bootstrap samples using Poisson frequencies",
 * Comput. Methods Programs Biomed. 2006; Chamandy, Muralidharan, Najmi & Naik, "Estimating uncertainty for massive
 * data streams", Google 2012) replaces the multinomial row counts of an n-out-of-n resample by independent
 * Poisson(1) counts, so every row's weight can be drawn on its own in one streaming pass.
 *
 * Generator: xoshiro128** (Blackman & Vigna, "Scrambled linear pseudorandom number generators", 2018), one 32-bit
 * output per row, its 128-bit state seeded from (seed, resample) through splitmix32 (Steele, Lea & Flood, "Fast
 * splittable pseudorandom number generators", 2014, with the 32-bit mix constants of "lowbias32", Wellons 2018).
 * A resample's weights therefore depend only on (seed, resample index), never on which thread draws them.
 *
 * Poisson(1) by inversion (Devroye, "Non-Uniform Random Variate Generation", 1986, §X.3.3): w = min{k : u < F(k)}
 * with u the 32-bit output and F(k)·2^32 precomputed. A 65,536-entry table indexed by the top 16 bits of u resolves
 * the draw at once except in the ~12 table cells that straddle a threshold, where the exact threshold search runs.
 */

/** Thresholds ⌊F(k)·2^32⌋ of the Poisson(1) CDF, k = 0, 1, …, 12; the last one is 2^32 (u is always below it). */
export const POISSON1_THRESHOLDS: Float64Array = (() => {
  const t: number[] = [];
  let pk = Math.exp(-1);
  let cdf = 0;
  for (let k = 0; ; k++) {
    cdf += pk;
    pk /= k + 1;
    const v = Math.floor(cdf * 4294967296);
    // Once the float CDF stops short of 1 only by rounding (P(X > k) < 2^-32), close the table at 2^32.
    if (v >= 4294967295 || k >= 30) {
      t.push(4294967296);
      break;
    }
    t.push(v);
  }
  return Float64Array.from(t);
})();

/** Exact inversion of a 32-bit uniform (as an unsigned number 0 ≤ u < 2^32). */
export function poisson1FromUniform(u: number): number {
  const t = POISSON1_THRESHOLDS;
  let k = 0;
  while (u >= t[k]!) k++;
  return k;
}

/** Table entry for a cell whose range contains a threshold: resolve with poisson1FromUniform. */
export const POISSON1_UNRESOLVED = 255;

/**
 * Weight for every top-16-bit cell of u whose whole range maps to one k; UNRESOLVED where a threshold falls inside.
 * (Kernels that fuse the draw into their own loop must use it exactly as drawPoissonWeights does.)
 */
export const POISSON1_TABLE: Uint8Array = (() => {
  const table = new Uint8Array(65536);
  for (let c = 0; c < 65536; c++) {
    const lo = poisson1FromUniform(c * 65536);
    const hi = poisson1FromUniform(c * 65536 + 65535);
    table[c] = lo === hi ? lo : POISSON1_UNRESOLVED;
  }
  return table;
})();

/** splitmix32 step: returns the mixed output for state `x` (caller advances x by the golden-ratio increment). */
function mix32(x: number): number {
  let z = x | 0;
  z = Math.imul(z ^ (z >>> 16), 0x7feb352d);
  z = Math.imul(z ^ (z >>> 15), 0x846ca68b);
  return (z ^ (z >>> 16)) | 0;
}

const GOLDEN = 0x9e3779b9 | 0;

/** The 128-bit xoshiro128** state for resample `r` of `seed` (never all zero). */
export function resampleState(seed: number, r: number): Int32Array {
  // Mix seed and resample index into a splitmix32 starting point, then take four outputs.
  let x = mix32((seed | 0) ^ mix32(Math.imul(r + 1, GOLDEN) ^ 0x5bd1e995)) ^ Math.imul(Math.floor(seed / 4294967296) | 0, 0x27d4eb2f);
  const s = new Int32Array(4);
  for (let i = 0; i < 4; i++) {
    x = (x + GOLDEN) | 0;
    s[i] = mix32(x);
  }
  if ((s[0]! | s[1]! | s[2]! | s[3]!) === 0) s[0] = 1;
  return s;
}

/**
 * Fills `w` with the Poisson(1) weights of resample `r` (row i gets the i-th draw of the resample's stream).
 * Returns the total weight.
 *
 * The xoshiro128** step and the table inversion below are repeated, written out, in every loop that draws weights
 * (binary.ts pass 0, weights.ts joint draws), on purpose: the generator state stays in four local integers, which
 * V8 keeps in registers only when the step is not a call (or a closure) in the row loop, and those loops draw the
 * same stream as this function. They also copy the imported table and helpers into locals before the loop.
 */
export function drawPoissonWeights(seed: number, r: number, w: Uint8Array): number {
  const st = resampleState(seed, r);
  let s0 = st[0]!, s1 = st[1]!, s2 = st[2]!, s3 = st[3]!;
  const table = POISSON1_TABLE;
  const n = w.length;
  let total = 0;
  for (let i = 0; i < n; i++) {
    // xoshiro128**: result = rotl(s1 * 5, 7) * 9
    const m = Math.imul(s1, 5);
    const out = Math.imul((m << 7) | (m >>> 25), 9);
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = (s3 << 11) | (s3 >>> 21);
    let k = table[out >>> 16]!;
    if (k === POISSON1_UNRESOLVED) k = poisson1FromUniform(out >>> 0);
    w[i] = k;
    total += k;
  }
  return total;
}
