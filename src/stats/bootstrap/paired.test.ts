import { describe, expect, it } from 'vitest';
import { confusionMatrix, confusionMetrics } from '../metrics/confusion.js';
import { brierScore, logLoss } from '../metrics/probabilistic.js';
import { averagePrecision, rocAuc, rocAucOvr } from '../metrics/ranking.js';
import { regressionMetrics } from '../metrics/regression.js';
import { mulberry32 } from '../random.js';
import { pairedBootstrap, prepare, QUANTILES, quantileSorted, runningWorkers, type DeltaDistribution, type PairedBootstrapResult, type PairedData } from './paired.js';
import { Resampler, type Plan } from './kernel.js';
import { drawPoissonWeights, poisson1FromUniform, POISSON1_THRESHOLDS } from './poisson.js';

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

function gaussian(rng: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
}

/** Binary data: a latent score, two noisy models (b less noisy), optional 2-decimal scores (few distinct values). */
function binaryData(n: number, seed: number, opts: { round?: boolean; slices?: number } = {}): PairedData {
  const rng = mulberry32(seed);
  const y = new Int32Array(n);
  const pa = new Float64Array(2 * n);
  const pb = new Float64Array(2 * n);
  const la = new Int32Array(n);
  const lb = new Int32Array(n);
  const codes = new Int32Array(n);
  const codes2 = new Int32Array(n);
  const slices = opts.slices ?? 4;
  for (let i = 0; i < n; i++) {
    const x = 1.5 * gaussian(rng);
    y[i] = rng() < sigmoid(x) ? 1 : 0;
    let a = sigmoid(x + gaussian(rng));
    let b = sigmoid(x + 0.7 * gaussian(rng));
    if (opts.round) {
      a = Math.round(a * 100) / 100;
      b = Math.round(b * 100) / 100;
    }
    pa[2 * i] = 1 - a;
    pa[2 * i + 1] = a;
    pb[2 * i] = 1 - b;
    pb[2 * i + 1] = b;
    la[i] = a >= 0.5 ? 1 : 0;
    lb[i] = b >= 0.5 ? 1 : 0;
    // Slice codes with some rows in no slice (−1) and an empty last label.
    codes[i] = rng() < 0.1 ? -1 : Math.floor(rng() * slices);
    codes2[i] = Math.floor(rng() * 3);
  }
  return {
    task: 'binary',
    classes: 2,
    y,
    a: { label: la, proba: pa },
    b: { label: lb, proba: pb },
    groups: [
      { family: 'segment', labels: [...Array.from({ length: slices }, (_, k) => `s${k}`), 'empty'], codes },
      { family: 'region', labels: ['north', 'south', 'east'], codes: codes2 },
    ],
  };
}

function subset(data: PairedData, keep: (i: number) => boolean): PairedData {
  const n = data.y.length;
  const idx: number[] = [];
  for (let i = 0; i < n; i++) if (keep(i)) idx.push(i);
  const C = data.classes;
  const pick = <T extends Int32Array | Float64Array>(src: T, width = 1): T => {
    const out = new (src.constructor as new (len: number) => T)(idx.length * width);
    idx.forEach((i, j) => out.set(src.subarray(i * width, (i + 1) * width), j * width));
    return out;
  };
  const model = (m: PairedData['a']): PairedData['a'] =>
    'label' in m ? { label: pick(m.label), ...(m.proba ? { proba: pick(m.proba, C) } : {}) } : { value: pick(m.value) };
  return { task: data.task, classes: C, y: pick(data.y), a: model(data.a), b: model(data.b) };
}

function numbersOf(r: PairedBootstrapResult): Float64Array {
  const out: number[] = [r.resamples, r.seed];
  const push = (ds: DeltaDistribution[]) => {
    for (const d of ds) out.push(d.champion, d.challenger, d.delta, d.valid, ...d.quantiles);
  };
  push(r.overall);
  for (const g of r.groups) {
    out.push(g.support);
    push(g.deltas);
  }
  return Float64Array.from(out);
}

function bytesEqual(a: PairedBootstrapResult, b: PairedBootstrapResult): boolean {
  const x = numbersOf(a);
  const y = numbersOf(b);
  return Buffer.from(x.buffer).equals(Buffer.from(y.buffer));
}

/** The same bootstrap inline, on one worker and on two (onProgress given to the two-worker run only). */
async function withWorkers012(
  data: PairedData,
  opts: { resamples: number; seed: number },
  onProgress?: (done: number, total: number) => void,
): Promise<[PairedBootstrapResult, PairedBootstrapResult, PairedBootstrapResult]> {
  const inline = await pairedBootstrap(data, { ...opts, workers: 0 });
  const one = await pairedBootstrap(data, { ...opts, workers: 1 });
  const two = await pairedBootstrap(data, { ...opts, workers: 2, onProgress });
  return [inline, one, two];
}

