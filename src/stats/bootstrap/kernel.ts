/**
 * The per-resample work of the paired Poisson bootstrap, shared by the worker threads and the inline (workers: 0)
 * path so both run exactly the same arithmetic in the same order.
 *
 * A resample never materialises rows: it draws one Poisson(1) weight per row (poisson.ts) and accumulates weighted
 * sufficient statistics per slot (a slot is a slice of one group family, or the single slot of an overall pass);
 * each reported unit (overall or one slice) then turns its statistics into metric values with the shared kernels of
 * ../metrics. Both models see the same weights, so a unit's deltas are paired.
 *
 * Pass 0 is "segmented": the rows were reordered once so that its slots are contiguous row ranges, which lets it
 * keep its float sums in registers and draw the weights in the same loop (binary task). Further group families are
 * "coded" passes that read the weights pass 0 stored and a slot code per row. For binary tasks with probabilities
 * pass 0 can sweep two resamples at once (each with its own weights and statistics, so with the same numbers).
 *
 * Joint segmentation (several families within a budget, see paired.ts): pass 0 is segmented by the cross product of
 * every family's slots and is the only pass; every unit is a sum of joint slots (Resampler.marginals). The weights
 * are drawn in the order of the first-family segmentation and scattered to the joint order (Plan.jointRest), so
 * every row gets the same weight as without the joint segmentation and the integer statistics are identical; float
 * sums are added up per joint slot and then per unit, which can change their last bits (but not between threads).
 *
 * Log loss and Brier score are accumulated as sums of per-row paired differences (b − a), which halves the float
 * work; their full-data values per model are computed exactly once, outside the resamples (paired.ts).
 *
 * Integer statistics (confusion counts, score histograms) are Int32: weights are small integers and a resample's
 * total weight stays far below 2^31 for any n we accept (n ≤ 2^30). Float statistics are Float64 summed in row
 * order, so a resample's result does not depend on the thread running it.
 */
import { confusionMetrics } from '../metrics/confusion.js';
import { averagePrecisionFromHistogram, rocAucFromHistogram } from '../metrics/ranking.js';
import { drawPoissonWeights, POISSON1_TABLE, POISSON1_UNRESOLVED, poisson1FromUniform, resampleState } from './poisson.js';

export type Task = 'binary' | 'multiclass' | 'regression';

/** One accumulation pass over the rows: statistics per slot. */
export interface PassPlan {
  /** Number of slots (a family's labels + 1 for rows with code −1; 1 for an overall pass). */
  slots: number;
  /** Segmented pass (pass 0 only): rows segments[s] .. segments[s+1]−1 are slot s. */
  segments: Int32Array | null;
  /** Coded pass: slot of each row. */
  codes: Uint16Array | null;
  /** Score histograms of this pass use bin >>> shift (coarser bins when a family has many slices). */
  shift: number;
  /** Histogram bins per score after the shift. */
  binsP: number;
  /** Int32 statistics per slot. */
  K: number;
  /** Float64 statistics per slot. */
  S: number;
}

/**
 * A reported unit: one slot of one pass, or (slot −1) the sum of all the pass's slots (the overall unit). Under the
 * joint segmentation (Plan.jointDims), slot `slot` of family `family` (the sum of the joint slots with that digit),
 * or with slot −1 the overall unit.
 */
export interface Unit {
  pass: number;
  slot: number;
  family?: number;
}

/** Per-row inputs, precomputed once in pass-0 row order (SharedArrayBuffer-backed when workers are used). */
export interface RowData {
  /** binary without probabilities: y*4 + labelA*2 + labelB. */
  cell?: Uint8Array;
  /**
   * binary with probabilities, 4 per row: [y*4 + labelA*2 + labelB, y*bins + binA, y*bins + binB, 0], bins being
   * the p₁ score bins (ascending).
   */
  packed?: Uint16Array;
  /** multiclass: class codes of y and of both models' labels. */
  y?: Int32Array;
  pa?: Int32Array;
  pb?: Int32Array;
  /** multiclass OvR: score bin of every p_k, n×C, per model. */
  binA?: Uint16Array;
  binB?: Uint16Array;
  /**
   * classification with probabilities: n×2 [logLossB − logLossA, brierB − brierA];
   * regression: n×4 [y − ȳ, y − ŷA, y − ŷB, 1/max(|y|, eps)].
   */
  terms?: Float64Array;
}

