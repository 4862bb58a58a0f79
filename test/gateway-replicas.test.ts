import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openArtifactStore } from '../src/artifacts/store.js';
import { SlipwayClient } from '../src/client/index.js';
import { buildApp, type App } from '../src/server/app.js';
import { ensureDefaultExperiment } from '../src/tracking/experiments.js';
import { testDialect, testStore, type TestStore } from './db.js';
import { churnModel, registerOnnx } from './eval-fixtures.js';

const listen = async (app: App) => {
  await app.listen({ host: '127.0.0.1', port: 0 });
  return `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
};

describe(`an api server and a gateway-only replica sharing one database (${testDialect})`, () => {
  let store: TestStore;
  let api: App;
  let replica: App;
  let apiUrl: string;
  let replicaUrl: string;
  beforeAll(async () => {
    store = await testStore();
    const artifacts = await openArtifactStore(join(store.dir, 'artifacts'));
    await ensureDefaultExperiment(store.database.db);
    api = await buildApp({ database: store.database, artifacts, auth: false, uiRoot: null, roles: ['api'] });
    replica = await buildApp({ database: store.database, artifacts, auth: false, uiRoot: null, roles: ['gateway'], spillDir: join(store.dir, 'spill') });
    apiUrl = await listen(api);
    replicaUrl = await listen(replica);
  });
  afterAll(async () => {
    await replica.close();
    await api.close();
    await store.cleanup();
  });

  it('serves what the api server configures, and follows a rollback within a second', async () => {
    const client = new SlipwayClient({ url: apiUrl });
    await client.createModel({ name: 'churn' });
    await registerOnnx(client, 'churn', churnModel());
    await registerOnnx(client, 'churn', churnModel(1, 3));
    await client.setModelAlias('churn', 'production', 1);
    // Each process serves only its role.
    expect((await fetch(`${apiUrl}/deployments/x/predict`, { method: 'POST' })).status).toBe(404);
    expect((await fetch(`${replicaUrl}/api/v1/deployments`)).status).toBe(404);

    await client.createDeployment({ name: 'churn', model: 'churn' });
    await client.startRollout('churn', { mode: 'ab', version: 2, weight: 1 });
    const versionNow = async () => {
      const res = await fetch(`${replicaUrl}/deployments/churn/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ records: [{ tenure: 5, spend: 50 }] }) });
      await res.arrayBuffer();
      return res.status === 200 ? res.headers.get('x-model-version') : `status ${res.status}`;
    };
    const waitFor = async (want: string) => {
      const started = Date.now();
      while ((await versionNow()) !== want) {
        if (Date.now() - started > 5000) throw new Error(`replica never served v${want}`);
        await new Promise((ok) => setTimeout(ok, 20));
      }
      return Date.now() - started;
    };
    await waitFor('2');
    const started = Date.now();
    await client.rollbackDeployment('churn', 'replica test');
    await waitFor('1');
    expect(Date.now() - started).toBeLessThan(1000); // polled every 500 ms
  });
});
