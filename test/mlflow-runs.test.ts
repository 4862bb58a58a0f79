import { beforeAll, describe, expect, test } from 'vitest';
import { expectError, expectOk, mlflowHttp, useTestServer } from './mlflow-http.js';

/** MLflow runs endpoints, following the reference §2.10-2.15 and §2.18. */

const { post, get } = mlflowHttp(useTestServer());
let experimentId: string;
beforeAll(async () => {
  experimentId = expectOk(await post('experiments/create', { name: 'runs-tests' })).experiment_id;
});

const createRun = async (body: Record<string, unknown> = {}): Promise<any> =>
  expectOk(await post('runs/create', { experiment_id: experimentId, ...body })).run;
const getRun = async (runId: string): Promise<any> => expectOk(await get('runs/get', { run_id: runId })).run;
const tagsOf = (run: any): Record<string, string> => Object.fromEntries((run.data.tags ?? []).map((t: any) => [t.key, t.value]));
const UNKNOWN_RUN = '0123456789abcdef0123456789abcdef';

describe('runs/create', () => {
  test('creates a RUNNING run with MLflow info fields and a generated name', async () => {
    const run = await createRun({ start_time: 1_700_000_000_000, user_id: 'alice' });
    const info = run.info;
    expect(info).toEqual({
      run_id: expect.stringMatching(/^[0-9a-f]{32}$/),
      run_uuid: info.run_id,
      run_name: expect.any(String),
      experiment_id: experimentId,
      user_id: 'alice',
      status: 'RUNNING',
      start_time: 1_700_000_000_000,
      artifact_uri: `mlflow-artifacts:/${experimentId}/${info.run_id}/artifacts`,
      lifecycle_stage: 'active',
    });
    expect(info.run_name.length).toBeGreaterThan(0);
    expect(tagsOf(run)['mlflow.runName']).toBe(info.run_name);
    expect(run.inputs).toEqual({});
  });

  test('start_time may be a numeric string (int64 in protobuf JSON); experiment_id a number', async () => {
    const run = await createRun({ experiment_id: Number(experimentId), start_time: '1700000000123' });
    expect(run.info.start_time).toBe(1_700_000_000_123);
    expect(run.info.experiment_id).toBe(experimentId);
  });

  test('run_name and the mlflow.runName tag both name the run; they must agree', async () => {
    const named = await createRun({ run_name: 'my-run' });
    expect(named.info.run_name).toBe('my-run');
    expect(tagsOf(named)['mlflow.runName']).toBe('my-run');
    const tagged = await createRun({ tags: [{ key: 'mlflow.runName', value: 'from-tag' }] });
    expect(tagged.info.run_name).toBe('from-tag');
    const both = await createRun({ run_name: 'same', tags: [{ key: 'mlflow.runName', value: 'same' }] });
    expect(both.info.run_name).toBe('same');
    expectError(
      await post('runs/create', { experiment_id: experimentId, run_name: 'a', tags: [{ key: 'mlflow.runName', value: 'b' }] }),
      400,
      'INVALID_PARAMETER_VALUE',
      /different values/,
    );
  });

  test('tags are stored; mlflow.user sets the user', async () => {
    const run = await createRun({ tags: [{ key: 'team', value: 'risk' }, { key: 'mlflow.user', value: 'bob' }] });
    expect(tagsOf(run)).toMatchObject({ team: 'risk', 'mlflow.user': 'bob' });
    expect(run.info.user_id).toBe('bob');
  });

  test('without experiment_id the run goes to the default experiment 0', async () => {
    const res = expectOk(await post('runs/create', {}));
    expect(res.run.info.experiment_id).toBe('0');
  });

  test('unknown experiment is 404; invalid tag keys 400', async () => {
    expectError(await post('runs/create', { experiment_id: '987654' }), 404, 'RESOURCE_DOES_NOT_EXIST', 'No Experiment with id=987654 exists');
    expectError(await post('runs/create', { experiment_id: experimentId, tags: [{ key: 'bad?key', value: 'x' }] }), 400, 'INVALID_PARAMETER_VALUE');
  });

  test('nested runs: the mlflow.parentRunId tag links a child to its parent', async () => {
    const parent = await createRun({ run_name: 'parent' });
    const child = await createRun({ run_name: 'child', tags: [{ key: 'mlflow.parentRunId', value: parent.info.run_id }] });
    expect(tagsOf(await getRun(child.info.run_id))['mlflow.parentRunId']).toBe(parent.info.run_id);
  });
});

