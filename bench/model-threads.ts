/**
 * Where should an ONNX model run when the gateway serves many small requests at once? For a cheap model (logistic
 * regression, 20 features) and a heavy one (tree ensemble, 300 trees of depth 8, binary), 64 concurrent callers each
 * send single-row predicts for a few seconds, through
 *  (a) the in-process runtime (`openOnnxRuntime`),
 *  (b) worker threads (`openOnnxWorkerRuntime`, 1 thread, and one per CPU when there are several),
 *  (c) in process + dynamic batching (`withDynamicBatching`, 64 rows / 1 ms; and `eager`),
 *  (d) a worker thread + dynamic batching (same two settings),
 * printing rows/s, the callers' latency (p50/p99) and the event-loop delay (`monitorEventLoopDelay` at 2 ms resolution,
 * the resolution subtracted; p99 and max): how long anything else on the gateway's thread (a health check, a request being parsed) would have to wait.
 * A last table mixes traffic for the heavy model: one caller sends 5,000-row frames among the single-row callers.
 * Each caller sends its next request on a later turn of the event loop (`setImmediate`), as a new request from a
 * socket would arrive, so an in-process model blocks the loop exactly as it would in the gateway.
 * Usage: npx tsx bench/model-threads.ts [--seconds 3] [--callers 64] [--intra N (onnxruntime intra-op threads)] [--big-rows 5000]
 */
import { availableParallelism } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { withDynamicBatching } from '../src/runtimes/batcher.js';
import type { Frame } from '../src/runtimes/frame.js';
import { benchModels } from './lib/models.js';
import { openOnnxWorkerRuntime } from '../src/runtimes/onnx/pool.js';
import { openOnnxRuntime } from '../src/runtimes/onnx/runtime.js';
import type { ModelRuntime } from '../src/runtimes/types.js';
import { mulberry32 } from '../src/stats/random.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const SECONDS = arg('--seconds', 3);
const CALLERS = arg('--callers', 64);
const INTRA = arg('--intra', 0);
const F = 20;
const CPUS = availableParallelism();
const rng = mulberry32(42);
const names = Array.from({ length: F }, (_, f) => `f${f}`);
const sessionOptions = INTRA > 0 ? { intraOpNumThreads: INTRA } : undefined;

const models = benchModels(rng, names, 300, 8);

/** Single-row frames, a pool the callers cycle through. */
const frames: Frame[] = Array.from({ length: 1024 }, () => ({
  rows: 1,
  columns: new Map(names.map((n) => [n, { kind: 'number' as const, values: Float64Array.of(rng() * 4 - 2) }])),
}));

interface Config {
  name: string;
  open: (bytes: Uint8Array) => Promise<ModelRuntime>;
}

const opts = { ...(sessionOptions ? { sessionOptions } : {}) };
const configs: Config[] = [
  { name: '(a) in process', open: (b) => openOnnxRuntime(b, opts) },
  { name: '(b) worker, 1 thread', open: (b) => openOnnxWorkerRuntime(b, { ...opts, threads: 1 }) },
  ...(CPUS > 1 ? [{ name: `(b) worker, ${CPUS} threads`, open: (b: Uint8Array) => openOnnxWorkerRuntime(b, { ...opts, threads: CPUS }) }] : []),
  { name: '(c) in process + batching', open: async (b) => withDynamicBatching(await openOnnxRuntime(b, opts), { maxBatchRows: 64, maxDelayMs: 1 }) },
  { name: '(c) in process + batching, eager', open: async (b) => withDynamicBatching(await openOnnxRuntime(b, opts), { maxBatchRows: 64, maxDelayMs: 1, eager: true }) },
  { name: '(d) worker + batching', open: async (b) => withDynamicBatching(await openOnnxWorkerRuntime(b, { ...opts, threads: 1 }), { maxBatchRows: 64, maxDelayMs: 1 }) },
  { name: '(d) worker + batching, eager', open: async (b) => withDynamicBatching(await openOnnxWorkerRuntime(b, { ...opts, threads: 1 }), { maxBatchRows: 64, maxDelayMs: 1, eager: true }) },
];

