/** Regression accumulation pass (segmented or coded): weighted error and target sums per slot. */
import type { PassPlan, Plan } from './plan.js';

/** Regression pass: per slot [W, Σw(y−ȳ), Σw(y−ȳ)², then |e|, e², |e|/max(|y|,eps) for A and for B]. */
export function regressionPass(plan: Plan, p: PassPlan, w: Uint8Array, sum: Float64Array): void {
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
