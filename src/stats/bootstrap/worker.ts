/**
 * Worker thread of the paired bootstrap: claims resample indices from a shared counter until none are left, writes
 * each resample's deltas into the shared output and reports progress. Loaded by paired.ts (worker.js when compiled,
 * worker.ts through tsx when running from sources).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Resampler, type Plan } from './kernel.js';

export interface WorkerInput {
  plan: Plan;
  seed: number;
  resamples: number;
  /** Int32Array(1) on a SharedArrayBuffer: next resample index to claim. */
  next: Int32Array;
  /** Float64Array on a SharedArrayBuffer: units × metrics × resamples deltas. */
  out: Float64Array;
}

export type WorkerMessage = { type: 'progress'; done: number } | { type: 'done' };

const port = parentPort;
if (port !== null) {
  const input = workerData as WorkerInput;
  const resampler = new Resampler(input.plan);
  let done = 0;
  let last = performance.now();
  // Binary tasks with probabilities sweep two resamples at once (same numbers as one at a time, see kernel.ts).
  const step = resampler.pairs ? 2 : 1;
  for (;;) {
    const r = Atomics.add(input.next, 0, step);
    if (r >= input.resamples) break;
    const r2 = step === 2 && r + 1 < input.resamples ? r + 1 : undefined;
    resampler.run(input.seed, r, input.resamples, input.out, r2);
    done += r2 === undefined ? 1 : 2;
    const now = performance.now();
    // Progress at most every 20 ms per worker (each message carries the count since the previous one).
    if (now - last >= 20) {
      port.postMessage({ type: 'progress', done } satisfies WorkerMessage);
      done = 0;
      last = now;
    }
  }
  if (done > 0) port.postMessage({ type: 'progress', done } satisfies WorkerMessage);
  port.postMessage({ type: 'done' } satisfies WorkerMessage);
}
