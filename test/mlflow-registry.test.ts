import { beforeAll, describe, expect, test } from 'vitest';
import { listAudit } from '../src/access/audit.js';
import { expectError, expectOk, mlflowHttp, useTestServer } from './mlflow-http.js';

/** MLflow model registry endpoints (model_registry.proto), endpoint by endpoint, with their error codes. */

const server = useTestServer();
const { post, get, call } = mlflowHttp(server);
const del = (path: string, body: unknown) => call('DELETE', `/api/2.0/mlflow/${path}`, body);
const patch = (path: string, body: unknown) => call('PATCH', `/api/2.0/mlflow/${path}`, body);

let runId: string;
let artifactUri: string;
beforeAll(async () => {
  const experimentId = expectOk(await post('experiments/create', { name: 'registry-tests' })).experiment_id;
  const run = expectOk(await post('runs/create', { experiment_id: experimentId })).run;
  runId = run.info.run_id;
  artifactUri = run.info.artifact_uri;
});

const createModel = async (name: string, body: Record<string, unknown> = {}) =>
  expectOk(await post('registered-models/create', { name, ...body })).registered_model;
const createVersion = async (name: string, body: Record<string, unknown> = {}) =>
  expectOk(await post('model-versions/create', { name, source: `runs:/${runId}/model`, run_id: runId, ...body })).model_version;

describe('registered-models', () => {
  test('create, get, duplicate name is RESOURCE_ALREADY_EXISTS', async () => {
    const model = await createModel('m-create', { description: 'first', tags: [{ key: 'team', value: 'risk' }] });
    expect(model).toEqual({
      name: 'm-create',
      creation_timestamp: expect.any(Number),
      last_updated_timestamp: expect.any(Number),
      description: 'first',
      tags: [{ key: 'team', value: 'risk' }],
    });
    expect(expectOk(await get('registered-models/get', { name: 'm-create' })).registered_model).toEqual(model);
    expectError(await post('registered-models/create', { name: 'm-create' }), 400, 'RESOURCE_ALREADY_EXISTS', /already exists/);
    expectError(await post('registered-models/create', {}), 400, 'INVALID_PARAMETER_VALUE', "Missing value for required parameter 'name'.");
    expectError(await get('registered-models/get', { name: 'nope' }), 404, 'RESOURCE_DOES_NOT_EXIST', 'Registered Model with name=nope not found');
  });

  test('rename carries versions and aliases; update sets the description; delete cascades', async () => {
    await createModel('m-old');
    await createVersion('m-old');
    expectOk(await post('registered-models/alias', { name: 'm-old', alias: 'champion', version: '1' }));
    const renamed = expectOk(await post('registered-models/rename', { name: 'm-old', new_name: 'm-new' })).registered_model;
    expect(renamed.name).toBe('m-new');
    expect(renamed.aliases).toEqual([{ alias: 'champion', version: '1' }]);
    expect(renamed.latest_versions).toMatchObject([{ name: 'm-new', version: '1', aliases: ['champion'] }]);
    expectError(await get('registered-models/get', { name: 'm-old' }), 404, 'RESOURCE_DOES_NOT_EXIST');
    await createModel('m-taken');
    expectError(await post('registered-models/rename', { name: 'm-new', new_name: 'm-taken' }), 400, 'RESOURCE_ALREADY_EXISTS');

    const updated = expectOk(await patch('registered-models/update', { name: 'm-new', description: 'better' })).registered_model;
    expect(updated.description).toBe('better');

    expectOk(await del('registered-models/delete', { name: 'm-new' }));
    expectError(await get('registered-models/get', { name: 'm-new' }), 404, 'RESOURCE_DOES_NOT_EXIST');
    expectError(await get('model-versions/get', { name: 'm-new', version: '1' }), 404, 'RESOURCE_DOES_NOT_EXIST');
    expectError(await del('registered-models/delete', { name: 'm-new' }), 404, 'RESOURCE_DOES_NOT_EXIST');
  });

  test('set-tag and delete-tag', async () => {
    await createModel('m-tags');
    expectOk(await post('registered-models/set-tag', { name: 'm-tags', key: 'k', value: 'v1' }));
    expectOk(await post('registered-models/set-tag', { name: 'm-tags', key: 'k', value: 'v2' }));
    expect(expectOk(await get('registered-models/get', { name: 'm-tags' })).registered_model.tags).toEqual([{ key: 'k', value: 'v2' }]);
    expectOk(await del('registered-models/delete-tag', { name: 'm-tags', key: 'k' }));
    expect(expectOk(await get('registered-models/get', { name: 'm-tags' })).registered_model.tags).toBeUndefined();
    expectError(await post('registered-models/set-tag', { name: 'nope', key: 'k', value: 'v' }), 404, 'RESOURCE_DOES_NOT_EXIST');
    expectError(await post('registered-models/set-tag', { name: 'm-tags', key: 'bad?key', value: 'v' }), 400, 'INVALID_PARAMETER_VALUE');
  });

  test('search: filter by name, LIKE, tags; order by name; page tokens', async () => {
    for (const n of ['s-b', 's-a', 's-c']) await createModel(n, { tags: [{ key: 'group', value: n === 's-c' ? 'x' : 'y' }] });
    const all = expectOk(await get('registered-models/search', { filter: "name LIKE 's-%'" }));
    expect(all.registered_models.map((m: any) => m.name)).toEqual(['s-a', 's-b', 's-c']);
    const desc = expectOk(await get('registered-models/search', { filter: "name LIKE 's-%'", order_by: 'name DESC' }));
    expect(desc.registered_models.map((m: any) => m.name)).toEqual(['s-c', 's-b', 's-a']);
    const tagged = expectOk(await get('registered-models/search', { filter: "tags.group = 'y' AND name ILIKE 'S-%'" }));
    expect(tagged.registered_models.map((m: any) => m.name)).toEqual(['s-a', 's-b']);
    const first = expectOk(await get('registered-models/search', { filter: "name LIKE 's-%'", max_results: 2 }));
    expect(first.registered_models.map((m: any) => m.name)).toEqual(['s-a', 's-b']);
    const second = expectOk(await get('registered-models/search', { filter: "name LIKE 's-%'", max_results: 2, page_token: first.next_page_token }));
    expect(second.registered_models.map((m: any) => m.name)).toEqual(['s-c']);
    expect(second.next_page_token).toBeUndefined();
    const byPost = expectOk(await post('registered-models/search', { filter: "name = 's-a'" }));
    expect(byPost.registered_models).toHaveLength(1);
    expectError(await get('registered-models/search', { filter: "params.x = 'y'" }), 400, 'INVALID_PARAMETER_VALUE');
    expectError(await get('registered-models/search', { max_results: 1001 }), 400, 'INVALID_PARAMETER_VALUE');
  });
});