describe('runs/get', () => {
  test('returns info (run_id and run_uuid), data, inputs and outputs; run_uuid is accepted as the id', async () => {
    const run = await createRun({ run_name: 'get-me' });
    const id = run.info.run_id;
    expectOk(await post('runs/log-batch', { run_id: id, metrics: [{ key: 'm', value: 1, timestamp: 5, step: 1 }], params: [{ key: 'p', value: 'v' }] }));
    const byId = await getRun(id);
    expect(byId.info.run_id).toBe(id);
    expect(byId.info.run_uuid).toBe(id);
    expect(byId.data.metrics).toEqual([{ key: 'm', value: 1, timestamp: 5, step: 1 }]);
    expect(byId.data.params).toEqual([{ key: 'p', value: 'v' }]);
    expect(byId).toHaveProperty('inputs');
    expect(byId).toHaveProperty('outputs');
    const byUuid = expectOk(await get('runs/get', { run_uuid: id })).run;
    expect(byUuid).toEqual(byId);
  });

  test('unknown run is RESOURCE_DOES_NOT_EXIST 404; missing run_id 400', async () => {
    expectError(await get('runs/get', { run_id: UNKNOWN_RUN }), 404, 'RESOURCE_DOES_NOT_EXIST', `Run with id=${UNKNOWN_RUN} not found`);
    expectError(await get('runs/get', { run_id: 'not-a-run-id' }), 404, 'RESOURCE_DOES_NOT_EXIST');
    expectError(await get('runs/get'), 400, 'INVALID_PARAMETER_VALUE', "Missing value for required parameter 'run_id'.");
  });

  test('data.metrics holds the latest value of each metric', async () => {
    const id = (await createRun()).info.run_id;
    expectOk(
      await post('runs/log-batch', {
        run_id: id,
        metrics: [
          { key: 'loss', value: 3, timestamp: 10, step: 0 },
          { key: 'loss', value: 1, timestamp: 30, step: 2 },
          { key: 'loss', value: 2, timestamp: 20, step: 1 },
        ],
      }),
    );
    expect((await getRun(id)).data.metrics).toEqual([{ key: 'loss', value: 1, timestamp: 30, step: 2 }]);
  });
});

describe('runs/update', () => {
  test('sets status, end_time and run_name, and returns run_info', async () => {
    const id = (await createRun({ run_name: 'before' })).info.run_id;
    const r = expectOk(await post('runs/update', { run_id: id, status: 'FINISHED', end_time: 1_700_000_001_000, run_name: 'after' }));
    expect(r.run_info).toMatchObject({ run_id: id, run_uuid: id, status: 'FINISHED', end_time: 1_700_000_001_000, run_name: 'after' });
    const run = await getRun(id);
    expect(run.info).toMatchObject({ status: 'FINISHED', end_time: 1_700_000_001_000, run_name: 'after' });
    expect(tagsOf(run)['mlflow.runName']).toBe('after');
  });

  test('fields left out are left alone; status may be given by number; run_uuid works', async () => {
    const id = (await createRun({ run_name: 'keep' })).info.run_id;
    const r = expectOk(await post('runs/update', { run_uuid: id, status: 4 }));
    expect(r.run_info).toMatchObject({ status: 'FAILED', run_name: 'keep' });
    expect(r.run_info.end_time).toBeUndefined();
  });

  test('invalid status is 400; unknown run 404', async () => {
    const id = (await createRun()).info.run_id;
    expectError(await post('runs/update', { run_id: id, status: 'DONE' }), 400, 'INVALID_PARAMETER_VALUE', /status/);
    expectError(await post('runs/update', { run_id: id, status: 9 }), 400, 'INVALID_PARAMETER_VALUE', /status/);
    expectError(await post('runs/update', { run_id: id, end_time: 'yesterday' }), 400, 'INVALID_PARAMETER_VALUE', /end_time/);
    expectError(await post('runs/update', { run_id: UNKNOWN_RUN, status: 'FINISHED' }), 404, 'RESOURCE_DOES_NOT_EXIST');
  });
});