/** Resamples 1 and 2 swept together (run with r2) give exactly the deltas of running them one at a time. */
function expectPairSweepAsAlone(plan: Plan): void {
  const R = 4;
  const M = plan.metrics.length;
  const together = new Float64Array(plan.units.length * M * R);
  const alone = new Float64Array(plan.units.length * M * R);
  const a = new Resampler(plan);
  expect(a.pairs).toBe(true);
  a.run(99, 1, R, together, 2);
  const b = new Resampler(plan);
  b.run(99, 2, R, alone);
  b.run(99, 1, R, alone);
  expect(Buffer.from(together.buffer).equals(Buffer.from(alone.buffer))).toBe(true);
  expect(together.some((v) => v !== 0)).toBe(true);
}

const metric = (ds: DeltaDistribution[], name: string) => ds.find((d) => d.metric === name)!;
const Q025 = QUANTILES.indexOf(0.025);
const Q975 = QUANTILES.indexOf(0.975);

describe('Poisson(1) weights', () => {
  it('have mean and variance ≈ 1 and the Poisson(1) frequencies over 1e6 draws', () => {
    const w = new Uint8Array(1_000_000);
    drawPoissonWeights(12345, 3, w);
    let s = 0, s2 = 0;
    const freq = new Float64Array(16);
    for (const k of w) {
      s += k;
      s2 += k * k;
      freq[k]!++;
    }
    const mean = s / w.length;
    const variance = s2 / w.length - mean * mean;
    // Standard errors: 0.001 for the mean, ~0.0022 for the variance.
    expect(Math.abs(mean - 1)).toBeLessThan(0.005);
    expect(Math.abs(variance - 1)).toBeLessThan(0.01);
    let pk = Math.exp(-1);
    for (let k = 0; k < 6; k++) {
      const expected = pk * w.length;
      expect(Math.abs(freq[k]! - expected)).toBeLessThan(5 * Math.sqrt(expected) + 1);
      pk /= k + 1;
    }
  });

  it('inverts the CDF exactly at the thresholds and depends only on (seed, resample)', () => {
    const t = POISSON1_THRESHOLDS;
    for (let k = 0; k + 1 < t.length; k++) {
      expect(poisson1FromUniform(t[k]! - 1)).toBe(k);
      expect(poisson1FromUniform(t[k]!)).toBe(k + 1);
    }
    expect(poisson1FromUniform(0)).toBe(0);
    expect(poisson1FromUniform(4294967295)).toBe(t.length - 1);
    const a = new Uint8Array(1000), b = new Uint8Array(1000), c = new Uint8Array(1000);
    drawPoissonWeights(7, 5, a);
    drawPoissonWeights(7, 5, b);
    drawPoissonWeights(7, 6, c);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });
});