describe('model-versions', () => {
  test('create numbers versions; get, update, download uri', async () => {
    await createModel('v-model');
    const v1 = await createVersion('v-model', { description: 'one', tags: [{ key: 'k', value: 'v' }] });
    expect(v1).toEqual({
      name: 'v-model',
      version: '1',
      creation_timestamp: expect.any(Number),
      last_updated_timestamp: expect.any(Number),
      user_id: 'local',
      current_stage: 'None',
      description: 'one',
      source: `runs:/${runId}/model`,
      run_id: runId,
      status: 'READY',
      tags: [{ key: 'k', value: 'v' }],
    });
    const v2 = await createVersion('v-model', { source: 's3://bucket/model', run_id: undefined, run_link: 'http://elsewhere/run' });
    expect(v2).toMatchObject({ version: '2', source: 's3://bucket/model', run_link: 'http://elsewhere/run' });
    expect(expectOk(await get('model-versions/get', { name: 'v-model', version: '1' })).model_version).toEqual(v1);
    const updated = expectOk(await patch('model-versions/update', { name: 'v-model', version: '2', description: 'two' })).model_version;
    expect(updated.description).toBe('two');
    expect(expectOk(await get('model-versions/get-download-uri', { name: 'v-model', version: '1' }))).toEqual({ artifact_uri: `${artifactUri}/model` });
    expect(expectOk(await get('model-versions/get-download-uri', { name: 'v-model', version: '2' }))).toEqual({ artifact_uri: 's3://bucket/model' });
  });

  test('errors: unknown model, unknown run, bad version, missing source', async () => {
    await createModel('v-errors');
    expectError(await post('model-versions/create', { name: 'nope', source: 's3://x' }), 404, 'RESOURCE_DOES_NOT_EXIST');
    expectError(await post('model-versions/create', { name: 'v-errors', source: 's3://x', run_id: '0123456789abcdef0123456789abcdef' }), 404, 'RESOURCE_DOES_NOT_EXIST');
    expectError(await post('model-versions/create', { name: 'v-errors' }), 400, 'INVALID_PARAMETER_VALUE', "Missing value for required parameter 'source'.");
    expectError(await get('model-versions/get', { name: 'v-errors', version: 'abc' }), 400, 'INVALID_PARAMETER_VALUE');
    expectError(await get('model-versions/get', { name: 'v-errors', version: '7' }), 404, 'RESOURCE_DOES_NOT_EXIST', 'Model Version (name=v-errors, version=7) not found');
  });

  test('delete hides the version, removes its aliases, and its number is not reused', async () => {
    await createModel('v-delete');
    await createVersion('v-delete');
    await createVersion('v-delete');
    expectOk(await post('registered-models/alias', { name: 'v-delete', alias: 'prod', version: '2' }));
    expectOk(await del('model-versions/delete', { name: 'v-delete', version: '2' }));
    expectError(await get('model-versions/get', { name: 'v-delete', version: '2' }), 404, 'RESOURCE_DOES_NOT_EXIST');
    expectError(await get('registered-models/alias', { name: 'v-delete', alias: 'prod' }), 400, 'INVALID_PARAMETER_VALUE');
    expect((await createVersion('v-delete')).version).toBe('3');
  });

  test('set-tag, delete-tag; search by name, run_id, tags', async () => {
    await createModel('v-search');
    await createVersion('v-search');
    await createVersion('v-search', { source: 's3://b/m', run_id: undefined });
    expectOk(await post('model-versions/set-tag', { name: 'v-search', version: '2', key: 'flavor', value: 'onnx' }));
    expectOk(await post('model-versions/set-tag', { name: 'v-search', version: '1', key: 'gone', value: 'x' }));
    expectOk(await del('model-versions/delete-tag', { name: 'v-search', version: '1', key: 'gone' }));
    const byName = expectOk(await get('model-versions/search', { filter: "name = 'v-search'" }));
    expect(byName.model_versions.map((v: any) => v.version)).toEqual(['2', '1']);
    expect(byName.model_versions[1].tags).toBeUndefined();
    const byRun = expectOk(await get('model-versions/search', { filter: `name = 'v-search' AND run_id = '${runId}'` }));
    expect(byRun.model_versions.map((v: any) => v.version)).toEqual(['1']);
    const byTag = expectOk(await get('model-versions/search', { filter: "tags.flavor = 'onnx'" }));
    expect(byTag.model_versions.map((v: any) => `${v.name}/${v.version}`)).toEqual(['v-search/2']);
    const ordered = expectOk(await get('model-versions/search', { filter: "name = 'v-search'", order_by: 'version_number ASC' }));
    expect(ordered.model_versions.map((v: any) => v.version)).toEqual(['1', '2']);
    expectError(await post('model-versions/set-tag', { name: 'v-search', version: '9', key: 'k', value: 'v' }), 404, 'RESOURCE_DOES_NOT_EXIST');
  });

  test('transition-stage, archive_existing_versions, get-latest-versions', async () => {
    await createModel('v-stage');
    for (let i = 0; i < 3; i++) await createVersion('v-stage');
    const t = (version: string, stage: string, archive = false) =>
      post('model-versions/transition-stage', { name: 'v-stage', version, stage, archive_existing_versions: archive });
    expect(expectOk(await t('1', 'production')).model_version.current_stage).toBe('Production');
    expectOk(await t('2', 'Staging'));
    expect(expectOk(await t('3', 'Production', true)).model_version.current_stage).toBe('Production');
    expect(expectOk(await get('model-versions/get', { name: 'v-stage', version: '1' })).model_version.current_stage).toBe('Archived');
    expectError(await t('1', 'Bogus'), 400, 'INVALID_PARAMETER_VALUE', /Invalid Model Version stage/);
    expectError(await t('1', 'Archived', true), 400, 'INVALID_PARAMETER_VALUE', /not an Active stage/);
    expectError(await post('model-versions/transition-stage', { name: 'v-stage', version: '1', stage: 'None' }), 400, 'INVALID_PARAMETER_VALUE', /archive_existing_versions/);

    const latest = expectOk(await post('registered-models/get-latest-versions', { name: 'v-stage' })).model_versions;
    expect(latest.map((v: any) => [v.current_stage, v.version])).toEqual([['Staging', '2'], ['Production', '3'], ['Archived', '1']]);
    const prod = expectOk(await get('registered-models/get-latest-versions', { name: 'v-stage', stages: ['production'] })).model_versions;
    expect(prod.map((v: any) => v.version)).toEqual(['3']);
    const model = expectOk(await get('registered-models/get', { name: 'v-stage' })).registered_model;
    expect(model.latest_versions.map((v: any) => v.version)).toEqual(['2', '3', '1']);
    expectError(await post('registered-models/get-latest-versions', { name: 'nope' }), 404, 'RESOURCE_DOES_NOT_EXIST');
  });

  test('concurrent creates get unique, consecutive numbers', async () => {
    await createModel('v-concurrent');
    const replies = await Promise.all(Array.from({ length: 20 }, () => post('model-versions/create', { name: 'v-concurrent', source: 's3://b/m' })));
    const numbers = replies.map((r) => Number(expectOk(r).model_version.version)).sort((a, b) => a - b);
    expect(numbers).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });
});

