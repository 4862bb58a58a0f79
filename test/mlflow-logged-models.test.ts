import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { api, expectError, expectOk, mlflowHttp, useTestServer } from './mlflow-http.js';

/** MLflow 3 logged models, following the reference §3. */

const server = useTestServer();
const { call, post, get } = mlflowHttp(server);
let experimentId: string;
beforeAll(async () => {
  experimentId = expectOk(await post('experiments/create', { name: 'logged-model-tests' })).experiment_id;
});

const createModel = async (body: Record<string, unknown> = {}): Promise<any> =>
  expectOk(await post('logged-models', { experiment_id: experimentId, ...body })).model;
const getModel = async (id: string): Promise<any> => expectOk(await get(`logged-models/${id}`)).model;
const UNKNOWN_MODEL = 'm-0123456789abcdef0123456789abcdef';

describe('create and get', () => {
  test('create returns a PENDING model with an id, an artifact location, params and tags', async () => {
    const run = expectOk(await post('runs/create', { experiment_id: experimentId })).run.info.run_id;
    const model = await createModel({
      name: 'clf',
      model_type: 'sklearn',
      source_run_id: run,
      params: [{ key: 'alpha', value: '0.1' }],
      tags: [{ key: 'team', value: 'risk' }],
    });
    const id = model.info.model_id;
    expect(id).toMatch(/^m-[0-9a-f]{32}$/);
    expect(model).toEqual({
      info: {
        model_id: id,
        experiment_id: experimentId,
        name: 'clf',
        creation_timestamp_ms: expect.any(Number),
        last_updated_timestamp_ms: expect.any(Number),
        artifact_uri: `mlflow-artifacts:/${experimentId}/models/${id}/artifacts`,
        status: 'LOGGED_MODEL_PENDING',
        model_type: 'sklearn',
        source_run_id: run,
        tags: [{ key: 'team', value: 'risk' }],
      },
      data: { params: [{ key: 'alpha', value: '0.1' }] },
    });
    expect(await getModel(id)).toEqual(model);
    expect(expectOk(await get(`logged-models/${id}`, {}, '/ajax-api/2.0')).model).toEqual(model);
  });

  test('a name is generated when none is given; numeric experiment ids are accepted', async () => {
    const model = expectOk(await post('logged-models', { experiment_id: Number(experimentId) })).model;
    expect(model.info.name.length).toBeGreaterThan(0);
    expect(model.info.experiment_id).toBe(experimentId);
  });

  test('errors: missing or unknown experiment, unknown source run, unknown model', async () => {
    expectError(await post('logged-models', {}), 400, 'INVALID_PARAMETER_VALUE', "Missing value for required parameter 'experiment_id'.");
    expectError(await post('logged-models', { experiment_id: '987654' }), 404, 'RESOURCE_DOES_NOT_EXIST');
    expectError(await post('logged-models', { experiment_id: experimentId, source_run_id: '0123456789abcdef0123456789abcdef' }), 404, 'RESOURCE_DOES_NOT_EXIST');
    expectError(await get(`logged-models/${UNKNOWN_MODEL}`), 404, 'RESOURCE_DOES_NOT_EXIST', `Logged model with ID '${UNKNOWN_MODEL}' not found.`);
    expectError(await get(`logged-models/${UNKNOWN_MODEL}`, { allow_deleted: 'maybe' }), 400, 'INVALID_PARAMETER_VALUE', /Invalid boolean value/);
  });
});

describe('finalize', () => {
  test('PATCH sets the status by name or number and returns the model', async () => {
    const id = (await createModel()).info.model_id;
    const ready = expectOk(await call('PATCH', api(`logged-models/${id}`), { model_id: id, status: 'LOGGED_MODEL_READY' })).model;
    expect(ready.info.status).toBe('LOGGED_MODEL_READY');
    const failed = expectOk(await call('PATCH', api(`logged-models/${id}`), { status: 3 })).model;
    expect(failed.info.status).toBe('LOGGED_MODEL_UPLOAD_FAILED');
    expect((await getModel(id)).info.status).toBe('LOGGED_MODEL_UPLOAD_FAILED');
  });

  test('status is required and must be READY or UPLOAD_FAILED-like; ids must agree; unknown model 404', async () => {
    const id = (await createModel()).info.model_id;
    expectError(await call('PATCH', api(`logged-models/${id}`), { model_id: id }), 400, 'INVALID_PARAMETER_VALUE', "Missing value for required parameter 'status'.");
    expectError(await call('PATCH', api(`logged-models/${id}`), { status: 'DONE' }), 400, 'INVALID_PARAMETER_VALUE', /status/);
    expectError(await call('PATCH', api(`logged-models/${id}`), { status: 'LOGGED_MODEL_STATUS_UNSPECIFIED' }), 400, 'INVALID_PARAMETER_VALUE');
    expectError(await call('PATCH', api(`logged-models/${id}`), { model_id: UNKNOWN_MODEL, status: 'LOGGED_MODEL_READY' }), 400, 'INVALID_PARAMETER_VALUE', /does not match/);
    expectError(await call('PATCH', api(`logged-models/${UNKNOWN_MODEL}`), { status: 'LOGGED_MODEL_READY' }), 404, 'RESOURCE_DOES_NOT_EXIST');
  });
});

