/**
 * End to end on a real dataset (Palmer penguins, from the vega-datasets npm package), no Python needed:
 * train three logistic regressions in TypeScript, export them to ONNX with Slipway's builder, log the training runs,
 * register the versions and the evaluation dataset, set a release gate, then evaluate and promote through it.
 *
 *   npm start                          # a Slipway server on http://127.0.0.1:7380, in another terminal
 *   npx tsx examples/penguins.ts       # SLIPWAY_URL / SLIPWAY_TOKEN to use another server
 *
 * The task: is a penguin an Adelie? v1 looks at flippers and body mass, v2 also at the beak (better), v3 at body
 * mass alone (worse). v1 goes to production with an audited override (there is no champion yet), v2 passes the
 * gate, v3 is refused with the checks it failed.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SlipwayApiError, SlipwayClient } from '../src/client/index.js';
import { logisticRegression } from '../src/runtimes/onnx/builder.js';
import { mulberry32 } from '../src/stats/random.js';
import { profileFile } from '../src/tracking/datasets/profile.js';

interface Penguin {
  Species: string;
  Island: string;
  'Beak Length (mm)': number | null;
  'Beak Depth (mm)': number | null;
  'Flipper Length (mm)': number | null;
  'Body Mass (g)': number | null;
  Sex: string | null;
}

interface Row {
  island: string;
  sex: string;
  beak_length: number;
  beak_depth: number;
  flipper_length: number;
  body_mass: number;
  adelie: number;
}

export const POLICY = `# Release gate of the penguin classifier
protect: [production]
dataset: penguins-eval
label: adelie
# The versions read different subsets of these; a dataset column no version reads would be an error.
ignore_columns: [beak_length, beak_depth, flipper_length, body_mass]
slices:
  columns: [island, sex]
sensitive: [sex]
resamples: 1000
rules:
  - min: { metric: roc_auc, value: 0.85 }
  - no_regression: { metric: roc_auc, margin: 0.02, confidence: 0.95 }
  - no_regression: { metric: accuracy, margin: 0.05, slices: true, min_support: 30 }
  - fairness: { column: sex, metric: equal_opportunity_difference, max: 0.2 }
  - latency: { p99_ms: 50 }
`;

/** The penguins with every measurement, in a fixed shuffled order. */
export function penguins(): Row[] {
  const require = createRequire(import.meta.url);
  // The package exports only its code; its data folder sits beside build/.
  const raw = JSON.parse(readFileSync(join(dirname(require.resolve('vega-datasets')), '..', 'data', 'penguins.json'), 'utf8')) as Penguin[];
  const rows = raw
    .filter((p) => p['Beak Length (mm)'] !== null && p['Body Mass (g)'] !== null && (p.Sex === 'MALE' || p.Sex === 'FEMALE'))
    .map((p) => ({
      island: p.Island,
      sex: p.Sex!.toLowerCase(),
      beak_length: p['Beak Length (mm)']!,
      beak_depth: p['Beak Depth (mm)']!,
      flipper_length: p['Flipper Length (mm)']!,
      body_mass: p['Body Mass (g)']!,
      adelie: p.Species === 'Adelie' ? 1 : 0,
    }));
  const rng = mulberry32(2024);
  for (let i = rows.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [rows[i], rows[j]] = [rows[j]!, rows[i]!];
  }
  return rows;
}

/** Logistic regression by gradient descent on standardised features, returned on the original scale. */
export function fitLogistic(rows: Row[], features: (keyof Row)[], epochs = 2000, rate = 0.1): { coefficients: number[]; intercept: number } {
  const X = rows.map((r) => features.map((f) => r[f] as number));
  const mean = features.map((_, j) => X.reduce((a, x) => a + x[j]!, 0) / X.length);
  const std = features.map((_, j) => Math.sqrt(X.reduce((a, x) => a + (x[j]! - mean[j]!) ** 2, 0) / X.length) || 1);
  const Z = X.map((x) => x.map((v, j) => (v - mean[j]!) / std[j]!));
  const w = features.map(() => 0);
  let b = 0;
  for (let e = 0; e < epochs; e++) {
    const gw = w.map(() => 0);
    let gb = 0;
    Z.forEach((z, i) => {
      const p = 1 / (1 + Math.exp(-(b + z.reduce((a, v, j) => a + v * w[j]!, 0))));
      const err = p - rows[i]!.adelie;
      z.forEach((v, j) => (gw[j]! += err * v));
      gb += err;
    });
    w.forEach((_, j) => (w[j]! -= (rate * gw[j]!) / Z.length));
    b -= (rate * gb) / Z.length;
  }
  const coefficients = w.map((wj, j) => wj / std[j]!);
  return { coefficients, intercept: b - coefficients.reduce((a, c, j) => a + c * mean[j]!, 0) };
}

