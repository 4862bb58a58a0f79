import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlipwayClient } from '../src/client/index.js';
import { cli } from './cli-run.js';
import { testDialect } from './db.js';
import { churnModel, churnRows, registerOnnx, writeCsv } from './eval-fixtures.js';
import { startTestServer, type TestServer } from './server.js';

describe(`slipway deploy and slipway load (${testDialect})`, () => {
  let server: TestServer;
  let env: Record<string, string>;
  const dir = mkdtempSync(join(tmpdir(), 'slipway-deploy-'));
  beforeAll(async () => {
    server = await startTestServer();
    env = { SLIPWAY_URL: server.url };
    const client = new SlipwayClient({ url: server.url });
    await client.createModel({ name: 'churn' });
    await registerOnnx(client, 'churn', churnModel());
    await registerOnnx(client, 'churn', churnModel(1, 0.5));
    await client.setModelAlias('churn', 'production', 1);
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates a deployment, splits traffic, replays a dataset with feedback, and rolls back', async () => {
    expect((await cli(['deploy', 'create', 'churn', '--model', 'churn', '--sampling', '50%'], env)).out).toMatch(/Traffic:\s+v1 100%/);
    expect((await cli(['deploy', 'rollout', 'churn', '2', '--mode', 'ab', '--weight', '40%', '--sticky-header', 'x-user-id'], env)).out).toMatch(/v1 60% \/ v2 40% \(ab\)/);
    expect((await cli(['deploy', 'list'], env)).out).toMatch(/churn\s+churn@production\s+v1 60% \/ v2 40% \(ab\)/);

    const rows = churnRows(60).map((r, i) => ({ user: `u${i % 20}`, ...r }));
    const data = writeCsv(dir, 'traffic.csv', rows as unknown as Record<string, unknown>[]);
    const run = await cli(['load', 'churn', '--data', data, '--rate', '200', '--duration', '0.5s', '--key-column', 'user', '--label-column', 'churned', '--drop', 'plan,region', '--json'], env);
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.out);
    expect(summary).toMatchObject({ requests: 100, errors: 0 });
    expect(Object.keys(summary.versions).sort()).toEqual(['1', '2']);
    const labelled = await server.store.database.db.selectFrom('predictions').select((eb) => eb.fn.countAll().as('n')).where('label', 'is not', null).executeTakeFirstOrThrow();
    expect(Number(labelled.n)).toBe(100);

    expect((await cli(['deploy', 'rollback', 'churn', '--reason', 'demo over'], env)).out).toMatch(/Traffic:\s+v1 100%[\s\S]*rollback: demo over/);
    const history = await cli(['deploy', 'history', 'churn'], env);
    expect(history.out).toMatch(/3\s+rollback[\s\S]*2\s+ab[\s\S]*1\s+create/);
    const bad = await cli(['load', 'nope', '--data', data], env);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/No deployment named "nope"/);
  });
});
