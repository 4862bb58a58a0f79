/**
 * Binary accumulation passes: pass 0 with the Poisson draws fused in (one resample, or two in one sweep), the coded
 * pass of a further group family, and pass 0 on the joint segmentation (one or two resamples) with the weights
 * weights.ts drew. `ones` (the full-data pass) uses weight 1 for every row instead of drawing.
 */
import { POISSON1_TABLE, POISSON1_UNRESOLVED, poisson1FromUniform, resampleState } from './poisson.js';
import type { PassPlan, Plan } from './plan.js';

// The xoshiro128** step is written out in each drawing loop on purpose (see poisson.ts drawPoissonWeights).

/**
 * Binary pass 0 with the Poisson draws fused in: xoshiro128** and the inversion table exactly as
 * drawPoissonWeights, so the weights are the same stream. Stores each weight in `w` when coded passes follow.
 */
export function binaryPass0(plan: Plan, p: PassPlan, seed: number, r: number, ones: boolean, w: Uint8Array, cnt: Int32Array, sum: Float64Array): void {
  const seg = p.segments!;
  const K = p.K;
  const st = resampleState(seed, r);
  let x0 = st[0]!, x1 = st[1]!, x2 = st[2]!, x3 = st[3]!;
  // Locals, not the imported bindings: under a CommonJS transpile (tsx in workers) an imported name is a property
  // read on the module object, which would cost a lookup per row.
  const table = POISSON1_TABLE;
  const unresolved = POISSON1_UNRESOLVED;
  const slow = poisson1FromUniform;
  // The weights are only read back by coded passes.
  const store = plan.passes.length > 1;
  if (!plan.proba) {
    const cell = plan.rows.cell!;
    for (let s = 0; s < p.slots; s++) {
      const base = s * K;
      for (let i = seg[s]!, end = seg[s + 1]!; i < end; i++) {
        let wi = 1;
        if (!ones) {
          const m = Math.imul(x1, 5);
          const out = Math.imul((m << 7) | (m >>> 25), 9);
          const t = x1 << 9;
          x2 ^= x0;
          x3 ^= x1;
          x1 ^= x2;
          x0 ^= x3;
          x2 ^= t;
          x3 = (x3 << 11) | (x3 >>> 21);
          wi = table[out >>> 16]!;
          if (wi === unresolved) wi = slow(out >>> 0);
        }
        if (store) w[i] = wi;
        cnt[base + cell[i]!]! += wi;
      }
    }
    return;
  }
  const pk = plan.rows.packed!;
  const d = plan.rows.terms!;
  const B = p.binsP;
  for (let s = 0; s < p.slots; s++) {
    const base = s * K;
    const bA = base + 8;
    const bB = bA + 2 * B;
    let s0 = 0;
    let s1 = 0;
    for (let i = seg[s]!, end = seg[s + 1]!; i < end; i++) {
      let wi = 1;
      if (!ones) {
        const m = Math.imul(x1, 5);
        const out = Math.imul((m << 7) | (m >>> 25), 9);
        const t = x1 << 9;
        x2 ^= x0;
        x3 ^= x1;
        x1 ^= x2;
        x0 ^= x3;
        x2 ^= t;
        x3 = (x3 << 11) | (x3 >>> 21);
        wi = table[out >>> 16]!;
        if (wi === unresolved) wi = slow(out >>> 0);
      }
      if (store) w[i] = wi;
      const q = i << 2;
      cnt[base + pk[q]!]! += wi;
      cnt[bA + pk[q + 1]!]! += wi;
      cnt[bB + pk[q + 2]!]! += wi;
      const j = i << 1;
      s0 += wi * d[j]!;
      s1 += wi * d[j + 1]!;
    }
    sum[s * 2] = s0;
    sum[s * 2 + 1] = s1;
  }
}

