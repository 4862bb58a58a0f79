/**
 * The Resampler: the per-resample work of the paired Poisson bootstrap, shared by the worker threads and the inline
 * (workers: 0) path so both run exactly the same arithmetic in the same order.
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
 * Joint segmentation (several families within a budget, see prepare.ts): pass 0 is segmented by the cross product of
 * every family's slots and is the only pass; every unit is a sum of joint slots (units.ts marginals). The weights
 * are drawn in the order of the first-family segmentation and scattered to the joint order (Plan.jointRest,
 * weights.ts drawJoint), so every row gets the same weight as without the joint segmentation and the integer
 * statistics are identical; float sums are added up per joint slot and then per unit, which can change their last
 * bits (but not between threads).
 *
 * Log loss and Brier score are accumulated as sums of per-row paired differences (b − a), which halves the float
 * work; their full-data values per model are computed exactly once, outside the resamples (prepare.ts).
 *
 * Integer statistics (confusion counts, score histograms) are Int32: weights are small integers and a resample's
 * total weight stays far below 2^31 for any n we accept (n ≤ 2^30). Float statistics are Float64 summed in row
 * order, so a resample's result does not depend on the thread running it.
 *
 * Files: plan.ts (the Plan), prepare.ts (building it), weights.ts (weights drawn outside a pass), binary.ts,
 * multiclass.ts and regression.ts (the accumulation passes), units.ts (statistics to metric values, sums of slots).
 */
import { binaryCoded, binaryJoint, binaryJointPair, binaryPass0, binaryPass0Pair } from './binary.js';
import { multiclassPass } from './multiclass.js';
import type { Plan } from './plan.js';
import { regressionPass } from './regression.js';
import { marginalLayout, marginals, sumSlots, valuesBinary, valuesMulticlass, valuesRegression, type MarginalLayout } from './units.js';
import { drawJoint, drawJointPair, fillWeights } from './weights.js';

export type { PassPlan, Plan, RowData, Task, Unit } from './plan.js';

/** One resample's weights and statistics. */
interface StatSet {
  weights: Uint8Array;
  /** Joint segmentation: every family's slot statistics, then the overall unit's (units.ts marginals). */
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
  /** Joint segmentation: where the marginal slots are (null otherwise). */
  private readonly layout: MarginalLayout | null = null;
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
      this.layout = marginalLayout(plan);
      this.cursor = new Int32Array(plan.passes[0]!.slots / dims[0]!);
    }
    this.vA = new Float64Array(plan.metrics.length);
    this.vB = new Float64Array(plan.metrics.length);
  }

  /** Statistic set k (allocated on first use). */
  private set(k: number): StatSet {
    let st = this.sets[k];
    if (st === undefined) {
      const { plan } = this;
      const margSlots = this.layout === null ? 0 : this.layout.slots;
      st = {
        weights: new Uint8Array(plan.n),
        margCnt: new Int32Array(margSlots * plan.passes[0]!.K),
        margSum: new Float64Array(margSlots * plan.passes[0]!.S),
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
      const layout = this.layout!;
      if (!st.margReady) {
        marginals(plan, layout, st.cnt[0]!, st.sum[0]!, st.margCnt, st.margSum);
        st.margReady = true;
      }
      cnt = st.margCnt;
      sum = st.margSum;
      const m = unit.family === undefined ? layout.slots - 1 : layout.offset[unit.family]! + unit.slot;
      cb = m * p.K;
      sb = m * p.S;
    } else if (unit.slot < 0) {
      // Overall from the slots of a family that partitions all rows (slot 0 holds the rows without a slice).
      const tc = this.tmpCnt.subarray(0, p.K);
      const ts = this.tmpSum.subarray(0, p.S);
      sumSlots(p, cnt, sum, tc, ts);
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