import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlipwayClient } from '../src/client/index.js';
import { logisticRegression } from '../src/runtimes/onnx/builder.js';
import { mulberry32 } from '../src/stats/random.js';
import { expectError } from './api-errors.js';
import { testDialect } from './db.js';
import { churnModel, postJson as post, registerOnnx } from './eval-fixtures.js';
import { startTestServer, type TestServer } from './server.js';

/** Customers spread over the model's range, so some answers flip between versions. */
const customer = (i: number) => ({ tenure: (i * 7) % 60, spend: (i * 37) % 200 });

describe(`gateway experiments: shadow and A/B reports (${testDialect})`, () => {
  let server: TestServer;
  let client: SlipwayClient;

  beforeAll(async () => {
    server = await startTestServer();
    client = new SlipwayClient({ url: server.url });
    await client.createModel({ name: 'churn' });
    await registerOnnx(client, 'churn', churnModel()); // v1
    await registerOnnx(client, 'churn', churnModel(1, 1.5)); // v2: more churn-prone
    await registerOnnx(client, 'churn', churnModel()); // v3: v1's weights
  });
  afterAll(() => server.close());

  /** Polls the shadow report until the mirrored predictions are all paired (the shadow runs after the answer). */
  const shadowReportOf = async (name: string, pairs: number) => {
    for (let i = 0; i < 100; i++) {
      const { report } = await client.shadowReport(name);
      if (report.pairs >= pairs) return report;
      await new Promise((ok) => setTimeout(ok, 30));
    }
    throw new Error(`shadow predictions of ${name} never all arrived`);
  };

  it('pairs shadow predictions with the primary ones and reports agreement, score shift, latency and errors', async () => {
    await client.createDeployment({ name: 'shadow-exp', model: 'churn', version: 1 });
    await client.startRollout('shadow-exp', { mode: 'shadow', version: 2, weight: 1 });
    // 8 requests of 10 rows: each row gets its own prediction, and its own shadow.
    for (let r = 0; r < 8; r++) {
      const res = await post(`${server.url}/deployments/shadow-exp/predict`, { records: Array.from({ length: 10 }, (_, k) => customer(r * 10 + k)) });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-model-version')).toBe('1');
    }
    const report = await shadowReportOf('shadow-exp', 80);
    expect(report).toMatchObject({ deployment: 'shadow-exp', stableVersions: [1], shadowVersions: [2], shadowPredictions: 80, pairs: 80, compared: 80, shadowErrors: 0 });

    // The same comparison made independently from the log.
    const db = server.store.database.db;
    const rows = await db.selectFrom('predictions').select(['id', 'role', 'request_key', 'outputs']).where('deployment', '=', 'shadow-exp').execute();
    const byId = new Map(rows.map((r) => [r.id, JSON.parse(r.outputs!) as { label: string; probabilities: Record<string, number> }]));
    let agree = 0;
    let abs = 0;
    const shadows = rows.filter((r) => r.role === 'shadow');
    for (const s of shadows) {
      const p = byId.get(s.request_key!)!;
      const o = byId.get(s.id)!;
      if (String(p.label) === String(o.label)) agree++;
      abs += Math.abs(o.probabilities['1']! - p.probabilities['1']!);
    }
    expect(agree).toBeLessThan(80); // the bias flips some answers …
    expect(agree).toBeGreaterThan(0);
    expect(report.agreement).toMatchObject({ kind: 'label', agreeing: agree });
    expect(report.agreement.rate).toBeCloseTo(agree / 80, 12);
    expect(report.score.n).toBe(80);
    expect(report.score.meanAbsDifference).toBeCloseTo(abs / 80, 9);
    expect(report.score.meanDifference).toBeGreaterThan(0); // … always towards churn
    expect(report.score.ks).toBeGreaterThan(0.2);
    expect(report.score.shift).toMatch(/shifted|differently/);
    expect(report.score.shift).toMatch(/higher/);
    for (const l of [report.latency.stable, report.latency.shadow]) {
      expect(l.p50Ms).toBeGreaterThanOrEqual(0);
      expect(l.p99Ms!).toBeGreaterThanOrEqual(l.p50Ms!);
    }
    expect(report.summary).toMatch(/^80 paired predictions, 80 with both payloads logged\. The shadow agrees with stable on \d+\.\d% of them\./);
    expect(report.summary).toMatch(/No shadow errors\./);

    // A window that excludes the traffic.
    const future = new Date(Date.now() + 3_600_000).toISOString();
    const { report: empty } = await client.shadowReport('shadow-exp', { since: future });
    expect(empty).toMatchObject({ pairs: 0, shadowPredictions: 0, agreement: { rate: null, kind: null }, score: { ks: null } });
    expect(empty.since).toBe(future);
    await expectError(client.shadowReport('shadow-exp', { since: 'yesterday-ish' }), 400, 'INVALID_ARGUMENT', /since/);
    await expectError(client.shadowReport('nope'), 404, 'NOT_FOUND');
  });

  it('reports a shadow identical to stable as agreeing everywhere, with no shift', async () => {
    await client.createDeployment({ name: 'shadow-same', model: 'churn', version: 1 });
    await client.startRollout('shadow-same', { mode: 'shadow', version: 3, weight: 1 });
    await post(`${server.url}/deployments/shadow-same/predict`, { records: Array.from({ length: 30 }, (_, k) => customer(k)) });
    const report = await shadowReportOf('shadow-same', 30);
    expect(report).toMatchObject({ pairs: 30, agreement: { kind: 'label', rate: 1, agreeing: 30 }, score: { n: 30, meanAbsDifference: 0, ks: 0 } });
    expect(report.score.shift).toMatch(/distributed like stable's/);
  });

  it('counts the shadow predictions that fail', async () => {
    // v4 needs a feature the requests do not carry: every mirrored call fails, the answers do not.
    await registerOnnx(client, 'churn', logisticRegression({ featureNames: ['tenure', 'income'], classes: [0, 1], coefficients: [0.1, 0.1], intercepts: [0] }));
    await client.createDeployment({ name: 'shadow-broken', model: 'churn', version: 1 });
    await client.startRollout('shadow-broken', { mode: 'shadow', version: 4, weight: 1 });
    for (let r = 0; r < 3; r++) expect((await post(`${server.url}/deployments/shadow-broken/predict`, { records: [customer(r), customer(r + 1)] })).status).toBe(200);
    let report = (await client.shadowReport('shadow-broken')).report;
    for (let i = 0; i < 100 && report.shadowErrors < 3; i++) {
      await new Promise((ok) => setTimeout(ok, 30));
      report = (await client.shadowReport('shadow-broken')).report;
    }
    // One failed call per mirrored request, not per row.
    expect(report).toMatchObject({ shadowErrors: 3, pairs: 0, shadowVersions: [4], agreement: { rate: null } });
    expect(report.summary).toMatch(/3 shadow predictions failed\./);
  });

  it('analyses an A/B test: assignment counts, sample ratio check, always-valid test on fed-back outcomes', async () => {
    await client.createDeployment({ name: 'ab-exp', model: 'churn', version: 1 });
    await expectError(client.abReport('ab-exp', 'converted'), 409, 'INVALID_STATE', /has not run an A\/B test/);
    await client.startRollout('ab-exp', { mode: 'ab', version: 2, weight: 0.5, stickyHeader: 'x-user-id' });

    // 600 users, one request each; each user's outcome comes back later through the feedback API: B converts more.
    const served: { id: string; version: string }[] = [];
    for (let batch = 0; batch < 12; batch++) {
      const answers = await Promise.all(
        Array.from({ length: 50 }, (_, k) => post(`${server.url}/deployments/ab-exp/predict`, { records: [customer(batch * 50 + k)] }, { 'x-user-id': `user-${batch * 50 + k}` })),
      );
      for (const a of answers) served.push({ id: a.headers.get('x-prediction-id')!, version: a.headers.get('x-model-version')! });
    }
    const rand = mulberry32(42);
    const items = served.map((s) => ({ predictionId: s.id, label: { converted: rand() < (s.version === '2' ? 0.6 : 0.3) ? 1 : 0, revenue: Math.round(rand() * 1000) / 10 } }));
    const inA = served.filter((s) => s.version === '1').length;
    const inB = served.length - inA;
    expect(inA).toBeGreaterThan(240);
    expect(inB).toBeGreaterThan(240);
    expect(await client.sendFeedback(items)).toEqual({ updated: 600, unknown: [] });
    const meanOf = (v: string, f: (l: { converted: number; revenue: number }) => number) => {
      const xs = items.filter((_, i) => served[i]!.version === v).map((i) => f(i.label));
      return xs.reduce((s, x) => s + x, 0) / xs.length;
    };

    const { report } = await client.abReport('ab-exp', 'converted');
    expect(report).toMatchObject({ deployment: 'ab-exp', running: true, metric: 'converted', weight: 0.5, unusableLabels: 0, verdict: 'B is better' });
    expect(report.arms.a).toMatchObject({ role: 'stable', version: 1, requests: inA, errors: 0, n: inA });
    expect(report.arms.b).toMatchObject({ role: 'candidate', version: 2, requests: inB, errors: 0, n: inB });
    expect(report.arms.a.mean).toBeCloseTo(meanOf('1', (l) => l.converted), 12);
    expect(report.arms.b.mean).toBeCloseTo(meanOf('2', (l) => l.converted), 12);
    expect(report.test.difference).toBeCloseTo(report.arms.b.mean! - report.arms.a.mean!, 12);
    expect(report.sampleRatio!.mismatch).toBe(false);
    expect(report.sampleRatio!.observed).toEqual([inA, inB]);
    expect(report.sampleRatio!.pValue).toBeGreaterThan(0.001);
    expect(report.test).toMatchObject({ method: 'mSPRT', alpha: 0.05, tau2Source: 'default', looks: expect.any(Number) });
    expect(report.test.pValue).toBeLessThan(0.05);
    const [lo, hi] = report.test.confidenceSequence;
    expect(lo!).toBeGreaterThan(0);
    expect(hi!).toBeGreaterThan(report.test.difference!);
    expect(lo!).toBeLessThan(report.test.difference!);
    expect(report.summary).toMatch(/B is better\./);

    // Revenue does not depend on the arm: no verdict yet.
    const { report: revenue } = await client.abReport('ab-exp', 'revenue');
    expect(revenue.verdict).toBe('no difference yet');
    expect(revenue.test.pValue).toBeGreaterThanOrEqual(0.05);
    expect(revenue.arms.a.mean).toBeCloseTo(meanOf('1', (l) => l.revenue), 9);
    expect(revenue.summary).toMatch(/keep the test running/);
    // A lower-is-better reading of conversions flips the verdict; the label itself is not a number.
    expect((await client.abReport('ab-exp', 'converted', { direction: 'lower' })).report.verdict).toBe('A is better');
    const { report: bare } = await client.abReport('ab-exp');
    expect(bare).toMatchObject({ metric: null, unusableLabels: 600, verdict: 'no difference yet', arms: { a: { n: 0, mean: null } } });
    expect(bare.test.confidenceSequence).toEqual([null, null]);

    // Traffic pinned to version 1 skews the split away from the configured 50/50: sample ratio mismatch.
    for (let batch = 0; batch < 4; batch++) {
      await Promise.all(
        Array.from({ length: 50 }, (_, k) => post(`${server.url}/v2/models/ab-exp/versions/1/infer`, { inputs: [{ name: 'tenure', shape: [1], datatype: 'FP64', data: [k] }, { name: 'spend', shape: [1], datatype: 'FP64', data: [k] }] })),
      );
    }
    const { report: skewed } = await client.abReport('ab-exp', 'converted');
    expect(skewed.arms.a.requests).toBe(inA + 200);
    expect(skewed.sampleRatio!.mismatch).toBe(true);
    expect(skewed.sampleRatio!.pValue).toBeLessThan(0.001);
    expect(skewed.verdict).toBe('sample ratio mismatch: fix assignment before reading results');
    expect(skewed.summary).toMatch(/^Sample ratio mismatch/);

    // After the test ends, the report still reads it, over its own window.
    await client.rollbackDeployment('ab-exp', 'test over');
    await post(`${server.url}/deployments/ab-exp/predict`, { records: [customer(1)] }, { 'x-user-id': 'late' });
    const { report: past } = await client.abReport('ab-exp', 'converted');
    expect(past).toMatchObject({ running: false, arms: { a: { requests: inA + 200 }, b: { requests: inB } } });
    // A window with no traffic: nothing to check or test.
    const { report: none } = await client.abReport('ab-exp', 'converted', { since: new Date(Date.now() + 3_600_000).toISOString() });
    expect(none).toMatchObject({ sampleRatio: null, verdict: 'no difference yet', arms: { a: { requests: 0, n: 0 }, b: { requests: 0, n: 0 } }, test: { pValue: 1, looks: 0 } });
    await expectError(client.abReport('ab-exp', 'converted', { until: 'soon' }), 400, 'INVALID_ARGUMENT', /until/);
    // τ², α and the warm-up can be given.
    const { report: given } = await client.abReport('ab-exp', 'converted', { tau2: 0.01, alpha: 0.01, minPerArm: 20 });
    expect(given.test).toMatchObject({ tau2: 0.01, tau2Source: 'given', alpha: 0.01 });
    expect(given.summary).toMatch(/99% confidence sequence/);
  });
});
