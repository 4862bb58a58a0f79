/**
 * Preparation of the paired bootstrap (main thread, once per call): input validation, score bins, per-row terms, the
 * choice of passes (joint segmentation and its budget rule, histogram coarsening), the row reordering into pass-0
 * segments and the SharedArrayBuffer copies of the per-row inputs. Produces the Plan (plan.ts).
 */
import { logLossTerm } from '../metrics/probabilistic.js';
import { MAPE_EPS } from '../metrics/regression.js';
import {
  BINARY_METRICS,
  BINARY_PROBA_METRICS,
  MULTICLASS_METRICS,
  MULTICLASS_PROBA_METRICS,
  REGRESSION_METRICS,
  statSizes,
  type PassPlan,
  type Plan,
  type RowData,
  type Task,
  type Unit,
} from './plan.js';

export type ModelOutput = { label: Int32Array; proba?: Float64Array /* n×C row-major */ } | { value: Float64Array };

export interface PairedData {
  task: Task;
  /** C (2 for binary), 0 for regression. */
  classes: number;
  /** Class codes 0..C-1 (binary: 1 = positive) or regression targets. */
  y: Int32Array | Float64Array;
  /** Champion. */
  a: ModelOutput;
  /** Challenger. */
  b: ModelOutput;
  groups?: { family: string; labels: string[]; codes: Int32Array }[];
}

/** Maximum score bins (before any per-family coarsening). */
export const SCORE_BINS = 1024;
/** Rows sampled to place the quantile bin edges. */
const EDGE_SAMPLE = 1 << 18;
/** Int32 statistics allowed per pass (slots × per-slot size) before a family's histograms are coarsened. */
const PASS_BUDGET = 1 << 22;
/** Hard cap on the statistics of one pass (per worker), e.g. per-slice confusion matrices of a huge class count. */
const MAX_PASS_STATS = 1 << 25;
/** Joint segmentation (all families in one segmented pass): at most this many joint slots (cross product). */
const MAX_JOINT_SLOTS = 4096;
/**
 * ... and per resample, the finalisation of the joint slots (units.ts marginals: about 2 × joint slots × statistics
 * per slot sequential additions, ~1.2 ns each) at most this many times the row visits of the coded passes it replaces
 * ((families − 1) × n visits, ~13 ns each for binary with probabilities): so it costs at most about half of them.
 */
const JOINT_WORK_PER_CODED_ROW = 4;
/** Multiclass one-vs-rest AUC only up to this many classes. */
export const MAX_OVR_CLASSES = 20;

// ---------------------------------------------------------------------------------------------------------------
// Preparation (main thread, once)

/** A typed array on its own SharedArrayBuffer (at least one element long, so a worker can always be given it). */
export function sharedArray<T extends Uint8Array | Uint16Array | Int32Array | Float64Array>(
  ctor: { new (buffer: SharedArrayBuffer): T; BYTES_PER_ELEMENT: number },
  length: number,
): T {
  return new ctor(new SharedArrayBuffer(Math.max(1, length) * ctor.BYTES_PER_ELEMENT));
}

/** As sharedArray, but a view of exactly `length` elements (the buffer still holds at least one). */
export function sharedView<T extends Uint8Array | Uint16Array | Int32Array | Float64Array>(
  ctor: { new (buffer: SharedArrayBuffer, offset: number, length: number): T; BYTES_PER_ELEMENT: number },
  length: number,
): T {
  return new ctor(new SharedArrayBuffer(Math.max(1, length) * ctor.BYTES_PER_ELEMENT), 0, length);
}

/**
 * Places the score at column `col` of the n×stride matrix `scores` into at most `maxBins` ascending bins and writes
 * each row's bin to out[i·outStride + outCol]. Edges come from a strided sample of at most EDGE_SAMPLE rows: all distinct
 * values when there are fewer than maxBins of them (exact ties, exact AUC), otherwise the sample's quantiles at
 * j/maxBins. A row's bin is the number of edges strictly below its score, so equal scores always share a bin.
 * Returns the number of bins.
 */
