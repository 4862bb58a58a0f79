/**
 * ONNX scoring throughput: the evaluation path against a bare onnxruntime-node loop, in the same run.
 * Builds a logistic regression (20 features) and a tree ensemble (50 trees of depth 6, binary) with the Slipway
 * builder and a Frame of N rows of random numbers, then measures rows/s of
 *  (a) `runtime.predict` over 4096-row `sliceFrame` batches: validation, the [N, F] Float32Array filled column by
 *      column from the frame, the session run, and the outputs converted to Predictions — and
 *  (b) a bare loop of `session.run` over Float32Array tensors built beforehand for the same batches and model,
 * timed batch by batch in alternating order within each pass, printing both and their ratio (goal ≥ 0.9), median
 * over a few passes. `--threads N` sets onnxruntime's intra-op threads for both (default: onnxruntime's choice).
 * Usage: npx tsx bench/onnx-scoring.ts [--rows 1000000] [--reps 5] [--threads N]
 */
import * as ort from 'onnxruntime-node';
import { sliceFrame, type Column, type Frame } from '../src/runtimes/frame.js';
import { benchModels } from './lib/models.js';
import { openOnnxRuntime } from '../src/runtimes/onnx/runtime.js';
import { mulberry32 } from '../src/stats/random.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const ROWS = arg('--rows', 1_000_000);
const REPS = arg('--reps', 5);
const BATCH = 4096;
const F = 20;
const rng = mulberry32(42);
const names = Array.from({ length: F }, (_, f) => `f${f}`);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const fmt = (n: number) => Math.round(n).toLocaleString();

const models = benchModels(rng, names, 50, 6);

// The frame, as evaluation reads a dataset: one Float64Array per column, a few missing values.
let t = performance.now();
const columns = new Map<string, Column>();
for (const n of names) {
  const v = new Float64Array(ROWS);
  for (let r = 0; r < ROWS; r++) v[r] = rng() < 0.001 ? NaN : rng() * 2 - 1;
  columns.set(n, { kind: 'number', values: v });
}
const frame: Frame = { rows: ROWS, columns };
const starts = Array.from({ length: Math.ceil(ROWS / BATCH) }, (_, b) => b * BATCH);

// The same batches as ready-made row-major tensors, for the bare loop (built outside the timing).
const tensors = starts.map((s) => {
  const n = Math.min(BATCH, ROWS - s);
  const data = new Float32Array(n * F);
  names.forEach((name, f) => {
    const v = (columns.get(name) as { values: Float64Array }).values;
    for (let r = 0; r < n; r++) data[r * F + f] = v[s + r]!;
  });
  return new ort.Tensor('float32', data, [n, F]);
});
console.log(`${ROWS.toLocaleString()} rows × ${F} features, batches of ${BATCH}, ${REPS} repetitions; data built in ${((performance.now() - t) / 1000).toFixed(1)} s`);

const threads = arg('--threads', 0);
const sessionOptions: ort.InferenceSession.SessionOptions = threads > 0 ? { intraOpNumThreads: threads } : {};

for (const model of models) {
  const runtime = await openOnnxRuntime(model.bytes, { sessionOptions });
  const session = await ort.InferenceSession.create(model.bytes, sessionOptions);

  /**
   * One pass over all batches, timing (a) and (b) batch by batch in alternating order, so both see the same load
   * on a shared machine (a whole-pass a-then-b comparison swung by 3× here when other jobs ran).
   */
  const pass = async (): Promise<{ a: number; b: number }> => {
    let ta = 0;
    let tb = 0;
    for (let k = 0; k < starts.length; k++) {
      const s = starts[k]!;
      const runA = async () => {
        const t0 = performance.now();
        const p = await runtime.predict(sliceFrame(frame, s, Math.min(s + BATCH, ROWS)));
        ta += performance.now() - t0;
        return p.rows;
      };
      const runB = async () => {
        const t0 = performance.now();
        const out = await session.run({ input: tensors[k]! });
        tb += performance.now() - t0;
        return out.label!.dims[0]!;
      };
      const [na, nb] = k % 2 === 0 ? [await runA(), await runB()] : [await runB(), await runA()].reverse();
      if (na !== nb) throw new Error('batch sizes differ');
    }
    return { a: ROWS / (ta / 1000), b: ROWS / (tb / 1000) };
  };

  // Both paths must score the same thing: compare the first batch.
  const pa = await runtime.predict(sliceFrame(frame, 0, Math.min(BATCH, ROWS)));
  const pb = (await session.run({ input: tensors[0]! })).probabilities!.data as Float32Array;
  if (pa.proba!.some((v, i) => !Object.is(v, pb[i]))) throw new Error('runtime.predict and the bare loop disagree');

  await pass(); // warm-up
  const a: number[] = [];
  const b: number[] = [];
  const ratios: number[] = [];
  for (let rep = 0; rep < REPS; rep++) {
    const r = await pass();
    a.push(r.a);
    b.push(r.b);
    ratios.push(r.a / r.b);
  }
  console.log(`\n${model.name}`);
  console.log(`  (a) runtime.predict over sliceFrame batches: ${fmt(median(a))} rows/s   [${a.map(fmt).join(', ')}]`);
  console.log(`  (b) bare session.run over prebuilt tensors:  ${fmt(median(b))} rows/s   [${b.map(fmt).join(', ')}]`);
  console.log(`  ratio a/b: median ${median(ratios).toFixed(3)} [${ratios.map((x) => x.toFixed(2)).join(', ')}] (goal ≥ 0.9)`);
  await runtime.close();
  await session.release();
}
