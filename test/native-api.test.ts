import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlipwayClient } from '../src/client/index.js';
import { expectError } from './api-errors.js';
import { testDialect } from './db.js';
import { startTestServer, type TestServer } from './server.js';

describe(`native API (${testDialect})`, () => {
  let server: TestServer;
  let client: SlipwayClient;
  beforeAll(async () => {
    server = await startTestServer();
    client = new SlipwayClient({ url: server.url });
  });
  afterAll(() => server.close());


  it('creates, renames, tags, deletes and restores experiments', async () => {
    const { experiment } = await client.createExperiment({ name: 'churn', tags: { team: 'risk' } });
    expect(experiment).toMatchObject({ name: 'churn', lifecycleStage: 'active', tags: { team: 'risk' }, artifactLocation: `mlflow-artifacts:/${experiment.id}` });
    expect(experiment.createdAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    await expectError(client.createExperiment({ name: 'churn' }), 409, 'ALREADY_EXISTS', /already exists/);
    expect((await client.renameExperiment(experiment.id, 'churn-v2')).experiment.name).toBe('churn-v2');
    await client.setExperimentTag(experiment.id, 'owner', 'ana');
    expect((await client.getExperimentByName('churn-v2')).experiment.tags).toEqual({ team: 'risk', owner: 'ana' });
    await client.deleteExperimentTag(experiment.id, 'owner');
    await client.deleteExperiment(experiment.id);
    expect((await client.getExperiment(experiment.id)).experiment.lifecycleStage).toBe('deleted');
    await expectError(client.createRun({ experimentId: experiment.id }), 400, 'INVALID_ARGUMENT', /active/);
    expect((await client.restoreExperiment(experiment.id)).experiment.lifecycleStage).toBe('active');
    await expectError(client.getExperiment('999999'), 404, 'NOT_FOUND');
    await expectError(client.getExperiment('abc'), 400, 'INVALID_ARGUMENT');
  });

  it('logs a run end to end: params, metrics with steps, tags, datasets, history, status', async () => {
    const { experiment } = await client.createExperiment({ name: 'e2e' });
    const { run } = await client.createRun({ experimentId: experiment.id, name: 'baseline', tags: { 'mlflow.source.git.commit': 'abc123' } });
    expect(run).toMatchObject({ name: 'baseline', status: 'RUNNING', tags: { 'mlflow.runName': 'baseline' } });
    await client.log(run.id, {
      params: { lr: '0.01', depth: '6' },
      tags: { stage: 'dev' },
      metrics: [
        { key: 'loss', value: 0.9, step: 0 },
        { key: 'loss', value: 0.5, step: 1 },
        { key: 'loss', value: 0.3, step: 2 },
        { key: 'weird', value: 'NaN' },
        { key: 'big', value: 'Infinity', step: 3 },
      ],
    });
    await expectError(client.log(run.id, { params: { lr: '0.02' } }), 400, 'INVALID_ARGUMENT', /Changing param values is not allowed/);
    await client.log(run.id, { params: { lr: '0.01' } });
    await client.logInputs(run.id, { datasets: [{ name: 'train', digest: 'd41d8cd9', sourceType: 'local', source: '/data/train.csv', tags: { 'mlflow.data.context': 'train' } }] });
    const got = (await client.getRun(run.id)).run;
    expect(got.params).toEqual({ lr: '0.01', depth: '6' });
    expect(got.metrics.loss).toMatchObject({ value: 0.3, step: 2 });
    expect(got.metrics.weird!.value).toBe('NaN');
    expect(got.metrics.big!.value).toBe('Infinity');
    expect(got.inputs.datasets).toEqual([
      { name: 'train', digest: 'd41d8cd9', sourceType: 'local', source: '/data/train.csv', schema: null, profile: null, tags: { 'mlflow.data.context': 'train' } },
    ]);
    const history = await client.metricHistory(run.id, 'loss');
    expect(history.metrics.map((m) => [m.step, m.value])).toEqual([[0, 0.9], [1, 0.5], [2, 0.3]]);
    const page1 = await client.metricHistory(run.id, 'loss', { maxResults: 2 });
    expect(page1.metrics).toHaveLength(2);
    const page2 = await client.metricHistory(run.id, 'loss', { maxResults: 2, pageToken: page1.nextPageToken! });
    expect(page2.metrics.map((m) => m.step)).toEqual([2]);
    expect(page2.nextPageToken).toBeNull();
    const done = (await client.updateRun(run.id, { status: 'FINISHED' })).run;
    expect(done.status).toBe('FINISHED');
    expect(done.endTime).not.toBeNull();
  });

  it('nests runs and rejects writes to deleted runs', async () => {
    const { run: parent } = await client.createRun({ experimentId: '0', name: 'parent' });
    const { run: child } = await client.createRun({ experimentId: '0', parentRunId: parent.id });
    expect(child.tags['mlflow.parentRunId']).toBe(parent.id);
    await client.deleteRun(child.id);
    await expectError(client.log(child.id, { metrics: [{ key: 'x', value: 1 }] }), 400, 'INVALID_ARGUMENT', /must be in the 'active' state/);
    await client.restoreRun(child.id);
    await client.log(child.id, { metrics: [{ key: 'x', value: 1 }] });
    await expectError(client.getRun('0123456789abcdef0123456789abcdef'), 404, 'NOT_FOUND');
    await expectError(client.createRun({ experimentId: '0', parentRunId: 'nope' }), 404, 'NOT_FOUND');
  });

  it('validates at the edge with precise messages', async () => {
    const { run } = await client.createRun({ experimentId: '0' });
    await expectError(client.log(run.id, { metrics: Array.from({ length: 1001 }, (_, i) => ({ key: `k${i}`, value: 1 })) }), 400, 'INVALID_ARGUMENT');
    await expectError(client.log(run.id, { params: { ['k'.repeat(251)]: 'v' } }), 400, 'INVALID_ARGUMENT', /limit is 250/);
    await expectError(client.log(run.id, { params: { p: 'v'.repeat(6001) } }), 400, 'INVALID_ARGUMENT', /limit is 6000/);
    await expectError(client.log(run.id, { tags: { t: 'v'.repeat(8001) } }), 400, 'INVALID_ARGUMENT', /limit is 8000/);
    await expectError(client.log(run.id, { metrics: [{ key: 'bad*key', value: 1 }] }), 400, 'INVALID_ARGUMENT', /Names may only contain/);
    await expectError(client.log(run.id, { metrics: [{ key: '../up', value: 1 }] }), 400, 'INVALID_ARGUMENT');
    await client.log(run.id, { metrics: [{ key: 'précision/été', value: 1 }] });
    const res = await fetch(`${server.url}/api/v1/runs/${run.id}/log`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"metrics": [' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('INVALID_ARGUMENT');
    const wrongType = await fetch(`${server.url}/api/v1/runs/${run.id}/log`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"metrics": [{"key": 1, "value": "x"}]}' });
    expect(wrongType.status).toBe(400);
    const unknown = await fetch(`${server.url}/api/v1/nope`);
    expect(unknown.status).toBe(404);
  });

  it('stores, lists and streams back artifacts, rejecting paths that escape', async () => {
    const { run } = await client.createRun({ experimentId: '0' });
    const payload = Buffer.from('hello artifacts');
    expect(await client.uploadArtifact(run.id, 'model/MLmodel', payload)).toEqual({ path: 'model/MLmodel', size: payload.length });
    await client.uploadArtifact(run.id, 'model/data/weights.bin', Buffer.alloc(4096, 7));
    await client.uploadArtifact(run.id, 'notes.txt', Buffer.from('n'));
    expect((await client.listArtifacts(run.id)).files).toEqual([
      { path: 'model', isDir: true },
      { path: 'notes.txt', isDir: false, size: 1 },
    ]);
    expect((await client.listArtifacts(run.id, 'model')).files.map((f) => f.path)).toEqual(['model/MLmodel', 'model/data']);
    expect(await (await client.downloadArtifact(run.id, 'model/MLmodel')).text()).toBe('hello artifacts');
    await expectError(client.downloadArtifact(run.id, 'missing.txt'), 404, 'NOT_FOUND');
    for (const bad of ['..%2F..%2Fetc%2Fpasswd', 'a%2F..%2F..%2Fb', '%2Fetc%2Fpasswd', 'a%5C..%5Cb']) {
      const res = await fetch(`${server.url}/api/v1/runs/${run.id}/artifacts/${bad}`, { method: 'PUT', body: 'x' });
      expect(res.status).toBe(400);
    }
    const abs = await fetch(`${server.url}/api/v1/runs/${run.id}/artifacts?path=%2Fetc`);
    expect(abs.status).toBe(400);
  });

  it('serves an OpenAPI document of the native API', async () => {
    const doc = (await (await fetch(`${server.url}/api/v1/openapi.json`)).json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/runs/search', '/api/v1/experiments', '/api/v1/runs/{id}/log']));
    expect(Object.keys(doc.paths).some((p) => p.startsWith('/api/2.0'))).toBe(false);
  });
});
