/**
 * Paired bootstrap of champion-vs-challenger metric differences, overall and per slice.
 *
 * Method: the Poisson bootstrap (Hanley & MacGibbon 2006; Chamandy et al. 2012, see poisson.ts). Each resample gives
 * every row an independent Poisson(1) weight — the same weight for both models, which is what pairs the comparison —
 * and the metrics of both models are computed from weighted sufficient statistics accumulated in one streaming pass
 * per group family, or in one pass over the joint slots of all families (kernel.ts): confusion counts, per-bin
 * positive/negative weights over score bins fixed once on the full data, and weighted sums of per-row log-loss /
 * Brier differences and regression terms. Nothing is resampled, copied or sorted per resample. The per-row inputs
 * are computed once and shared with the workers through SharedArrayBuffers; workers claim resample indices from a
 * shared counter and write deltas into a shared output.
 *
 * Reproducibility: resample r's weights depend only on (seed, r), every resample's statistics are summed in row
 * order (per joint slot, then over joint slots in a fixed order, under the joint segmentation), and its deltas land
 * at index r of the output, so the result is byte-identical for any number of workers (including workers: 0, which
 * runs inline on the calling thread).
 *
 * Approximations: ROC AUC and average precision are computed from score histograms, with at most 1024 bins per score
 * (quantile bins of each model's scores, or one bin per distinct score when there are fewer than 1024 distinct
 * values, in which case they are exact). Rows sharing a bin count as tied. Families with very many slices use
 * coarser bins (pairs of adjacent bins merged, repeatedly) so their histograms stay within a memory budget.
 */
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { LOG_LOSS_EPS } from '../metrics/probabilistic.js';
import { MAPE_EPS } from '../metrics/regression.js';
import {
  BINARY_METRICS,
  BINARY_PROBA_METRICS,
  MULTICLASS_METRICS,
  MULTICLASS_PROBA_METRICS,
  REGRESSION_METRICS,
  Resampler,
  statSizes,
  type PassPlan,
  type Plan,
  type RowData,
  type Task,
  type Unit,
} from './kernel.js';
import type { WorkerInput, WorkerMessage } from './worker.js';

export type { Task } from './kernel.js';

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

export interface BootstrapOptions {
  resamples: number;
  seed: number;
  /** Worker threads; default min(availableParallelism, 8); 0 runs inline on the calling thread. */
  workers?: number;
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
  /** Internal (tests, benchmarks): never use the joint segmentation, i.e. one coded pass per family after the first. */
  __forceCoded?: boolean;
}

export const QUANTILES: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 0.9, 0.95, 0.975, 0.99, 0.995];

export interface DeltaDistribution {
  metric: string;
  /** On the full data (weights all 1), through the same statistics as the resamples. */
  champion: number;
  challenger: number;
  delta: number;
  /** Of the bootstrap distribution of (challenger − champion), at QUANTILES; NaN when undefined. */
  quantiles: number[];
  /** Resamples where the metric was defined for both models (e.g. AUC needs both classes). */
  valid: number;
}

