/**
 * Paired bootstrap throughput: N rows of binary classification with probabilities for both models and one slice
 * family of 10 slices, R resamples of every metric delta (overall and per slice), measuring
 *  1. one plain accuracy pass over the same rows (label === y, counted): the floor of any per-row work,
 *  2. pairedBootstrap with the default number of workers and with workers = 1,
 *  3. pairedBootstrap (default workers) with 1, 2 and 3 slice families (10, 4 and 2 slices): with 2 and 3 families
 *     both the joint segmentation (one pass per resample over the cross product of the families' slots) and the
 *     per-family coded passes it replaces (forced with the internal __forceCoded option), checking that the two agree
 *     on every integer-statistic metric exactly and on log loss / Brier to float rounding,
 * printing the times, the ratio to the floor (per resample), and the histogram approximation of ROC AUC / average
 * precision (1024 score bins) against the exact values.
 * Usage: npx tsx bench/bootstrap.ts [--rows 1000000] [--resamples 1000] [--families-only]
 */
import { mulberry32 } from '../src/stats/random.js';
import { averagePrecision, rocAuc } from '../src/stats/metrics/ranking.js';
import { defaultWorkers, pairedBootstrap, prepare, type PairedBootstrapResult, type PairedData } from '../src/stats/bootstrap/paired.js';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const ROWS = arg('--rows', 1_000_000);
const RESAMPLES = arg('--resamples', 1000);
const SLICES = 10;
/** Slices of the extra families of the family-scaling runs. */
const EXTRA_SLICES = [4, 2];
const FAMILIES_ONLY = process.argv.includes('--families-only');

function generate(n: number): PairedData {
  const rng = mulberry32(42);
  const gauss = () => {
    const u = 1 - rng();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
  };
  const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
  const y = new Int32Array(n);
  const pa = new Float64Array(2 * n);
  const pb = new Float64Array(2 * n);
  const la = new Int32Array(n);
  const lb = new Int32Array(n);
  const codes = new Int32Array(n);
  const extra = EXTRA_SLICES.map(() => new Int32Array(n));
  for (let i = 0; i < n; i++) {
    const x = 1.5 * gauss();
    y[i] = rng() < sigmoid(x) ? 1 : 0;
    const a = sigmoid(x + 1.0 * gauss());
    const b = sigmoid(x + 0.8 * gauss());
    pa[2 * i] = 1 - a;
    pa[2 * i + 1] = a;
    pb[2 * i] = 1 - b;
    pb[2 * i + 1] = b;
    la[i] = a >= 0.5 ? 1 : 0;
    lb[i] = b >= 0.5 ? 1 : 0;
    codes[i] = Math.floor(rng() * SLICES);
    EXTRA_SLICES.forEach((L, f) => {
      // A few rows in no slice of the extra families.
      extra[f]![i] = rng() < 0.05 ? -1 : Math.floor(rng() * L);
    });
  }
  const labels = Array.from({ length: SLICES }, (_, k) => `s${k}`);
  return {
    task: 'binary',
    classes: 2,
    y,
    a: { label: la, proba: pa },
    b: { label: lb, proba: pb },
    groups: [
      { family: 'segment', labels, codes },
      ...EXTRA_SLICES.map((L, f) => ({ family: `extra${f + 1}`, labels: Array.from({ length: L }, (_, k) => `e${k}`), codes: extra[f]! })),
    ],
  };
}

function accuracyPass(y: Int32Array, label: Int32Array): number {
  let correct = 0;
  // Branch-free for non-negative codes: (a ^ b) − 1 is negative exactly when a === b.
  for (let i = 0; i < y.length; i++) correct += ((label[i]! ^ y[i]!) - 1) >>> 31;
  return correct / y.length;
}

let t = performance.now();
const allFamilies = generate(ROWS);
const data: PairedData = { ...allFamilies, groups: allFamilies.groups!.slice(0, 1) };
console.log(`generated ${ROWS.toLocaleString()} rows, ${SLICES} slices in ${((performance.now() - t) / 1000).toFixed(1)} s`);

const y = data.y as Int32Array;
const a = data.a as { label: Int32Array; proba: Float64Array };
const b = data.b as { label: Int32Array; proba: Float64Array };
// Warm the floor loop, then take the best of 20.
let floorMs = Infinity;
let acc = 0;
for (let k = 0; k < 21; k++) {
  t = performance.now();
  acc = accuracyPass(y, a.label);
  if (k > 0) floorMs = Math.min(floorMs, performance.now() - t);
}
console.log(`plain accuracy pass (floor): ${floorMs.toFixed(2)} ms per pass (accuracy ${acc.toFixed(4)})`);