describe('runs/delete and restore', () => {
  test('delete marks the run deleted (still readable); restore reactivates it', async () => {
    const id = (await createRun()).info.run_id;
    expect(expectOk(await post('runs/delete', { run_id: id }))).toEqual({});
    expect((await getRun(id)).info.lifecycle_stage).toBe('deleted');
    expect(expectOk(await post('runs/restore', { run_id: id }))).toEqual({});
    expect((await getRun(id)).info.lifecycle_stage).toBe('active');
  });

  test('writes to a deleted run are INVALID_PARAMETER_VALUE 400', async () => {
    const id = (await createRun()).info.run_id;
    expectOk(await post('runs/delete', { run_id: id }));
    const active = new RegExp(`The run ${id} must be in the 'active' state`);
    expectError(await post('runs/log-metric', { run_id: id, key: 'm', value: 1, timestamp: 1 }), 400, 'INVALID_PARAMETER_VALUE', active);
    expectError(await post('runs/log-parameter', { run_id: id, key: 'p', value: '1' }), 400, 'INVALID_PARAMETER_VALUE', active);
    expectError(await post('runs/set-tag', { run_id: id, key: 't', value: '1' }), 400, 'INVALID_PARAMETER_VALUE', active);
    expectError(await post('runs/log-batch', { run_id: id, tags: [{ key: 't', value: '1' }] }), 400, 'INVALID_PARAMETER_VALUE', active);
    expectError(await post('runs/update', { run_id: id, status: 'FINISHED' }), 400, 'INVALID_PARAMETER_VALUE', active);
    expectOk(await post('runs/restore', { run_id: id }));
    expectOk(await post('runs/log-metric', { run_id: id, key: 'm', value: 1, timestamp: 1 }));
  });

  test('unknown run is 404; missing run_id 400', async () => {
    expectError(await post('runs/delete', { run_id: UNKNOWN_RUN }), 404, 'RESOURCE_DOES_NOT_EXIST');
    expectError(await post('runs/restore', { run_id: UNKNOWN_RUN }), 404, 'RESOURCE_DOES_NOT_EXIST');
    expectError(await post('runs/delete', {}), 400, 'INVALID_PARAMETER_VALUE', /'run_id'/);
  });
});

describe('runs/set-tag and delete-tag', () => {
  test('set-tag upserts; the mlflow.runName tag renames the run; delete-tag removes', async () => {
    const id = (await createRun({ run_name: 'orig' })).info.run_id;
    expectOk(await post('runs/set-tag', { run_id: id, key: 'color', value: 'red' }));
    expectOk(await post('runs/set-tag', { run_uuid: id, key: 'color', value: 'blue' }));
    expectOk(await post('runs/set-tag', { run_id: id, key: 'mlflow.runName', value: 'renamed' }));
    let run = await getRun(id);
    expect(tagsOf(run).color).toBe('blue');
    expect(run.info.run_name).toBe('renamed');
    expect(expectOk(await post('runs/delete-tag', { run_id: id, key: 'color' }))).toEqual({});
    run = await getRun(id);
    expect(tagsOf(run).color).toBeUndefined();
  });

  test('errors: missing key, over-long key or value, unknown tag, unknown run', async () => {
    const id = (await createRun()).info.run_id;
    expectError(await post('runs/set-tag', { run_id: id, value: 'v' }), 400, 'INVALID_PARAMETER_VALUE', "Missing value for required parameter 'key'.");
    expectError(await post('runs/set-tag', { run_id: id, key: 'k'.repeat(251), value: 'v' }), 400, 'INVALID_PARAMETER_VALUE');
    expectError(await post('runs/set-tag', { run_id: id, key: 'k', value: 'v'.repeat(8001) }), 400, 'INVALID_PARAMETER_VALUE');
    expectOk(await post('runs/set-tag', { run_id: id, key: 'k', value: 'v'.repeat(8000) }));
    expectError(await post('runs/delete-tag', { run_id: id, key: 'absent' }), 404, 'RESOURCE_DOES_NOT_EXIST', `No tag with name: absent in run with id ${id}`);
    expectError(await post('runs/set-tag', { run_id: UNKNOWN_RUN, key: 'k', value: 'v' }), 404, 'RESOURCE_DOES_NOT_EXIST');
  });
});