const RESOLUTION_MS = 2;
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
const quantile = (sorted: Float64Array, q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;

/** With `big`, caller 0 sends that frame over and over instead of single rows (its latencies are not counted). */
async function measure(rt: ModelRuntime, big?: Frame): Promise<{ rowsPerSec: number; p50: number; p99: number; loopP99: number; loopMax: number }> {
  // Warm up (first runs allocate), then measure.
  await Promise.all(frames.slice(0, CALLERS).map((f) => rt.predict(f)));
  const latencies: number[] = [];
  const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  let rows = 0;
  const start = performance.now();
  const end = start + SECONDS * 1000;
  histogram.enable();
  await Promise.all(
    Array.from({ length: CALLERS }, async (_, c) => {
      for (let k = c; performance.now() < end; k += CALLERS) {
        const t = performance.now();
        const p = await rt.predict(big && c === 0 ? big : frames[k % frames.length]!);
        if (!(big && c === 0)) latencies.push(performance.now() - t);
        rows += p.rows;
        await nextTurn();
      }
    }),
  );
  histogram.disable();
  const elapsed = (performance.now() - start) / 1000;
  const sorted = Float64Array.from(latencies).sort();
  return {
    rowsPerSec: rows / elapsed,
    p50: quantile(sorted, 0.5),
    p99: quantile(sorted, 0.99),
    // The histogram records the timer's whole interval: the delay is what exceeds the resolution.
    loopP99: Math.max(0, histogram.percentile(99) / 1e6 - RESOLUTION_MS),
    loopMax: Math.max(0, histogram.max / 1e6 - RESOLUTION_MS),
  };
}

const pad = (s: string, n: number) => s.padEnd(n);
const num = (x: number, digits = 1) => x.toFixed(digits).padStart(9);
console.log(`${CALLERS} callers, single-row predicts, ${SECONDS} s per configuration; ${CPUS} CPUs; node ${process.version}; intra-op threads: ${INTRA || 'default'}`);
{
  // What the loop delay is with nothing to do (on a busy machine it is not zero).
  const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  histogram.enable();
  await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
  histogram.disable();
  console.log(`idle event loop: delay p99 ${(histogram.percentile(99) / 1e6 - RESOLUTION_MS).toFixed(2)} ms, max ${(histogram.max / 1e6 - RESOLUTION_MS).toFixed(2)} ms`);
}
async function table(title: string, bytes: Uint8Array, big?: Frame): Promise<void> {
  console.log(`\n${title}`);
  console.log(`${pad('configuration', 36)}   rows/s   lat p50   lat p99  loop p99  loop max   (ms)`);
  for (const config of configs) {
    const rt = await config.open(bytes);
    try {
      const r = await measure(rt, big);
      console.log(`${pad(config.name, 36)}${num(r.rowsPerSec, 0)} ${num(r.p50, 2)} ${num(r.p99, 2)} ${num(r.loopP99, 2)} ${num(r.loopMax, 2)}`);
    } finally {
      await rt.close();
    }
  }
}

for (const model of models) await table(model.name, model.bytes);
// Mixed traffic: one caller scores BIG_ROWS-row frames (a batch job through the gateway) among single-row callers.
const BIG_ROWS = arg('--big-rows', 5000);
const big: Frame = { rows: BIG_ROWS, columns: new Map(names.map((n) => [n, { kind: 'number' as const, values: Float64Array.from({ length: BIG_ROWS }, () => rng() * 4 - 2) }])) };
await table(`${models[1]!.name}, mixed: caller 0 sends ${BIG_ROWS}-row frames (latencies: the single-row callers)`, models[1]!.bytes, big);