export interface PairedBootstrapResult {
  resamples: number;
  seed: number;
  overall: DeltaDistribution[];
  groups: { family: string; label: string; support: number; deltas: DeltaDistribution[] }[];
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
 * ... and per resample, the finalisation of the joint slots (Resampler.marginals: about 2 × joint slots × statistics
 * per slot sequential additions, ~1.2 ns each) at most this many times the row visits of the coded passes it replaces
 * ((families − 1) × n visits, ~13 ns each for binary with probabilities): so it costs at most about half of them.
 */
const JOINT_WORK_PER_CODED_ROW = 4;
/** Multiclass one-vs-rest AUC only up to this many classes. */
export const MAX_OVR_CLASSES = 20;

export function defaultWorkers(): number {
  return Math.max(1, Math.min(availableParallelism(), 8));
}

let liveWorkers = 0;
/** Bootstrap worker threads currently alive (started and not yet exited), for tests and diagnostics. */
export function runningWorkers(): number {
  return liveWorkers;
}

// ---------------------------------------------------------------------------------------------------------------
// Preparation (main thread, once)

function sharedArray<T extends Uint8Array | Uint16Array | Int32Array | Float64Array>(
  ctor: { new (buffer: SharedArrayBuffer): T; BYTES_PER_ELEMENT: number },
  length: number,
): T {
  return new ctor(new SharedArrayBuffer(Math.max(1, length) * ctor.BYTES_PER_ELEMENT));
}

function sharedView<T extends Uint8Array | Uint16Array | Int32Array | Float64Array>(
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
 * Per-row log-loss (clipped to [eps, 1 − eps] and renormalised, as metrics/probabilistic.ts logLoss) and Brier terms
 * (binary: (p₁ − y)²; multiclass: Σ_k (p_k − 1[y = k])², as brierScore).
 */
function probaTerms(p: Float64Array, y: Int32Array, C: number): { ll: Float64Array; br: Float64Array } {
  const lo = LOG_LOSS_EPS;
  const hi = 1 - LOG_LOSS_EPS;
  const n = y.length;
  const ll = new Float64Array(n);
  const br = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t = y[i]!;
    const base = i * C;
    let rowSum = 0;
    let sq = 0;
    for (let k = 0; k < C; k++) {
      const v = p[base + k]!;
      rowSum += v < lo ? lo : v > hi ? hi : v;
      const e = v - (k === t ? 1 : 0);
      sq += e * e;
    }
    if (C === 2) {
      const e = p[base + 1]! - t;
      sq = e * e;
    }
    const v = p[base + t]!;
    const pt = v < lo ? lo : v > hi ? hi : v;
    ll[i] = -Math.log(pt / rowSum);
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
    const codes0 = groups[0]!.codes;
    const L0 = groups[0]!.labels.length + 1;
    const inner = jointSlots / L0;
    const baseAt = new Int32Array(L0 + 1);
    for (let i = 0; i < n; i++) baseAt[codes0[i]! + 2]!++;
    for (let s = 0; s < L0; s++) baseAt[s + 1]! += baseAt[s]!;
    const jc = new Int32Array(n);
    for (let f = 0; f < F; f++) {
      const c = groups[f]!.codes;
      const st = strides[f]!;
      for (let i = 0; i < n; i++) jc[i]! += (c[i]! + 1) * st;
    }
    jointRest = sharedArray(Uint16Array, n);
    for (let i = 0; i < n; i++) jointRest[baseAt[codes0[i]! + 1]!++] = jc[i]! % inner;
    const starts = new Int32Array(jointSlots + 1);
    for (let i = 0; i < n; i++) starts[jc[i]! + 1]!++;
    for (let s = 0; s < jointSlots; s++) starts[s + 1]! += starts[s]!;
    pass0.segments = starts.slice();
    perm = new Int32Array(n);
    for (let i = 0; i < n; i++) perm[starts[jc[i]!]!++] = i;
  } else if (segmentedFamily) {
    const codes0 = groups[0]!.codes;
    const starts = new Int32Array(pass0.slots + 1);
    for (let i = 0; i < n; i++) starts[codes0[i]! + 2]!++;
    for (let s = 0; s < pass0.slots; s++) starts[s + 1]! += starts[s]!;
    pass0.segments = starts.slice();
    perm = new Int32Array(n);
    for (let i = 0; i < n; i++) perm[starts[codes0[i]! + 1]!++] = i;
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
  if (joint) {
    // Every unit is a sum of joint slots: the overall unit, and slot c + 1 of family f (Resampler.marginals).
    units.push({ pass: 0, slot: -1 });
    groups.forEach((g, f) => {
      g.labels.forEach((label, c) => {
        const support = supports[f]![c]!;
        if (support > 0) {
          units.push({ pass: 0, slot: c + 1, family: f });
          slices.push({ family: g.family, label, support });
        }
      });
    });
  } else {
    units.push({ pass: 0, slot: segmentedFamily ? -1 : 0 });
    groups.forEach((g, f) => {
      g.labels.forEach((label, c) => {
        const support = supports[f]![c]!;
        if (support > 0) {
          units.push({ pass: familyPass[f]!, slot: c + 1 });
          slices.push({ family: g.family, label, support });
        }
      });
    });
  }
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

// ---------------------------------------------------------------------------------------------------------------
// Quantiles

/** Quantile at q of an ascending array (linear interpolation between order statistics, numpy's default). */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const m = sorted.length;
  if (m === 0) return NaN;
  const h = (m - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, m - 1);
  const x = sorted[lo]!;
  return x + (h - lo) * (sorted[hi]! - x);
}

// ---------------------------------------------------------------------------------------------------------------
// Running the resamples

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The operation was aborted', 'AbortError');
}

/**
 * How to start a worker. Compiled (dist/**.js): worker.js next to this file. From TypeScript sources (vitest, tsx):
 * Node 20 does not apply ESM loader hooks given through a Worker's execArgv (`--import tsx` fails with
 * ERR_UNKNOWN_FILE_EXTENSION, nodejs/node#47747), so a one-line eval'd bootstrap imports worker.ts through tsx's
 * `tsImport` (ESM, a loader scoped to that import). The CommonJS `tsx/cjs/api` require is the fallback; it works too
 * but its transpiled module runs the kernel ~1.5× slower.
 */
function workerEntry(): { script: URL | string; eval: boolean } {
  const here = import.meta.url;
  if (here.endsWith('.js')) return { script: new URL('./worker.js', here), eval: false };
  const req = createRequire(here);
  const target = new URL('./worker.ts', here);
  try {
    const pkgPath = req.resolve('tsx/package.json');
    const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as { exports?: Record<string, { import?: { default?: string } }> };
    const rel = pkg.exports?.['./esm/api']?.import?.default;
    if (typeof rel === 'string') {
      const api = new URL(rel, pathToFileURL(pkgPath)).href;
      const script = `import(${JSON.stringify(api)}).then((m) => m.tsImport(${JSON.stringify(target.href)}, ${JSON.stringify(here)}))` +
        `.catch((err) => { setImmediate(() => { throw err; }); });`;
      return { script, eval: true };
    }
  } catch {
    // fall through to the CommonJS API
  }
  const api = req.resolve('tsx/cjs/api');
  const path = fileURLToPath(target);
  return { script: `require(${JSON.stringify(api)}).require(${JSON.stringify(path)}, ${JSON.stringify(path)});`, eval: true };
}

async function runInline(plan: Plan, options: BootstrapOptions, out: Float64Array): Promise<void> {
  const { resamples: R, seed, onProgress, signal } = options;
  const resampler = new Resampler(plan);
  let last = performance.now();
  const step = resampler.pairs ? 2 : 1;
  for (let r = 0; r < R; r += step) {
    if (signal?.aborted) throw abortReason(signal);
    const r2 = step === 2 && r + 1 < R ? r + 1 : undefined;
    resampler.run(seed, r, R, out, r2);
    onProgress?.(Math.min(r + step, R), R);
    // Yield to the event loop now and then so an abort (or anything else) can get through.
    if (performance.now() - last > 50) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      last = performance.now();
    }
  }
  if (signal?.aborted) throw abortReason(signal);
}