describe('pairedBootstrap', () => {
  it('is reproducible: same seed gives identical results, a different seed different ones', async () => {
    const data = binaryData(3000, 1);
    const r1 = await pairedBootstrap(data, { resamples: 200, seed: 42, workers: 0 });
    const r2 = await pairedBootstrap(data, { resamples: 200, seed: 42, workers: 0 });
    const r3 = await pairedBootstrap(data, { resamples: 200, seed: 43, workers: 0 });
    expect(bytesEqual(r1, r2)).toBe(true);
    expect(r2).toEqual(r1);
    expect(metric(r3.overall, 'accuracy').quantiles).not.toEqual(metric(r1.overall, 'accuracy').quantiles);
    // The full-data values do not depend on the seed.
    expect(metric(r3.overall, 'roc_auc').champion).toBe(metric(r1.overall, 'roc_auc').champion);
  });

  it('gives byte-identical results with workers 0, 1 and 2 (binary, multiclass, regression)', async () => {
    const datasets = [binaryData(4000, 2), multiclassData(3000, 3, 4), regressionData(3000, 4)];
    for (const data of datasets) {
      const progress: number[] = [];
      const [inline, one, two] = await withWorkers012(data, { resamples: 150, seed: 9 }, (d, t) => progress.push(d, t));
      expect(bytesEqual(inline, one)).toBe(true);
      expect(bytesEqual(inline, two)).toBe(true);
      expect(progress.at(-2)).toBe(150);
      expect(progress.at(-1)).toBe(150);
    }
    expect(runningWorkers()).toBe(0);
  });

  it('computes two resamples swept together exactly as one at a time', () => {
    const { plan } = prepare(binaryData(3000, 21));
    expectPairSweepAsAlone(plan);
  });

  it('gives exactly zero deltas when both models are the same', async () => {
    const bin = binaryData(2000, 5);
    const mc = multiclassData(2000, 6, 5);
    const reg = regressionData(2000, 7);
    for (const data of [bin, mc, reg]) {
      const same = { ...data, b: data.a };
      const r = await pairedBootstrap(same, { resamples: 100, seed: 1, workers: 0 });
      expect(r.overall.length).toBeGreaterThan(4);
      for (const d of [...r.overall, ...r.groups.flatMap((g) => g.deltas)]) {
        expect(d.delta).toBe(0);
        for (const q of d.quantiles) {
          if (d.valid > 0) expect(q).toBe(0);
          else expect(q).toBeNaN();
        }
      }
    }
  });

  it('names the metrics per task and omits those the inputs cannot give', async () => {
    const bin = binaryData(500, 8);
    const r = await pairedBootstrap(bin, { resamples: 10, seed: 1, workers: 0 });
    expect(r.overall.map((d) => d.metric)).toEqual(['accuracy', 'balanced_accuracy', 'precision', 'recall', 'f1', 'roc_auc', 'average_precision', 'log_loss', 'brier_score']);
    const noProba: PairedData = { ...bin, a: { label: (bin.a as { label: Int32Array }).label }, groups: [] };
    const r2 = await pairedBootstrap(noProba, { resamples: 10, seed: 1, workers: 0 });
    expect(r2.overall.map((d) => d.metric)).toEqual(['accuracy', 'balanced_accuracy', 'precision', 'recall', 'f1']);
    expect(r2.groups).toEqual([]);
    const mc = await pairedBootstrap(multiclassData(500, 9, 3), { resamples: 10, seed: 1, workers: 0 });
    expect(mc.overall.map((d) => d.metric)).toEqual(['accuracy', 'balanced_accuracy', 'precision_macro', 'recall_macro', 'f1_macro', 'f1_weighted', 'log_loss', 'brier_score', 'roc_auc_ovr']);
    const mc25 = await pairedBootstrap(multiclassData(500, 9, 25), { resamples: 10, seed: 1, workers: 0 });
    expect(mc25.overall.map((d) => d.metric)).not.toContain('roc_auc_ovr');
    const reg = await pairedBootstrap(regressionData(500, 10), { resamples: 10, seed: 1, workers: 0 });
    expect(reg.overall.map((d) => d.metric)).toEqual(['mae', 'mse', 'rmse', 'r2', 'mape']);
  });

  it('computes full-data values matching the shared metric kernels (exact AUC with few distinct scores)', async () => {
    const data = binaryData(5000, 11, { round: true });
    const r = await pairedBootstrap(data, { resamples: 20, seed: 1, workers: 0 });
    const y = data.y as Int32Array;
    for (const [key, m] of [['champion', data.a], ['challenger', data.b]] as const) {
      const { label, proba } = m as { label: Int32Array; proba: Float64Array };
      const cm = confusionMetrics(confusionMatrix(y, label, 2), 2);
      const p1 = Float64Array.from({ length: y.length }, (_, i) => proba[2 * i + 1]!);
      expect(metric(r.overall, 'accuracy')[key]).toBeCloseTo(cm.accuracy, 14);
      expect(metric(r.overall, 'balanced_accuracy')[key]).toBeCloseTo(cm.balancedAccuracy, 14);
      expect(metric(r.overall, 'precision')[key]).toBeCloseTo(cm.perClass.precision[1]!, 14);
      expect(metric(r.overall, 'recall')[key]).toBeCloseTo(cm.perClass.recall[1]!, 14);
      expect(metric(r.overall, 'f1')[key]).toBeCloseTo(cm.perClass.f1[1]!, 14);
      expect(metric(r.overall, 'roc_auc')[key]).toBeCloseTo(rocAuc(p1, y), 12);
      expect(metric(r.overall, 'average_precision')[key]).toBeCloseTo(averagePrecision(p1, y), 12);
      expect(metric(r.overall, 'log_loss')[key]).toBeCloseTo(logLoss(proba, y, 2), 12);
      expect(metric(r.overall, 'brier_score')[key]).toBeCloseTo(brierScore(proba, y, 2), 12);
    }
    for (const d of r.overall) expect(d.delta).toBe(d.challenger - d.champion);
  });

  it('approximates AUC closely with 1024 quantile bins on continuous scores', async () => {
    const data = binaryData(100_000, 12);
    const r = await pairedBootstrap(data, { resamples: 1, seed: 1, workers: 0 });
    const y = data.y as Int32Array;
    const proba = (data.a as { proba: Float64Array }).proba;
    const p1 = Float64Array.from({ length: y.length }, (_, i) => proba[2 * i + 1]!);
    expect(Math.abs(metric(r.overall, 'roc_auc').champion - rocAuc(p1, y))).toBeLessThan(1e-4);
    expect(Math.abs(metric(r.overall, 'average_precision').champion - averagePrecision(p1, y))).toBeLessThan(2e-3);
  });

  it('resample 0 equals the metrics under drawPoissonWeights(seed, 0) (brute-force weighted AUC)', async () => {
    const data = binaryData(400, 13, { round: true });
    const seed = 77;
    const r = await pairedBootstrap({ ...data, groups: [] }, { resamples: 1, seed, workers: 0 });
    const w = new Uint8Array(400);
    drawPoissonWeights(seed, 0, w);
    const y = data.y as Int32Array;
    const weighted = (m: PairedData['a']) => {
      const { label, proba } = m as { label: Int32Array; proba: Float64Array };
      const cm = confusionMetrics(confusionMatrix(y, label, 2, w), 2);
      let num = 0, P = 0, N = 0, ll = 0, W = 0;
      for (let i = 0; i < 400; i++) {
        W += w[i]!;
        const clip = (v: number) => Math.min(Math.max(v, 1e-15), 1 - 1e-15);
        ll += w[i]! * -Math.log(clip(proba[2 * i + y[i]!]!) / (clip(proba[2 * i]!) + clip(proba[2 * i + 1]!)));
        if (y[i] === 1) P += w[i]!;
        else N += w[i]!;
        for (let j = 0; j < 400; j++) {
          if (y[i] === 1 && y[j] === 0) {
            const si = proba[2 * i + 1]!, sj = proba[2 * j + 1]!;
            num += w[i]! * w[j]! * (si > sj ? 1 : si === sj ? 0.5 : 0);
          }
        }
      }
      return { accuracy: cm.accuracy, f1: cm.perClass.f1[1]!, auc: num / (P * N), ll: ll / W };
    };
    const A = weighted(data.a);
    const B = weighted(data.b);
    for (const q of metric(r.overall, 'accuracy').quantiles) expect(q).toBeCloseTo(B.accuracy - A.accuracy, 14);
    for (const q of metric(r.overall, 'f1').quantiles) expect(q).toBeCloseTo(B.f1 - A.f1, 14);
    for (const q of metric(r.overall, 'roc_auc').quantiles) expect(q).toBeCloseTo(B.auc - A.auc, 12);
    for (const q of metric(r.overall, 'log_loss').quantiles) expect(q).toBeCloseTo(B.ll - A.ll, 12);
  });

  it('covers a known accuracy shift: b = a with 5% of its wrong predictions fixed', async () => {
    // One data set: the 95% interval contains the observed delta and excludes 0.
    const make = (n: number, seed: number) => {
      const rng = mulberry32(seed);
      const y = new Int32Array(n);
      const la = new Int32Array(n);
      const lb = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        y[i] = rng() < 0.4 ? 1 : 0;
        la[i] = rng() < 0.7 ? y[i]! : 1 - y[i]!;
        // Fix each wrong prediction with probability 0.05 (population delta = 0.3 × 0.05 = 0.015).
        lb[i] = la[i] !== y[i] && rng() < 0.05 ? y[i]! : la[i]!;
      }
      return { task: 'binary', classes: 2, y, a: { label: la }, b: { label: lb } } satisfies PairedData;
    };
    const one = await pairedBootstrap(make(20_000, 1), { resamples: 500, seed: 3, workers: 0 });
    const acc = metric(one.overall, 'accuracy');
    expect(acc.delta).toBeGreaterThan(0);
    expect(acc.quantiles[Q025]!).toBeLessThanOrEqual(acc.delta);
    expect(acc.quantiles[Q975]!).toBeGreaterThanOrEqual(acc.delta);
    expect(acc.quantiles[Q025]!).toBeGreaterThan(0);
    // Repeated data sets from the population: the 95% interval covers the population delta about 95% of the time.
    let covered = 0;
    const trials = 60;
    for (let t = 0; t < trials; t++) {
      const r = await pairedBootstrap(make(3000, 100 + t), { resamples: 300, seed: t, workers: 0 });
      const d = metric(r.overall, 'accuracy');
      if (d.quantiles[Q025]! <= 0.015 && 0.015 <= d.quantiles[Q975]!) covered++;
    }
    expect(covered / trials).toBeGreaterThanOrEqual(0.85);
  });

  it('computes slices like a bootstrap of the subset (exact full-data values, similar intervals)', async () => {
    const data = binaryData(20_000, 14, { round: true });
    const r = await pairedBootstrap(data, { resamples: 400, seed: 5, workers: 0 });
    const fam = data.groups![0]!;
    // Every non-empty slice is reported with its row count; the empty label is not.
    expect(r.groups.filter((g) => g.family === 'segment').map((g) => g.label)).toEqual(['s0', 's1', 's2', 's3']);
    for (const g of r.groups.filter((x) => x.family === 'segment')) {
      const code = fam.labels.indexOf(g.label);
      const sub = subset(data, (i) => fam.codes[i] === code);
      expect(g.support).toBe(sub.y.length);
      const s = await pairedBootstrap(sub, { resamples: 400, seed: 6, workers: 0 });
      for (const d of g.deltas) {
        const e = metric(s.overall, d.metric);
        expect(d.champion).toBeCloseTo(e.champion, 12);
        expect(d.challenger).toBeCloseTo(e.challenger, 12);
        const width = d.quantiles[Q975]! - d.quantiles[Q025]!;
        const subWidth = e.quantiles[Q975]! - e.quantiles[Q025]!;
        expect(width / subWidth).toBeGreaterThan(0.7);
        expect(width / subWidth).toBeLessThan(1.4);
        expect(Math.abs(d.quantiles[5]! - e.quantiles[5]!)).toBeLessThan(0.5 * subWidth);
      }
    }
    // A second family (coded pass) that partitions rows exactly like the first gives identical statistics.
    const reordered = [3, 1, 0, 2];
    const copy: PairedData = {
      ...data,
      groups: [fam, { family: 'copy', labels: reordered.map((k) => `s${k}`), codes: fam.codes.map((c) => (c < 0 || c > 3 ? -1 : reordered.indexOf(c))) }],
    };
    const rc = await pairedBootstrap(copy, { resamples: 100, seed: 5, workers: 0 });
    for (const g of rc.groups.filter((x) => x.family === 'copy')) {
      const twin = rc.groups.find((x) => x.family === 'segment' && x.label === g.label)!;
      expect(g.support).toBe(twin.support);
      expect(g.deltas).toEqual(twin.deltas);
    }
  });

  it('coarsens the histograms of a family with very many slices and keeps the overall values exact', async () => {
    const data = binaryData(6000, 20);
    const many = new Int32Array(6000).map((_, i) => i % 1500);
    const labels = Array.from({ length: 1500 }, (_, k) => `m${k}`);
    const withMany: PairedData = { ...data, groups: [{ family: 'many', labels, codes: many }, data.groups![0]!] };
    const r = await pairedBootstrap(withMany, { resamples: 30, seed: 4, workers: 0 });
    const plain = await pairedBootstrap({ ...data, groups: [] }, { resamples: 30, seed: 4, workers: 0 });
    // The overall pass is the same data and weights whatever the families: identical results.
    expect(r.overall).toEqual(plain.overall);
    expect(r.groups.filter((g) => g.family === 'many').length).toBe(1500);
    const g = r.groups.find((x) => x.label === 'm7')!;
    const sub = await pairedBootstrap(subset(data, (i) => many[i] === 7), { resamples: 1, seed: 1, workers: 0 });
    expect(metric(g.deltas, 'accuracy').champion).toBeCloseTo(metric(sub.overall, 'accuracy').champion, 14);
    expect(metric(g.deltas, 'log_loss').challenger).toBeCloseTo(metric(sub.overall, 'log_loss').challenger, 12);
    // The second family (segment) is a coded pass at full resolution: same values as the subset run.
    const seg = r.groups.find((x) => x.family === 'segment' && x.label === 's1')!;
    const code = data.groups![0]!.labels.indexOf('s1');
    const subSeg = await pairedBootstrap(subset(data, (i) => data.groups![0]!.codes[i] === code), { resamples: 1, seed: 1, workers: 0 });
    expect(metric(seg.deltas, 'f1').champion).toBeCloseTo(metric(subSeg.overall, 'f1').champion, 14);
    expect(Math.abs(metric(seg.deltas, 'roc_auc').champion - metric(subSeg.overall, 'roc_auc').champion)).toBeLessThan(2e-3);
  });

  it('bootstraps regression metrics', async () => {
    const data = regressionData(5000, 15);
    const r = await pairedBootstrap(data, { resamples: 300, seed: 2, workers: 0 });
    const y = data.y as Float64Array;
    for (const [key, m] of [['champion', data.a], ['challenger', data.b]] as const) {
      const ref = regressionMetrics(y, (m as { value: Float64Array }).value);
      expect(metric(r.overall, 'mae')[key]).toBeCloseTo(ref.mae, 12);
      expect(metric(r.overall, 'mse')[key]).toBeCloseTo(ref.mse, 12);
      expect(metric(r.overall, 'rmse')[key]).toBeCloseTo(ref.rmse, 12);
      expect(metric(r.overall, 'r2')[key]).toBeCloseTo(ref.r2, 12);
      expect(metric(r.overall, 'mape')[key]).toBeCloseTo(ref.mape, 10);
    }
    // b has half the noise of a: every error metric improves, R² rises, and the intervals exclude 0.
    for (const name of ['mae', 'mse', 'rmse']) expect(metric(r.overall, name).quantiles[Q975]!).toBeLessThan(0);
    expect(metric(r.overall, 'r2').quantiles[Q025]!).toBeGreaterThan(0);
    expect(r.groups.map((g) => g.label)).toEqual(['low', 'high']);
    // R² of a slice with a constant target follows sklearn's force_finite rule (0 unless perfect).
    const constant: PairedData = { task: 'regression', classes: 0, y: new Float64Array(50).fill(0.1), a: { value: new Float64Array(50).fill(0.3) }, b: { value: new Float64Array(50).fill(0.1) } };
    const rc = await pairedBootstrap(constant, { resamples: 20, seed: 1, workers: 0 });
    expect(metric(rc.overall, 'r2').champion).toBe(0);
    expect(metric(rc.overall, 'r2').challenger).toBe(1);
  });

  it('bootstraps multiclass metrics with full-data values matching the shared kernels', async () => {
    const data = multiclassData(4000, 16, 4, true);
    const r = await pairedBootstrap(data, { resamples: 100, seed: 2, workers: 0 });
    const y = data.y as Int32Array;
    for (const [key, m] of [['champion', data.a], ['challenger', data.b]] as const) {
      const { label, proba } = m as { label: Int32Array; proba: Float64Array };
      const cm = confusionMetrics(confusionMatrix(y, label, 4), 4);
      expect(metric(r.overall, 'accuracy')[key]).toBeCloseTo(cm.accuracy, 14);
      expect(metric(r.overall, 'f1_macro')[key]).toBeCloseTo(cm.macro.f1, 14);
      expect(metric(r.overall, 'f1_weighted')[key]).toBeCloseTo(cm.weighted.f1, 14);
      expect(metric(r.overall, 'log_loss')[key]).toBeCloseTo(logLoss(proba, y, 4), 12);
      expect(metric(r.overall, 'brier_score')[key]).toBeCloseTo(brierScore(proba, y, 4), 12);
      expect(metric(r.overall, 'roc_auc_ovr')[key]).toBeCloseTo(rocAucOvr(proba, y, 4), 12);
    }
    expect(metric(r.overall, 'accuracy').quantiles[Q025]!).toBeGreaterThan(0);
    expect(r.groups.length).toBe(2);
  });

  it('rejects when aborted and leaves no worker running', async () => {
    const data = binaryData(200_000, 17);
    const controller = new AbortController();
    const promise = pairedBootstrap(data, {
      resamples: 20_000,
      seed: 1,
      workers: 2,
      signal: controller.signal,
      onProgress: (done) => {
        if (done >= 2) controller.abort();
      },
    });
    await expect(promise).rejects.toMatchObject({ name: 'AbortError' });
    expect(runningWorkers()).toBe(0);
    // Already aborted: rejects before starting anything; inline runs stop too.
    await expect(pairedBootstrap(data, { resamples: 10, seed: 1, signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' });
    const c2 = new AbortController();
    const inline = pairedBootstrap(binaryData(50_000, 18), { resamples: 20_000, seed: 1, workers: 0, signal: c2.signal });
    setTimeout(() => c2.abort(), 100);
    await expect(inline).rejects.toMatchObject({ name: 'AbortError' });
    expect(runningWorkers()).toBe(0);
  });

  it('validates its inputs', async () => {
    const data = binaryData(100, 19);
    await expect(pairedBootstrap({ ...data, y: new Int32Array(100).fill(2) }, { resamples: 1, seed: 1, workers: 0 })).rejects.toThrow(RangeError);
    await expect(pairedBootstrap(data, { resamples: 1.5, seed: 1, workers: 0 })).rejects.toThrow(RangeError);
    await expect(pairedBootstrap(data, { resamples: 1, seed: 0.5, workers: 0 })).rejects.toThrow(RangeError);
    await expect(pairedBootstrap({ ...data, groups: [{ family: 'f', labels: ['x'], codes: new Int32Array(100).fill(1) }] }, { resamples: 1, seed: 1, workers: 0 })).rejects.toThrow(RangeError);
  });

  it('interpolates quantiles linearly between order statistics', () => {
    expect(quantileSorted([0, 10], 0.5)).toBe(5);
    expect(quantileSorted([1, 2, 3, 4, 5], 0.975)).toBeCloseTo(4.9, 12);
    expect(quantileSorted([], 0.5)).toBeNaN();
  });
});

function multiclassData(n: number, seed: number, C: number, round = false): PairedData {
  const rng = mulberry32(seed);
  const y = new Int32Array(n);
  const pa = new Float64Array(n * C);
  const pb = new Float64Array(n * C);
  const la = new Int32Array(n);
  const lb = new Int32Array(n);
  const codes = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const t = Math.floor(rng() * C);
    y[i] = t;
    for (const [p, l, noise] of [[pa, la, 1.6], [pb, lb, 1.0]] as const) {
      let total = 0;
      const z = new Float64Array(C);
      for (let k = 0; k < C; k++) {
        z[k] = Math.exp((k === t ? 1.5 : 0) + noise * gaussian(rng));
        total += z[k]!;
      }
      let best = 0;
      for (let k = 0; k < C; k++) {
        let v = z[k]! / total;
        if (round) v = Math.round(v * 50) / 50;
        p[i * C + k] = v;
        if (v > p[i * C + best]!) best = k;
      }
      l[i] = best;
    }
    codes[i] = rng() < 0.5 ? 0 : 1;
  }
  return { task: 'multiclass', classes: C, y, a: { label: la, proba: pa }, b: { label: lb, proba: pb }, groups: [{ family: 'half', labels: ['first', 'second'], codes }] };
}

function regressionData(n: number, seed: number): PairedData {
  const rng = mulberry32(seed);
  const y = new Float64Array(n);
  const va = new Float64Array(n);
  const vb = new Float64Array(n);
  const codes = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const x = 10 * rng();
    y[i] = 100 + 3 * x + gaussian(rng);
    va[i] = y[i]! + 2 * gaussian(rng);
    vb[i] = y[i]! + 1 * gaussian(rng);
    codes[i] = x < 5 ? 0 : 1;
  }
  return { task: 'regression', classes: 0, y, a: { value: va }, b: { value: vb }, groups: [{ family: 'x', labels: ['low', 'high'], codes }] };
}