function binScores(scores: Float64Array, stride: number, col: number, n: number, maxBins: number, out: Uint16Array, outStride: number, outCol: number): number {
  const m = Math.min(n, EDGE_SAMPLE);
  const sample = new Float64Array(m);
  for (let j = 0; j < m; j++) sample[j] = scores[Math.floor((j * n) / m) * stride + col]!;
  sample.sort();
  let distinct = 0;
  for (let j = 0; j < m; j++) if (j === 0 || sample[j] !== sample[j - 1]) distinct++;
  let edges: Float64Array;
  if (distinct <= maxBins - 1) {
    edges = new Float64Array(distinct);
    let e = 0;
    for (let j = 0; j < m; j++) if (j === 0 || sample[j] !== sample[j - 1]) edges[e++] = sample[j]!;
  } else {
    const picks: number[] = [];
    for (let j = 1; j < maxBins; j++) {
      const v = sample[Math.floor((j * m) / maxBins)]!;
      if (picks.length === 0 || v !== picks[picks.length - 1]) picks.push(v);
    }
    edges = Float64Array.from(picks);
  }
  const E = edges.length;
  // Lookup accelerator: uniform buckets over [first edge, last edge], each knowing which edges it spans, so a row
  // needs a binary search over a few edges only. The bucket is a guess; a guess the bounds contradict (rounding at a
  // bucket boundary) falls back to the search over all edges, so the result is exact either way.
  const first = edges[0] ?? 0;
  const last = edges[E - 1] ?? 0;
  const NB = 4096;
  const scale = last > first ? NB / (last - first) : 0;
  const start = new Int32Array(NB + 1);
  if (scale > 0 && Number.isFinite(scale)) {
    let e = 0;
    for (let k = 0; k <= NB; k++) {
      const v = first + k / scale;
      while (e < E && edges[e]! < v) e++;
      start[k] = e;
    }
    start[NB] = E;
  }
  for (let i = 0; i < n; i++) {
    const x = scores[i * stride + col]!;
    let lo = 0;
    let hi = E;
    if (x <= first) hi = 0;
    else if (x > last) lo = E;
    else if (scale > 0) {
      const k = Math.min(NB - 1, Math.floor((x - first) * scale));
      const a = start[k]!;
      const b = start[k + 1]!;
      if ((a === 0 || edges[a - 1]! < x) && (b === E || edges[b]! >= x)) {
        lo = a;
        hi = b;
      }
    }
    // Number of edges < x within [lo, hi].
    let len = hi - lo;
    while (len > 0) {
      const half = len >>> 1;
      if (edges[lo + half]! < x) {
        lo += half + 1;
        len -= half + 1;
      } else {
        len = half;
      }
    }
    out[i * outStride + outCol] = lo;
  }
  return E + 1;
}

/**
 * Stable counting sort of the rows by slot key[i] + add (in 0..slots−1): the slot boundaries (rows segments[s] ..
 * segments[s+1]−1 are slot s) and the original row at each sorted position.
 */
function sortBySlot(key: Int32Array, add: number, slots: number): { segments: Int32Array; perm: Int32Array } {
  const n = key.length;
  const starts = new Int32Array(slots + 1);
  for (let i = 0; i < n; i++) starts[key[i]! + add + 1]!++;
  for (let s = 0; s < slots; s++) starts[s + 1]! += starts[s]!;
  const segments = starts.slice();
  const perm = new Int32Array(n);
  for (let i = 0; i < n; i++) perm[starts[key[i]! + add]!++] = i;
  return { segments, perm };
}

function isClassifier(o: ModelOutput): o is { label: Int32Array; proba?: Float64Array } {
  return 'label' in o;
}

function checkLabels(name: string, codes: Int32Array, C: number, n: number): void {
  if (codes.length !== n) throw new RangeError(`pairedBootstrap: ${name} has ${codes.length} rows, expected ${n}`);
  for (let i = 0; i < n; i++) {
    if (codes[i]! >>> 0 >= C) throw new RangeError(`pairedBootstrap: ${name}[${i}] = ${codes[i]} is not a class code in 0..${C - 1}`);
  }
}

