/**
 * A registered version's files are what runs: they cannot be overwritten through the artifact routes, every load
 * checks them against the digest recorded at registration, and an ONNX model may read external data only from its
 * own version's files.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlipwayApiError, SlipwayClient } from '../src/client/index.js';
import { LOCAL_ACTOR } from '../src/core/actor.js';
import { createModelVersion } from '../src/registry/versions.js';
import { DataType, FEATURES_KEY, IR_VERSION, onnx } from '../src/runtimes/onnx/proto.js';
import { expectError } from './api-errors.js';
import { churnModel, churnRows, postJson, registerCsv, registerOnnx, writeCsv } from './eval-fixtures.js';
import { testDialect } from './db.js';
import { startTestServer, type TestServer } from './server.js';

/**
 * `variable = [tenure, spend] · w` with the 2×1 float weights `w` kept as ONNX external data at `location` (8 bytes
 * from offset 0), as `onnx.save_model(..., save_as_external_data=True)` writes it.
 */
function externalDataModel(location: string): Uint8Array {
  const tensor = (name: string, dims: (number | string)[]) => ({
    name,
    type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  });
  const model = onnx.ModelProto.create({
    irVersion: IR_VERSION,
    producerName: 'test',
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'external',
      node: [{ name: 'mm', opType: 'MatMul', domain: '', input: ['input', 'w'], output: ['variable'] }],
      input: [tensor('input', ['N', 2])],
      output: [tensor('variable', ['N', 1])],
      initializer: [
        {
          name: 'w',
          dataType: DataType.FLOAT,
          dims: [2, 1],
          dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
          externalData: [
            { key: 'location', value: location },
            { key: 'offset', value: '0' },
            { key: 'length', value: '8' },
          ],
        },
      ],
    },
    metadataProps: [{ key: FEATURES_KEY, value: JSON.stringify(['tenure', 'spend']) }],
  });
  return onnx.ModelProto.encode(model).finish();
}