/**
 * Two resamples (r1, r2) of binary pass 0 with probabilities in one sweep: each row's inputs are loaded once and
 * feed both resamples' statistics. Every resample keeps its own weight stream, integer counts and row-ordered float
 * sums, so its numbers are exactly those binaryPass0 computes for it alone (pairing only saves loads and loop
 * overhead, about a sixth of the time).
 */
export function binaryPass0Pair(plan: Plan, p: PassPlan, seed: number, r1: number, r2: number, w1: Uint8Array, w2: Uint8Array, c1: Int32Array, c2: Int32Array, m1: Float64Array, m2: Float64Array): void {
  const seg = p.segments!;
  const K = p.K;
  const st = resampleState(seed, r1);
  let x0 = st[0]!, x1 = st[1]!, x2 = st[2]!, x3 = st[3]!;
  const su = resampleState(seed, r2);
  let y0 = su[0]!, y1 = su[1]!, y2 = su[2]!, y3 = su[3]!;
  const table = POISSON1_TABLE;
  const unresolved = POISSON1_UNRESOLVED;
  const slow = poisson1FromUniform;
  const pk = plan.rows.packed!;
  const d = plan.rows.terms!;
  const B = p.binsP;
  // The weights are only read back by coded passes.
  const store = plan.passes.length > 1;
  for (let s = 0; s < p.slots; s++) {
    const base = s * K;
    const bA = base + 8;
    const bB = bA + 2 * B;
    let s0 = 0, s1 = 0, u0 = 0, u1 = 0;
    for (let i = seg[s]!, end = seg[s + 1]!; i < end; i++) {
      const m = Math.imul(x1, 5);
      const out = Math.imul((m << 7) | (m >>> 25), 9);
      const t = x1 << 9;
      x2 ^= x0;
      x3 ^= x1;
      x1 ^= x2;
      x0 ^= x3;
      x2 ^= t;
      x3 = (x3 << 11) | (x3 >>> 21);
      const mm = Math.imul(y1, 5);
      const out2 = Math.imul((mm << 7) | (mm >>> 25), 9);
      const tt = y1 << 9;
      y2 ^= y0;
      y3 ^= y1;
      y1 ^= y2;
      y0 ^= y3;
      y2 ^= tt;
      y3 = (y3 << 11) | (y3 >>> 21);
      let wi = table[out >>> 16]!;
      if (wi === unresolved) wi = slow(out >>> 0);
      let vi = table[out2 >>> 16]!;
      if (vi === unresolved) vi = slow(out2 >>> 0);
      if (store) {
        w1[i] = wi;
        w2[i] = vi;
      }
      const q = i << 2;
      const c = base + pk[q]!;
      const ha = bA + pk[q + 1]!;
      const hb = bB + pk[q + 2]!;
      c1[c]! += wi;
      c1[ha]! += wi;
      c1[hb]! += wi;
      c2[c]! += vi;
      c2[ha]! += vi;
      c2[hb]! += vi;
      const j = i << 1;
      const d0 = d[j]!;
      const d1 = d[j + 1]!;
      s0 += wi * d0;
      s1 += wi * d1;
      u0 += vi * d0;
      u1 += vi * d1;
    }
    m1[s * 2] = s0;
    m1[s * 2 + 1] = s1;
    m2[s * 2] = u0;
    m2[s * 2 + 1] = u1;
  }
}