describe('aliases', () => {
  test('set, get-by-alias, move, delete; history and audit recorded', async () => {
    await createModel('a-model');
    await createVersion('a-model');
    await createVersion('a-model');
    expectOk(await post('registered-models/alias', { name: 'a-model', alias: 'champion', version: '1' }));
    expect(expectOk(await get('registered-models/alias', { name: 'a-model', alias: 'champion' })).model_version).toMatchObject({ version: '1', aliases: ['champion'] });
    expectOk(await post('registered-models/alias', { name: 'a-model', alias: 'champion', version: '2' }));
    expect(expectOk(await get('registered-models/get', { name: 'a-model' })).registered_model.aliases).toEqual([{ alias: 'champion', version: '2' }]);
    expectOk(await del('registered-models/alias', { name: 'a-model', alias: 'champion' }));
    // MLflow answers a missing alias of an existing model with 400 INVALID_PARAMETER_VALUE, not 404.
    expectError(await get('registered-models/alias', { name: 'a-model', alias: 'champion' }), 400, 'INVALID_PARAMETER_VALUE', 'Registered model alias champion not found.');

    const history = await server.store.database.db.selectFrom('model_stage_history').selectAll().where('name', '=', 'a-model').orderBy('id').execute();
    expect(history.map((h) => [h.kind, h.key, h.from_value, h.to_value, h.actor])).toEqual([
      ['alias', 'champion', null, '1', 'local'],
      ['alias', 'champion', '1', '2', 'local'],
      ['alias', 'champion', '2', null, 'local'],
    ]);
    const audit = await listAudit(server.store.database.db, { targetType: 'registered_model', targetId: 'a-model' });
    expect(audit.map((e) => e.action).reverse()).toEqual([
      'registered_model.create',
      'registered_model.set_alias',
      'registered_model.set_alias',
      'registered_model.delete_alias',
    ]);
    const versionAudit = await listAudit(server.store.database.db, { targetType: 'model_version', targetId: 'a-model/2' });
    expect(versionAudit.map((e) => e.action)).toEqual(['model_version.create']);
  });

  test('alias rules and errors', async () => {
    await createModel('a-rules');
    await createVersion('a-rules');
    expectError(await post('registered-models/alias', { name: 'a-rules', alias: 'latest', version: '1' }), 400, 'INVALID_PARAMETER_VALUE', /reserved/);
    expectError(await post('registered-models/alias', { name: 'a-rules', alias: 'V12', version: '1' }), 400, 'INVALID_PARAMETER_VALUE', /reserved/);
    expectError(await post('registered-models/alias', { name: 'a-rules', alias: 'ok', version: '5' }), 404, 'RESOURCE_DOES_NOT_EXIST');
    expectError(await post('registered-models/alias', { name: 'nope', alias: 'ok', version: '1' }), 404, 'RESOURCE_DOES_NOT_EXIST');
    expectError(await post('registered-models/alias', { name: 'a-rules', alias: 'ok' }), 400, 'INVALID_PARAMETER_VALUE', /version/);
    // Fields of a DELETE may also come in the query string; deleting a missing alias is a no-op, as in MLflow.
    expectOk(await post('registered-models/alias', { name: 'a-rules', alias: 'ok', version: 1 }));
    expectOk(await call('DELETE', '/api/2.0/mlflow/registered-models/alias?name=a-rules&alias=ok'));
    expectError(await get('registered-models/alias', { name: 'a-rules', alias: 'ok' }), 400, 'INVALID_PARAMETER_VALUE');
    expectError(await get('registered-models/alias', { name: 'nope', alias: 'ok' }), 404, 'RESOURCE_DOES_NOT_EXIST');
    expectOk(await del('registered-models/alias', { name: 'a-rules', alias: 'ok' }));
  });

  test('stage moves are recorded in the history too; ajax-api serves the same endpoints', async () => {
    await createModel('a-stage');
    await createVersion('a-stage');
    expectOk(await post('model-versions/transition-stage', { name: 'a-stage', version: '1', stage: 'Staging', archive_existing_versions: false }));
    const history = await server.store.database.db.selectFrom('model_stage_history').selectAll().where('name', '=', 'a-stage').execute();
    expect(history.map((h) => [h.kind, h.key, h.from_value, h.to_value])).toEqual([['stage', '', 'None', 'Staging']]);
    const ajax = await get('registered-models/get', { name: 'a-stage' }, '/ajax-api/2.0');
    expect(expectOk(ajax).registered_model.name).toBe('a-stage');
  });
});