const runs: [string, number | undefined][] = FAMILIES_ONLY ? [] : [[`default workers (${defaultWorkers()})`, undefined], ['workers = 1', 1]];
let firstOverall: Awaited<ReturnType<typeof pairedBootstrap>> | undefined;
for (const [name, workers] of runs) {
  let progress = 0;
  let firstS = 0;
  t = performance.now();
  const result = await pairedBootstrap(data, {
    resamples: RESAMPLES,
    seed: 7,
    ...(workers === undefined ? {} : { workers }),
    onProgress: (d) => {
      progress = d;
      firstS ||= (performance.now() - t) / 1000;
    },
  });
  const s = (performance.now() - t) / 1000;
  const perResampleMs = (s * 1000) / RESAMPLES;
  console.log(`${name}: ${RESAMPLES} resamples in ${s.toFixed(2)} s = ${perResampleMs.toFixed(2)} ms/resample wall ` +
    `(${(perResampleMs / floorMs).toFixed(1)}× one accuracy pass; all ${RESAMPLES} resamples = ${((s * 1000) / floorMs).toFixed(0)}× the floor) progress ${progress}/${RESAMPLES}`);
  console.log(`  of which set-up (validation, score bins, per-row terms, full-data pass, worker start) until the first progress report: ${firstS.toFixed(2)} s`);
  firstOverall ??= result;
}

// Family scaling: 1, 2, 3 families, joint segmentation against per-family coded passes.
console.log(`slice families (default workers, ${defaultWorkers()}): ${[SLICES, ...EXTRA_SLICES].join(', ')} slices`);
const INTEGER_METRICS = new Set(['accuracy', 'balanced_accuracy', 'precision', 'recall', 'f1', 'roc_auc', 'average_precision']);
for (let F = 1; F <= 1 + EXTRA_SLICES.length; F++) {
  const d: PairedData = { ...allFamilies, groups: allFamilies.groups!.slice(0, F) };
  const joint = F > 1 && prepare(d).plan.jointDims !== null;
  const modes: [string, boolean][] = F === 1 ? [['segmented', false]] : [['joint', false], ['coded', true]];
  const results: PairedBootstrapResult[] = [];
  const line: string[] = [];
  for (const [mode, forceCoded] of modes) {
    t = performance.now();
    results.push(await pairedBootstrap(d, { resamples: RESAMPLES, seed: 7, ...(forceCoded ? { __forceCoded: true } : {}) }));
    const s = (performance.now() - t) / 1000;
    line.push(`${mode === 'joint' && !joint ? 'joint (over budget: coded)' : mode} ${s.toFixed(2)} s`);
  }
  let check = '';
  if (results.length === 2) {
    const [x, y] = results as [PairedBootstrapResult, PairedBootstrapResult];
    let intDiff = 0;
    let floatMax = 0;
    const units = [[x.overall, y.overall], ...x.groups.map((g, k) => [g.deltas, y.groups[k]!.deltas])] as const;
    for (const [ua, ub] of units) {
      ua.forEach((da, m) => {
        const db = ub[m]!;
        const va = [da.champion, da.challenger, da.valid, ...da.quantiles];
        const vb = [db.champion, db.challenger, db.valid, ...db.quantiles];
        va.forEach((v, k) => {
          const w = vb[k]!;
          if (Object.is(v, w)) return;
          if (INTEGER_METRICS.has(da.metric)) intDiff++;
          else floatMax = Math.max(floatMax, Math.abs(v - w));
        });
      });
    }
    check = ` — integer-statistic metrics ${intDiff === 0 ? 'identical' : `${intDiff} values differ`}, log loss / Brier max |difference| ${floatMax.toExponential(1)}`;
  }
  console.log(`  ${F} famil${F === 1 ? 'y' : 'ies'} (${results[0]!.groups.length} slices): ${line.join(', ')}${check}`);
}
if (FAMILIES_ONLY) process.exit(0);

const r = firstOverall!;
console.log('overall deltas (challenger − champion), 95% interval:');
for (const d of r.overall) {
  console.log(`  ${d.metric.padEnd(18)} champion ${d.champion.toFixed(5)} challenger ${d.challenger.toFixed(5)} delta ${d.delta.toFixed(5)} ` +
    `[${d.quantiles[2]!.toFixed(5)}, ${d.quantiles[8]!.toFixed(5)}] valid ${d.valid}`);
}
console.log(`slices: ${r.groups.length} (${r.groups.map((g) => `${g.label}:${g.support}`).join(' ')})`);

// Histogram (1024-bin) approximation of the ranking metrics against the exact sklearn-style values.
const positive = y;
for (const [name, m] of [['champion', a], ['challenger', b]] as const) {
  const p1 = new Float64Array(ROWS);
  for (let i = 0; i < ROWS; i++) p1[i] = m.proba[2 * i + 1]!;
  const auc = rocAuc(p1, positive);
  const ap = averagePrecision(p1, positive);
  const key = name === 'champion' ? 'champion' : 'challenger';
  const binAuc = r.overall.find((d) => d.metric === 'roc_auc')![key];
  const binAp = r.overall.find((d) => d.metric === 'average_precision')![key];
  console.log(`${name}: roc_auc exact ${auc.toFixed(6)} binned ${binAuc.toFixed(6)} (error ${(binAuc - auc).toExponential(2)}); ` +
    `average_precision exact ${ap.toFixed(6)} binned ${binAp.toFixed(6)} (error ${(binAp - ap).toExponential(2)})`);
}
