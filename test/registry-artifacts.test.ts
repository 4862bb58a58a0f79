import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlipwayClient } from '../src/client/index.js';
import { testDialect } from './db.js';
import { startTestServer, type TestServer } from './server.js';

const MLMODEL = `artifact_path: model
flavors:
  python_function:
    loader_module: mlflow.sklearn
  sklearn:
    sklearn_version: 1.5.0
signature:
  inputs: '[{"type": "double", "name": "age", "required": true}]'
  outputs: '[{"type": "long", "required": true}]'
`;

describe(`model versions read facts from their files (${testDialect})`, () => {
  let server: TestServer;
  let client: SlipwayClient;
  beforeAll(async () => {
    server = await startTestServer({ trust: { modelServerHosts: ['models.example.test'] } });
    client = new SlipwayClient({ url: server.url });
    await client.createModel({ name: 'churn' });
  });
  afterAll(() => server.close());

  it('records digest, size, flavor and signature of an MLflow model folder, and reports identical bytes', async () => {
    const upload = async () => {
      const { run } = await client.createRun({ experimentId: '0' });
      await client.uploadArtifact(run.id, 'model/MLmodel', Buffer.from(MLMODEL));
      await client.uploadArtifact(run.id, 'model/model.pkl', Buffer.alloc(1000, 1));
      return run.id;
    };
    const first = await upload();
    const v1 = await client.createModelVersion('churn', { source: `runs:/${first}/model`, runId: first });
    expect(v1.version).toMatchObject({ flavor: 'sklearn', size: MLMODEL.length + 1000 });
    expect(v1.version.contentDigest).toMatch(/^[0-9a-f]{64}$/);
    expect(v1.version.signature).toEqual({ inputs: [{ type: 'double', name: 'age', required: true }], outputs: [{ type: 'long', required: true }], params: null });
    expect(v1.sameContentAs).toEqual([]);

    const second = await upload();
    const v2 = await client.createModelVersion('churn', { source: `runs:/${second}/model`, runId: second });
    expect(v2.version.contentDigest).toBe(v1.version.contentDigest);
    expect(v2.sameContentAs).toEqual([1]);
    expect(v2.version.tags['slipway.same_content_as']).toBe('v1');
  });

  it('hashes a single ONNX file as its bytes, and leaves sources outside the store alone', async () => {
    const { run } = await client.createRun({ experimentId: '0' });
    const bytes = Buffer.from('onnx-bytes');
    await client.uploadArtifact(run.id, 'model.onnx', bytes);
    const v = await client.createModelVersion('churn', { source: `runs:/${run.id}/model.onnx`, runId: run.id });
    expect(v.version).toMatchObject({ flavor: 'onnx', size: bytes.length, contentDigest: createHash('sha256').update(bytes).digest('hex') });
    const remote = await client.createModelVersion('churn', { source: 'https://models.example.test/churn/7' });
    expect(remote.version).toMatchObject({ contentDigest: null, size: null, flavor: null });
    const mlflowPath = await fetch(`${server.url}/api/2.0/mlflow/model-versions/create`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'churn', source: `runs:/${run.id}/model.onnx`, run_id: run.id }),
    });
    expect(((await mlflowPath.json()) as any).model_version.tags).toEqual([{ key: 'slipway.same_content_as', value: `v${v.version.version}` }]);
  });
});