describe('prompts (MLflow 3 client)', () => {
  // The MLflow 3 client adds this to every registered-model search; MLflow itself drops it and leaves out prompts
  // (entries tagged mlflow.prompt.is_prompt = 'true') unless the filter asks for prompts.
  const NOT_PROMPT = "tags.`mlflow.prompt.is_prompt` != 'true'";
  test('searches without a prompt filter, or with the client\'s, return models without the tag and leave prompts out', async () => {
    await createModel('p-plain');
    await createVersion('p-plain');
    await createModel('p-false', { tags: [{ key: 'mlflow.prompt.is_prompt', value: 'false' }] });
    await createModel('p-prompt', { tags: [{ key: 'mlflow.prompt.is_prompt', value: 'true' }] });
    await createVersion('p-prompt', { tags: [{ key: 'mlflow.prompt.is_prompt', value: 'true' }] });
    const names = async (filter: string) => expectOk(await post('registered-models/search', { filter })).registered_models?.map((m: { name: string }) => m.name) ?? [];
    expect(await names(`name LIKE 'p-%' AND ${NOT_PROMPT}`)).toEqual(['p-false', 'p-plain']);
    expect(await names(`${NOT_PROMPT} AND name LIKE 'p-%'`)).toEqual(['p-false', 'p-plain']);
    expect(await names("name LIKE 'p-%'")).toEqual(['p-false', 'p-plain']);
    expect(await names("name LIKE 'p-%' AND tags.`mlflow.prompt.is_prompt` = 'false'")).toEqual(['p-false', 'p-plain']);
    // Asking for prompts is an ordinary tag filter.
    expect(await names("tags.`mlflow.prompt.is_prompt` = 'true'")).toEqual(['p-prompt']);
    expect(await names("name LIKE 'p-%' AND tags.`mlflow.prompt.is_prompt` != 'false'")).toEqual(['p-prompt']);
    // Other tags keep MLflow's meaning: != needs the tag to exist.
    expect(await names("name LIKE 'p-%' AND tags.group != 'x'")).toEqual([]);
    const versions = async (filter: string) => expectOk(await post('model-versions/search', { filter })).model_versions?.map((v: { name: string }) => v.name) ?? [];
    expect(await versions(`name LIKE 'p-%' AND ${NOT_PROMPT}`)).toEqual(['p-plain']);
    expect(await versions("name LIKE 'p-%'")).toEqual(['p-plain']);
    expect(await versions("tags.`mlflow.prompt.is_prompt` = 'true'")).toEqual(['p-prompt']);
  });
});

describe('auth', () => {
  const secured = useTestServer({ auth: true });
  const http = mlflowHttp(secured);
  test('viewers may search but not create', async () => {
    const viewer = await secured.tokenFor('viewer');
    const headers = { authorization: `Bearer ${viewer}` };
    expectOk(await http.post('registered-models/search', {}, headers));
    expectOk(await http.call('GET', '/api/2.0/mlflow/registered-models/search', undefined, headers));
    expectError(await http.post('registered-models/create', { name: 'x' }, headers), 403, 'PERMISSION_DENIED');
  });
});