function checkProba(name: string, p: Float64Array, n: number, C: number): void {
  if (p.length !== n * C) throw new RangeError(`pairedBootstrap: ${name} has ${p.length} entries, expected ${n}×${C}`);
  for (let i = 0; i < p.length; i++) {
    if (!Number.isFinite(p[i]!)) throw new RangeError(`pairedBootstrap: ${name}[${i}] is not finite`);
  }
}

/**
 * Per-row log-loss (metrics/probabilistic.ts logLossTerm, so the bootstrap and the reported value agree) and Brier
 * terms (binary: (p₁ − y)²; multiclass: Σ_k (p_k − 1[y = k])², as brierScore).
 */
function probaTerms(p: Float64Array, y: Int32Array, C: number): { ll: Float64Array; br: Float64Array } {
  const n = y.length;
  const ll = new Float64Array(n);
  const br = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t = y[i]!;
    const base = i * C;
    let sq = 0;
    for (let k = 0; k < C; k++) {
      const e = p[base + k]! - (k === t ? 1 : 0);
      sq += e * e;
    }
    if (C === 2) {
      const e = p[base + 1]! - t;
      sq = e * e;
    }
    ll[i] = logLossTerm(p, i, t, C);
    br[i] = sq;
  }
  return { ll, br };
}

export interface Prepared {
  plan: Plan;
  /** Reported slices, in unit order after the overall unit. */
  slices: { family: string; label: string; support: number }[];
  /**
   * Full-data log-loss and Brier score per unit and model, [llA, llB, brA, brB] × units (classification with
   * probabilities); the resamples only carry their paired differences.
   */
  probaFull: Float64Array | null;
}