describe('tags and params', () => {
  test('PATCH tags upserts and answers {}; DELETE tags/{key} removes', async () => {
    const id = (await createModel({ tags: [{ key: 'a', value: '1' }] })).info.model_id;
    expect(expectOk(await call('PATCH', api(`logged-models/${id}/tags`), { model_id: id, tags: [{ key: 'a', value: '2' }, { key: 'b', value: '3' }] }))).toEqual({});
    expect((await getModel(id)).info.tags).toEqual([
      { key: 'a', value: '2' },
      { key: 'b', value: '3' },
    ]);
    expect(expectOk(await call('DELETE', api(`logged-models/${id}/tags/a`), { model_id: id, tag_key: 'a' }))).toEqual({});
    expect(expectOk(await call('DELETE', api(`logged-models/${id}/tags/b`)))).toEqual({});
    expect((await getModel(id)).info.tags).toBeUndefined();
  });

  test('tag errors: unknown tag 404, unknown model 404, bad key 400', async () => {
    const id = (await createModel()).info.model_id;
    expectError(await call('DELETE', api(`logged-models/${id}/tags/absent`)), 404, 'RESOURCE_DOES_NOT_EXIST', /absent/);
    expectError(await call('PATCH', api(`logged-models/${UNKNOWN_MODEL}/tags`), { tags: [{ key: 'a', value: '1' }] }), 404, 'RESOURCE_DOES_NOT_EXIST');
    expectError(await call('PATCH', api(`logged-models/${id}/tags`), { tags: [{ key: 'bad key!', value: '1' }] }), 400, 'INVALID_PARAMETER_VALUE');
  });

  test('POST params adds params, which are immutable', async () => {
    const id = (await createModel({ params: [{ key: 'alpha', value: '0.1' }] })).info.model_id;
    expect(expectOk(await post(`logged-models/${id}/params`, { model_id: id, params: [{ key: 'beta', value: '2' }, { key: 'alpha', value: '0.1' }] }))).toEqual({});
    expect((await getModel(id)).data.params).toEqual([
      { key: 'alpha', value: '0.1' },
      { key: 'beta', value: '2' },
    ]);
    expectError(await post(`logged-models/${id}/params`, { params: [{ key: 'alpha', value: '0.9' }] }), 400, 'INVALID_PARAMETER_VALUE', /Changing param values is not allowed/);
    expectError(await post(`logged-models/${UNKNOWN_MODEL}/params`, { params: [] }), 404, 'RESOURCE_DOES_NOT_EXIST');
  });

  test('metrics logged with a model_id show up in the model', async () => {
    const run = expectOk(await post('runs/create', { experiment_id: experimentId })).run.info.run_id;
    const id = (await createModel({ source_run_id: run })).info.model_id;
    expectOk(await post('runs/log-metric', { run_id: run, key: 'acc', value: 0.9, timestamp: 5, step: 1, model_id: id, dataset_name: 'eval', dataset_digest: 'd1' }));
    expectOk(await post('runs/log-batch', { run_id: run, metrics: [{ key: 'nan', value: 'NaN', timestamp: 6, model_id: id }] }));
    expect((await getModel(id)).data.metrics).toEqual([
      { key: 'acc', value: 0.9, timestamp: 5, step: 1, dataset_name: 'eval', dataset_digest: 'd1', model_id: id, run_id: run },
      { key: 'nan', value: 'NaN', timestamp: 6, step: 0, model_id: id, run_id: run },
    ]);
  });
});

describe('delete', () => {
  test('DELETE answers {}; the model is gone afterwards', async () => {
    const id = (await createModel()).info.model_id;
    expect(expectOk(await call('DELETE', api(`logged-models/${id}`), { model_id: id }))).toEqual({});
    expectError(await get(`logged-models/${id}`), 404, 'RESOURCE_DOES_NOT_EXIST');
    expectError(await call('DELETE', api(`logged-models/${id}`)), 404, 'RESOURCE_DOES_NOT_EXIST');
    expectError(await call('PATCH', api(`logged-models/${id}`), { status: 'LOGGED_MODEL_READY' }), 404, 'RESOURCE_DOES_NOT_EXIST');
  });
});

