import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlipwayApiError, SlipwayClient } from '../src/client/index.js';
import { expectError as expectApiError } from './api-errors.js';
import { churnModel, churnPolicy, churnRows, churnServerAnswer, registerCsv, registerOnnx, writeCsv } from './eval-fixtures.js';
import { testDialect } from './db.js';
import { startTestServer, type TestServer } from './server.js';

const POLICY = churnPolicy('churn-eval', '  named:\n    new customers: tenure < 6\n');

describe(`evaluation and release gates (${testDialect})`, () => {
  let server: TestServer;
  let client: SlipwayClient;
  let dataset: string;
  const dir = mkdtempSync(join(tmpdir(), 'slipway-eval-'));

  beforeAll(async () => {
    // The model server of the HTTP test starts on a port picked then, so any loopback port is allowed here.
    server = await startTestServer({ trust: { modelServerHosts: ['127.0.0.1'] } });
    client = new SlipwayClient({ url: server.url });
    dataset = await registerCsv(client, writeCsv(dir, 'eval.csv', churnRows(3000) as unknown as Record<string, unknown>[]), 'churn-eval');
    await client.createModel({ name: 'churn' });
    await registerOnnx(client, 'churn', churnModel()); // v1: the true model
    await registerOnnx(client, 'churn', churnModel(1, 0)); // v2: the same bytes, retrained
    const worse = (await import('../src/runtimes/onnx/builder.js')).logisticRegression({ featureNames: ['tenure', 'spend'], classes: [0, 1], coefficients: [-0.08, 0], intercepts: [0.5] });
    await registerOnnx(client, 'churn', worse); // v3: ignores spend
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('evaluates an ONNX version against a champion: metrics, slices, fairness, paired intervals, gate, tracking run and scorecard', async () => {
    // Registration read the signature out of the bare .onnx file.
    const { version: v1 } = await client.getModelVersion('churn', 1);
    expect(v1.flavor).toBe('onnx');
    expect((v1.signature as { inputs: { name: string }[] }).inputs.map((i) => i.name)).toEqual(['tenure', 'spend']);
    await client.setModelAlias('churn', 'staging', 1);
    const { evaluation } = await client.startEvaluation({ model: 'churn', version: 3, dataset, against: 'staging', policy: POLICY }, true);
    expect(evaluation.status).toBe('completed');
    const r = evaluation.report!;
    expect(r.task).toBe('binary');
    expect(r.classes).toEqual(['0', '1']);
    expect(r.dataset.rows).toBe(3000);
    expect(r.metrics.roc_auc).toBeGreaterThan(0.6);
    expect(r.metrics.roc_auc).toBeLessThan(1);
    for (const m of ['accuracy', 'balanced_accuracy', 'precision', 'recall', 'f1', 'average_precision', 'log_loss', 'brier_score', 'expected_calibration_error']) {
      expect(Number.isFinite(r.metrics[m]), m).toBe(true);
    }
    expect(r.confusion!.matrix.flat().reduce((a, b) => a + b, 0)).toBe(3000);
    expect(r.curves!.roc!.fpr.length).toBeGreaterThan(2);
    expect(r.slices.filter((s) => s.family === 'region').map((s) => s.label).sort()).toEqual(['EU', 'US']);
    expect(r.slices.filter((s) => s.family === 'tenure')).toHaveLength(3);
    const fresh = r.slices.find((s) => s.family === 'new customers')!;
    expect(fresh.support).toBeGreaterThan(100);
    expect(r.fairness![0]!.column).toBe('region');
    expect(r.latency!.p99Ms).toBeGreaterThan(0);
    expect(r.artifactSizeBytes).toBeGreaterThan(100);

    // Ignoring spend costs AUC: the paired interval must say so, and the gate must fail on that rule.
    const auc = r.comparison!.metrics.find((d) => d.metric === 'roc_auc')!;
    expect(r.comparison!.champion).toMatchObject({ name: 'churn', version: 1 });
    expect(auc.delta).toBeLessThan(0);
    expect(auc.high).toBeLessThan(0);
    expect(auc.verdict).toBe('worse');
    expect(r.comparison!.mcnemar!.b + r.comparison!.mcnemar!.c).toBeGreaterThan(0);
    expect(r.comparison!.slices[0]!.deltas.some((d) => d.verdict === 'worse')).toBe(true);
    expect(r.gate!.passed).toBe(false);
    expect(evaluation.gatePassed).toBe(false);
    const failed = r.gate!.rules.filter((x) => !x.passed).map((x) => x.kind);
    expect(failed).toContain('no_regression');
    expect(r.gate!.rules[0]!.passed).toBe(false); // failed first
    expect(r.gate!.rules.find((x) => x.kind === 'latency')!.passed).toBe(true);

    // The evaluation is a tracking run MLflow clients can read, with the scorecard as artifacts.
    const run = (await fetch(`${server.url}/api/2.0/mlflow/runs/get?run_id=${evaluation.runId}`).then((x) => x.json())) as any;
    const metrics = Object.fromEntries(run.run.data.metrics.map((m: { key: string; value: number }) => [m.key, m.value]));
    expect(metrics.roc_auc).toBeCloseTo(r.metrics.roc_auc!, 12);
    expect(metrics.delta_roc_auc).toBeCloseTo(auc.delta, 12);
    expect(metrics.gate_passed).toBe(0);
    expect(run.run.inputs.dataset_inputs[0].dataset.digest).toBe(dataset.split('@')[1]);
    const html = await fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/0/${evaluation.runId}/artifacts/scorecard/scorecard.html`);
    expect(html.status).toBe(404); // evaluations have their own experiment, not the default one
    const files = (await fetch(`${server.url}/api/2.0/mlflow/artifacts/list?run_id=${evaluation.runId}&path=scorecard`).then((x) => x.json())) as any;
    expect(files.files.map((f: { path: string }) => f.path).sort()).toEqual(['scorecard/scorecard.html', 'scorecard/scorecard.json', 'scorecard/scorecard.md']);
    expect(await client.scorecard(evaluation.id, 'html')).toContain('<svg');
    expect(await client.scorecard(evaluation.id, 'md')).toMatch(/roc/i);
  });

  it('gives the same intervals for the same seed', async () => {
    const body = { model: 'churn', version: 3, dataset, againstVersion: 1, label: 'churned', resamples: 200, seed: 42, ignoreColumns: ['plan', 'region'] };
    const a = (await client.startEvaluation(body, true)).evaluation.report!.comparison!;
    const b = (await client.startEvaluation(body, true)).evaluation.report!.comparison!;
    expect(a.metrics).toEqual(b.metrics);
    const c = (await client.startEvaluation({ ...body, seed: 43 }, true)).evaluation.report!.comparison!;
    expect(c.metrics.map((m) => m.low)).not.toEqual(a.metrics.map((m) => m.low));
  });

  it('gates promotion: refuses a regressing version with its failed checks, reuses the evaluation, lets a good one through', async () => {
    await client.setGatePolicy('churn', POLICY);
    // No champion yet: a precise refusal, and an admin override with a reason.
    await expectApiError(client.setModelAlias('churn', 'production', 1), 400, 'INVALID_ARGUMENT', /points to no version/);
    await expectApiError(client.setModelAlias('churn', 'production', 1, { reason: 'short' }), 400, 'INVALID_ARGUMENT', /reason/);
    await client.setModelAlias('churn', 'production', 1, { reason: 'first release of the churn model, reviewed offline' });
    const audit = await client.audit({ action: 'gate.override' });
    expect(audit.entries[0]!.after).toMatchObject({ key: 'production', reason: 'first release of the churn model, reviewed offline' });

    const refused = await client.setModelAlias('churn', 'production', 3).catch((e: unknown) => e as SlipwayApiError);
    expect(refused).toBeInstanceOf(SlipwayApiError);
    expect((refused as SlipwayApiError).status).toBe(409);
    expect((refused as SlipwayApiError).message).toMatch(/refused: \d+ of \d+ release checks failed/);
    const gate = (refused as SlipwayApiError).details!.gate as { passed: boolean; rules: { passed: boolean; kind: string }[] };
    expect(gate.passed).toBe(false);
    expect((await client.getModelVersionByAlias('churn', 'production')).version.version).toBe(1);

    // The MLflow alias and stage calls are gated the same way.
    const viaMlflow = await fetch(`${server.url}/api/2.0/mlflow/registered-models/alias`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'churn', alias: 'production', version: '3' }),
    });
    expect(viaMlflow.status).toBe(400);
    expect(((await viaMlflow.json()) as any).message).toMatch(/release checks failed/);
    const stage = await fetch(`${server.url}/api/2.0/mlflow/model-versions/transition-stage`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'churn', version: '3', stage: 'Production', archive_existing_versions: false }),
    });
    expect(stage.status).toBe(400);
    expect(((await stage.json()) as any).message).toMatch(/churn v3 to stage Production refused: .*release checks failed/);
    const before = (await client.listEvaluations('churn', 3)).evaluations.length;
    await client.setModelAlias('churn', 'production', 3).catch(() => {});
    expect((await client.listEvaluations('churn', 3)).evaluations.length).toBe(before); // reused, not re-run

    // v2 has v1's weights: no regression, so it passes and the alias moves.
    const moved = await client.setModelAlias('churn', 'production', 2);
    expect(moved.version.version).toBe(2);
    const passed = (await client.listEvaluations('churn', 2)).evaluations[0]!;
    expect(passed.gatePassed).toBe(true);
    expect(passed.championVersion).toBe(1);
  });

  it('answers bad input with precise errors and records no gate result for a failed evaluation', async () => {
    // A model without a gate policy, so only what each request names applies.
    await client.createModel({ name: 'plain' });
    await registerOnnx(client, 'plain', churnModel());
    const rows = churnRows(400, 9);
    const noSpend = await registerCsv(client, writeCsv(dir, 'nospend.csv', rows.map(({ spend: _s, ...r }) => r) as unknown as Record<string, unknown>[]), 'nospend');
    await expectApiError(client.startEvaluation({ model: 'plain', version: 1, dataset: noSpend, label: 'churned', against: null }, true), 400, 'INVALID_ARGUMENT', /lacks the column the model reads: spend/);

    const extra = await registerCsv(client, writeCsv(dir, 'extra.csv', rows.map((r) => ({ ...r, score_v0: 1 })) as unknown as Record<string, unknown>[]), 'extra');
    await expectApiError(client.startEvaluation({ model: 'plain', version: 1, dataset: extra, label: 'churned', against: null, sliceColumns: ['region', 'plan'] }, true), 400, 'INVALID_ARGUMENT', /does not read: score_v0.*ignore_columns/);

    const text = await registerCsv(client, writeCsv(dir, 'text.csv', rows.map((r, i) => ({ ...r, tenure: i === 5 ? 'twelve' : r.tenure })) as unknown as Record<string, unknown>[]), 'text');
    await expectApiError(client.startEvaluation({ model: 'plain', version: 1, dataset: text, label: 'churned', against: null, ignoreColumns: ['plan', 'region'] }, true), 400, 'INVALID_ARGUMENT', /column "tenure" holds text \(e\.g\. "twelve" in row 6\)/);

    await expectApiError(client.startEvaluation({ model: 'plain', version: 1, dataset, label: 'target', against: null }, true), 400, 'INVALID_ARGUMENT', /label column "target" is not in dataset/);

    const one = await registerCsv(client, writeCsv(dir, 'one.csv', rows.map((r) => ({ ...r, churned: 1 })) as unknown as Record<string, unknown>[]), 'one');
    await expectApiError(client.startEvaluation({ model: 'plain', version: 1, dataset: one, label: 'churned', against: null, ignoreColumns: ['plan', 'region'] }, true), 400, 'INVALID_ARGUMENT', /single class \("1"\)/);

    const missing = await registerCsv(client, writeCsv(dir, 'nan.csv', rows.map((r, i) => ({ ...r, tenure: i === 3 ? '' : r.tenure })) as unknown as Record<string, unknown>[]), 'nan');
    const nan = await client.startEvaluation({ model: 'plain', version: 1, dataset: missing, label: 'churned', against: null, ignoreColumns: ['plan', 'region'] }, true).catch((e: unknown) => e as SlipwayApiError);
    expect((nan as SlipwayApiError).message).toMatch(/NaN probabilities \(first at row 4\)/);
    const failed = await client.getEvaluation((nan as SlipwayApiError).details!.evaluationId as string);
    expect(failed.evaluation).toMatchObject({ status: 'failed', gatePassed: null, runId: null });

    await expectApiError(client.startEvaluation({ model: 'plain', version: 1, dataset, policy: 'rules:\n  - min: { metric: roc_auc, value: 0.5 }\n  - maximum: { metric: f1 }\n' }), 400, 'INVALID_ARGUMENT', /policy line 3: unknown rule `maximum`/);
    await expectApiError(client.startEvaluation({ model: 'plain', version: 1, dataset, label: 'churned', against: 'canary' }), 400, 'INVALID_ARGUMENT', /Alias "canary" of model "plain" points to no version/);
    await expectApiError(client.startEvaluation({ model: 'plain', version: 1, dataset: 'churn-eval@deadbeef', label: 'churned' }), 404, 'NOT_FOUND', /no version with digest deadbeef/);
    await expectApiError(client.startEvaluation({ model: 'plain', version: 99, dataset, label: 'churned' }), 404, 'NOT_FOUND', /99/);
  });

  it('evaluates predictions carried by the dataset, and a model served over HTTP', async () => {
    const rows = churnRows(1000, 11).map((r) => {
      const z = 0.5 - 0.08 * Number(r.tenure) + 0.02 * r.spend;
      const p = 1 / (1 + Math.exp(-z));
      return { ...r, p, pred: p > 0.5 ? 1 : 0 };
    });
    const withPreds = await registerCsv(client, writeCsv(dir, 'preds.csv', rows as unknown as Record<string, unknown>[]), 'preds');
    await client.createModel({ name: 'external' });
    const { version } = await client.createModelVersion('external', { source: 's3://elsewhere/model.bin' });
    const col = (await client.startEvaluation({ model: 'external', version: version.version, dataset: withPreds, label: 'churned', predictionColumn: 'pred', scoreColumn: 'p' }, true)).evaluation.report!;
    expect(col.model.runtime).toBe('column');
    expect(col.task).toBe('binary');
    expect(col.metrics.roc_auc).toBeGreaterThan(0.6);
    expect(col.latency).toBeUndefined();

    // A JSON model server speaking MLflow's scoring protocol, answering probability pairs.
    let calls = 0;
    const http: Server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        calls++;
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(churnServerAnswer(body)));
      });
    });
    await new Promise<void>((ok) => http.listen(0, '127.0.0.1', ok));
    try {
      const port = (http.address() as { port: number }).port;
      const served = await client.createModelVersion('external', { source: `http://127.0.0.1:${port}/invocations`, tags: { 'slipway.classes': '0,1' } });
      const viaHttp = (await client.startEvaluation({ model: 'external', version: served.version.version, dataset: withPreds, label: 'churned', ignoreColumns: ['p', 'pred'] }, true)).evaluation.report!;
      expect(viaHttp.model.runtime).toBe('http');
      expect(viaHttp.metrics.roc_auc).toBeCloseTo(col.metrics.roc_auc!, 6);
      expect(calls).toBeGreaterThan(1);
    } finally {
      http.close();
    }
  });

  it('evaluates regression and multiclass models', async () => {
    const { linearRegressor, logisticRegression } = await import('../src/runtimes/onnx/builder.js');
    const rows = churnRows(800, 13).map((r) => ({ tenure: r.tenure, spend: r.spend, bill: 10 + 0.5 * r.spend + (Number(r.tenure) % 7), tier: r.spend < 60 ? 'low' : r.spend < 130 ? 'mid' : 'high' }));
    const ds = await registerCsv(client, writeCsv(dir, 'reg.csv', rows), 'bills');
    await client.createModel({ name: 'bill' });
    const v = await registerOnnx(client, 'bill', linearRegressor({ featureNames: ['tenure', 'spend'], coefficients: [0, 0.5], intercept: 13 }));
    const reg = (await client.startEvaluation({ model: 'bill', version: v, dataset: ds, label: 'bill', ignoreColumns: ['tier'] }, true)).evaluation.report!;
    expect(reg.task).toBe('regression');
    expect(reg.metrics.mae).toBeGreaterThan(0);
    expect(reg.metrics.mae).toBeLessThan(3.5);
    expect(reg.metrics.r2).toBeGreaterThan(0.9);

    await client.createModel({ name: 'tier' });
    const t = await registerOnnx(client, 'tier', logisticRegression({ featureNames: ['tenure', 'spend'], classes: ['high', 'low', 'mid'], coefficients: [[0, 0.1], [0, -0.1], [0, 0]], intercepts: [-13, 6, 0] }));
    const multi = (await client.startEvaluation({ model: 'tier', version: t, dataset: ds, label: 'tier', ignoreColumns: ['bill'] }, true)).evaluation.report!;
    expect(multi.task).toBe('multiclass');
    expect(multi.classes).toEqual(['high', 'low', 'mid']);
    expect(multi.metrics.f1_macro).toBeGreaterThan(0.8);
    expect(multi.perClass).toHaveLength(3);
  });
});