const WEIGHTS = Buffer.from(Float32Array.from([1, 2]).buffer);
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe(`registered model files (${testDialect})`, () => {
  let server: TestServer;
  let client: SlipwayClient;
  let dataset: string;
  const dir = mkdtempSync(join(tmpdir(), 'slipway-integrity-'));
  /** The store folder of a run's artifacts (`mlflow-artifacts:/0/<run>/artifacts` → `0/<run>/artifacts`). */
  const runFolder = async (runId: string) => (await client.getRun(runId)).run.artifactUri.replace(/^mlflow-artifacts:\/+/, '');
  const metrics = async () => (await fetch(`${server.url}/metrics`)).text();
  const audits = async (target: string) => (await (await fetch(`${server.url}/api/v1/audit?action=model_version.integrity_failure&targetId=${encodeURIComponent(target)}`)).json()) as { entries: { after: { reason: string; purpose: string } }[] };

  beforeAll(async () => {
    server = await startTestServer();
    client = new SlipwayClient({ url: server.url });
    dataset = await registerCsv(client, writeCsv(dir, 'eval.csv', churnRows(400) as unknown as Record<string, unknown>[]), 'integrity-eval');
  });
  afterAll(() => server?.close());

  it('refuses overwriting or deleting a registered version through the native and MLflow artifact routes', async () => {
    await client.createModel({ name: 'frozen' });
    const version = await registerOnnx(client, 'frozen', churnModel());
    const { runId } = (await client.getModelVersion('frozen', version)).version;
    const folder = await runFolder(runId!);
    await expectError(client.uploadArtifact(runId!, 'model.onnx', Buffer.from(churnModel(0.5))), 409, 'INVALID_STATE', /registered model version frozen v1/);
    const put = await fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/${folder}/model.onnx`, { method: 'PUT', body: Buffer.from(churnModel(0.5)) });
    // The MLflow paths answer as MLflow maps INVALID_STATE: 400 with error_code INVALID_STATE.
    expect(put.status).toBe(400);
    expect(await put.json()).toMatchObject({ error_code: 'INVALID_STATE', message: expect.stringMatching(/registered model version frozen v1/) });
    const del = await fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/${folder}`, { method: 'DELETE' });
    expect(del.status).toBe(400);
    expect(await del.json()).toMatchObject({ error_code: 'INVALID_STATE', message: expect.stringMatching(/holds the files of registered model version frozen v1/) });
    // Files of the run that are not the version's stay writable.
    await client.uploadArtifact(runId!, 'notes.txt', Buffer.from('still writable'));
    const listed = await fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/${folder}/model.onnx`);
    expect(sha256(new Uint8Array(await listed.arrayBuffer()))).toBe((await client.getModelVersion('frozen', version)).version.contentDigest);
  });

  it('protects a version registered before store paths were recorded from its first verified load on', async () => {
    await client.createModel({ name: 'legacy' });
    const { run } = await client.createRun({ experimentId: '0' });
    const bytes = churnModel();
    await client.uploadArtifact(run.id, 'model.onnx', Buffer.from(bytes));
    const v = await createModelVersion(server.store.database.db, LOCAL_ACTOR, { name: 'legacy', source: `runs:/${run.id}/model.onnx`, contentDigest: sha256(bytes) });
    await client.uploadArtifact(run.id, 'model.onnx', Buffer.from(bytes)); // not yet known as registered files
    await client.createDeployment({ name: 'legacy', model: 'legacy', version: v.version });
    expect((await postJson(`${server.url}/deployments/legacy/predict`, { records: [{ tenure: 3, spend: 120 }] })).status).toBe(200);
    await expectError(client.uploadArtifact(run.id, 'model.onnx', Buffer.from(churnModel(0.5))), 409, 'INVALID_STATE', /registered model version legacy v1/);
  });

  it('refuses to serve or evaluate files changed behind the registry, with a metric and an audit entry', async () => {
    await client.createModel({ name: 'tampered' });
    const version = await registerOnnx(client, 'tampered', churnModel());
    const { runId } = (await client.getModelVersion('tampered', version)).version;
    // Whoever can write the store's disk (or bucket) directly: the routes are not the only way in.
    writeFileSync(join(server.store.dir, 'artifacts', await runFolder(runId!), 'model.onnx'), churnModel(0.5));
    await client.createDeployment({ name: 'tampered', model: 'tampered', version });

    const r = await postJson(`${server.url}/deployments/tampered/predict`, { records: [{ tenure: 3, spend: 120 }] });
    expect(r.status).toBe(409);
    expect(r.body.error.message).toMatch(/tampered v1 was not loaded: its files no longer match the sha256 recorded at registration/);
    const evaluated = await client.startEvaluation({ model: 'tampered', version, dataset, label: 'churned', against: null }, true).catch((e: unknown) => e as SlipwayApiError);
    expect(evaluated).toBeInstanceOf(SlipwayApiError);
    expect((evaluated as SlipwayApiError).message).toMatch(/no longer match the sha256/);

    expect(await metrics()).toMatch(/slipway_model_integrity_failures_total\{model="tampered",version="1",reason="digest_mismatch"\} [2-9]/);
    const { entries } = await audits('tampered/1');
    expect(new Set(entries.map((e) => e.after.purpose))).toEqual(new Set(['evaluate', 'serve']));
    expect(entries.every((e) => e.after.reason === 'digest_mismatch')).toBe(true);
  });

  it('refuses at registration an ONNX model whose external data is not one of its own files', async () => {
    await client.createModel({ name: 'reader' });
    for (const location of ['/etc/hostname', '../../../../../../../../etc/hostname', 'sub/../../x.bin', '*/_ORT_MEM_ADDR_/*', 'weights.bin', '']) {
      const { run } = await client.createRun({ experimentId: '0' });
      await client.uploadArtifact(run.id, 'model/model.onnx', Buffer.from(externalDataModel(location)));
      await expectError(client.createModelVersion('reader', { source: `runs:/${run.id}/model` }), 400, 'INVALID_ARGUMENT', /not one of this model version's own files/);
    }
  });

  it('serves a model whose external data is one of its own files, from a private copy', async () => {
    await client.createModel({ name: 'split' });
    const { run } = await client.createRun({ experimentId: '0' });
    await client.uploadArtifact(run.id, 'model/model.onnx', Buffer.from(externalDataModel('weights.bin')));
    await client.uploadArtifact(run.id, 'model/weights.bin', WEIGHTS);
    const { version } = await client.createModelVersion('split', { source: `runs:/${run.id}/model` });
    await client.createDeployment({ name: 'split', model: 'split', version: version.version });
    const r = await postJson(`${server.url}/deployments/split/predict`, { records: [{ tenure: 3, spend: 5 }] });
    expect(r.status).toBe(200);
    expect(JSON.stringify(r.body)).toContain('13');
  });

  it('refuses at load a version whose external data points outside its files, however it was registered', async () => {
    await client.createModel({ name: 'old' });
    const { run } = await client.createRun({ experimentId: '0' });
    const bytes = externalDataModel('../../../../../../../../etc/hostname');
    await client.uploadArtifact(run.id, 'model.onnx', Buffer.from(bytes));
    // As a version registered before registration checked external data: straight into the registry.
    const v = await createModelVersion(server.store.database.db, LOCAL_ACTOR, { name: 'old', source: `runs:/${run.id}/model.onnx`, contentDigest: sha256(bytes) });
    await client.createDeployment({ name: 'old', model: 'old', version: v.version });
    const r = await postJson(`${server.url}/deployments/old/predict`, { records: [{ tenure: 3, spend: 5 }] });
    expect(r.status).toBe(409);
    expect(r.body.error.message).toMatch(/old v1 was not loaded: .*not one of this model version's own files/);
    expect(await metrics()).toMatch(/slipway_model_integrity_failures_total\{model="old",version="1",reason="external_data"\} [1-9]/);
    expect((await audits('old/1')).entries.length).toBeGreaterThan(0);
  });
});