/** Adds slice families until there are `count`, with random codes (some −1) of 3 and 2 labels. */
function withFamilies(data: PairedData, seed: number, count = 3): PairedData {
  const n = data.y.length;
  const rng = mulberry32(seed);
  const groups = [...(data.groups ?? [])];
  for (let f = groups.length; f < count; f++) {
    const L = f % 2 === 1 ? 3 : 2;
    const codes = new Int32Array(n);
    for (let i = 0; i < n; i++) codes[i] = rng() < 0.07 ? -1 : Math.floor(rng() * L);
    groups.push({ family: `extra${f}`, labels: Array.from({ length: L }, (_, k) => `e${k}`), codes });
  }
  return { ...data, groups };
}

/** Metrics computed from float sums (summed per joint slot, then per unit, so equal only to rounding). */
const FLOAT_METRICS = new Set(['log_loss', 'brier_score', 'mae', 'mse', 'rmse', 'r2', 'mape']);

/** Integer-statistic metrics byte-identical; float-sum metrics equal to rounding (relative 1e-12). */
function expectSameResults(x: PairedBootstrapResult, y: PairedBootstrapResult): void {
  expect(x.groups.map((g) => [g.family, g.label, g.support])).toEqual(y.groups.map((g) => [g.family, g.label, g.support]));
  const units = [[x.overall, y.overall], ...x.groups.map((g, k) => [g.deltas, y.groups[k]!.deltas])] as const;
  let compared = 0;
  for (const [ua, ub] of units) {
    ua.forEach((da, m) => {
      const db = ub[m]!;
      expect(da.metric).toBe(db.metric);
      expect(da.valid).toBe(db.valid);
      const va = [da.champion, da.challenger, da.delta, ...da.quantiles];
      const vb = [db.champion, db.challenger, db.delta, ...db.quantiles];
      if (!FLOAT_METRICS.has(da.metric)) {
        expect(Buffer.from(Float64Array.from(va).buffer).equals(Buffer.from(Float64Array.from(vb).buffer))).toBe(true);
      } else {
        va.forEach((v, k) => {
          const w = vb[k]!;
          if (Number.isNaN(w)) expect(v).toBeNaN();
          else expect(Math.abs(v - w)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(w)));
        });
      }
      compared++;
    });
  }
  expect(compared).toBeGreaterThan(20);
}

