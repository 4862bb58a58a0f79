/**
 * From a resample's slot statistics to units' metric values: the per-task values* functions, and the sums of slots a
 * unit stands for (all slots of a family for the overall unit; the marginals of the joint segmentation).
 */
import { confusionMetrics } from '../metrics/confusion.js';
import { averagePrecisionFromHistogram, rocAucFromHistogram } from '../metrics/ranking.js';
import type { PassPlan, Plan } from './plan.js';

// Metrics from statistics. Log loss and Brier are accumulated as paired differences, so for them vA holds 0 and
// vB the mean difference (the full-data champion / challenger values are computed separately, see prepare.ts).

export function valuesBinary(plan: Plan, binsP: number, cnt: Int32Array, cb: number, sum: Float64Array, sb: number, vA: Float64Array, vB: Float64Array): void {
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

export function valuesMulticlass(plan: Plan, binsP: number, cnt: Int32Array, cb: number, sum: Float64Array, sb: number, vA: Float64Array, vB: Float64Array): void {
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

export function valuesRegression(sum: Float64Array, sb: number, vA: Float64Array, vB: Float64Array): void {
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
// Sums of slots

/** Overall unit from the slots of a pass that partitions all rows (slot 0 holds the rows without a slice). */
export function sumSlots(p: PassPlan, cnt: Int32Array, sum: Float64Array, tc: Int32Array, ts: Float64Array): void {
  tc.fill(0);
  ts.fill(0);
  for (let s = 0; s < p.slots; s++) {
    const c0 = s * p.K;
    for (let j = 0; j < p.K; j++) tc[j]! += cnt[c0 + j]!;
    const s0 = s * p.S;
    for (let j = 0; j < p.S; j++) ts[j]! += sum[s0 + j]!;
  }
}

/** Joint segmentation: where each family's marginal slots are, and scratch space for marginals(). */
export interface MarginalLayout {
  /** Marginal slots: Σ families' slots + 1 overall (the last). */
  slots: number;
  /** Each family's first marginal slot. */
  offset: Int32Array;
  /** Ping-pong buffers for the partial sums over the leading families (at most J / dims[0] slots each). */
  scratch: { cnt: Int32Array; sum: Float64Array }[];
}

export function marginalLayout(plan: Plan): MarginalLayout {
  const dims = plan.jointDims!;
  let slots = 0;
  let total = 1;
  for (const L of dims) slots += L;
  slots += 1;
  const offset = new Int32Array(dims.length);
  for (let f = 0, o = 0; f < dims.length; f++) {
    offset[f] = o;
    o += dims[f]!;
  }
  for (const L of dims) total *= L;
  const inner = total / dims[0]!;
  const p0 = plan.passes[0]!;
  const scratch = [0, 1].map(() => ({ cnt: new Int32Array(inner * p0.K), sum: new Float64Array(inner * p0.S) }));
  return { slots, offset, scratch };
}

/**
 * Joint segmentation: sums the joint slots of pass 0 (cnt0 / sum0) into every family's slots and the overall unit
 * (mc / ms, laid out as `layout`). The joint statistics form a tensor over the families' slots (first family most
 * significant); family f's marginal is the sum over the other indices, taken from the partial sum over families
 * 0..f−1 (the tensor itself for f = 0), which in turn gives the partial sum over families 0..f for the next family.
 * About 2 × joint slots × statistics per slot additions in all, always in the same order.
 */
export function marginals(plan: Plan, layout: MarginalLayout, cnt0: Int32Array, sum0: Float64Array, mc: Int32Array, ms: Float64Array): void {
  const dims = plan.jointDims!;
  const p = plan.passes[0]!;
  const K = p.K;
  const S = p.S;
  mc.fill(0);
  ms.fill(0);
  let curCnt = cnt0;
  let curSum = sum0;
  let size = p.slots;
  for (let f = 0; f < dims.length; f++) {
    const L = dims[f]!;
    const inner = size / L;
    const off = layout.offset[f]!;
    const last = f + 1 === dims.length;
    // The partial sum over family f (for the next family) starts as block 0 of the current tensor.
    const next = last ? null : layout.scratch[f & 1]!;
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
  const ob = (layout.slots - 1) * K;
  const os = (layout.slots - 1) * S;
  for (let c = 0; c < dims[0]!; c++) {
    for (let j = 0; j < K; j++) mc[ob + j]! += mc[c * K + j]!;
    for (let j = 0; j < S; j++) ms[os + j]! += ms[c * S + j]!;
  }
}
