import { beforeAll, describe, expect, test } from 'vitest';
import { expectError, expectOk, mlflowHttp, useTestServer } from './mlflow-http.js';

/** MLflow experiments endpoints, following the reference §2.1-2.9. */

const { post, get } = mlflowHttp(useTestServer());

let seq = 0;
const unique = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${++seq}`;
const createExperiment = async (name = unique('exp'), extra: Record<string, unknown> = {}): Promise<string> =>
  expectOk(await post('experiments/create', { name, ...extra })).experiment_id;

describe('experiments/create', () => {
  test('returns the new id as a string; tags are stored', async () => {
    const name = unique('create');
    const r = expectOk(await post('experiments/create', { name, tags: [{ key: 'team', value: 'risk' }, { key: 'empty', value: '' }] }));
    expect(r).toEqual({ experiment_id: expect.stringMatching(/^[1-9]\d*$/) });
    const e = expectOk(await get('experiments/get', { experiment_id: r.experiment_id })).experiment;
    expect(e).toEqual({
      experiment_id: r.experiment_id,
      name,
      artifact_location: `mlflow-artifacts:/${r.experiment_id}`,
      lifecycle_stage: 'active',
      creation_time: expect.any(Number),
      last_update_time: expect.any(Number),
      tags: [
        { key: 'empty', value: '' },
        { key: 'team', value: 'risk' },
      ],
    });
    expect(Math.abs(e.creation_time - Date.now())).toBeLessThan(60_000);
  });

  test('a duplicate name is RESOURCE_ALREADY_EXISTS with status 400', async () => {
    const name = unique('dup');
    await createExperiment(name);
    expectError(await post('experiments/create', { name }), 400, 'RESOURCE_ALREADY_EXISTS', new RegExp(name));
  });

  test('the name of a deleted experiment stays taken', async () => {
    const name = unique('deleted-name');
    const id = await createExperiment(name);
    expectOk(await post('experiments/delete', { experiment_id: id }));
    expectError(await post('experiments/create', { name }), 400, 'RESOURCE_ALREADY_EXISTS');
  });

  test('name is required, non-empty and at most 500 characters', async () => {
    expectError(await post('experiments/create', {}), 400, 'INVALID_PARAMETER_VALUE', "Missing value for required parameter 'name'.");
    expectError(await post('experiments/create', { name: '' }), 400, 'INVALID_PARAMETER_VALUE', /'name'/);
    expectError(await post('experiments/create', { name: 'x'.repeat(501) }), 400, 'INVALID_PARAMETER_VALUE', /500/);
    expectOk(await post('experiments/create', { name: `${unique('n')}-${'x'.repeat(450)}` }));
  });

  test('artifact_location is kept; runs:/ URIs, fragments and params are rejected', async () => {
    const id = await createExperiment(unique('loc'), { artifact_location: 's3://bucket/some/prefix' });
    expect(expectOk(await get('experiments/get', { experiment_id: id })).experiment.artifact_location).toBe('s3://bucket/some/prefix');
    expectError(await post('experiments/create', { name: unique('l'), artifact_location: 'runs:/abc/model' }), 400, 'INVALID_PARAMETER_VALUE', /runs:/);
    expectError(await post('experiments/create', { name: unique('l'), artifact_location: 's3://b/p#frag' }), 400, 'INVALID_PARAMETER_VALUE', /fragments/);
    expectError(await post('experiments/create', { name: unique('l'), artifact_location: 's3://b/p;params' }), 400, 'INVALID_PARAMETER_VALUE', /params/);
    expectError(await post('experiments/create', { name: unique('l'), artifact_location: 's3://b/p?x=../y' }), 400, 'INVALID_PARAMETER_VALUE', /query/);
  });

  test('invalid tag keys are rejected', async () => {
    expectError(await post('experiments/create', { name: unique('t'), tags: [{ key: 'bad*key', value: 'v' }] }), 400, 'INVALID_PARAMETER_VALUE');
    expectError(await post('experiments/create', { name: unique('t'), tags: [{ key: 'k'.repeat(251), value: 'v' }] }), 400, 'INVALID_PARAMETER_VALUE');
  });
});

describe('experiments/get and get-by-name', () => {
  test('get accepts the id as query string; numeric ids work in bodies too', async () => {
    const id = await createExperiment();
    expect(expectOk(await get('experiments/get', { experiment_id: id })).experiment.experiment_id).toBe(id);
    expectOk(await post('experiments/update', { experiment_id: Number(id), new_name: unique('renamed-numeric') }));
  });

  test('the default experiment 0 exists', async () => {
    const e = expectOk(await get('experiments/get', { experiment_id: '0' })).experiment;
    expect(e).toMatchObject({ experiment_id: '0', name: 'Default', lifecycle_stage: 'active' });
  });

  test('an unknown id is RESOURCE_DOES_NOT_EXIST 404; a missing id INVALID_PARAMETER_VALUE', async () => {
    expectError(await get('experiments/get', { experiment_id: '987654' }), 404, 'RESOURCE_DOES_NOT_EXIST', 'No Experiment with id=987654 exists');
    expectError(await get('experiments/get'), 400, 'INVALID_PARAMETER_VALUE', "Missing value for required parameter 'experiment_id'.");
    expectError(await get('experiments/get', { experiment_id: 'abc' }), 400, 'INVALID_PARAMETER_VALUE');
  });

  test('get-by-name finds active and deleted experiments; unknown names are 404', async () => {
    const name = unique('by name');
    const id = await createExperiment(name);
    expect(expectOk(await get('experiments/get-by-name', { experiment_name: name })).experiment.experiment_id).toBe(id);
    expectOk(await post('experiments/delete', { experiment_id: id }));
    const deleted = expectOk(await get('experiments/get-by-name', { experiment_name: name })).experiment;
    expect(deleted.lifecycle_stage).toBe('deleted');
    expectError(await get('experiments/get-by-name', { experiment_name: 'no-such-experiment' }), 404, 'RESOURCE_DOES_NOT_EXIST', "Could not find experiment with name 'no-such-experiment'");
    expectError(await get('experiments/get-by-name'), 400, 'INVALID_PARAMETER_VALUE', /'experiment_name'/);
  });

  test('get works on a deleted experiment', async () => {
    const id = await createExperiment();
    expectOk(await post('experiments/delete', { experiment_id: id }));
    expect(expectOk(await get('experiments/get', { experiment_id: id })).experiment.lifecycle_stage).toBe('deleted');
  });
});

describe('experiments/update', () => {
  test('renames; new_name and experiment_id are required', async () => {
    const id = await createExperiment();
    const name = unique('new name');
    expect(expectOk(await post('experiments/update', { experiment_id: id, new_name: name }))).toEqual({});
    expect(expectOk(await get('experiments/get', { experiment_id: id })).experiment.name).toBe(name);
    expectError(await post('experiments/update', { experiment_id: id }), 400, 'INVALID_PARAMETER_VALUE', /'new_name'/);
    expectError(await post('experiments/update', { new_name: 'x' }), 400, 'INVALID_PARAMETER_VALUE', /'experiment_id'/);
  });

  test('renaming to a taken name is RESOURCE_ALREADY_EXISTS; unknown experiment 404; deleted one 400', async () => {
    const taken = unique('taken');
    await createExperiment(taken);
    const id = await createExperiment();
    expectError(await post('experiments/update', { experiment_id: id, new_name: taken }), 400, 'RESOURCE_ALREADY_EXISTS');
    expectError(await post('experiments/update', { experiment_id: '987655', new_name: 'x' }), 404, 'RESOURCE_DOES_NOT_EXIST');
    expectOk(await post('experiments/delete', { experiment_id: id }));
    const r = await post('experiments/update', { experiment_id: id, new_name: unique('late') });
    expect(r.status).toBe(400);
    expect(r.body.message).toMatch(/non-active/);
  });
});

describe('experiments/delete and restore', () => {
  test('delete marks the experiment and its runs deleted; restore brings both back', async () => {
    const id = await createExperiment();
    const run = expectOk(await post('runs/create', { experiment_id: id })).run.info.run_id;
    expect(expectOk(await post('experiments/delete', { experiment_id: id }))).toEqual({});
    expect(expectOk(await get('runs/get', { run_id: run })).run.info.lifecycle_stage).toBe('deleted');
    expect(expectOk(await post('experiments/restore', { experiment_id: id }))).toEqual({});
    expect(expectOk(await get('experiments/get', { experiment_id: id })).experiment.lifecycle_stage).toBe('active');
    expect(expectOk(await get('runs/get', { run_id: run })).run.info.lifecycle_stage).toBe('active');
  });

  test('deleting a deleted experiment and restoring an active one are 404, as in MLflow', async () => {
    const id = await createExperiment();
    expectError(await post('experiments/restore', { experiment_id: id }), 404, 'RESOURCE_DOES_NOT_EXIST', `No Experiment with id=${id} exists`);
    expectOk(await post('experiments/delete', { experiment_id: id }));
    expectError(await post('experiments/delete', { experiment_id: id }), 404, 'RESOURCE_DOES_NOT_EXIST');
    expectError(await post('experiments/delete', { experiment_id: '987656' }), 404, 'RESOURCE_DOES_NOT_EXIST');
    expectError(await post('experiments/delete', {}), 400, 'INVALID_PARAMETER_VALUE', /'experiment_id'/);
  });

  test('the default experiment cannot be deleted', async () => {
    expectError(await post('experiments/delete', { experiment_id: '0' }), 400, 'INVALID_PARAMETER_VALUE', /default experiment/);
  });

  test('a deleted experiment takes no new runs, models or tags', async () => {
    const id = await createExperiment();
    expectOk(await post('experiments/delete', { experiment_id: id }));
    expectError(await post('runs/create', { experiment_id: id }), 400, 'INVALID_PARAMETER_VALUE', /active/);
    expectError(await post('experiments/set-experiment-tag', { experiment_id: id, key: 'k', value: 'v' }), 400, 'INVALID_PARAMETER_VALUE', /active/);
    expectError(await post('logged-models', { experiment_id: id }), 400, 'INVALID_PARAMETER_VALUE', /active/);
  });
});

describe('experiment tags', () => {
  test('set-experiment-tag upserts; delete-experiment-tag removes', async () => {
    const id = await createExperiment();
    expectOk(await post('experiments/set-experiment-tag', { experiment_id: id, key: 'stage', value: 'dev' }));
    expectOk(await post('experiments/set-experiment-tag', { experiment_id: Number(id), key: 'stage', value: 'prod' }));
    expectOk(await post('experiments/set-experiment-tag', { experiment_id: id, key: 'no-value' }));
    let tags = expectOk(await get('experiments/get', { experiment_id: id })).experiment.tags;
    expect(tags).toEqual([
      { key: 'no-value', value: '' },
      { key: 'stage', value: 'prod' },
    ]);
    expect(expectOk(await post('experiments/delete-experiment-tag', { experiment_id: id, key: 'stage' }))).toEqual({});
    tags = expectOk(await get('experiments/get', { experiment_id: id })).experiment.tags;
    expect(tags).toEqual([{ key: 'no-value', value: '' }]);
  });

  test('errors: missing key, bad key, unknown experiment, unknown tag', async () => {
    const id = await createExperiment();
    expectError(await post('experiments/set-experiment-tag', { experiment_id: id, value: 'v' }), 400, 'INVALID_PARAMETER_VALUE', /'key'/);
    expectError(await post('experiments/set-experiment-tag', { experiment_id: id, key: '/abs', value: 'v' }), 400, 'INVALID_PARAMETER_VALUE');
    expectError(await post('experiments/set-experiment-tag', { experiment_id: '987657', key: 'k', value: 'v' }), 404, 'RESOURCE_DOES_NOT_EXIST');
    expectError(
      await post('experiments/delete-experiment-tag', { experiment_id: id, key: 'absent' }),
      404,
      'RESOURCE_DOES_NOT_EXIST',
      `No tag with name: absent in experiment with id ${id}`,
    );
  });
});

describe('experiments/search [needs tracking/search.ts]', () => {
  let prefix: string;
  const ids: string[] = [];
  beforeAll(async () => {
    prefix = unique('search');
    for (const i of [1, 2, 3]) ids.push(await createExperiment(`${prefix}-${i}`, { tags: [{ key: 'idx', value: String(i) }] }));
    expectOk(await post('experiments/delete', { experiment_id: ids[2] }));
  });

  test('POST with a filter returns matching active experiments; max_results may be omitted', async () => {
    const r = expectOk(await post('experiments/search', { filter: `name LIKE '${prefix}%'` }));
    expect(r.experiments.map((e: any) => e.name).sort()).toEqual([`${prefix}-1`, `${prefix}-2`]);
    expect(r.next_page_token).toBeUndefined();
  });

  test('GET takes the same fields from the query string', async () => {
    const r = expectOk(await get('experiments/search', { filter: `name LIKE '${prefix}%'`, max_results: '10', view_type: 'ALL' }));
    expect(r.experiments).toHaveLength(3);
  });

  test('view_type DELETED_ONLY (by name or number) and tag filters', async () => {
    const deleted = expectOk(await post('experiments/search', { filter: `name LIKE '${prefix}%'`, view_type: 'DELETED_ONLY', max_results: 10 }));
    expect(deleted.experiments.map((e: any) => e.experiment_id)).toEqual([ids[2]]);
    const byNumber = expectOk(await post('experiments/search', { filter: `name LIKE '${prefix}%'`, view_type: 2 }));
    expect(byNumber.experiments).toHaveLength(1);
    const tagged = expectOk(await post('experiments/search', { filter: `tags.idx = '2' AND name LIKE '${prefix}%'` }));
    expect(tagged.experiments.map((e: any) => e.experiment_id)).toEqual([ids[1]]);
  });

  test('order_by and paging with page tokens', async () => {
    const first = expectOk(await post('experiments/search', { filter: `name LIKE '${prefix}%'`, view_type: 'ALL', order_by: ['name DESC'], max_results: 2 }));
    expect(first.experiments.map((e: any) => e.name)).toEqual([`${prefix}-3`, `${prefix}-2`]);
    expect(typeof first.next_page_token).toBe('string');
    const second = expectOk(
      await post('experiments/search', { filter: `name LIKE '${prefix}%'`, view_type: 'ALL', order_by: ['name DESC'], max_results: 2, page_token: first.next_page_token }),
    );
    expect(second.experiments.map((e: any) => e.name)).toEqual([`${prefix}-1`]);
    expect(second.next_page_token).toBeUndefined();
  });

  test('no match is {}', async () => {
    expect(expectOk(await post('experiments/search', { filter: "name = 'no-such-experiment-anywhere'" }))).toEqual({});
  });

  test('OR is not part of MLflow grammar', async () => {
    expectError(await post('experiments/search', { filter: "name = 'a' OR name = 'b'" }), 400, 'INVALID_PARAMETER_VALUE');
  });
});

describe('experiments/search parameter checks', () => {
  test('max_results must be 1..50000; view_type must be a ViewType', async () => {
    expectError(await post('experiments/search', { max_results: 50001 }), 400, 'INVALID_PARAMETER_VALUE', /max_results/);
    expectError(await post('experiments/search', { max_results: 0 }), 400, 'INVALID_PARAMETER_VALUE', /max_results/);
    expectError(await get('experiments/search', { max_results: 'ten' }), 400, 'INVALID_PARAMETER_VALUE', /max_results/);
    expectError(await post('experiments/search', { view_type: 'SOME' }), 400, 'INVALID_PARAMETER_VALUE', /view_type/);
  });
});
