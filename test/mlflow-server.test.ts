import { beforeAll, describe, expect, test } from 'vitest';
import { VERSION } from '../src/version.js';
import { expectErrorWithMessage as expectError, mlflowHttp, request as call, useTestServer } from './mlflow-http.js';

/** MLflow-wide behaviour: health and version, request parsing, error shape, OpenAPI, auth. */

describe('MLflow server basics', () => {
  const server = useTestServer();
  const { post } = mlflowHttp(server);

  test('GET /health answers OK and /version the server version', async () => {
    const health = await call(server, 'GET', '/health');
    expect(health.status).toBe(200);
    expect(health.text).toBe('OK');
    const version = await call(server, 'GET', '/version');
    expect(version.status).toBe(200);
    expect(version.text).toBe(VERSION);
  });

  test('responses are JSON with MLflow field names; empty responses are {}', async () => {
    const created = await post('experiments/create', { name: 'server-basics' });
    expect(created.status).toBe(200);
    expect(created.headers.get('content-type')).toMatch(/^application\/json/);
    expect(created.body).toEqual({ experiment_id: expect.stringMatching(/^\d+$/) });
    const tagged = await post('experiments/set-experiment-tag', { experiment_id: created.body.experiment_id, key: 'k', value: 'v' });
    expect(tagged.status).toBe(200);
    expect(tagged.body).toEqual({});
  });

  test('every endpoint is served under /api/2.0 and /ajax-api/2.0', async () => {
    const created = await call(server, 'POST', '/ajax-api/2.0/mlflow/experiments/create', { name: 'via-ajax' });
    expect(created.status).toBe(200);
    const viaApi = await call(server, 'GET', `/api/2.0/mlflow/experiments/get?experiment_id=${created.body.experiment_id}`);
    const viaAjax = await call(server, 'GET', `/ajax-api/2.0/mlflow/experiments/get?experiment_id=${created.body.experiment_id}`);
    expect(viaApi.status).toBe(200);
    expect(viaAjax.body).toEqual(viaApi.body);
    const run = await call(server, 'POST', '/ajax-api/2.0/mlflow/runs/create', { experiment_id: created.body.experiment_id });
    expect(run.status).toBe(200);
    const list = await call(server, 'GET', `/ajax-api/2.0/mlflow-artifacts/artifacts?path=${created.body.experiment_id}`);
    expect(list.status).toBe(200);
  });

  test('an unknown MLflow endpoint is ENDPOINT_NOT_FOUND 404 in MLflow shape', async () => {
    expectError(await post('experiments/frobnicate', {}), 404, 'ENDPOINT_NOT_FOUND');
    expectError(await call(server, 'GET', '/ajax-api/2.0/mlflow/nothing-here'), 404, 'ENDPOINT_NOT_FOUND');
  });

  test('a missing required field is INVALID_PARAMETER_VALUE naming the parameter', async () => {
    expectError(await post('experiments/create', {}), 400, 'INVALID_PARAMETER_VALUE', "Missing value for required parameter 'name'.");
    expectError(await post('experiments/create', { name: '' }), 400, 'INVALID_PARAMETER_VALUE', "Missing value for required parameter 'name'.");
    expectError(await post('experiments/create', { name: null }), 400, 'INVALID_PARAMETER_VALUE', "Missing value for required parameter 'name'.");
  });

  test('a field of the wrong type is INVALID_PARAMETER_VALUE', async () => {
    expectError(await post('experiments/create', { name: 42 }), 400, 'INVALID_PARAMETER_VALUE', /'name'/);
    expectError(await post('experiments/create', { name: 'typed', tags: 'a=b' }), 400, 'INVALID_PARAMETER_VALUE', /'tags'/);
    expectError(await post('experiments/create', { name: 'typed', tags: ['a'] }), 400, 'INVALID_PARAMETER_VALUE', /tags\[0\]/);
  });

  test('unknown fields are ignored, as protobuf parsing with ignore_unknown_fields does', async () => {
    const r = await post('experiments/create', { name: 'unknown-fields', whatever: { nested: true } });
    expect(r.status).toBe(200);
  });

  test('malformed JSON is INVALID_PARAMETER_VALUE 400; a body that is not an object too', async () => {
    expectError(await post('experiments/create', '{"name": '), 400, 'INVALID_PARAMETER_VALUE', /JSON/);
    expectError(await post('experiments/create', '[1, 2]'), 400, 'INVALID_PARAMETER_VALUE', /JSON object/);
  });

  test('the body is read as JSON only with a JSON content type (a browser form cannot post), and a JSON-encoded string body is decoded', async () => {
    const plain = await post('experiments/create', JSON.stringify({ name: 'text-plain' }), { 'content-type': 'text/plain' });
    expectError(plain, 415, 'INVALID_PARAMETER_VALUE', /application\/json/);
    const form = await post('experiments/create', JSON.stringify({ name: 'form-encoded' }), { 'content-type': 'application/x-www-form-urlencoded' });
    expectError(form, 415, 'INVALID_PARAMETER_VALUE', /application\/json/);
    const charset = await post('experiments/create', JSON.stringify({ name: 'with-charset' }), { 'content-type': 'application/json; charset=utf-8' });
    expect(charset.status).toBe(200);
    const twice = await post('experiments/create', JSON.stringify(JSON.stringify({ name: 'double-encoded' })));
    expect(twice.status).toBe(200);
    const got = await call(server, 'GET', '/api/2.0/mlflow/experiments/get-by-name?experiment_name=double-encoded');
    expect(got.body.experiment.name).toBe('double-encoded');
  });

  test('an empty body reads as {} (DELETE with a JSON content type and nothing else)', async () => {
    expectError(await post('experiments/create', '', { 'content-type': 'application/json' }), 400, 'INVALID_PARAMETER_VALUE', /'name'/);
    const r = await call(server, 'DELETE', '/api/2.0/mlflow/logged-models/m-00000000000000000000000000000000', '', { 'content-type': 'application/json' });
    expectError(r, 404, 'RESOURCE_DOES_NOT_EXIST');
  });

  test('no MLflow route appears in the native OpenAPI document', async () => {
    const doc = await call(server, 'GET', '/api/v1/openapi.json');
    expect(doc.status).toBe(200);
    const paths = Object.keys(doc.body.paths);
    expect(paths.length).toBeGreaterThan(0);
    expect(paths.filter((p) => p.includes('/2.0/') || p.includes('get-artifact'))).toEqual([]);
  });
});

