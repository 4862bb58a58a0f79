import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlipwayClient } from '../src/client/index.js';
import type { Gateway } from '../src/serving/gateway.js';
import { testDialect } from './db.js';
import { churnModel, registerOnnx } from './eval-fixtures.js';
import { startTestServer, type TestServer } from './server.js';

const gatewayOf = (s: TestServer) => (s.app as unknown as { gateway: Gateway }).gateway;

describe(`gateway under steady load (${testDialect})`, () => {
  let server: TestServer;
  let client: SlipwayClient;
  beforeAll(async () => {
    // A budget of one model file: only the versions deployments may need stay loaded.
    server = await startTestServer({ gatewayMemoryBytes: 1 });
    client = new SlipwayClient({ url: server.url });
    await client.createModel({ name: 'churn' });
    for (let v = 0; v < 4; v++) await registerOnnx(client, 'churn', churnModel(1, v * 1e-6)); // same answers, distinct files
    await client.setModelAlias('churn', 'production', 1);
  });
  afterAll(() => server.close());

  it('through canary steps, a rollback in the middle and a promotion: no failed request, no lost prediction, memory flat', async () => {
    await client.createDeployment({ name: 'soak', model: 'churn', steps: [{ weight: 0.3, durationSeconds: 0.6 }, { weight: 0.6, durationSeconds: 0.6 }], thresholds: { minRequests: 10, maxLatencyRatio: 1000 } });
    const results: { ok: boolean; ids: number; version: string | null; error?: string }[] = [];
    let running = true;
    const rss: number[] = [];
    const worker = async (n: number) => {
      for (let i = 0; running; i++) {
        const res = await fetch(`${server.url}/deployments/soak/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ records: [{ tenure: (i * 7 + n) % 60, spend: (i * 13) % 200 }] }) });
        const text = await res.text();
        results.push({ ok: res.ok, ids: (res.headers.get('x-prediction-id') ?? '').split(',').filter(Boolean).length, version: res.headers.get('x-model-version'), ...(res.ok ? {} : { error: `${res.status} ${text}` }) });
      }
    };
    const load = Promise.all(Array.from({ length: 4 }, (_, n) => worker(n)));
    const wait = (ms: number) => new Promise((ok) => setTimeout(ok, ms));
    const until = async (check: () => Promise<boolean>) => {
      for (let i = 0; i < 400 && !(await check()); i++) await wait(50);
    };
    const state = async () => (await client.getDeployment('soak')).deployment;

    await wait(300);
    rss.push(process.memoryUsage().rss);
    await client.setModelAlias('churn', 'production', 2);
    await until(async () => (await state()).mode === 'canary');
    await wait(400);
    await client.rollbackDeployment('soak', 'rollback in the middle of the soak');
    expect((await state()).mode).toBe('stable');
    await client.setModelAlias('churn', 'production', 3);
    await until(async () => (await state()).lastAction === 'promote');
    await wait(300);
    rss.push(process.memoryUsage().rss);
    running = false;
    await load;

    const history = (await client.deploymentHistory('soak')).revisions.map((r) => `${r.action}: ${r.reason ?? ''}`);
    expect(await state(), history.join(' | ')).toMatchObject({ stable: 3, previous: 1 });
    expect(results.length).toBeGreaterThan(200);
    expect(results.filter((r) => !r.ok)).toEqual([]);
    expect(results.every((r) => r.ids === 1)).toBe(true);
    expect(new Set(results.map((r) => r.version))).toEqual(new Set(['1', '2', '3']));

    const gateway = gatewayOf(server);
    await gateway.log.flush();
    const logged = await server.store.database.db.selectFrom('predictions').select((eb) => eb.fn.countAll().as('n')).where('deployment', '=', 'soak').executeTakeFirstOrThrow();
    expect(Number(logged.n)).toBe(results.length);
    expect(gateway.log.stats()).toMatchObject({ dropped: 0, spilled: 0 });
    // Memory: bounded growth over the run (the log drains; models beyond the budget are unloaded).
    expect(rss[1]! - rss[0]!).toBeLessThan(150 * 1024 * 1024);
    // v2 was rolled back and is no longer stable, candidate or previous: unloaded under the budget.
    expect(gateway.loaded()).toEqual(['churn/1', 'churn/3']);
  });
});
