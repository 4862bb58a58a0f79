import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlipwayClient } from '../src/client/index.js';
import { logisticRegression } from '../src/runtimes/onnx/builder.js';
import { expectError } from './api-errors.js';
import { testDialect } from './db.js';
import { churnModel, postJson as post, registerOnnx } from './eval-fixtures.js';
import { startTestServer, type TestServer } from './server.js';

const v2Body = (rows: [number, number][], id?: string) => ({
  ...(id ? { id } : {}),
  inputs: [
    { name: 'tenure', shape: [rows.length], datatype: 'FP64', data: rows.map((r) => r[0]) },
    { name: 'spend', shape: [rows.length], datatype: 'FP64', data: rows.map((r) => r[1]) },
  ],
});

describe(`inference gateway (${testDialect})`, () => {
  let server: TestServer;
  let client: SlipwayClient;

  beforeAll(async () => {
    server = await startTestServer();
    client = new SlipwayClient({ url: server.url });
    await client.createModel({ name: 'churn' });
    await registerOnnx(client, 'churn', churnModel()); // v1
    // v2 always says churn: easy to tell apart from v1 in answers.
    await registerOnnx(client, 'churn', logisticRegression({ featureNames: ['tenure', 'spend'], classes: [0, 1], coefficients: [0, 0], intercepts: [5] }));
    await client.setModelAlias('churn', 'production', 1);
  });
  afterAll(() => server.close());

  it('serves a registered model over the Open Inference Protocol, KServe v1, MLflow scoring and plain records', async () => {
    const { deployment } = await client.createDeployment({ name: 'churn', model: 'churn' });
    expect(deployment).toMatchObject({ stable: 1, alias: 'production', mode: 'stable', revision: 1 });

    expect((await fetch(`${server.url}/v2/health/ready`)).status).toBe(200);
    const meta = (await fetch(`${server.url}/v2/models/churn`).then((r) => r.json())) as any;
    expect(meta.name).toBe('churn');
    expect(meta.versions).toEqual(['1']);

    const v2 = await post(`${server.url}/v2/models/churn/infer`, v2Body([[1, 150], [59, 0]], 'req-7'));
    expect(v2.status).toBe(200);
    expect(v2.body.id).toBe('req-7');
    expect(v2.body.model_version).toBe('1');
    const label = v2.body.outputs.find((o: { name: string }) => o.name === 'label');
    expect(label.data.map(String)).toEqual(['1', '0']);
    const ids = v2.headers.get('x-prediction-id')!.split(',');
    expect(ids).toHaveLength(2);
    expect(v2.body.parameters.prediction_ids).toBe(ids.join(',')); // V2 parameters hold scalars

    const v1 = await post(`${server.url}/v1/models/churn:predict`, { instances: [{ tenure: 1, spend: 150 }] });
    expect(v1.status).toBe(200);
    expect(v1.body.predictions).toHaveLength(1);

    const mlflow = await post(`${server.url}/deployments/churn/invocations`, { dataframe_split: { columns: ['tenure', 'spend'], data: [[1, 150]] } });
    expect(mlflow.status).toBe(200);
    expect(mlflow.body.predictions).toHaveLength(1);

    const records = await post(`${server.url}/deployments/churn/predict`, { records: [{ tenure: 59, spend: 0 }] });
    expect(records.status).toBe(200);
    expect(records.body.predictions[0]).toMatchObject({ label: '0' });
    expect(records.body.predictions[0].id).toBe(records.headers.get('x-prediction-id'));
  });

  it('answers bad requests with precise 4xx errors', async () => {
    expect((await post(`${server.url}/v2/models/nope/infer`, v2Body([[1, 1]]))).status).toBe(404);
    const missing = await post(`${server.url}/v2/models/churn/infer`, { inputs: [{ name: 'tenure', shape: [1], datatype: 'FP64', data: [1] }] });
    expect(missing.status).toBe(400);
    expect(missing.body.error.message).toMatch(/spend/);
    const shape = await post(`${server.url}/v2/models/churn/infer`, { inputs: [{ name: 'tenure', shape: [2], datatype: 'FP64', data: [1] }, { name: 'spend', shape: [1], datatype: 'FP64', data: [1] }] });
    expect(shape.status).toBe(400);
    const text = await post(`${server.url}/deployments/churn/predict`, { records: [{ tenure: 'old', spend: 1 }] });
    expect(text.status).toBe(400);
    expect(text.body.error.message).toMatch(/tenure/);
    expect((await post(`${server.url}/deployments/churn/predict`, '{"records": [')).status).toBe(400);
    const huge = await post(`${server.url}/deployments/churn/predict`, { records: [{ tenure: 1, spend: 1, pad: 'x'.repeat(17 * 1024 * 1024) }] });
    expect(huge.status).toBe(413);
    await expectError(client.sendFeedback([{ predictionId: '01a200d8-0000-7000-8000-000000000000', label: 1 }]), 404, 'NOT_FOUND', /No prediction with id/);
    await expectError(client.sendFeedback([{ predictionId: 'not an id', label: 1 }]), 400, 'INVALID_ARGUMENT');
  });

  it('splits traffic with sticky assignment, rolls back at once, and keeps every change as a revision', async () => {
    await client.startRollout('churn', { mode: 'ab', version: 2, weight: 0.5, stickyHeader: 'x-user-id' });
    const versionFor = async (user: string) => (await post(`${server.url}/deployments/churn/predict`, { records: [{ tenure: 59, spend: 0 }] }, { 'x-user-id': user })).headers.get('x-model-version');
    const first = await Promise.all(Array.from({ length: 40 }, (_, i) => versionFor(`user-${i}`)));
    const again = await Promise.all(Array.from({ length: 40 }, (_, i) => versionFor(`user-${i}`)));
    expect(again).toEqual(first);
    const toCandidate = first.filter((v) => v === '2').length;
    expect(toCandidate).toBeGreaterThan(8);
    expect(toCandidate).toBeLessThan(32);

    await client.rollbackDeployment('churn', 'candidate answers churn for everyone');
    const after = await Promise.all(Array.from({ length: 40 }, (_, i) => versionFor(`user-${i}`)));
    expect(new Set(after)).toEqual(new Set(['1']));

    const { revisions } = await client.deploymentHistory('churn');
    expect(revisions.map((r) => r.action)).toEqual(['rollback', 'ab', 'create']);
    expect(revisions[0]!.reason).toBe('candidate answers churn for everyone');
    const restored = await client.restoreDeployment('churn', revisions[1]!.revision);
    expect(restored.deployment).toMatchObject({ mode: 'ab', candidate: 2, revision: 4 });
    await client.rollbackDeployment('churn');
  });

  it('logs every prediction with its id, takes feedback labels, mirrors shadow traffic, and exports metrics', async () => {
    const r = await post(`${server.url}/deployments/churn/predict`, { records: [{ tenure: 3, spend: 120 }] });
    const id = r.headers.get('x-prediction-id')!;
    const fb = await client.sendFeedback([{ predictionId: id, label: 1 }]);
    expect(fb).toEqual({ updated: 1, unknown: [] });
    const row = await server.store.database.db.selectFrom('predictions').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ deployment: 'churn', model_version: 1, role: 'stable', status: 200 });
    expect(JSON.parse(row.inputs!)).toEqual({ tenure: 3, spend: 120 });
    expect(JSON.parse(row.label!)).toBe(1);

    await client.startRollout('churn', { mode: 'shadow', version: 2, weight: 1 });
    const s = await post(`${server.url}/deployments/churn/predict`, { records: [{ tenure: 59, spend: 0 }] });
    expect(s.headers.get('x-model-version')).toBe('1'); // the shadow never answers
    const primary = s.headers.get('x-prediction-id')!;
    let shadow: { model_version: number } | undefined;
    for (let i = 0; i < 50 && !shadow; i++) {
      await new Promise((ok) => setTimeout(ok, 20));
      await fetch(`${server.url}/metrics`); // let the log write
      shadow = await server.store.database.db.selectFrom('predictions').select(['model_version']).where('role', '=', 'shadow').where('request_key', '=', primary).executeTakeFirst();
    }
    expect(shadow).toMatchObject({ model_version: 2 });
    await client.rollbackDeployment('churn');

    const metrics = await fetch(`${server.url}/metrics`).then((x) => x.text());
    expect(metrics).toMatch(/slipway_gateway_requests_total\{deployment="churn",version="1",role="stable",status="200"\} \d+/);
    expect(metrics).toMatch(/slipway_gateway_latency_seconds_bucket/);
    expect(metrics).toMatch(/slipway_prediction_log_queue_depth \d+/);
    expect(metrics).toMatch(/slipway_gateway_models_loaded [1-9]/);
  });

  it('starts a canary when the followed alias moves, rolls back a candidate whose predictions shift, and promotes a good one', async () => {
    await registerOnnx(client, 'churn', churnModel()); // v3: v1's weights
    await client.createDeployment({ name: 'churn-canary', model: 'churn', steps: [{ weight: 0.5, durationSeconds: 0.5 }, { weight: 0.9, durationSeconds: 0.5 }], thresholds: { minRequests: 20, maxLatencyRatio: 1000 } }); // judged on predictions here; latency is noise in tests
    const waitFor = async (check: (d: Awaited<ReturnType<typeof client.getDeployment>>['deployment']) => boolean) => {
      for (let i = 0; i < 300; i++) {
        const { deployment } = await client.getDeployment('churn-canary');
        if (check(deployment)) return deployment;
        // Traffic for the analysis: a spread of customers.
        await Promise.all(Array.from({ length: 20 }, (_, k) => post(`${server.url}/deployments/churn-canary/predict`, { records: [{ tenure: (i * 7 + k * 3) % 60, spend: (k * 37) % 200 }] })));
      }
      throw new Error(`timed out: ${JSON.stringify((await client.deploymentHistory('churn-canary')).revisions.map((r) => [r.action, r.reason]))}`);
    };

    await client.setModelAlias('churn', 'production', 2); // v2 answers churn for everyone
    const started = await waitFor((d) => d.mode === 'canary');
    expect(started).toMatchObject({ candidate: 2, weight: 0.5, lastAction: 'canary', lastReason: '@production moved to v2' });
    const rolledBack = await waitFor((d) => d.lastAction === 'rollback');
    expect(rolledBack).toMatchObject({ stable: 1, candidate: null, mode: 'stable' });
    expect(rolledBack.lastReason).toMatch(/canary analysis failed at step 1 of 2: predictions shifted/);
    expect(rolledBack.rejected).toBe(2); // production still points at v2: no new canary of it
    await new Promise((ok) => setTimeout(ok, 300));
    expect((await client.getDeployment('churn-canary')).deployment.mode).toBe('stable');

    await client.setModelAlias('churn', 'production', 3);
    const promoted = await waitFor((d) => d.lastAction === 'promote');
    expect(promoted).toMatchObject({ stable: 3, previous: 1, candidate: null });
    const { revisions } = await client.deploymentHistory('churn-canary');
    expect(revisions.map((r) => r.action)).toEqual(['promote', 'canary-step', 'canary', 'rollback', 'canary', 'create']);
    // Rolling back after a promotion returns to the version it replaced.
    expect((await client.rollbackDeployment('churn-canary', 'customer complaints')).deployment).toMatchObject({ stable: 1, previous: null });
  });

  it('runs the sessions of a deployment on a worker thread with dynamic batching, with the same answers', async () => {
    await client.createDeployment({ name: 'churn-threads', model: 'churn', version: 1, runtime: { threads: 1, batching: { maxBatchRows: 8, maxDelayMs: 1 } } });
    const rows = Array.from({ length: 24 }, (_, i) => ({ tenure: (i * 5) % 60, spend: (i * 17) % 200 }));
    const answer = async (name: string, r: { tenure: number; spend: number }) => (await post(`${server.url}/deployments/${name}/predict`, { records: [r] })).body.predictions[0];
    const threaded = await Promise.all(rows.map((r) => answer('churn-threads', r)));
    await client.createDeployment({ name: 'churn-inline', model: 'churn', version: 1 });
    const inline = await Promise.all(rows.map((r) => answer('churn-inline', r)));
    // The same labels; probabilities equal up to float32 rounding (a batch may take another SIMD path).
    expect(threaded.map((p) => p.label)).toEqual(inline.map((p) => p.label));
    threaded.forEach((p, i) => expect(p.probabilities['1']).toBeCloseTo(inline[i].probabilities['1'], 6));
    const meta = (await fetch(`${server.url}/v2/models/churn-threads`).then((r) => r.json())) as any;
    expect(meta.platform).toMatch(/onnx/);
    expect((await client.getDeployment('churn-threads')).deployment.runtime).toEqual({ threads: 1, batching: { maxBatchRows: 8, maxDelayMs: 1 } });
  });
});