describe('artifacts', () => {
  function seed(storePath: string, content: string): void {
    const file = join(server.store.dir, 'artifacts', ...storePath.split('/'));
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, content);
  }

  test('artifacts/directories lists the model root or a folder under it', async () => {
    const model = await createModel();
    const id = model.info.model_id;
    const root = `${experimentId}/models/${id}/artifacts`;
    seed(`${root}/MLmodel`, 'flavors: {}\n');
    seed(`${root}/data/model.pkl`, 'PICKLE');
    expect(expectOk(await get(`logged-models/${id}/artifacts/directories`))).toEqual({
      root_uri: model.info.artifact_uri,
      files: [
        { path: 'MLmodel', is_dir: false, file_size: 12 },
        { path: 'data', is_dir: true },
      ],
    });
    expect(expectOk(await get(`logged-models/${id}/artifacts/directories`, { artifact_directory_path: 'data' })).files).toEqual([
      { path: 'data/model.pkl', is_dir: false, file_size: 6 },
    ]);
    expectError(await get(`logged-models/${id}/artifacts/directories`, { artifact_directory_path: '../..' }), 400, 'INVALID_PARAMETER_VALUE');
    expectError(await get(`logged-models/${UNKNOWN_MODEL}/artifacts/directories`), 404, 'RESOURCE_DOES_NOT_EXIST');
    const empty = await createModel();
    expect(expectOk(await get(`logged-models/${empty.info.model_id}/artifacts/directories`))).toEqual({ root_uri: empty.info.artifact_uri });
  });

  test('the ajax-api artifacts/files download sends one file', async () => {
    const id = (await createModel()).info.model_id;
    seed(`${experimentId}/models/${id}/artifacts/data/model.pkl`, 'PICKLE');
    const r = await get(`logged-models/${id}/artifacts/files`, { artifact_file_path: 'data/model.pkl' }, '/ajax-api/2.0');
    expect(r.status).toBe(200);
    expect(r.text).toBe('PICKLE');
    expect(r.headers.get('content-disposition')).toMatch(/^attachment; filename="model.pkl"/);
    expectError(await get(`logged-models/${id}/artifacts/files`, {}, '/ajax-api/2.0'), 400, 'INVALID_PARAMETER_VALUE', /artifact_file_path/);
    expectError(await get(`logged-models/${id}/artifacts/files`, { artifact_file_path: '../../../x' }, '/ajax-api/2.0'), 400, 'INVALID_PARAMETER_VALUE');
    expectError(await get(`logged-models/${id}/artifacts/files`, { artifact_file_path: 'absent' }, '/ajax-api/2.0'), 404, 'RESOURCE_DOES_NOT_EXIST');
    expectError(await get(`logged-models/${id}/artifacts/files`, { artifact_file_path: 'data/model.pkl' }), 404, 'ENDPOINT_NOT_FOUND');
  });
});

describe('search parameter checks', () => {
  test('experiment_ids is required; datasets need a name; order_by needs a field', async () => {
    expectError(await post('logged-models/search', {}), 400, 'INVALID_PARAMETER_VALUE', "Missing value for required parameter 'experiment_ids'.");
    expectError(await post('logged-models/search', { experiment_ids: [experimentId], datasets: [{ dataset_digest: 'x' }] }), 400, 'INVALID_PARAMETER_VALUE', /datasets\[0\]\.dataset_name/);
    expectError(await post('logged-models/search', { experiment_ids: [experimentId], order_by: [{ ascending: true }] }), 400, 'INVALID_PARAMETER_VALUE', /order_by\[0\]\.field_name/);
    expectError(await post('logged-models/search', { experiment_ids: [experimentId], max_results: -1 }), 400, 'INVALID_PARAMETER_VALUE', /max_results/);
  });
});

describe('search [needs tracking/search.ts]', () => {
  let exp: string;
  const ids: string[] = [];
  beforeAll(async () => {
    exp = expectOk(await post('experiments/create', { name: 'logged-model-search' })).experiment_id;
    for (const alpha of ['0.1', '0.2', '0.3']) {
      const m = expectOk(await post('logged-models', { experiment_id: exp, name: `m-${alpha}`, params: [{ key: 'alpha', value: alpha }] })).model;
      ids.push(m.info.model_id);
      await new Promise((resolve) => setTimeout(resolve, 5)); // distinct creation times for the default order
    }
    expectOk(await call('DELETE', api(`logged-models/${ids[2]}`)));
  });

  test('finds the active models of the experiments, newest first by default', async () => {
    const r = expectOk(await post('logged-models/search', { experiment_ids: [exp] }));
    expect(r.models.map((m: any) => m.info.model_id)).toEqual([ids[1], ids[0]]);
    expect(r.next_page_token).toBeUndefined();
  });

  test('filter, order_by objects and paging', async () => {
    const filtered = expectOk(await post('logged-models/search', { experiment_ids: [exp], filter: "params.alpha = '0.1'" }));
    expect(filtered.models.map((m: any) => m.info.model_id)).toEqual([ids[0]]);
    const first = expectOk(await post('logged-models/search', { experiment_ids: [exp], order_by: [{ field_name: 'name', ascending: true }], max_results: 1 }));
    expect(first.models.map((m: any) => m.info.name)).toEqual(['m-0.1']);
    expect(typeof first.next_page_token).toBe('string');
    const second = expectOk(
      await post('logged-models/search', { experiment_ids: [exp], order_by: [{ field_name: 'name', ascending: true }], max_results: 1, page_token: first.next_page_token }),
    );
    expect(second.models.map((m: any) => m.info.name)).toEqual(['m-0.2']);
  });

  test('no match is {}', async () => {
    expect(expectOk(await post('logged-models/search', { experiment_ids: [exp], filter: "name = 'none'" }))).toEqual({});
  });
});
