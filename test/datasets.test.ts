import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlipwayApiError, SlipwayClient } from '../src/client/index.js';
import { cli } from './cli-run.js';
import { testDialect } from './db.js';
import { startTestServer, type TestServer } from './server.js';

describe(`dataset versions (${testDialect})`, () => {
  let server: TestServer;
  let client: SlipwayClient;
  let env: Record<string, string>;
  const dir = mkdtempSync(join(tmpdir(), 'slipway-ds-'));
  beforeAll(async () => {
    server = await startTestServer();
    client = new SlipwayClient({ url: server.url });
    env = { SLIPWAY_URL: server.url };
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('registers a file once per digest, profiles it, and links it to a run', async () => {
    const file = join(dir, 'train.csv');
    writeFileSync(file, 'age,plan\n30,basic\n40,pro\n,basic\n50,basic\n');
    const { run } = await client.createRun({ experimentId: '0' });
    const first = await cli(['datasets', 'register', file, '--name', 'churn-train', '--run', run.id, '--json'], env);
    expect(first.code).toBe(0);
    const { version, created } = JSON.parse(first.out);
    const digest = createHash('sha256').update(readFileSync(file)).digest('hex');
    expect(created).toBe(true);
    expect(version).toMatchObject({ name: 'churn-train', version: 1, digest, rowCount: 4, format: 'csv' });
    expect(version.schema.map((c: { name: string; type: string }) => [c.name, c.type])).toEqual([
      ['age', 'integer'],
      ['plan', 'string'],
    ]);
    const age = version.profile.find((c: { name: string }) => c.name === 'age');
    expect(age).toMatchObject({ min: 30, max: 50, mean: 40, missingShare: 0.25 });

    const again = await cli(['datasets', 'register', file, '--name', 'churn-train'], env);
    expect(again.out).toContain('Unchanged: these bytes are already churn-train v1');
    writeFileSync(file, 'age,plan\n31,basic\n');
    expect((await cli(['datasets', 'register', file, '--name', 'churn-train'], env)).out).toContain('Registered churn-train v2');

    const inputs = (await client.getRun(run.id)).run.inputs.datasets;
    expect(inputs).toMatchObject([{ name: 'churn-train', digest, tags: { 'mlflow.data.context': 'train' } }]);
    expect((await client.datasetVersions('churn-train')).versions.map((v) => v.version)).toEqual([2, 1]);
    expect((await client.getDatasetVersion('churn-train', digest)).version.version).toBe(1);
    expect((await cli(['datasets', 'list'], env)).out).toMatch(/churn-train\s+v2\s+1/);
    expect((await cli(['datasets', 'show', 'churn-train', '1'], env)).out).toMatch(/age\s+integer\s+25\.0%\s+30\s+40\s+50/);
  });

  it('rejects bad files and bad registrations precisely, registering nothing', async () => {
    const ragged = join(dir, 'ragged.csv');
    writeFileSync(ragged, 'a,b\n1,2\n3\n');
    const bad = await cli(['datasets', 'register', ragged, '--name', 'ragged'], env);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/line 3/);
    expect(await client.datasetVersions('ragged').catch((e: SlipwayApiError) => e.status)).toBe(404);
    const wrong = await client
      .registerDataset({ name: 'x', digest: 'abc', source: 's', sourceType: 'local', format: 'csv', sizeBytes: 1, rowCount: 1, schema: [], profile: [] })
      .catch((e: SlipwayApiError) => [e.status, e.code]);
    expect(wrong).toEqual([400, 'INVALID_ARGUMENT']);
  });
});
