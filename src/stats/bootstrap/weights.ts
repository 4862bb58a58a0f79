/**
 * A resample's Poisson(1) weights in pass-0 row order for the passes that do not draw them themselves: the plain
 * stream (drawPoissonWeights) and, under the joint segmentation, the same stream scattered from the first-family
 * order to the joint order, for one resample or two in one loop.
 */
import { drawPoissonWeights, POISSON1_TABLE, POISSON1_UNRESOLVED, poisson1FromUniform, resampleState } from './poisson.js';
import type { Plan } from './plan.js';

// The xoshiro128** step is written out in each drawing loop on purpose (see poisson.ts drawPoissonWeights).

/** Resample r's weights in row order (every weight 1 with `ones`). */
export function fillWeights(seed: number, r: number, ones: boolean, w: Uint8Array): void {
  if (ones) w.fill(1);
  else drawPoissonWeights(seed, r, w);
}

/**
 * Joint segmentation: draws resample r's weights in base order (as binaryPass0 / drawPoissonWeights: the same
 * stream) and writes each to its row's position in the joint order. Base order and joint order hold the same rows in
 * each first-family block (joint slots [c·inner, (c+1)·inner)), in original row order within each joint slot, so
 * the block's k-th base row goes to the next free position of its joint slot. `ones`: every weight 1.
 */
export function drawJoint(plan: Plan, seed: number, r: number, ones: boolean, w: Uint8Array, cursor: Int32Array): void {
  if (ones) {
    w.fill(1);
    return;
  }
  const seg = plan.passes[0]!.segments!;
  const rest = plan.jointRest!;
  const dims = plan.jointDims!;
  const inner = plan.passes[0]!.slots / dims[0]!;
  const st = resampleState(seed, r);
  let x0 = st[0]!, x1 = st[1]!, x2 = st[2]!, x3 = st[3]!;
  const table = POISSON1_TABLE;
  const unresolved = POISSON1_UNRESOLVED;
  const slow = poisson1FromUniform;
  for (let c = 0; c < dims[0]!; c++) {
    const first = c * inner;
    for (let t = 0; t < inner; t++) cursor[t] = seg[first + t]!;
    for (let k = seg[first]!, end = seg[first + inner]!; k < end; k++) {
      const m = Math.imul(x1, 5);
      const out = Math.imul((m << 7) | (m >>> 25), 9);
      const t = x1 << 9;
      x2 ^= x0;
      x3 ^= x1;
      x1 ^= x2;
      x0 ^= x3;
      x2 ^= t;
      x3 = (x3 << 11) | (x3 >>> 21);
      let wi = table[out >>> 16]!;
      if (wi === unresolved) wi = slow(out >>> 0);
      w[cursor[rest[k]!]!++] = wi;
    }
  }
}

/** drawJoint for resamples r1 and r2 in one loop (two independent generators, for instruction overlap). */
export function drawJointPair(plan: Plan, seed: number, r1: number, r2: number, w1: Uint8Array, w2: Uint8Array, cursor: Int32Array): void {
  const seg = plan.passes[0]!.segments!;
  const rest = plan.jointRest!;
  const dims = plan.jointDims!;
  const inner = plan.passes[0]!.slots / dims[0]!;
  const st = resampleState(seed, r1);
  let x0 = st[0]!, x1 = st[1]!, x2 = st[2]!, x3 = st[3]!;
  const su = resampleState(seed, r2);
  let y0 = su[0]!, y1 = su[1]!, y2 = su[2]!, y3 = su[3]!;
  const table = POISSON1_TABLE;
  const unresolved = POISSON1_UNRESOLVED;
  const slow = poisson1FromUniform;
  for (let c = 0; c < dims[0]!; c++) {
    const first = c * inner;
    for (let t = 0; t < inner; t++) cursor[t] = seg[first + t]!;
    for (let k = seg[first]!, end = seg[first + inner]!; k < end; k++) {
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
      const j = cursor[rest[k]!]!++;
      w1[j] = wi;
      w2[j] = vi;
    }
  }
}