/** Validation and one-off precomputation (exported for benchmarks and tests; not a stable API). */
export function prepare(data: PairedData, opts: { forceCoded?: boolean } = {}): Prepared {
  const { task, a, b } = data;
  const n = data.y.length;
  if (n > 2 ** 30) throw new RangeError('pairedBootstrap: at most 2^30 rows are supported');
  const groups = data.groups ?? [];
  let C = 0;
  let proba = false;
  let ovr = false;
  let bins = 1;
  let metrics: string[];
  // Validation, and score bins in the original row order.
  let binsA: Uint16Array | null = null;
  let binsB: Uint16Array | null = null;
  if (task === 'binary' || task === 'multiclass') {
    C = data.classes;
    if (!Number.isInteger(C) || C < 2 || (task === 'binary' && C !== 2)) {
      throw new RangeError(`pairedBootstrap: classes must be ${task === 'binary' ? '2 for binary' : 'an integer ≥ 2'}, got ${C}`);
    }
    if (!(data.y instanceof Int32Array)) throw new TypeError('pairedBootstrap: classification y must be an Int32Array of class codes');
    if (!isClassifier(a) || !isClassifier(b)) throw new TypeError('pairedBootstrap: classification models must give { label }');
    checkLabels('y', data.y, C, n);
    checkLabels('a.label', a.label, C, n);
    checkLabels('b.label', b.label, C, n);
    proba = a.proba !== undefined && b.proba !== undefined;
    ovr = proba && task === 'multiclass' && C <= MAX_OVR_CLASSES;
    if (proba) {
      checkProba('a.proba', a.proba!, n, C);
      checkProba('b.proba', b.proba!, n, C);
      if (task === 'binary' || ovr) {
        const cols = task === 'binary' ? 1 : C;
        binsA = new Uint16Array(n * cols);
        binsB = new Uint16Array(n * cols);
        for (const [src, dst] of [[a.proba!, binsA], [b.proba!, binsB]] as const) {
          if (task === 'binary') bins = Math.max(bins, binScores(src, 2, 1, n, SCORE_BINS, dst, 1, 0));
          else for (let k = 0; k < C; k++) bins = Math.max(bins, binScores(src, C, k, n, SCORE_BINS, dst, C, k));
        }
      }
    }
    metrics = task === 'binary'
      ? [...BINARY_METRICS, ...(proba ? BINARY_PROBA_METRICS : [])]
      : [...MULTICLASS_METRICS, ...(proba ? MULTICLASS_PROBA_METRICS : []), ...(ovr ? ['roc_auc_ovr'] : [])];
  } else if (task === 'regression') {
    if (!(data.y instanceof Float64Array)) throw new TypeError('pairedBootstrap: regression y must be a Float64Array');
    if (isClassifier(a) || isClassifier(b)) throw new TypeError('pairedBootstrap: regression models must give { value }');
    if (a.value.length !== n || b.value.length !== n) throw new RangeError(`pairedBootstrap: model values must have ${n} rows`);
    for (let i = 0; i < n; i++) {
      if (!Number.isFinite(data.y[i]!) || !Number.isFinite(a.value[i]!) || !Number.isFinite(b.value[i]!)) {
        throw new RangeError(`pairedBootstrap: row ${i} has a non-finite target or prediction`);
      }
    }
    metrics = [...REGRESSION_METRICS];
  } else {
    throw new TypeError(`pairedBootstrap: unknown task ${String(task)}`);
  }

  // Passes: with two or more families within the joint budget (below), one pass segmented by their joint slots.
  // Otherwise the first family (when its histograms fit at full resolution) is the segmented pass 0 and also gives
  // the overall unit as the sum of its slots, else pass 0 is an overall pass with one segment; each further family
  // is a coded pass.
  const hist = task === 'binary' ? proba : ovr;
  const passFor = (slots: number): PassPlan => {
    let shift = 0;
    let binsP = bins;
    let size = statSizes(task, C, proba, ovr, binsP);
    while (hist && binsP > 2 && slots * size.K > PASS_BUDGET) {
      shift++;
      binsP = ((bins - 1) >>> shift) + 1;
      size = statSizes(task, C, proba, ovr, binsP);
    }
    if (slots * (size.K + size.S) > MAX_PASS_STATS) {
      throw new RangeError(`pairedBootstrap: ${slots} slots × ${size.K + size.S} statistics per slot is too large (classes = ${C})`);
    }
    return { slots, segments: null, codes: null, shift, binsP, K: size.K, S: size.S };
  };
  const supports: Float64Array[] = [];
  for (const g of groups) {
    const L = g.labels.length;
    if (L > 65535) throw new RangeError(`pairedBootstrap: family ${g.family} has ${L} labels (at most 65535)`);
    if (g.codes.length !== n) throw new RangeError(`pairedBootstrap: family ${g.family} has ${g.codes.length} codes, expected ${n}`);
    const support = new Float64Array(L);
    for (let i = 0; i < n; i++) {
      const c = g.codes[i]!;
      if (!(c >= -1 && c < L)) throw new RangeError(`pairedBootstrap: family ${g.family} code ${c} at row ${i} is outside −1..${L - 1}`);
      if (c >= 0) support[c]!++;
    }
    supports.push(support);
  }
  const passes: PassPlan[] = [];
  const familyPass: number[] = [];
  const first = groups[0] ? passFor(groups[0].labels.length + 1) : null;
  const segmentedFamily = first !== null && first.shift === 0;
  // Joint segmentation: pass 0 segmented by the cross product of every family's slots (−1 included), when two or
  // more families fit the budget at full histogram resolution (then no family needs coarsening: each family has
  // at most as many slots as the product). Row j of pass 0 belongs to joint slot Σ_f (code_f + 1)·stride_f, the
  // first family most significant. Budget: at most MAX_JOINT_SLOTS joint slots; their statistics within
  // PASS_BUDGET Int32 per statistic set (16 MiB; each worker has one set, two when it sweeps resamples in pairs);
  // and the per-resample finalisation small against the coded passes it saves (JOINT_WORK_PER_CODED_ROW).
  const F = groups.length;
  let jointSlots = 1;
  for (const g of groups) jointSlots *= g.labels.length + 1;
  const full = statSizes(task, C, proba, ovr, bins);
  const joint = !opts.forceCoded && segmentedFamily && F >= 2 && jointSlots <= MAX_JOINT_SLOTS &&
    jointSlots * (full.K + full.S) <= PASS_BUDGET &&
    2 * jointSlots * (full.K + full.S) <= JOINT_WORK_PER_CODED_ROW * (F - 1) * n;
  const strides = new Int32Array(F);
  for (let f = F - 1, st = 1; f >= 0; f--) {
    strides[f] = st;
    st *= groups[f]!.labels.length + 1;
  }
  if (joint) {
    passes.push({ slots: jointSlots, segments: null, codes: null, shift: 0, binsP: bins, K: full.K, S: full.S });
    for (let f = 0; f < F; f++) familyPass.push(0);
  } else if (segmentedFamily) {
    passes.push(first!);
    familyPass.push(0);
  } else {
    passes.push(passFor(1));
  }
  for (let f = joint ? F : segmentedFamily ? 1 : 0; f < groups.length; f++) {
    familyPass.push(passes.length);
    passes.push(passFor(groups[f]!.labels.length + 1));
  }

  // Row order: rows sorted (stably) by their pass-0 slot, so each slot is a contiguous range.
  let perm: Int32Array | null = null;
  let jointRest: Uint16Array | null = null;
  const pass0 = passes[0]!;
  if (joint) {
    // Base order: rows sorted stably by the first family (as without the joint segmentation); the weights are drawn
    // in that order and each goes to its row's joint position (see Plan.jointRest).
    const inner = jointSlots / (groups[0]!.labels.length + 1);
    const base = sortBySlot(groups[0]!.codes, 1, groups[0]!.labels.length + 1).perm;
    const jc = new Int32Array(n);
    for (let f = 0; f < F; f++) {
      const c = groups[f]!.codes;
      const st = strides[f]!;
      for (let i = 0; i < n; i++) jc[i]! += (c[i]! + 1) * st;
    }
    jointRest = sharedArray(Uint16Array, n);
    for (let k = 0; k < n; k++) jointRest[k] = jc[base[k]!]! % inner;
    ({ segments: pass0.segments, perm } = sortBySlot(jc, 0, jointSlots));
  } else if (segmentedFamily) {
    ({ segments: pass0.segments, perm } = sortBySlot(groups[0]!.codes, 1, pass0.slots));
  } else {
    pass0.segments = Int32Array.of(0, n);
  }
  const at = (j: number) => (perm === null ? j : perm[j]!);
  for (let f = 0; f < groups.length; f++) {
    const p = passes[familyPass[f]!]!;
    if (p.segments !== null) continue;
    const src = groups[f]!.codes;
    const codes = sharedArray(Uint16Array, n);
    for (let j = 0; j < n; j++) codes[j] = src[at(j)]! + 1;
    p.codes = codes;
  }

  // Per-row data in pass-0 order.
  const rows: RowData = {};
  let probaFull: Float64Array | null = null;
  const units: Unit[] = [];
  const slices: Prepared['slices'] = [];
  // The overall unit, then slot c + 1 of family f for every label c with support. Under the joint segmentation every
  // unit is a sum of joint slots (units.ts marginals); otherwise the overall unit is the sum of the segmented
  // family's slots (slot −1), or the single slot of an overall pass 0.
  units.push({ pass: 0, slot: joint || segmentedFamily ? -1 : 0 });
  groups.forEach((g, f) => {
    g.labels.forEach((label, c) => {
      const support = supports[f]![c]!;
      if (support > 0) {
        units.push(joint ? { pass: 0, slot: c + 1, family: f } : { pass: familyPass[f]!, slot: c + 1 });
        slices.push({ family: g.family, label, support });
      }
    });
  });
  if (task === 'binary' || task === 'multiclass') {
    const y = data.y as Int32Array;
    const la = (a as { label: Int32Array }).label;
    const lb = (b as { label: Int32Array }).label;
    if (task === 'binary') {
      if (proba) {
        const pk = sharedArray(Uint16Array, n * 4);
        for (let j = 0; j < n; j++) {
          const i = at(j);
          const yi = y[i]!;
          pk[4 * j] = yi * 4 + la[i]! * 2 + lb[i]!;
          pk[4 * j + 1] = yi * bins + binsA![i]!;
          pk[4 * j + 2] = yi * bins + binsB![i]!;
        }
        rows.packed = pk;
      } else {
        const cell = sharedArray(Uint8Array, n);
        for (let j = 0; j < n; j++) {
          const i = at(j);
          cell[j] = y[i]! * 4 + la[i]! * 2 + lb[i]!;
        }
        rows.cell = cell;
      }
    } else {
      const yy = sharedArray(Int32Array, n);
      const pa = sharedArray(Int32Array, n);
      const pb = sharedArray(Int32Array, n);
      for (let j = 0; j < n; j++) {
        const i = at(j);
        yy[j] = y[i]!;
        pa[j] = la[i]!;
        pb[j] = lb[i]!;
      }
      Object.assign(rows, { y: yy, pa, pb });
      if (ovr) {
        const ba = sharedArray(Uint16Array, n * C);
        const bb = sharedArray(Uint16Array, n * C);
        for (let j = 0; j < n; j++) {
          const i = at(j);
          ba.set(binsA!.subarray(i * C, i * C + C), j * C);
          bb.set(binsB!.subarray(i * C, i * C + C), j * C);
        }
        rows.binA = ba;
        rows.binB = bb;
      }
    }
    if (proba) {
      const ta = probaTerms((a as { proba: Float64Array }).proba, y, C);
      const tb = probaTerms((b as { proba: Float64Array }).proba, y, C);
      const d = sharedArray(Float64Array, n * 2);
      for (let j = 0; j < n; j++) {
        const i = at(j);
        d[2 * j] = tb.ll[i]! - ta.ll[i]!;
        d[2 * j + 1] = tb.br[i]! - ta.br[i]!;
      }
      rows.terms = d;
      // Exact full-data means per unit (rows in their original order).
      probaFull = new Float64Array(units.length * 4);
      const add = (u: number, i: number) => {
        probaFull![4 * u]! += ta.ll[i]!;
        probaFull![4 * u + 1]! += tb.ll[i]!;
        probaFull![4 * u + 2]! += ta.br[i]!;
        probaFull![4 * u + 3]! += tb.br[i]!;
      };
      for (let i = 0; i < n; i++) add(0, i);
      let u0 = 1;
      groups.forEach((g, f) => {
        const unitOf = new Int32Array(g.labels.length).fill(-1);
        g.labels.forEach((_, c) => {
          if (supports[f]![c]! > 0) unitOf[c] = u0++;
        });
        for (let i = 0; i < n; i++) {
          const c = g.codes[i]!;
          if (c >= 0) add(unitOf[c]!, i);
        }
      });
      for (let u = 0; u < units.length; u++) {
        const support = u === 0 ? n : slices[u - 1]!.support;
        for (let k = 0; k < 4; k++) probaFull[4 * u + k] = support > 0 ? probaFull[4 * u + k]! / support : NaN;
      }
    }
  } else {
    const y = data.y as Float64Array;
    const va = (a as { value: Float64Array }).value;
    const vb = (b as { value: Float64Array }).value;
    // Running mean (exact for a constant y), used to centre y so Σw(y−ȳ)² does not cancel.
    let mean = 0;
    for (let i = 0; i < n; i++) mean += (y[i]! - mean) / (i + 1);
    const terms = sharedArray(Float64Array, n * 4);
    for (let j = 0; j < n; j++) {
      const i = at(j);
      const t = y[i]!;
      const abs = t < 0 ? -t : t;
      terms[4 * j] = t - mean;
      terms[4 * j + 1] = t - va[i]!;
      terms[4 * j + 2] = t - vb[i]!;
      terms[4 * j + 3] = 1 / (abs > MAPE_EPS ? abs : MAPE_EPS);
    }
    rows.terms = terms;
  }
  return { plan: { task, C, n, proba, ovr, bins, metrics, passes, units, rows, jointRest, jointDims: joint ? Int32Array.from(groups, (g) => g.labels.length + 1) : null }, slices, probaFull };
}