export interface Plan {
  task: Task;
  /** Classes (0 for regression). */
  C: number;
  n: number;
  /** Both models have probabilities. */
  proba: boolean;
  /** Multiclass one-vs-rest AUC is computed. */
  ovr: boolean;
  /** Score bins before any shift. */
  bins: number;
  metrics: string[];
  passes: PassPlan[];
  units: Unit[];
  rows: RowData;
  /**
   * Joint segmentation (every family in pass 0, slots = the cross product of the families' slots): the Poisson
   * stream is still drawn in the "base" order (rows sorted stably by the first family only, the order the
   * first-family-segmented plan uses), so each row gets the same weight as without the joint segmentation and the
   * integer statistics are identical. jointRest[k] is the joint slot, within its first-family block, of the row at
   * base position k: the weight drawn k-th goes to the next free row of that joint slot (drawJoint). null otherwise.
   */
  jointRest: Uint16Array | null;
  /**
   * Joint segmentation: slots per family (labels + 1), the first family most significant, so joint slot
   * s = Σ_f (code_f + 1)·Π_{g>f} jointDims[g]. null otherwise.
   */
  jointDims: Int32Array | null;
}

export const BINARY_METRICS = ['accuracy', 'balanced_accuracy', 'precision', 'recall', 'f1'] as const;
export const BINARY_PROBA_METRICS = ['roc_auc', 'average_precision', 'log_loss', 'brier_score'] as const;
export const MULTICLASS_METRICS = ['accuracy', 'balanced_accuracy', 'precision_macro', 'recall_macro', 'f1_macro', 'f1_weighted'] as const;
export const MULTICLASS_PROBA_METRICS = ['log_loss', 'brier_score'] as const;
export const REGRESSION_METRICS = ['mae', 'mse', 'rmse', 'r2', 'mape'] as const;

/** Int32 and Float64 statistics per slot for a task. */
export function statSizes(task: Task, C: number, proba: boolean, ovr: boolean, binsP: number): { K: number; S: number } {
  if (task === 'binary') return { K: 8 + (proba ? 4 * binsP : 0), S: proba ? 2 : 0 };
  if (task === 'multiclass') return { K: 2 * C * C + (ovr ? 4 * C * binsP : 0), S: proba ? 2 : 0 };
  return { K: 0, S: 9 };
}

// ---------------------------------------------------------------------------------------------------------------
// Accumulation passes. `ones` (the full-data pass) uses weight 1 for every row instead of drawing.

/**
 * Binary pass 0 with the Poisson draws fused in: xoshiro128** and the inversion table exactly as
 * drawPoissonWeights, so the weights are the same stream. Stores each weight in `w` when coded passes follow.
 */
