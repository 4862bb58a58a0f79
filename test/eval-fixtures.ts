/**
 * Evaluation fixtures: a churn-like dataset drawn from a known logistic model, and real ONNX models of it built
 * with Slipway's own builder, uploaded and registered through the API as a user would.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SlipwayClient } from '../src/client/index.js';
import { logisticRegression } from '../src/runtimes/onnx/builder.js';
import { profileFile } from '../src/tracking/datasets/profile.js';
import { mulberry32 } from '../src/stats/random.js';

export const FEATURES = ['tenure', 'spend'];

/** A gate policy over the churn rows: every rule kind, slices of three kinds, fairness over region. */
export function churnPolicy(dataset: string, extra = ''): string {
  return `
protect: [production]
dataset: ${dataset}
label: churned
slices:
  columns: [region, plan]
  quantiles: { tenure: 3 }
${extra}sensitive: [region]
resamples: 200
rules:
  - min: { metric: roc_auc, value: 0.6 }
  - no_regression: { metric: roc_auc, margin: 0.01, confidence: 0.95, slices: true, min_support: 100 }
  - fairness: { column: region, metric: demographic_parity_difference, max: 0.5 }
  - latency: { p99_ms: 1000 }
  - artifact_size: { max_mb: 10 }
`;
}
/** The model the labels were drawn from. */
export const TRUE_WEIGHTS = { tenure: -0.08, spend: 0.02, intercept: 0.5 };

export interface Row {
  tenure: number | string;
  spend: number;
  plan: string;
  region: string;
  churned: number;
}

/** Rows whose label follows the true model; region EU is where a bad model will be wrong. */
export function churnRows(n: number, seed = 7): Row[] {
  const rng = mulberry32(seed);
  const rows: Row[] = [];
  for (let i = 0; i < n; i++) {
    const tenure = Math.floor(rng() * 60);
    const spend = Math.round(rng() * 200);
    const region = rng() < 0.3 ? 'EU' : 'US';
    const plan = rng() < 0.5 ? 'basic' : 'pro';
    const z = TRUE_WEIGHTS.intercept + TRUE_WEIGHTS.tenure * tenure + TRUE_WEIGHTS.spend * spend;
    rows.push({ tenure, spend, plan, region, churned: rng() < 1 / (1 + Math.exp(-z)) ? 1 : 0 });
  }
  return rows;
}

export function writeCsv(dir: string, name: string, rows: Record<string, unknown>[]): string {
  const cols = Object.keys(rows[0]!);
  const path = join(dir, name);
  writeFileSync(path, [cols.join(','), ...rows.map((r) => cols.map((c) => r[c] ?? '').join(','))].join('\n') + '\n');
  return path;
}

/** Profiles a file, uploads it and registers it as a dataset version (as `slipway datasets register` does); returns NAME@DIGEST. */
export async function registerCsv(client: SlipwayClient, path: string, name: string): Promise<string> {
  const p = await profileFile(path);
  const { source } = await client.uploadDataset(p.digest, readFileSync(path));
  await client.registerDataset({
    name,
    digest: p.digest,
    source,
    sourceType: 'artifact',
    format: p.format,
    sizeBytes: p.sizeBytes,
    rowCount: p.rowCount,
    schema: p.schema,
    profile: p.profile as unknown as Record<string, unknown>[],
  });
  return `${name}@${p.digest}`;
}

/** Uploads ONNX bytes as a run artifact and registers them as the next version of `model`. */
export async function registerOnnx(client: SlipwayClient, model: string, bytes: Uint8Array): Promise<number> {
  const { run } = await client.createRun({ experimentId: '0' });
  await client.uploadArtifact(run.id, 'model.onnx', Buffer.from(bytes));
  const { version } = await client.createModelVersion(model, { source: `runs:/${run.id}/model.onnx`, runId: run.id });
  return version.version;
}

/** A logistic regression over tenure and spend; `scale` < 1 blunts it, `bias` shifts every score. */
export function churnModel(scale = 1, bias = 0): Uint8Array {
  return logisticRegression({
    featureNames: FEATURES,
    classes: [0, 1],
    coefficients: [TRUE_WEIGHTS.tenure * scale, TRUE_WEIGHTS.spend * scale],
    intercepts: [TRUE_WEIGHTS.intercept + bias],
  });
}

/** POSTs JSON and reads the answer, whatever its status (for data-plane tests that check status and headers). */
export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; body: any }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as any) : null };
}

/** What a model server running the true churn model answers to an MLflow `dataframe_split`: [P(0), P(1)] per row. */
export function churnServerAnswer(requestBody: string): { predictions: number[][] } {
  const { dataframe_split: df } = JSON.parse(requestBody) as { dataframe_split: { columns: string[]; data: number[][] } };
  const t = df.columns.indexOf('tenure');
  const s = df.columns.indexOf('spend');
  return {
    predictions: df.data.map((row) => {
      const p = 1 / (1 + Math.exp(-(TRUE_WEIGHTS.intercept + TRUE_WEIGHTS.tenure * row[t]! + TRUE_WEIGHTS.spend * row[s]!)));
      return [1 - p, p];
    }),
  };
}

/** Sends churn rows (tenure, spend) through a deployment 50 at a time; returns each row with its prediction id. */
export async function serveChurnRows(url: string, deployment: string, rows: Row[]): Promise<{ id: string; row: Row }[]> {
  const out: { id: string; row: Row }[] = [];
  for (let i = 0; i < rows.length; i += 50) {
    const batch = rows.slice(i, i + 50);
    const r = await postJson(`${url}/deployments/${deployment}/predict`, { records: batch.map(({ tenure, spend }) => ({ tenure, spend })) });
    if (r.status !== 200) throw new Error(`predict answered ${r.status}: ${JSON.stringify(r.body)}`);
    r.body.predictions.forEach((p: { id: string }, k: number) => out.push({ id: p.id, row: batch[k]! }));
  }
  return out;
}
