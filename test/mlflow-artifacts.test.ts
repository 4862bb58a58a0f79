import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { expectError, expectOk, mlflowHttp, useTestServer } from './mlflow-http.js';

/** MLflow artifacts: runs' artifacts/list, /get-artifact and the mlflow-artifacts service (reference §2.25, §4). */

const server = useTestServer();
// String bodies are uploads, sent without a JSON content type.
const { call, post, get } = mlflowHttp(server, { strings: 'raw', timeout: 15_000 });
let experimentId: string;
beforeAll(async () => {
  experimentId = expectOk(await post('experiments/create', { name: 'artifact-tests' })).experiment_id;
});

/** Writes a file straight into the server's artifact store folder (store path relative to its root). */
function seed(storePath: string, content: string): void {
  const file = join(server.store.dir, 'artifacts', ...storePath.split('/'));
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, content);
}
const stored = (storePath: string) => join(server.store.dir, 'artifacts', ...storePath.split('/'));
async function newRunWithFiles(): Promise<{ runId: string; root: string }> {
  const run = expectOk(await post('runs/create', { experiment_id: experimentId })).run;
  const root = `${experimentId}/${run.info.run_id}/artifacts`;
  seed(`${root}/model/MLmodel`, 'flavors: {}\n');
  seed(`${root}/model/data/weights.bin`, 'WEIGHTS');
  seed(`${root}/metrics.json`, '{"acc": 1}');
  return { runId: run.info.run_id, root };
}
const UNKNOWN_RUN = '0123456789abcdef0123456789abcdef';

describe('artifacts/list', () => {
  test('lists the run root: root_uri and paths relative to it; dirs have no file_size', async () => {
    const { runId } = await newRunWithFiles();
    const r = expectOk(await get('artifacts/list', { run_id: runId }));
    expect(r).toEqual({
      root_uri: `mlflow-artifacts:/${experimentId}/${runId}/artifacts`,
      files: [
        { path: 'metrics.json', is_dir: false, file_size: 10 },
        { path: 'model', is_dir: true },
      ],
    });
  });

  test('lists a sub folder with the prefix in each path; nested folders one level at a time', async () => {
    const { runId } = await newRunWithFiles();
    expect(expectOk(await get('artifacts/list', { run_id: runId, path: 'model' })).files).toEqual([
      { path: 'model/MLmodel', is_dir: false, file_size: 12 },
      { path: 'model/data', is_dir: true },
    ]);
    expect(expectOk(await get('artifacts/list', { run_uuid: runId, path: 'model/data/' })).files).toEqual([
      { path: 'model/data/weights.bin', is_dir: false, file_size: 7 },
    ]);
  });

  test('an empty or missing folder has root_uri only', async () => {
    const run = expectOk(await post('runs/create', { experiment_id: experimentId })).run;
    expect(expectOk(await get('artifacts/list', { run_id: run.info.run_id }))).toEqual({ root_uri: run.info.artifact_uri });
    expect(expectOk(await get('artifacts/list', { run_id: run.info.run_id, path: 'nope' }))).toEqual({ root_uri: run.info.artifact_uri });
  });

  test('paths leaving the run root are INVALID_PARAMETER_VALUE 400', async () => {
    const { runId } = await newRunWithFiles();
    for (const path of ['..', '../..', 'model/../..', '/etc', '/', 'C:/x', 'a\\b']) {
      expectError(await get('artifacts/list', { run_id: runId, path }), 400, 'INVALID_PARAMETER_VALUE');
    }
  });

  test('unknown run is 404; missing run_id 400; a run whose artifacts live elsewhere 400', async () => {
    expectError(await get('artifacts/list', { run_id: UNKNOWN_RUN }), 404, 'RESOURCE_DOES_NOT_EXIST');
    expectError(await get('artifacts/list'), 400, 'INVALID_PARAMETER_VALUE', /'run_id'/);
    const exp = expectOk(await post('experiments/create', { name: 'elsewhere', artifact_location: 's3://bucket/elsewhere' })).experiment_id;
    const run = expectOk(await post('runs/create', { experiment_id: exp })).run;
    expect(run.info.artifact_uri).toBe(`s3://bucket/elsewhere/${run.info.run_id}/artifacts`);
    expectError(await get('artifacts/list', { run_id: run.info.run_id }), 400, 'INVALID_PARAMETER_VALUE', /outside this server/);
  });
});