describe('runs/search parameter checks', () => {
  test('max_results above 50000 or below 1 is rejected; run_view_type must be a ViewType', async () => {
    expectError(await post('runs/search', { experiment_ids: [experimentId], max_results: 50001 }), 400, 'INVALID_PARAMETER_VALUE', /max_results/);
    expectError(await post('runs/search', { experiment_ids: [experimentId], max_results: 0 }), 400, 'INVALID_PARAMETER_VALUE', /max_results/);
    expectError(await post('runs/search', { experiment_ids: [experimentId], run_view_type: 'NONE' }), 400, 'INVALID_PARAMETER_VALUE', /run_view_type/);
    expectError(await post('runs/search', { experiment_ids: experimentId }), 400, 'INVALID_PARAMETER_VALUE', /experiment_ids/);
  });
});

describe('runs/search [needs tracking/search.ts]', () => {
  let exp: string;
  const runIds: string[] = [];
  beforeAll(async () => {
    exp = expectOk(await post('experiments/create', { name: 'runs-search' })).experiment_id;
    for (const i of [1, 2, 3]) {
      const run = expectOk(await post('runs/create', { experiment_id: exp, run_name: `r${i}`, start_time: 1_000 * i })).run;
      runIds.push(run.info.run_id);
      expectOk(
        await post('runs/log-batch', {
          run_id: run.info.run_id,
          metrics: [{ key: 'acc', value: i / 10, timestamp: 1, step: 0 }],
          params: [{ key: 'depth', value: String(i) }],
          tags: [{ key: 'parity', value: i % 2 ? 'odd' : 'even' }],
        }),
      );
    }
    expectOk(await post('runs/set-tag', { run_id: runIds[2], key: 'mlflow.parentRunId', value: runIds[0] }));
  });

  test('all active runs of the experiments, newest start first by default; numeric experiment ids accepted', async () => {
    const r = expectOk(await post('runs/search', { experiment_ids: [Number(exp)] }));
    expect(r.runs.map((x: any) => x.info.run_id)).toEqual([...runIds].reverse());
    expect(r.runs[0].data.params).toEqual([{ key: 'depth', value: '3' }]);
    expect(r.next_page_token).toBeUndefined();
  });

  test('filters on metrics, params, tags and attributes', async () => {
    const ids = async (filter: string) => expectOk(await post('runs/search', { experiment_ids: [exp], filter })).runs?.map((x: any) => x.info.run_id) ?? [];
    expect(await ids('metrics.acc > 0.15')).toEqual([runIds[2], runIds[1]]);
    expect(await ids("params.depth = '1'")).toEqual([runIds[0]]);
    expect(await ids("tags.parity = 'odd'")).toEqual([runIds[2], runIds[0]]);
    expect(await ids("attributes.run_name = 'r2'")).toEqual([runIds[1]]);
    expect(await ids(`tags.mlflow.parentRunId = '${runIds[0]}'`)).toEqual([runIds[2]]);
  });

  test('order_by and paging', async () => {
    const first = expectOk(await post('runs/search', { experiment_ids: [exp], order_by: ['metrics.acc ASC'], max_results: 2 }));
    expect(first.runs.map((x: any) => x.info.run_id)).toEqual([runIds[0], runIds[1]]);
    expect(typeof first.next_page_token).toBe('string');
    const second = expectOk(await post('runs/search', { experiment_ids: [exp], order_by: ['metrics.acc ASC'], max_results: 2, page_token: first.next_page_token }));
    expect(second.runs.map((x: any) => x.info.run_id)).toEqual([runIds[2]]);
  });

  test('run_view_type selects deleted runs', async () => {
    const extra = expectOk(await post('runs/create', { experiment_id: exp })).run.info.run_id;
    expectOk(await post('runs/delete', { run_id: extra }));
    const deleted = expectOk(await post('runs/search', { experiment_ids: [exp], run_view_type: 'DELETED_ONLY' }));
    expect(deleted.runs.map((x: any) => x.info.run_id)).toEqual([extra]);
    const all = expectOk(await post('runs/search', { experiment_ids: [exp], run_view_type: 'ALL' }));
    expect(all.runs).toHaveLength(4);
  });

  test('a bad filter or OR is INVALID_PARAMETER_VALUE; no match is {}', async () => {
    expectError(await post('runs/search', { experiment_ids: [exp], filter: 'metrics.acc >>> 1' }), 400, 'INVALID_PARAMETER_VALUE');
    expectError(await post('runs/search', { experiment_ids: [exp], filter: "params.depth = '1' OR params.depth = '2'" }), 400, 'INVALID_PARAMETER_VALUE');
    expect(expectOk(await post('runs/search', { experiment_ids: [exp], filter: 'metrics.acc > 100' }))).toEqual({});
  });
});