/** Binary coded pass (another group family), reading the weights pass 0 stored. */
export function binaryCoded(plan: Plan, p: PassPlan, w: Uint8Array, cnt: Int32Array, sum: Float64Array): void {
  const n = plan.n;
  const K = p.K;
  const codes = p.codes!;
  if (!plan.proba) {
    const cell = plan.rows.cell!;
    for (let i = 0; i < n; i++) cnt[codes[i]! * K + cell[i]!]! += w[i]!;
    return;
  }
  const pk = plan.rows.packed!;
  const d = plan.rows.terms!;
  const B = plan.bins;
  const Bp = p.binsP;
  const sh = p.shift;
  for (let i = 0; i < n; i++) {
    const wi = w[i]!;
    const s = codes[i]!;
    const base = s * K;
    const q = i << 2;
    const c = pk[q]!;
    const y = c >>> 2;
    const yB = y * B;
    const h = base + 8 + y * Bp;
    cnt[base + c]! += wi;
    cnt[h + ((pk[q + 1]! - yB) >>> sh)]! += wi;
    cnt[h + 2 * Bp + ((pk[q + 2]! - yB) >>> sh)]! += wi;
    const j = i << 1;
    sum[s * 2]! += wi * d[j]!;
    sum[s * 2 + 1]! += wi * d[j + 1]!;
  }
}

/** Binary pass 0 on the joint segmentation: as binaryPass0, with the weights drawJoint wrote. */
export function binaryJoint(plan: Plan, p: PassPlan, w: Uint8Array, cnt: Int32Array, sum: Float64Array): void {
  const seg = p.segments!;
  const K = p.K;
  if (!plan.proba) {
    const cell = plan.rows.cell!;
    for (let s = 0; s < p.slots; s++) {
      const b0 = s * K;
      for (let i = seg[s]!, end = seg[s + 1]!; i < end; i++) cnt[b0 + cell[i]!]! += w[i]!;
    }
    return;
  }
  const pk = plan.rows.packed!;
  const d = plan.rows.terms!;
  const B = p.binsP;
  for (let s = 0; s < p.slots; s++) {
    const from = seg[s]!;
    const end = seg[s + 1]!;
    if (from === end) continue;
    const b0 = s * K;
    const bA = b0 + 8;
    const bB = bA + 2 * B;
    let s0 = 0;
    let s1 = 0;
    for (let i = from; i < end; i++) {
      const wi = w[i]!;
      const q = i << 2;
      cnt[b0 + pk[q]!]! += wi;
      cnt[bA + pk[q + 1]!]! += wi;
      cnt[bB + pk[q + 2]!]! += wi;
      const j = i << 1;
      s0 += wi * d[j]!;
      s1 += wi * d[j + 1]!;
    }
    sum[s * 2] = s0;
    sum[s * 2 + 1] = s1;
  }
}

/** binaryPass0Pair on the joint segmentation, with the weights drawJointPair wrote. */
export function binaryJointPair(plan: Plan, p: PassPlan, w1: Uint8Array, w2: Uint8Array, c1: Int32Array, c2: Int32Array, m1: Float64Array, m2: Float64Array): void {
  const seg = p.segments!;
  const K = p.K;
  const pk = plan.rows.packed!;
  const d = plan.rows.terms!;
  const B = p.binsP;
  for (let s = 0; s < p.slots; s++) {
    const from = seg[s]!;
    const end = seg[s + 1]!;
    if (from === end) continue;
    const b0 = s * K;
    const bA = b0 + 8;
    const bB = bA + 2 * B;
    let s0 = 0, s1 = 0, u0 = 0, u1 = 0;
    for (let i = from; i < end; i++) {
      const wi = w1[i]!;
      const vi = w2[i]!;
      const q = i << 2;
      const c = b0 + pk[q]!;
      const ha = bA + pk[q + 1]!;
      const hb = bB + pk[q + 2]!;
      c1[c]! += wi;
      c1[ha]! += wi;
      c1[hb]! += wi;
      c2[c]! += vi;
      c2[ha]! += vi;
      c2[hb]! += vi;
      const j = i << 1;
      const d0 = d[j]!;
      const d1 = d[j + 1]!;
      s0 += wi * d0;
      s1 += wi * d1;
      u0 += vi * d0;
      u1 += vi * d1;
    }
    m1[s * 2] = s0;
    m1[s * 2 + 1] = s1;
    m2[s * 2] = u0;
    m2[s * 2 + 1] = u1;
  }
}