describe('GET /get-artifact', () => {
  test('downloads a run file as an attachment', async () => {
    const { runId } = await newRunWithFiles();
    const r = await call('GET', `/get-artifact?${new URLSearchParams({ run_id: runId, path: 'model/data/weights.bin' })}`);
    expect(r.status).toBe(200);
    expect(r.text).toBe('WEIGHTS');
    expect(r.headers.get('content-disposition')).toMatch(/^attachment; filename="weights.bin"/);
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    const byUuid = await call('GET', `/get-artifact?${new URLSearchParams({ run_uuid: runId, path: 'metrics.json' })}`);
    expect(byUuid.text).toBe('{"acc": 1}');
  });

  test('missing file 404, traversal 400, missing path 400', async () => {
    const { runId } = await newRunWithFiles();
    expect((await call('GET', `/get-artifact?${new URLSearchParams({ run_id: runId, path: 'absent.txt' })}`)).status).toBe(404);
    expect((await call('GET', `/get-artifact?${new URLSearchParams({ run_id: runId, path: '../../x' })}`)).status).toBe(400);
    expect((await call('GET', `/get-artifact?${new URLSearchParams({ run_id: runId, path: '/etc/passwd' })}`)).status).toBe(400);
    expect((await call('GET', `/get-artifact?${new URLSearchParams({ run_id: runId })}`)).status).toBe(400);
    expect((await call('GET', `/get-artifact?${new URLSearchParams({ run_id: UNKNOWN_RUN, path: 'x' })}`)).status).toBe(404);
  });
});

describe('mlflow-artifacts service: list, download, delete', () => {
  const service = (rest: string) => `/api/2.0/mlflow-artifacts/artifacts${rest}`;

  test('list ?path= gives basenames; an empty folder is {}', async () => {
    const { root } = await newRunWithFiles();
    const r = expectOk(await call('GET', service(`?path=${encodeURIComponent(root)}`)));
    expect(r).toEqual({
      files: [
        { path: 'metrics.json', is_dir: false, file_size: 10 },
        { path: 'model', is_dir: true },
      ],
    });
    expect(expectOk(await call('GET', service(`?path=${encodeURIComponent(`${root}/model/data`)}`))).files).toEqual([
      { path: 'weights.bin', is_dir: false, file_size: 7 },
    ]);
    expect(expectOk(await call('GET', service(`?path=${encodeURIComponent(`${root}/absent`)}`)))).toEqual({});
    const top = expectOk(await call('GET', service('')));
    expect(top.files).toContainEqual({ path: experimentId, is_dir: true });
  });

  test('download streams the file as an attachment', async () => {
    const { root } = await newRunWithFiles();
    const r = await call('GET', service(`/${root}/model/MLmodel`));
    expect(r.status).toBe(200);
    expect(r.text).toBe('flavors: {}\n');
    expect(r.headers.get('content-disposition')).toMatch(/^attachment; filename="MLmodel"/);
    const ajax = await call('GET', `/ajax-api/2.0/mlflow-artifacts/artifacts/${root}/metrics.json`);
    expect(ajax.text).toBe('{"acc": 1}');
  });

  test('download of a missing file or a folder is 404', async () => {
    const { root } = await newRunWithFiles();
    expectError(await call('GET', service(`/${root}/absent.txt`)), 404, 'RESOURCE_DOES_NOT_EXIST');
    expectError(await call('GET', service(`/${root}/model`)), 404, 'RESOURCE_DOES_NOT_EXIST');
  });

  test('path traversal and absolute paths are INVALID_PARAMETER_VALUE 400 on every method', async () => {
    const bad = ['a%2F..%2Fb', '..%2F..%2Fetc%2Fpasswd', '%2Fetc%2Fpasswd', '/etc/passwd', 'a/.%2Fb', 'a%5Cb', 'C%3A%2Fwin'];
    for (const p of bad) {
      expectError(await call('GET', service(`/${p}`)), 400, 'INVALID_PARAMETER_VALUE');
      expectError(await call('DELETE', service(`/${p}`)), 400, 'INVALID_PARAMETER_VALUE');
    }
    for (const path of ['..', '../x', '/etc', 'a/../../b']) {
      expectError(await call('GET', service(`?path=${encodeURIComponent(path)}`)), 400, 'INVALID_PARAMETER_VALUE');
    }
  });

  test('delete removes a file or a whole folder and answers {}', async () => {
    const { root } = await newRunWithFiles();
    expect(expectOk(await call('DELETE', service(`/${root}/metrics.json`)))).toEqual({});
    expect(existsSync(stored(`${root}/metrics.json`))).toBe(false);
    expect(expectOk(await call('DELETE', service(`/${root}/model`)))).toEqual({});
    expect(existsSync(stored(`${root}/model`))).toBe(false);
    expect(expectOk(await call('GET', service(`?path=${encodeURIComponent(root)}`)))).toEqual({});
    expect(expectOk(await call('DELETE', service(`/${root}/already-gone`)))).toEqual({});
  });

  test('the store root itself cannot be deleted', async () => {
    await newRunWithFiles();
    expectError(await call('DELETE', service('/')), 400, 'INVALID_PARAMETER_VALUE');
    expect(existsSync(stored(experimentId))).toBe(true);
  });
});

