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
 *
 * This file: the public API, the full-data values, running the resamples inline or on worker threads, and the
 * quantiles of the result. Preparation is in prepare.ts, the per-resample work in kernel.ts.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { workerEntry } from '../../core/worker-entry.js';
import { Resampler } from './kernel.js';
import type { Plan } from './plan.js';
import { prepare, sharedArray, sharedView, type PairedData } from './prepare.js';
import type { WorkerInput, WorkerMessage } from './worker.js';

export type { Task } from './plan.js';
export { MAX_OVR_CLASSES, prepare, SCORE_BINS, type ModelOutput, type PairedData, type Prepared } from './prepare.js';

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

export function defaultWorkers(): number {
  return Math.max(1, Math.min(availableParallelism(), 8));
}

let liveWorkers = 0;
/** Bootstrap worker threads currently alive (started and not yet exited), for tests and diagnostics. */
export function runningWorkers(): number {
  return liveWorkers;
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
  const entry = workerEntry(import.meta.url, 'worker');
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