const csv = (rows: Row[]) => {
  const cols = Object.keys(rows[0]!) as (keyof Row)[];
  return [cols.join(','), ...rows.map((r) => cols.map((c) => r[c]).join(','))].join('\n') + '\n';
};

/** Runs the whole story against a server; returns what happened, for the test and the reader. */
export async function runPenguins(client: SlipwayClient, dir: string, log: (line: string) => void = console.log): Promise<{ promoted: number[]; refused: number[]; evaluations: string[] }> {
  const rows = penguins();
  const cut = Math.floor(rows.length * 0.6);
  const train = rows.slice(0, cut);
  const evalRows = rows.slice(cut);
  const evalPath = join(dir, 'penguins-eval.csv');
  writeFileSync(evalPath, csv(evalRows));

  const profile = await profileFile(evalPath);
  // The server reads only its own store (and configured data roots): upload the file, then register the copy.
  const { source } = await client.uploadDataset(profile.digest, readFileSync(evalPath));
  await client.registerDataset({
    name: 'penguins-eval',
    digest: profile.digest,
    source,
    sourceType: 'artifact',
    format: profile.format,
    sizeBytes: profile.sizeBytes,
    rowCount: profile.rowCount,
    schema: profile.schema,
    profile: profile.profile as unknown as Record<string, unknown>[],
  });
  log(`Registered penguins-eval: ${profile.rowCount} rows, sha256 ${profile.digest.slice(0, 12)}`);

  const model = 'penguin-adelie';
  await client.createModel({ name: model, description: 'Is this penguin an Adelie? (Palmer penguins, vega-datasets)' }).catch((e: unknown) => {
    if (!(e instanceof SlipwayApiError && e.code === 'ALREADY_EXISTS')) throw e;
  });
  let experimentId: string;
  try {
    experimentId = (await client.createExperiment({ name: 'penguins' })).experiment.id;
  } catch {
    experimentId = (await client.getExperimentByName('penguins')).experiment.id;
  }

  const candidates: { name: string; features: (keyof Row)[] }[] = [
    { name: 'flippers and mass', features: ['flipper_length', 'body_mass'] },
    { name: 'with the beak', features: ['beak_length', 'beak_depth', 'flipper_length', 'body_mass'] },
    { name: 'mass only', features: ['body_mass'] },
  ];
  const versions: number[] = [];
  for (const c of candidates) {
    const fit = fitLogistic(train, c.features);
    const bytes = logisticRegression({ featureNames: c.features as string[], classes: [0, 1], coefficients: [fit.coefficients], intercepts: [fit.intercept] });
    const { run } = await client.createRun({ experimentId, name: c.name });
    await client.log(run.id, { params: { features: c.features.join(','), epochs: '2000', train_rows: String(train.length) } });
    await client.uploadArtifact(run.id, 'model.onnx', Buffer.from(bytes));
    await client.updateRun(run.id, { status: 'FINISHED' });
    const { version } = await client.createModelVersion(model, { source: `runs:/${run.id}/model.onnx`, runId: run.id, description: c.name });
    versions.push(version.version);
    log(`Trained "${c.name}" → ${model} v${version.version}`);
  }

  await client.setGatePolicy(model, POLICY);
  log('Set the release gate (slipway eval policy show penguin-adelie)');

  const promoted: number[] = [];
  const refused: number[] = [];
  const evaluations: string[] = [];
  const [first, ...rest] = versions;
  await client.setModelAlias(model, 'production', first!, { reason: 'first production penguin model, reviewed by hand' });
  promoted.push(first!);
  log(`v${first} → production (override: there is no champion to compare with yet)`);
  for (const v of rest) {
    // The gate policy says how to evaluate (dataset, label, slices, champion); promotion reuses this evaluation.
    const { evaluation } = await client.startEvaluation({ model, version: v }, true);
    evaluations.push(evaluation.id);
    log(`Evaluated v${v}: ${evaluation.headline}`);
    try {
      await client.setModelAlias(model, 'production', v);
      promoted.push(v);
      log(`v${v} → production`);
    } catch (e) {
      if (!(e instanceof SlipwayApiError)) throw e;
      refused.push(v);
      log(`v${v} refused: ${e.message}`);
    }
  }
  return { promoted, refused, evaluations };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const client = new SlipwayClient({ url: process.env.SLIPWAY_URL ?? 'http://127.0.0.1:7380', token: process.env.SLIPWAY_TOKEN });
  const dir = mkdtempSync(join(tmpdir(), 'slipway-penguins-'));
  const result = await runPenguins(client, dir);
  console.log(`\nOpen the evaluations in the UI: ${process.env.SLIPWAY_URL ?? 'http://127.0.0.1:7380'}/models/penguin-adelie`);
  console.log(JSON.stringify(result));
}