function binaryPass0(plan: Plan, p: PassPlan, seed: number, r: number, ones: boolean, w: Uint8Array, cnt: Int32Array, sum: Float64Array): void {
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
function binaryPass0Pair(plan: Plan, p: PassPlan, seed: number, r1: number, r2: number, w1: Uint8Array, w2: Uint8Array, c1: Int32Array, c2: Int32Array, m1: Float64Array, m2: Float64Array): void {
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
function binaryCoded(plan: Plan, p: PassPlan, w: Uint8Array, cnt: Int32Array, sum: Float64Array): void {
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

/**
 * Joint segmentation: draws resample r's weights in base order (as binaryPass0 / drawPoissonWeights: the same
 * stream) and writes each to its row's position in the joint order. Base order and joint order hold the same rows in
 * each first-family block (joint slots [c·inner, (c+1)·inner)), in original row order within each joint slot, so
 * the block's k-th base row goes to the next free position of its joint slot. `ones`: every weight 1.
 */
function drawJoint(plan: Plan, seed: number, r: number, ones: boolean, w: Uint8Array, cursor: Int32Array): void {
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
function drawJointPair(plan: Plan, seed: number, r1: number, r2: number, w1: Uint8Array, w2: Uint8Array, cursor: Int32Array): void {
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

/** Binary pass 0 on the joint segmentation: as binaryPass0, with the weights drawJoint wrote. */
function binaryJoint(plan: Plan, p: PassPlan, w: Uint8Array, cnt: Int32Array, sum: Float64Array): void {
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
function binaryJointPair(plan: Plan, p: PassPlan, w1: Uint8Array, w2: Uint8Array, c1: Int32Array, c2: Int32Array, m1: Float64Array, m2: Float64Array): void {
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

function fillWeights(seed: number, r: number, ones: boolean, w: Uint8Array): void {
  if (ones) w.fill(1);
  else drawPoissonWeights(seed, r, w);
}

/** Multiclass pass; rows from..to−1 of slot s (segmented) or all rows with their codes. */
function multiclassPass(plan: Plan, p: PassPlan, w: Uint8Array, cnt: Int32Array, sum: Float64Array): void {
  const C = plan.C;
  const C2 = C * C;
  const y = plan.rows.y!;
  const pa = plan.rows.pa!;
  const pb = plan.rows.pb!;
  const K = p.K;
  const codes = p.codes;
  const seg = p.segments;
  const ovr = plan.ovr;
  const binA = plan.rows.binA;
  const binB = plan.rows.binB;
  const d = plan.rows.terms;
  const sh = p.shift;
  const Bp = p.binsP;
  const offA = 2 * C2;
  const offB = offA + 2 * C * Bp;
  const S = p.S;
  const segCount = seg === null ? 1 : p.slots;
  for (let g = 0; g < segCount; g++) {
    const from = seg === null ? 0 : seg[g]!;
    const to = seg === null ? plan.n : seg[g + 1]!;
    for (let i = from; i < to; i++) {
      const wi = w[i]!;
      const s = codes === null ? g : codes[i]!;
      const base = s * K;
      const yi = y[i]!;
      cnt[base + yi * C + pa[i]!]! += wi;
      cnt[base + C2 + yi * C + pb[i]!]! += wi;
      if (ovr) {
        const ro = i * C;
        for (let k = 0; k < C; k++) {
          const o = base + k * 2 * Bp + (k === yi ? Bp : 0);
          cnt[offA + o + (binA![ro + k]! >>> sh)]! += wi;
          cnt[offB + o + (binB![ro + k]! >>> sh)]! += wi;
        }
      }
      if (S > 0) {
        const j = i << 1;
        sum[s * 2]! += wi * d![j]!;
        sum[s * 2 + 1]! += wi * d![j + 1]!;
      }
    }
  }
}

/** Regression pass: per slot [W, Σw(y−ȳ), Σw(y−ȳ)², then |e|, e², |e|/max(|y|,eps) for A and for B]. */
function regressionPass(plan: Plan, p: PassPlan, w: Uint8Array, sum: Float64Array): void {
  const t = plan.rows.terms!;
  const codes = p.codes;
  const seg = p.segments;
  const segCount = seg === null ? 1 : p.slots;
  for (let g = 0; g < segCount; g++) {
    const from = seg === null ? 0 : seg[g]!;
    const to = seg === null ? plan.n : seg[g + 1]!;
    for (let i = from; i < to; i++) {
      const wi = w[i]!;
      const f = (codes === null ? g : codes[i]!) * 9;
      const j = i << 2;
      const yc = t[j]!;
      const ea = t[j + 1]!;
      const eb = t[j + 2]!;
      const inv = t[j + 3]!;
      const aa = ea < 0 ? -ea : ea;
      const ab = eb < 0 ? -eb : eb;
      const wy = wi * yc;
      sum[f]! += wi;
      sum[f + 1]! += wy;
      sum[f + 2]! += wy * yc;
      sum[f + 3]! += wi * aa;
      sum[f + 4]! += wi * ea * ea;
      sum[f + 5]! += wi * aa * inv;
      sum[f + 6]! += wi * ab;
      sum[f + 7]! += wi * eb * eb;
      sum[f + 8]! += wi * ab * inv;
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Metrics from statistics. Log loss and Brier are accumulated as paired differences, so for them vA holds 0 and
// vB the mean difference (the full-data champion / challenger values are computed separately, see paired.ts).

function valuesBinary(plan: Plan, binsP: number, cnt: Int32Array, cb: number, sum: Float64Array, sb: number, vA: Float64Array, vB: Float64Array): void {
  const j = cnt;
  const confA = [j[cb]! + j[cb + 1]!, j[cb + 2]! + j[cb + 3]!, j[cb + 4]! + j[cb + 5]!, j[cb + 6]! + j[cb + 7]!];
  const confB = [j[cb]! + j[cb + 2]!, j[cb + 1]! + j[cb + 3]!, j[cb + 4]! + j[cb + 6]!, j[cb + 5]! + j[cb + 7]!];
  const W = confA[0]! + confA[1]! + confA[2]! + confA[3]!;
  for (let m = 0; m < 2; m++) {
    const v = m === 0 ? vA : vB;
    const r = confusionMetrics(m === 0 ? confA : confB, 2);
    v[0] = r.accuracy;
    v[1] = r.balancedAccuracy;
    v[2] = r.perClass.precision[1]!;
    v[3] = r.perClass.recall[1]!;
    v[4] = r.perClass.f1[1]!;
    if (plan.proba) {
      const h = cb + 8 + m * 2 * binsP;
      const neg = cnt.subarray(h, h + binsP);
      const pos = cnt.subarray(h + binsP, h + 2 * binsP);
      v[5] = rocAucFromHistogram(pos, neg);
      v[6] = averagePrecisionFromHistogram(pos, neg);
      v[7] = W > 0 ? (m === 0 ? 0 : sum[sb]! / W) : NaN;
      v[8] = W > 0 ? (m === 0 ? 0 : sum[sb + 1]! / W) : NaN;
    }
  }
}

function valuesMulticlass(plan: Plan, binsP: number, cnt: Int32Array, cb: number, sum: Float64Array, sb: number, vA: Float64Array, vB: Float64Array): void {
  const C = plan.C;
  const C2 = C * C;
  for (let m = 0; m < 2; m++) {
    const v = m === 0 ? vA : vB;
    const conf = cnt.subarray(cb + m * C2, cb + (m + 1) * C2);
    let W = 0;
    for (let k = 0; k < C2; k++) W += conf[k]!;
    const r = confusionMetrics(conf, C);
    v[0] = r.accuracy;
    v[1] = r.balancedAccuracy;
    v[2] = r.macro.precision;
    v[3] = r.macro.recall;
    v[4] = r.macro.f1;
    v[5] = r.weighted.f1;
    let k = 6;
    if (plan.proba) {
      v[k++] = W > 0 ? (m === 0 ? 0 : sum[sb]! / W) : NaN;
      v[k++] = W > 0 ? (m === 0 ? 0 : sum[sb + 1]! / W) : NaN;
    }
    if (plan.ovr) {
      // Macro mean over the classes that have both positives and negatives (as rocAucOvr skips absent classes).
      const h0 = cb + 2 * C2 + m * 2 * C * binsP;
      let total = 0;
      let used = 0;
      for (let c = 0; c < C; c++) {
        const h = h0 + c * 2 * binsP;
        const auc = rocAucFromHistogram(cnt.subarray(h + binsP, h + 2 * binsP), cnt.subarray(h, h + binsP));
        if (auc === auc) {
          total += auc;
          used++;
        }
      }
      v[k++] = used > 0 ? total / used : NaN;
    }
  }
}

function valuesRegression(sum: Float64Array, sb: number, vA: Float64Array, vB: Float64Array): void {
  const W = sum[sb]!;
  const sy = sum[sb + 1]!;
  const syy = sum[sb + 2]!;
  // y is centred on its full-data mean before summing, so this difference does not cancel catastrophically; a
  // residue below 1e-12 of Σw(y−ȳ)² is rounding from a constant y (R² then follows sklearn's force_finite rule).
  const sst = syy - (sy * sy) / W;
  const constant = !(sst > syy * 1e-12);
  for (let m = 0; m < 2; m++) {
    const v = m === 0 ? vA : vB;
    if (!(W > 0)) {
      v.fill(NaN);
      continue;
    }
    const f = sb + 3 + 3 * m;
    const sse = sum[f + 1]!;
    v[0] = sum[f]! / W;
    v[1] = sse / W;
    v[2] = Math.sqrt(sse / W);
    v[3] = constant ? (sse === 0 ? 1 : 0) : 1 - sse / sst;
    v[4] = sum[f + 2]! / W;
  }
}

// ---------------------------------------------------------------------------------------------------------------

/** One resample's weights and statistics. */
interface StatSet {
  weights: Uint8Array;
  /** Joint segmentation: every family's slot statistics, then the overall unit's (see Resampler.marginals). */
  margCnt: Int32Array;
  margSum: Float64Array;
  /** Whether margCnt / margSum hold the marginals of the statistics currently in the set. */
  margReady: boolean;
  cnt: Int32Array[];
  sum: Float64Array[];
}

/** Accumulates resamples' statistics and evaluates every unit; buffers are reused across resamples. */
export class Resampler {
  readonly plan: Plan;
  private readonly sets: StatSet[] = [];
  private readonly tmpCnt: Int32Array;
  private readonly tmpSum: Float64Array;
  /** Joint segmentation: marginal slots (Σ families' slots + 1 overall), each family's first marginal slot. */
  private margSlots = 0;
  private margOffset: Int32Array = new Int32Array(0);
  private scratch: { cnt: Int32Array; sum: Float64Array }[] = [];
  /** Joint segmentation: next free row of each joint slot of the current first-family block (drawJoint). */
  private cursor: Int32Array = new Int32Array(0);
  readonly vA: Float64Array;
  readonly vB: Float64Array;

  constructor(plan: Plan) {
    this.plan = plan;
    let K = 0, S = 0;
    for (const p of plan.passes) {
      K = Math.max(K, p.K);
      S = Math.max(S, p.S);
    }
    this.tmpCnt = new Int32Array(K);
    this.tmpSum = new Float64Array(S);
    const dims = plan.jointDims;
    if (dims !== null) {
      let total = 1;
      for (const L of dims) this.margSlots += L;
      this.margSlots += 1;
      this.margOffset = new Int32Array(dims.length);
      for (let f = 0, o = 0; f < dims.length; f++) {
        this.margOffset[f] = o;
        o += dims[f]!;
      }
      for (const L of dims) total *= L;
      // Ping-pong buffers for the partial sums over the leading families (at most J / dims[0] slots each).
      const inner = total / dims[0]!;
      const p0 = plan.passes[0]!;
      this.scratch = [0, 1].map(() => ({ cnt: new Int32Array(inner * p0.K), sum: new Float64Array(inner * p0.S) }));
      this.cursor = new Int32Array(inner);
    }
    this.vA = new Float64Array(plan.metrics.length);
    this.vB = new Float64Array(plan.metrics.length);
  }

  /** Statistic set k (allocated on first use). */
  private set(k: number): StatSet {
    let st = this.sets[k];
    if (st === undefined) {
      const { plan } = this;
      st = {
        weights: new Uint8Array(plan.n),
        margCnt: new Int32Array(this.margSlots * plan.passes[0]!.K),
        margSum: new Float64Array(this.margSlots * plan.passes[0]!.S),
        margReady: false,
        cnt: plan.passes.map((p) => new Int32Array(p.slots * p.K)),
        sum: plan.passes.map((p) => new Float64Array(p.slots * p.S)),
      };
      this.sets[k] = st;
    }
    return st;
  }

  /** Whether run() handles two resamples per sweep for this plan (binary with probabilities). */
  get pairs(): boolean {
    return this.plan.task === 'binary' && this.plan.proba;
  }

  /** Passes after pass 0 (or all passes from `from`) for statistic set `st`, whose weights are already drawn. */
  private restPasses(st: StatSet, from: number): void {
    const { plan } = this;
    for (let q = from; q < plan.passes.length; q++) {
      const p = plan.passes[q]!;
      const cnt = st.cnt[q]!;
      const sum = st.sum[q]!;
      cnt.fill(0);
      sum.fill(0);
      if (plan.task === 'binary') binaryCoded(plan, p, st.weights, cnt, sum);
      else if (plan.task === 'multiclass') multiclassPass(plan, p, st.weights, cnt, sum);
      else regressionPass(plan, p, st.weights, sum);
    }
  }

  /** Accumulates every pass into set 0 for resample r of seed (or, with `ones`, the full data: every weight 1). */
  accumulate(seed: number, r: number, ones: boolean): void {
    const { plan } = this;
    const st = this.set(0);
    const p0 = plan.passes[0]!;
    st.margReady = false;
    if (plan.jointDims !== null) {
      drawJoint(plan, seed, r, ones, st.weights, this.cursor);
      if (plan.task === 'binary') {
        st.cnt[0]!.fill(0);
        st.sum[0]!.fill(0);
        binaryJoint(plan, p0, st.weights, st.cnt[0]!, st.sum[0]!);
      } else {
        this.restPasses(st, 0);
      }
    } else if (plan.task === 'binary') {
      st.cnt[0]!.fill(0);
      st.sum[0]!.fill(0);
      binaryPass0(plan, p0, seed, r, ones, st.weights, st.cnt[0]!, st.sum[0]!);
      this.restPasses(st, 1);
    } else {
      fillWeights(seed, r, ones, st.weights);
      this.restPasses(st, 0);
    }
  }

  /** Accumulates resamples r1 and r2 into sets 0 and 1 in one sweep of pass 0 (only when `pairs`). */
  private accumulatePair(seed: number, r1: number, r2: number): void {
    const { plan } = this;
    const a = this.set(0);
    const b = this.set(1);
    for (const st of [a, b]) {
      st.cnt[0]!.fill(0);
      st.sum[0]!.fill(0);
    }
    if (plan.jointDims !== null) {
      a.margReady = false;
      b.margReady = false;
      drawJointPair(plan, seed, r1, r2, a.weights, b.weights, this.cursor);
      binaryJointPair(plan, plan.passes[0]!, a.weights, b.weights, a.cnt[0]!, b.cnt[0]!, a.sum[0]!, b.sum[0]!);
      return;
    }
    binaryPass0Pair(plan, plan.passes[0]!, seed, r1, r2, a.weights, b.weights, a.cnt[0]!, b.cnt[0]!, a.sum[0]!, b.sum[0]!);
    this.restPasses(a, 1);
    this.restPasses(b, 1);
  }

  /**
   * Joint segmentation: sums the joint slots of pass 0 into every family's slots and the overall unit. The joint
   * statistics form a tensor over the families' slots (first family most significant); family f's marginal is the
   * sum over the other indices, taken from the partial sum over families 0..f−1 (the tensor itself for f = 0), which
   * in turn gives the partial sum over families 0..f for the next family. About 2 × joint slots × statistics per slot
   * additions in all, always in the same order.
   */
  private marginals(st: StatSet): void {
    const { plan } = this;
    const dims = plan.jointDims!;
    const p = plan.passes[0]!;
    const K = p.K;
    const S = p.S;
    const mc = st.margCnt;
    const ms = st.margSum;
    mc.fill(0);
    ms.fill(0);
    let curCnt = st.cnt[0]!;
    let curSum = st.sum[0]!;
    let size = p.slots;
    for (let f = 0; f < dims.length; f++) {
      const L = dims[f]!;
      const inner = size / L;
      const off = this.margOffset[f]!;
      const last = f + 1 === dims.length;
      // The partial sum over family f (for the next family) starts as block 0 of the current tensor.
      const next = last ? null : this.scratch[f & 1]!;
      const nc = next === null ? curCnt : next.cnt.subarray(0, inner * K);
      const ns = next === null ? curSum : next.sum.subarray(0, inner * S);
      if (next !== null) {
        nc.set(curCnt.subarray(0, inner * K));
        ns.set(curSum.subarray(0, inner * S));
      }
      // Block c (`inner` consecutive slots) adds into slot c of family f's marginal and, from block 1 on, into the
      // partial sum: each statistic is read once.
      for (let c = 0; c < L; c++) {
        const mcb = (off + c) * K;
        const msb = (off + c) * S;
        const both = next !== null && c > 0;
        for (let t = 0; t < inner; t++) {
          const s0 = (c * inner + t) * K;
          const n0 = t * K;
          if (both) {
            for (let j = 0; j < K; j++) {
              const v = curCnt[s0 + j]!;
              mc[mcb + j]! += v;
              nc[n0 + j]! += v;
            }
          } else {
            for (let j = 0; j < K; j++) mc[mcb + j]! += curCnt[s0 + j]!;
          }
          const f0 = (c * inner + t) * S;
          const g0 = t * S;
          for (let j = 0; j < S; j++) {
            const v = curSum[f0 + j]!;
            ms[msb + j]! += v;
            if (both) ns[g0 + j]! += v;
          }
        }
      }
      curCnt = nc;
      curSum = ns;
      size = inner;
    }
    // Overall: the sum of the first family's slots (−1 included).
    const ob = (this.margSlots - 1) * K;
    const os = (this.margSlots - 1) * S;
    for (let c = 0; c < dims[0]!; c++) {
      for (let j = 0; j < K; j++) mc[ob + j]! += mc[c * K + j]!;
      for (let j = 0; j < S; j++) ms[os + j]! += ms[c * S + j]!;
    }
    st.margReady = true;
  }

  /** Metric values of unit `u` for both models into vA / vB (metric order of plan.metrics), from statistic set k. */
  evaluate(u: number, k = 0): void {
    const { plan } = this;
    const st = this.set(k);
    const unit = plan.units[u]!;
    const p = plan.passes[unit.pass]!;
    let cnt = st.cnt[unit.pass]!;
    let sum = st.sum[unit.pass]!;
    let cb = unit.slot * p.K;
    let sb = unit.slot * p.S;
    if (plan.jointDims !== null) {
      if (!st.margReady) this.marginals(st);
      cnt = st.margCnt;
      sum = st.margSum;
      const m = unit.family === undefined ? this.margSlots - 1 : this.margOffset[unit.family]! + unit.slot;
      cb = m * p.K;
      sb = m * p.S;
    } else if (unit.slot < 0) {
      // Overall from the slots of a family that partitions all rows (slot 0 holds the rows without a slice).
      const tc = this.tmpCnt.subarray(0, p.K);
      const ts = this.tmpSum.subarray(0, p.S);
      tc.fill(0);
      ts.fill(0);
      for (let s = 0; s < p.slots; s++) {
        const c0 = s * p.K;
        for (let j = 0; j < p.K; j++) tc[j]! += cnt[c0 + j]!;
        const s0 = s * p.S;
        for (let j = 0; j < p.S; j++) ts[j]! += sum[s0 + j]!;
      }
      cnt = tc;
      sum = ts;
      cb = 0;
      sb = 0;
    }
    if (plan.task === 'binary') valuesBinary(plan, p.binsP, cnt, cb, sum, sb, this.vA, this.vB);
    else if (plan.task === 'multiclass') valuesMulticlass(plan, p.binsP, cnt, cb, sum, sb, this.vA, this.vB);
    else valuesRegression(sum, sb, this.vA, this.vB);
  }

  private write(r: number, k: number, resamples: number, out: Float64Array): void {
    const M = this.plan.metrics.length;
    const { vA, vB } = this;
    for (let u = 0; u < this.plan.units.length; u++) {
      this.evaluate(u, k);
      for (let m = 0; m < M; m++) out[(u * M + m) * resamples + r] = vB[m]! - vA[m]!;
    }
  }

  /**
   * Runs resample r of `seed` (and r2 too, in the same sweep, when given and `pairs`) and writes each unit-metric
   * delta (challenger − champion; NaN when either side is undefined) to out[(u·M + m)·R + r].
   */
  run(seed: number, r: number, resamples: number, out: Float64Array, r2?: number): void {
    if (r2 !== undefined && this.pairs) {
      this.accumulatePair(seed, r, r2);
      this.write(r, 0, resamples, out);
      this.write(r2, 1, resamples, out);
      return;
    }
    this.accumulate(seed, r, false);
    this.write(r, 0, resamples, out);
    if (r2 !== undefined) {
      this.accumulate(seed, r2, false);
      this.write(r2, 0, resamples, out);
    }
  }
}