function runThreaded(plan: Plan, options: BootstrapOptions, out: Float64Array, count: number): Promise<void> {
  const { resamples: R, seed, onProgress, signal } = options;
  const entry = workerEntry();
  const input: WorkerInput = { plan, seed, resamples: R, next: sharedArray(Int32Array, 1), out };
  return new Promise<void>((resolve, reject) => {
    const workers: Worker[] = [];
    let settled = false;
    let finished = 0;
    let done = 0;
    const stopAll = () => Promise.allSettled(workers.map((w) => w.terminate()));
    const onAbort = () => fail(abortReason(signal!));
    const fail = (err: unknown) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      void stopAll().then(() => reject(err));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    for (let k = 0; k < count && !settled; k++) {
      let worker: Worker;
      try {
        worker = new Worker(entry.script, { workerData: input, eval: entry.eval });
      } catch (err) {
        fail(err);
        break;
      }
      liveWorkers++;
      workers.push(worker);
      let workerDone = false;
      worker.on('message', (msg: WorkerMessage) => {
        if (settled) return;
        if (msg.type === 'progress') {
          done += msg.done;
          try {
            onProgress?.(done, R);
          } catch (err) {
            fail(err);
          }
        } else if (msg.type === 'done') {
          workerDone = true;
          if (++finished === count) {
            settled = true;
            signal?.removeEventListener('abort', onAbort);
            void stopAll().then(() => resolve());
          }
        }
      });
      worker.on('error', (err) => fail(err));
      worker.once('exit', (code) => {
        liveWorkers--;
        if (!workerDone) fail(new Error(`pairedBootstrap: worker exited with code ${code} before finishing`));
      });
    }
  });
}