describe('pairedBootstrap joint segmentation of several families', () => {
  const cases: [string, () => PairedData][] = [
    ['binary with probabilities', () => withFamilies(binaryData(12_000, 31, { round: true }), 1)],
    ['binary without probabilities', () => {
      const d = withFamilies(binaryData(6000, 32), 2);
      return { ...d, a: { label: (d.a as { label: Int32Array }).label }, b: { label: (d.b as { label: Int32Array }).label } };
    }],
    ['multiclass', () => withFamilies(multiclassData(15_000, 33, 3, true), 3)],
    ['regression', () => withFamilies(regressionData(6000, 34), 4)],
  ];

  for (const [name, make] of cases) {
    it(`gives the per-family coded passes' results with 3 families (${name})`, async () => {
      const data = make();
      expect(data.groups!.length).toBe(3);
      const jointPlan = prepare(data).plan;
      expect(jointPlan.jointDims).not.toBeNull();
      expect(jointPlan.passes.length).toBe(1);
      expect(jointPlan.passes[0]!.slots).toBe(data.groups!.reduce((s, g) => s * (g.labels.length + 1), 1));
      const codedPlan = prepare(data, { forceCoded: true }).plan;
      expect(codedPlan.jointDims).toBeNull();
      expect(codedPlan.passes.length).toBe(3);
      const joint = await pairedBootstrap(data, { resamples: 60, seed: 5, workers: 0 });
      const coded = await pairedBootstrap(data, { resamples: 60, seed: 5, workers: 0, __forceCoded: true });
      expect(joint.groups.length).toBeGreaterThan(6);
      expectSameResults(joint, coded);
      // Full-data values of a slice of the last family still match the shared kernels on the subset.
      const fam = data.groups![2]!;
      const g = joint.groups.find((x) => x.family === fam.family && x.label === 'e1')!;
      const sub = subset(data, (i) => fam.codes[i] === 1);
      if (data.task === 'regression') {
        const ref = regressionMetrics(sub.y as Float64Array, (sub.a as { value: Float64Array }).value);
        expect(metric(g.deltas, 'mse').champion).toBeCloseTo(ref.mse, 10);
        expect(metric(g.deltas, 'r2').champion).toBeCloseTo(ref.r2, 10);
      } else {
        const C = data.classes;
        const cm = confusionMetrics(confusionMatrix(sub.y as Int32Array, (sub.b as { label: Int32Array }).label, C), C);
        expect(metric(g.deltas, 'accuracy').challenger).toBe(cm.accuracy);
        const proba = (sub.b as { proba?: Float64Array }).proba;
        if (proba !== undefined) expect(metric(g.deltas, 'log_loss').challenger).toBeCloseTo(logLoss(proba, sub.y as Int32Array, C), 12);
        if (data.task === 'binary' && proba !== undefined) {
          const p1 = new Float64Array(sub.y.length);
          for (let i = 0; i < p1.length; i++) p1[i] = proba[2 * i + 1]!;
          // 2-decimal scores: fewer distinct values than bins, so the histogram AUC is exact.
          expect(metric(g.deltas, 'roc_auc').challenger).toBeCloseTo(rocAuc(p1, sub.y as Int32Array), 12);
        }
      }
    });
  }

  it('gives byte-identical results with workers 0, 1 and 2 on the joint segmentation', async () => {
    for (const data of [withFamilies(binaryData(12_000, 35, { round: true }), 5), withFamilies(regressionData(4000, 36), 6)]) {
      expect(prepare(data).plan.jointDims).not.toBeNull();
      const [inline, one, two] = await withWorkers012(data, { resamples: 41, seed: 8 });
      expect(bytesEqual(inline, one)).toBe(true);
      expect(bytesEqual(inline, two)).toBe(true);
    }
    expect(runningWorkers()).toBe(0);
  });

  it('sweeps two resamples together exactly as one at a time on the joint segmentation', () => {
    const { plan } = prepare(withFamilies(binaryData(12_000, 37, { round: true }), 7));
    expect(plan.jointDims).not.toBeNull();
    expectPairSweepAsAlone(plan);
  });

  it('falls back to coded passes over the budget and still computes the slices right', async () => {
    // 1024 score bins on continuous scores and few rows: the joint slots' finalisation would outweigh the passes.
    const wide = withFamilies(binaryData(3000, 38), 8);
    // Too many joint slots (101 × 51 > 4096), even with tiny per-slot statistics.
    const many = (() => {
      const d = binaryData(20_000, 39);
      const n = d.y.length;
      const rng = mulberry32(40);
      const fam = (L: number, name: string) => ({ family: name, labels: Array.from({ length: L }, (_, k) => `${name}${k}`), codes: Int32Array.from({ length: n }, () => Math.floor(rng() * L)) });
      return { ...d, a: { label: (d.a as { label: Int32Array }).label }, b: { label: (d.b as { label: Int32Array }).label }, groups: [fam(100, 'p'), fam(50, 'q')] } as PairedData;
    })();
    for (const data of [wide, many]) {
      const { plan } = prepare(data);
      expect(plan.jointDims).toBeNull();
      expect(plan.passes.length).toBe(data.groups!.length);
      const r = await pairedBootstrap(data, { resamples: 30, seed: 3, workers: 0 });
      const coded = await pairedBootstrap(data, { resamples: 30, seed: 3, workers: 0, __forceCoded: true });
      expect(bytesEqual(r, coded)).toBe(true);
      const fam = data.groups!.at(-1)!;
      const label = fam.labels[1]!;
      const sub = subset(data, (i) => fam.codes[i] === 1);
      const cm = confusionMetrics(confusionMatrix(sub.y as Int32Array, (sub.a as { label: Int32Array }).label, 2), 2);
      const g = r.groups.find((x) => x.family === fam.family && x.label === label)!;
      expect(metric(g.deltas, 'accuracy').champion).toBe(cm.accuracy);
      expect(g.support).toBe(sub.y.length);
    }
  });
});
