/**
 * Multiclass accumulation pass (segmented or coded): both models' confusion matrices, one-vs-rest score histograms
 * and the sums of the per-row log-loss / Brier differences.
 */
import type { PassPlan, Plan } from './plan.js';

/** Multiclass pass; rows from..to−1 of slot s (segmented) or all rows with their codes. */
export function multiclassPass(plan: Plan, p: PassPlan, w: Uint8Array, cnt: Int32Array, sum: Float64Array): void {
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