function distributions(plan: Plan, full: { a: Float64Array; b: Float64Array }, u: number, out: Float64Array, R: number): DeltaDistribution[] {
  const M = plan.metrics.length;
  return plan.metrics.map((metric, m) => {
    const row = out.subarray((u * M + m) * R, (u * M + m + 1) * R);
    let valid = 0;
    for (let r = 0; r < R; r++) if (row[r] === row[r]) valid++;
    const sorted = new Float64Array(valid);
    let j = 0;
    for (let r = 0; r < R; r++) if (row[r] === row[r]) sorted[j++] = row[r]!;
    sorted.sort();
    const champion = full.a[u * M + m]!;
    const challenger = full.b[u * M + m]!;
    return {
      metric,
      champion,
      challenger,
      delta: challenger - champion,
      quantiles: QUANTILES.map((q) => quantileSorted(sorted, q)),
      valid,
    };
  });
}

/**
 * Paired Poisson bootstrap of (challenger − champion) for every metric the inputs allow, overall and for every slice
 * with support > 0. Rejects with the signal's reason when aborted (all workers are terminated first).
 */
export async function pairedBootstrap(data: PairedData, options: BootstrapOptions): Promise<PairedBootstrapResult> {
  const { resamples: R, seed, signal } = options;
  if (!Number.isInteger(R) || R < 0) throw new RangeError(`pairedBootstrap: resamples must be a non-negative integer, got ${R}`);
  if (!Number.isSafeInteger(seed)) throw new RangeError(`pairedBootstrap: seed must be a safe integer, got ${seed}`);
  const workers = options.workers ?? defaultWorkers();
  if (!Number.isInteger(workers) || workers < 0) throw new RangeError(`pairedBootstrap: workers must be a non-negative integer, got ${workers}`);
  if (signal?.aborted) throw abortReason(signal);

  const { plan, slices, probaFull } = prepare(data, { forceCoded: options.__forceCoded === true });
  const U = plan.units.length;
  const M = plan.metrics.length;

  // Full-data values through the same statistics (every weight 1); log loss and Brier from their exact means.
  const full = { a: new Float64Array(U * M), b: new Float64Array(U * M) };
  {
    const resampler = new Resampler(plan);
    resampler.accumulate(seed, 0, true);
    const ll = plan.metrics.indexOf('log_loss');
    const br = plan.metrics.indexOf('brier_score');
    for (let u = 0; u < U; u++) {
      resampler.evaluate(u);
      full.a.set(resampler.vA, u * M);
      full.b.set(resampler.vB, u * M);
      if (probaFull !== null) {
        full.a[u * M + ll] = probaFull[4 * u]!;
        full.b[u * M + ll] = probaFull[4 * u + 1]!;
        full.a[u * M + br] = probaFull[4 * u + 2]!;
        full.b[u * M + br] = probaFull[4 * u + 3]!;
      }
    }
  }

  const out = sharedView(Float64Array, U * M * R);
  const count = Math.min(workers, R);
  if (count === 0) await runInline(plan, options, out);
  else await runThreaded(plan, options, out, count);

  return {
    resamples: R,
    seed,
    overall: distributions(plan, full, 0, out, R),
    groups: slices.map((s, k) => ({ ...s, deltas: distributions(plan, full, k + 1, out, R) })),
  };
}
