/**
 * A model's identity survives a rename: the deployments serving it and the evaluations listed under it follow it to
 * the new name, so traffic keeps flowing and moving the alias under the new name still starts a canary.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlipwayClient } from '../src/client/index.js';
import { testDialect } from './db.js';
import { churnModel, postJson as post, registerOnnx } from './eval-fixtures.js';
import { startTestServer, type TestServer } from './server.js';

describe(`renaming a served model (${testDialect})`, () => {
  let server: TestServer;
  let client: SlipwayClient;
  beforeAll(async () => {
    server = await startTestServer();
    client = new SlipwayClient({ url: server.url });
    await client.createModel({ name: 'churn' });
    await registerOnnx(client, 'churn', churnModel()); // v1
    await registerOnnx(client, 'churn', churnModel()); // v2: the same weights
    await client.setModelAlias('churn', 'production', 1);
    await client.createDeployment({ name: 'live', model: 'churn', steps: [{ weight: 0.5, durationSeconds: 60 }] });
  });
  afterAll(() => server.close());

  it('moves the deployments serving it to the new name, in an audited revision, and keeps them answering', async () => {
    const renamed = await fetch(`${server.url}/api/2.0/mlflow/registered-models/rename`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'churn', new_name: 'churn-eu' }),
    });
    expect(renamed.status).toBe(200);

    const { deployment } = await client.getDeployment('live');
    expect(deployment).toMatchObject({ model: 'churn-eu', alias: 'production', stable: 1, mode: 'stable', lastAction: 'model-renamed', lastReason: 'model churn renamed to churn-eu' });
    const answered = await post(`${server.url}/deployments/live/predict`, { records: [{ tenure: 3, spend: 120 }] });
    expect(answered.status).toBe(200);
    // The controller finds the alias under the new name: nothing to heal, nothing logged as a move.
    await new Promise((r) => setTimeout(r, 400));
    expect((await client.getDeployment('live')).deployment.lastAction).toBe('model-renamed');

    // Moving the alias under the new name starts a canary as before.
    await client.setModelAlias('churn-eu', 'production', 2);
    for (let i = 0; i < 50 && (await client.getDeployment('live')).deployment.mode !== 'canary'; i++) await new Promise((r) => setTimeout(r, 100));
    expect((await client.getDeployment('live')).deployment).toMatchObject({ mode: 'canary', candidate: 2, lastReason: '@production moved to v2' });
  });
});
