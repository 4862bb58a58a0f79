import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlipwayClient } from '../src/client/index.js';
import { testDialect } from './db.js';
import { churnModel, postJson, registerOnnx } from './eval-fixtures.js';
import { startTestServer, type TestServer } from './server.js';

const RACERS = 32;

/** Fires the same request RACERS times at once and returns every answer. */
const race = (url: string, body: (i: number) => unknown) =>
  Promise.all(Array.from({ length: RACERS }, (_, i) => postJson(url, body(i))));

const count = (statuses: number[]) => statuses.reduce<Record<number, number>>((acc, s) => ({ ...acc, [s]: (acc[s] ?? 0) + 1 }), {});

const dataset = (name: string, content: string) => ({
  name,
  digest: createHash('sha256').update(content).digest('hex'),
  source: 'memory',
  sourceType: 'local',
  format: 'csv',
  sizeBytes: content.length,
  rowCount: 1,
  schema: [{ name: 'a', type: 'integer', nullable: false }],
  profile: [{ name: 'a' }],
});

describe(`${RACERS} concurrent conflicting creates get the same answers on every dialect (${testDialect})`, () => {
  let server: TestServer;
  let client: SlipwayClient;
  beforeAll(async () => {
    server = await startTestServer();
    client = new SlipwayClient({ url: server.url });
  });
  afterAll(() => server.close());

  it('experiments: one is created, the rest hear it already exists (native 409, MLflow 400)', async () => {
    const native = await race(`${server.url}/api/v1/experiments`, () => ({ name: 'race-native' }));
    expect(count(native.map((r) => r.status))).toEqual({ 201: 1, 409: RACERS - 1 });
    for (const r of native.filter((r) => r.status === 409)) expect(r.body.error).toMatchObject({ code: 'ALREADY_EXISTS', message: expect.stringContaining("Experiment 'race-native' already exists") });
    const mlflow = await race(`${server.url}/api/2.0/mlflow/experiments/create`, () => ({ name: 'race-mlflow' }));
    expect(count(mlflow.map((r) => r.status))).toEqual({ 200: 1, 400: RACERS - 1 });
    for (const r of mlflow.filter((r) => r.status === 400)) expect(r.body).toMatchObject({ error_code: 'RESOURCE_ALREADY_EXISTS', message: expect.stringContaining('race-mlflow') });
  });

  it('registered models: one is created, the rest hear it already exists', async () => {
    const native = await race(`${server.url}/api/v1/models`, () => ({ name: 'race-model' }));
    expect(count(native.map((r) => r.status))).toEqual({ 201: 1, 409: RACERS - 1 });
    const mlflow = await race(`${server.url}/api/2.0/mlflow/registered-models/create`, () => ({ name: 'race-model-mlflow' }));
    expect(count(mlflow.map((r) => r.status))).toEqual({ 200: 1, 400: RACERS - 1 });
    for (const r of mlflow.filter((r) => r.status === 400)) expect(r.body.error_code).toBe('RESOURCE_ALREADY_EXISTS');
  });

  it('datasets: the same name and digest registered at once is one version, created once', async () => {
    const answers = await race(`${server.url}/api/v1/datasets`, () => dataset('race-ds', 'a\n1\n'));
    expect(count(answers.map((r) => r.status))).toEqual({ 201: 1, 200: RACERS - 1 });
    expect(new Set(answers.map((r) => r.body.version.version))).toEqual(new Set([1]));
  });

  it('datasets: different contents under one name at once get distinct versions, or a 409 to retry', async () => {
    const answers = await race(`${server.url}/api/v1/datasets`, (i) => dataset('race-ds-many', `a\n${i}\n`));
    const statuses = count(answers.map((r) => r.status));
    expect(Object.keys(statuses).every((s) => s === '201' || s === '409')).toBe(true);
    for (const r of answers.filter((r) => r.status === 409)) expect(r.body.error.message).toContain('race-ds-many');
    const versions = answers.filter((r) => r.status === 201).map((r) => r.body.version.version as number);
    expect(new Set(versions).size).toBe(versions.length);
    expect(((await (await fetch(`${server.url}/api/v1/datasets/race-ds-many`)).json()) as { versions: unknown[] }).versions).toHaveLength(versions.length);
  });

  it('a create path that does not name the clash itself (tokens) still answers 409 ALREADY_EXISTS', async () => {
    const answers = await race(`${server.url}/api/v1/tokens`, () => ({ name: 'race-token', role: 'viewer' }));
    expect(count(answers.map((r) => r.status))).toEqual({ 201: 1, 409: RACERS - 1 });
    // Racers that lost at the insert hear the server's generic message: the kind of thing and its key.
    for (const r of answers.filter((r) => r.status === 409)) expect(r.body.error).toMatchObject({ code: 'ALREADY_EXISTS', message: expect.stringMatching(/^(A token named "race-token"|An api token with the same name) already exists/) });
  });

  it('deployments: one is created, the rest hear it already exists', async () => {
    await client.createModel({ name: 'churn' });
    await registerOnnx(client, 'churn', churnModel());
    await client.setModelAlias('churn', 'production', 1);
    const answers = await race(`${server.url}/api/v1/deployments`, () => ({ name: 'race-dep', model: 'churn' }));
    expect(count(answers.map((r) => r.status))).toEqual({ 201: 1, 409: RACERS - 1 });
    for (const r of answers.filter((r) => r.status === 409)) expect(r.body.error).toMatchObject({ code: 'ALREADY_EXISTS', message: expect.stringContaining('race-dep') });
  });
});