describe('MLflow endpoints with auth on', () => {
  const server = useTestServer({ auth: true });
  let viewer: string;
  let editor: string;
  const as = (token: string | null, method: string, path: string, body?: unknown) =>
    call(server, method, path, body, token ? { authorization: `Bearer ${token}` } : {});

  beforeAll(async () => {
    viewer = await server.tokenFor('viewer');
    editor = await server.tokenFor('editor');
  });

  test('no token is UNAUTHENTICATED 401 in MLflow shape; /health stays public', async () => {
    expectError(await as(null, 'GET', '/api/2.0/mlflow/experiments/get?experiment_id=0'), 401, 'UNAUTHENTICATED');
    expect((await as(null, 'GET', '/health')).status).toBe(200);
  });

  test('MLflow clients may send the token as the Basic auth password', async () => {
    const basic = Buffer.from(`user:${viewer}`).toString('base64');
    const r = await call(server, 'GET', '/api/2.0/mlflow/experiments/get?experiment_id=0', undefined, { authorization: `Basic ${basic}` });
    expect(r.status).toBe(200);
  });

  test('a viewer reads but cannot write: PERMISSION_DENIED 403', async () => {
    expect((await as(viewer, 'GET', '/api/2.0/mlflow/experiments/get?experiment_id=0')).status).toBe(200);
    expectError(await as(viewer, 'POST', '/api/2.0/mlflow/experiments/create', { name: 'nope' }), 403, 'PERMISSION_DENIED');
    expectError(await as(viewer, 'POST', '/api/2.0/mlflow/runs/create', { experiment_id: '0' }), 403, 'PERMISSION_DENIED');
    expectError(await as(viewer, 'PUT', '/api/2.0/mlflow-artifacts/artifacts/0/x.txt', 'x'), 403, 'PERMISSION_DENIED');
    expectError(await as(viewer, 'DELETE', '/api/2.0/mlflow-artifacts/artifacts/0/x.txt'), 403, 'PERMISSION_DENIED');
    expect((await as(editor, 'POST', '/api/2.0/mlflow/experiments/create', { name: 'by-editor' })).status).toBe(200);
  });

  test('a viewer may call the read-only POST search endpoints [needs tracking/search.ts]', async () => {
    expect((await as(viewer, 'POST', '/api/2.0/mlflow/experiments/search', { max_results: 10 })).status).toBe(200);
    expect((await as(viewer, 'POST', '/api/2.0/mlflow/runs/search', { experiment_ids: ['0'] })).status).toBe(200);
    expect((await as(viewer, 'POST', '/api/2.0/mlflow/logged-models/search', { experiment_ids: ['0'] })).status).toBe(200);
  });

  test('the role check of read-only POST search endpoints is viewer, not editor', async () => {
    // Whatever search answers, a viewer is never refused there.
    for (const path of ['experiments/search', 'runs/search', 'logged-models/search']) {
      const r = await as(viewer, 'POST', `/api/2.0/mlflow/${path}`, { experiment_ids: ['0'] });
      expect(r.status, path).not.toBe(403);
    }
  });
});