describe('mlflow-artifacts service: streamed upload', () => {
  const service = (rest: string) => `/api/2.0/mlflow-artifacts/artifacts${rest}`;

  test('PUT stores the raw body whatever its content type and answers {}', async () => {
    const run = expectOk(await post('runs/create', { experiment_id: experimentId })).run;
    const root = `${experimentId}/${run.info.run_id}/artifacts`;
    const r = await call('PUT', service(`/${root}/model/MLmodel`), 'artifact_path: model\n', { 'content-type': 'application/octet-stream' });
    expect(expectOk(r)).toEqual({});
    expect(readFileSync(stored(`${root}/model/MLmodel`), 'utf8')).toBe('artifact_path: model\n');
    expectOk(await call('PUT', service(`/${root}/deep/er/still/data.json`), '{"a": 1}', { 'content-type': 'application/json' }));
    expectOk(await call('PUT', service(`/${root}/notes.txt`), 'text', { 'content-type': 'text/plain' }));
    expect(expectOk(await get('artifacts/list', { run_id: run.info.run_id })).files.map((f: any) => f.path)).toEqual(['deep', 'model', 'notes.txt']);
    expect((await call('GET', service(`/${root}/deep/er/still/data.json`))).text).toBe('{"a": 1}');
  });

  test('PUT replaces an existing file; a large body streams through', async () => {
    const path = `${experimentId}/uploads/big.bin`;
    expectOk(await call('PUT', service(`/${path}`), 'old'));
    const big = 'x'.repeat(20 * 1024 * 1024);
    expectOk(await call('PUT', service(`/${path}`), big, { 'content-type': 'application/octet-stream' }));
    const listed = expectOk(await call('GET', service(`?path=${experimentId}/uploads`)));
    expect(listed.files).toEqual([{ path: 'big.bin', is_dir: false, file_size: big.length }]);
  });

  test('PUT to a path leaving the root is 400 and writes nothing', async () => {
    for (const p of ['a%2F..%2F..%2Fescape.txt', '%2Ftmp%2Fescape.txt', '..%2Fescape.txt']) {
      expectError(await call('PUT', service(`/${p}`), 'x'), 400, 'INVALID_PARAMETER_VALUE');
    }
    expect(existsSync(join(server.store.dir, 'escape.txt'))).toBe(false);
  });
});
