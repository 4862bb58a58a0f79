/**
 * Evaluation compute on a large binary classification set: every metric, curves, fairness over one column, and the
 * paired bootstrap of the champion/challenger difference (default 1,000 resamples, overall and per slice, on worker
 * threads), timed against one plain pass computing accuracy over the same rows (the floor). Two runs: slices by one
 * column (10 values), then by two (10 values and 4 quantile bins), since each slice family costs a pass per resample. Predictions are given, so this measures the evaluation itself; model
 * scoring has its own benchmark (bench/onnx-scoring.ts).
 * Usage: npx tsx bench/evaluation.ts [--rows 1000000] [--resamples 1000] [--workers N]
 */
import { performance } from 'node:perf_hooks';
import { computeEvaluation } from '../src/evaluation/compute.js';
import type { SliceFamily } from '../src/evaluation/slices.js';
import { defaultWorkers } from '../src/stats/bootstrap/paired.js';
import { mulberry32 } from '../src/stats/random.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const ROWS = arg('--rows', 1_000_000);
const RESAMPLES = arg('--resamples', 1000);
const WORKERS = arg('--workers', defaultWorkers());

function data() {
  const rng = mulberry32(3);
  const y = new Int32Array(ROWS);
  const a = { labelIndex: new Int32Array(ROWS), proba: new Float64Array(ROWS * 2) };
  const b = { labelIndex: new Int32Array(ROWS), proba: new Float64Array(ROWS * 2) };
  const region = new Int32Array(ROWS);
  const ageBin = new Int32Array(ROWS);
  for (let i = 0; i < ROWS; i++) {
    const signal = rng() * 2 - 1;
    y[i] = rng() < 1 / (1 + Math.exp(-3 * signal)) ? 1 : 0;
    const pa = 1 / (1 + Math.exp(-(2.5 * signal + 0.6 * (rng() - 0.5))));
    const pb = 1 / (1 + Math.exp(-(2.7 * signal + 0.5 * (rng() - 0.5))));
    a.proba[2 * i] = 1 - pa;
    a.proba[2 * i + 1] = pa;
    b.proba[2 * i] = 1 - pb;
    b.proba[2 * i + 1] = pb;
    a.labelIndex[i] = pa > 0.5 ? 1 : 0;
    b.labelIndex[i] = pb > 0.5 ? 1 : 0;
    region[i] = Math.floor(rng() * 10);
    ageBin[i] = Math.floor(rng() * 4);
  }
  const slices: SliceFamily[] = [
    { family: 'region', kind: 'category', labels: Array.from({ length: 10 }, (_, k) => `r${k}`), codes: region, columns: ['region'] },
    { family: 'age', kind: 'quantile', labels: ['q1', 'q2', 'q3', 'q4'], codes: ageBin, columns: ['age'] },
  ];
  return { y, a, b, slices };
}

function accuracyFloor(y: Int32Array, pred: Int32Array): number {
  let right = 0;
  for (let i = 0; i < y.length; i++) if (y[i] === pred[i]) right++;
  return right / y.length;
}

const { y, a, b, slices } = data();
const floors: number[] = [];
for (let r = 0; r < 5; r++) {
  const t = performance.now();
  accuracyFloor(y, b.labelIndex);
  floors.push(performance.now() - t);
}
floors.sort((x, z) => x - z);
const floorMs = floors[2]!;

async function run(families: SliceFamily[]) {
  const t0 = performance.now();
  const out = await computeEvaluation({
    task: 'binary',
    classes: ['0', '1'],
    y,
    challenger: b,
    champion: a,
    slices: families,
    sensitive: [slices[0]!],
    confidence: 0.95,
    resamples: RESAMPLES,
    seed: 1,
    workers: WORKERS,
  });
  return { out, totalMs: performance.now() - t0 };
}

console.log(`rows ${ROWS.toLocaleString('en-US')}, resamples ${RESAMPLES}, workers ${WORKERS}`);
console.log(`floor (one accuracy pass, median of 5): ${floorMs.toFixed(2)} ms`);
for (const families of [slices.slice(0, 1), slices]) {
  const { out, totalMs } = await run(families);
  const auc = out.comparison!.metrics.find((d) => d.metric === 'roc_auc')!;
  console.log(`\nslice families: ${families.map((f) => `${f.family} (${f.labels.length})`).join(', ')}; compared metrics ${out.comparison!.metrics.length}`);
  console.log(`  roc_auc ${auc.champion.toFixed(4)} → ${auc.challenger.toFixed(4)}, delta ${auc.delta.toFixed(4)} [${auc.low.toFixed(4)}, ${auc.high.toFixed(4)}]`);
  console.log(`  evaluation (all metrics + curves + slices + fairness + bootstrap): ${(totalMs / 1000).toFixed(2)} s (goal ≤ 10 s); ${(totalMs / floorMs).toFixed(0)}× the floor`);
}
