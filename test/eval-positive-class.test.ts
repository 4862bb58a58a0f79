/**
 * Predictions carried by the dataset (`prediction_column` + `score_column`) when the positive class sorts first:
 * the score is P(positive class), so every score-based metric must match scikit-learn with that class as positive.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlipwayClient } from '../src/client/index.js';
import { testDialect } from './db.js';
import { registerCsv, writeCsv } from './eval-fixtures.js';
import { startTestServer, type TestServer } from './server.js';

// Drawn once with numpy (default_rng(20261208), betas per class); p_no is the model's P(label = "no").
const ROWS: [string, number][] = [
  ['no', 0.96], ['yes', 0.08], ['yes', 0.09], ['no', 0.35], ['yes', 0.36], ['yes', 0.44], ['no', 0.56], ['no', 0.83],
  ['yes', 0.31], ['yes', 0.1], ['no', 0.88], ['no', 0.89], ['no', 0.82], ['yes', 0.37], ['no', 0.65], ['no', 0.51],
  ['yes', 0.37], ['no', 0.76], ['yes', 0.07], ['no', 0.78], ['yes', 0.15], ['yes', 0.4], ['yes', 0.16], ['no', 0.88],
];

/*
 * scikit-learn 1.2.1 (Debian python3-sklearn), with y = (label == "no").astype(int), p = p_no,
 * pred = where(p >= 0.5, "no", "yes"):
 *   roc_auc_score(y, p)                          0.9652777777777777
 *   log_loss(y, p)                               0.31579295835817567
 *   average_precision_score(y, p)                0.9754901960784315
 *   brier_score_loss(y, p)                       0.08829583333333334
 *   precision_score(label, pred, pos_label="no") 1.0
 *   recall_score(label, pred, pos_label="no")    0.9166666666666666
 * (Read as 1 − p, the bug this guards against, gives roc_auc 0.0347 and log_loss 1.6106.)
 */
const SKLEARN = {
  roc_auc: 0.9652777777777777,
  log_loss: 0.31579295835817567,
  average_precision: 0.9754901960784315,
  brier_score: 0.08829583333333334,
  precision: 1.0,
  recall: 0.9166666666666666,
};

describe(`score column with the positive class sorting first (${testDialect})`, () => {
  let server: TestServer;
  let client: SlipwayClient;
  let modelServer: Server;
  let modelUrl: string;
  const dir = mkdtempSync(join(tmpdir(), 'slipway-eval-positive-'));

  beforeAll(async () => {
    // A model server whose probability rows sum to less than 1: [P(no), P(yes)] = [p, 0.8·(1 − p)].
    modelServer = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const { dataframe_split: df } = JSON.parse(body) as { dataframe_split: { columns: string[]; data: number[][] } };
        const k = df.columns.indexOf('p_no');
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ predictions: df.data.map((row) => [row[k]!, 0.8 * (1 - row[k]!)]) }));
      });
    });
    await new Promise<void>((ok) => modelServer.listen(0, '127.0.0.1', ok));
    const port = (modelServer.address() as { port: number }).port;
    modelUrl = `http://127.0.0.1:${port}/invocations`;
    server = await startTestServer({ trust: { dataRoots: [dir], modelServerHosts: [`127.0.0.1:${port}`] } });
    client = new SlipwayClient({ url: server.url });
    await client.createModel({ name: 'scored-elsewhere' });
    await client.createModelVersion('scored-elsewhere', { source: 's3://elsewhere/model.bin' });
  });
  afterAll(async () => {
    await server.close();
    modelServer.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads the score as P(positive class) and agrees with scikit-learn', async () => {
    const rows = ROWS.map(([label, p]) => ({ label, pred: p >= 0.5 ? 'no' : 'yes', p_no: p }));
    const dataset = await registerCsv(client, writeCsv(dir, 'scored.csv', rows), 'scored');
    const { report } = (await client.startEvaluation({ model: 'scored-elsewhere', version: 1, dataset, label: 'label', predictionColumn: 'pred', scoreColumn: 'p_no', positiveClass: 'no' }, true)).evaluation;
    expect(report!.classes).toEqual(['yes', 'no']);
    for (const [metric, value] of Object.entries(SKLEARN)) expect(report!.metrics[metric], metric).toBeCloseTo(value, 12);
  });

  it('keeps the default (second sorted class positive) unchanged', async () => {
    const rows = ROWS.map(([label, p]) => ({ label, pred: p >= 0.5 ? 'no' : 'yes', p_yes: Number((1 - p).toFixed(2)) }));
    const dataset = await registerCsv(client, writeCsv(dir, 'scored-yes.csv', rows), 'scored-yes');
    const { report } = (await client.startEvaluation({ model: 'scored-elsewhere', version: 1, dataset, label: 'label', predictionColumn: 'pred', scoreColumn: 'p_yes' }, true)).evaluation;
    expect(report!.classes).toEqual(['no', 'yes']);
    // Same ranking read from the other side: ROC AUC is symmetric in the choice of positive class.
    expect(report!.metrics.roc_auc).toBeCloseTo(SKLEARN.roc_auc, 12);
    expect(report!.metrics.log_loss).toBeCloseTo(SKLEARN.log_loss, 12);
  });

  it('scores probability rows that do not sum to 1 as given, as scikit-learn ≥ 1.5 does, and warns', async () => {
    const rows = ROWS.map(([label, p]) => ({ label, p_no: p }));
    const dataset = await registerCsv(client, writeCsv(dir, 'unnormalised.csv', rows), 'unnormalised');
    const { version } = await client.createModelVersion('scored-elsewhere', { source: modelUrl, tags: { 'slipway.classes': 'no,yes' } });
    const { report } = (await client.startEvaluation({ model: 'scored-elsewhere', version: version.version, dataset, label: 'label' }, true)).evaluation;
    // Current scikit-learn (≥ 1.5) log_loss clips to np.finfo(float64).eps and does not renormalise; computed with
    // numpy 1.24.2 / scipy 1.10.1 as -scipy.special.xlogy(Y, np.clip(P, eps, 1 - eps)).sum(1).mean() = 0.4273647340152806.
    // (scikit-learn 1.2.1, which renormalises rows, gives log_loss(label, P) = 0.31771641213865615.)
    expect(report!.metrics.log_loss).toBeCloseTo(0.4273647340152806, 12);
    expect(report!.warnings).toContainEqual(expect.stringMatching(/The challenger's probabilities do not sum to 1 in 24 of 24 rows \(first at row 1\); log loss and the Brier score use them as given/));
  });
});
