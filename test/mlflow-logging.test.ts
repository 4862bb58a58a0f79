import { beforeAll, describe, expect, test } from 'vitest';
import { expectError, expectOk, mlflowHttp, useTestServer } from './mlflow-http.js';

/** Logging to MLflow runs, following the reference §2.16-2.22 and the limits of §1. */

const { post, get } = mlflowHttp(useTestServer());
let experimentId: string;
beforeAll(async () => {
  experimentId = expectOk(await post('experiments/create', { name: 'logging-tests' })).experiment_id;
});

const newRun = async (): Promise<string> => expectOk(await post('runs/create', { experiment_id: experimentId })).run.info.run_id;
const getRun = async (runId: string): Promise<any> => expectOk(await get('runs/get', { run_id: runId })).run;
const history = async (runId: string, key: string): Promise<any[]> =>
  expectOk(await get('metrics/get-history', { run_id: runId, metric_key: key })).metrics ?? [];
const UNKNOWN_RUN = '0123456789abcdef0123456789abcdef';

describe('runs/log-metric', () => {
  test('logs a value; step defaults to 0; run_uuid is accepted', async () => {
    const id = await newRun();
    expect(expectOk(await post('runs/log-metric', { run_id: id, key: 'loss', value: 0.5, timestamp: 100 }))).toEqual({});
    expectOk(await post('runs/log-metric', { run_uuid: id, key: 'loss', value: 0.25, timestamp: 200, step: 1 }));
    expect(await history(id, 'loss')).toEqual([
      { key: 'loss', value: 0.5, timestamp: 100, step: 0 },
      { key: 'loss', value: 0.25, timestamp: 200, step: 1 },
    ]);
  });

  test('key, value and timestamp are required', async () => {
    const id = await newRun();
    expectError(await post('runs/log-metric', { run_id: id, value: 1, timestamp: 1 }), 400, 'INVALID_PARAMETER_VALUE', "Missing value for required parameter 'key'.");
    expectError(await post('runs/log-metric', { run_id: id, key: 'm', timestamp: 1 }), 400, 'INVALID_PARAMETER_VALUE', "Missing value for required parameter 'value'.");
    expectError(await post('runs/log-metric', { run_id: id, key: 'm', value: 1 }), 400, 'INVALID_PARAMETER_VALUE', "Missing value for required parameter 'timestamp'.");
    expectError(await post('runs/log-metric', { key: 'm', value: 1, timestamp: 1 }), 400, 'INVALID_PARAMETER_VALUE', "Missing value for required parameter 'run_id'.");
  });

  test('numbers may come as strings, as protobuf JSON allows for doubles and int64s', async () => {
    const id = await newRun();
    expectOk(await post('runs/log-metric', { run_id: id, key: 'm', value: '1.5', timestamp: '1700000000000', step: '7' }));
    expect(await history(id, 'm')).toEqual([{ key: 'm', value: 1.5, timestamp: 1_700_000_000_000, step: 7 }]);
  });

  test('NaN, Infinity and -Infinity round-trip as strings, in get-run and get-history', async () => {
    const id = await newRun();
    expectOk(await post('runs/log-metric', { run_id: id, key: 'nan', value: 'NaN', timestamp: 1 }));
    expectOk(await post('runs/log-metric', { run_id: id, key: 'inf', value: 'Infinity', timestamp: 1 }));
    expectOk(await post('runs/log-metric', { run_id: id, key: 'ninf', value: '-Infinity', timestamp: 1 }));
    const metrics = Object.fromEntries((await getRun(id)).data.metrics.map((m: any) => [m.key, m.value]));
    expect(metrics).toEqual({ nan: 'NaN', inf: 'Infinity', ninf: '-Infinity' });
    expect((await history(id, 'nan'))[0].value).toBe('NaN');
    expect((await history(id, 'ninf'))[0].value).toBe('-Infinity');
  });

  test('invalid values are INVALID_PARAMETER_VALUE', async () => {
    const id = await newRun();
    expectError(await post('runs/log-metric', { run_id: id, key: 'm', value: 'high', timestamp: 1 }), 400, 'INVALID_PARAMETER_VALUE');
    expectError(await post('runs/log-metric', { run_id: id, key: 'm', value: true, timestamp: 1 }), 400, 'INVALID_PARAMETER_VALUE');
    expectError(await post('runs/log-metric', { run_id: id, key: 'm', value: 1, timestamp: 1.5 }), 400, 'INVALID_PARAMETER_VALUE');
    expectError(await post('runs/log-metric', { run_id: id, key: 'm', value: 1, timestamp: -1 }), 400, 'INVALID_PARAMETER_VALUE', /nonnegative/);
    expectError(await post('runs/log-metric', { run_id: id, key: 'm', value: 1, timestamp: 1, step: 'x' }), 400, 'INVALID_PARAMETER_VALUE');
    expectError(await post('runs/log-metric', { run_id: id, key: 'bad key!', value: 1, timestamp: 1 }), 400, 'INVALID_PARAMETER_VALUE');
    expectError(await post('runs/log-metric', { run_id: id, key: 'k'.repeat(251), value: 1, timestamp: 1 }), 400, 'INVALID_PARAMETER_VALUE');
  });

  test('keys may hold slashes, dots, dashes, spaces and colons', async () => {
    const id = await newRun();
    expectOk(await post('runs/log-metric', { run_id: id, key: 'val/loss.v-2 avg:1', value: 1, timestamp: 1 }));
    expectError(await post('runs/log-metric', { run_id: id, key: '/lead', value: 1, timestamp: 1 }), 400, 'INVALID_PARAMETER_VALUE');
    expectError(await post('runs/log-metric', { run_id: id, key: 'a/../b', value: 1, timestamp: 1 }), 400, 'INVALID_PARAMETER_VALUE');
  });

  test('unknown run is 404', async () => {
    expectError(await post('runs/log-metric', { run_id: UNKNOWN_RUN, key: 'm', value: 1, timestamp: 1 }), 404, 'RESOURCE_DOES_NOT_EXIST');
  });
});

describe('runs/log-parameter', () => {
  test('logs a param; the same value again is fine; another value is rejected', async () => {
    const id = await newRun();
    expect(expectOk(await post('runs/log-parameter', { run_id: id, key: 'lr', value: '0.1' }))).toEqual({});
    expectOk(await post('runs/log-parameter', { run_uuid: id, key: 'lr', value: '0.1' }));
    expectError(
      await post('runs/log-parameter', { run_id: id, key: 'lr', value: '0.2' }),
      400,
      'INVALID_PARAMETER_VALUE',
      /Changing param values is not allowed. Param with key='lr' was already logged with value='0.1'/,
    );
    expect((await getRun(id)).data.params).toEqual([{ key: 'lr', value: '0.1' }]);
  });

  test('a missing value is the empty string; key is required; limits hold', async () => {
    const id = await newRun();
    expectOk(await post('runs/log-parameter', { run_id: id, key: 'empty' }));
    expect((await getRun(id)).data.params).toEqual([{ key: 'empty', value: '' }]);
    expectError(await post('runs/log-parameter', { run_id: id, value: 'v' }), 400, 'INVALID_PARAMETER_VALUE', /'key'/);
    expectError(await post('runs/log-parameter', { run_id: id, key: 'n', value: 5 }), 400, 'INVALID_PARAMETER_VALUE', /'value'/);
    expectError(await post('runs/log-parameter', { run_id: id, key: 'k'.repeat(251), value: 'v' }), 400, 'INVALID_PARAMETER_VALUE');
    expectOk(await post('runs/log-parameter', { run_id: id, key: 'k'.repeat(250), value: 'v'.repeat(6000) }));
    expectError(await post('runs/log-parameter', { run_id: id, key: 'long', value: 'v'.repeat(6001) }), 400, 'INVALID_PARAMETER_VALUE');
  });
});

describe('runs/log-batch', () => {
  test('logs metrics, params and tags together; tags overwrite; step defaults to 0', async () => {
    const id = await newRun();
    const r = await post('runs/log-batch', {
      run_id: id,
      metrics: [
        { key: 'acc', value: 0.9, timestamp: 10 },
        { key: 'acc', value: '0.95', timestamp: '20', step: '1' },
      ],
      params: [{ key: 'depth', value: '3' }],
      tags: [
        { key: 'color', value: 'red' },
        { key: 'color', value: 'green' },
      ],
    });
    expect(expectOk(r)).toEqual({});
    const run = await getRun(id);
    expect(run.data.params).toEqual([{ key: 'depth', value: '3' }]);
    expect(run.data.tags.find((t: any) => t.key === 'color').value).toBe('green');
    expect(await history(id, 'acc')).toEqual([
      { key: 'acc', value: 0.9, timestamp: 10, step: 0 },
      { key: 'acc', value: 0.95, timestamp: 20, step: 1 },
    ]);
    expect(expectOk(await post('runs/log-batch', { run_id: id }))).toEqual({});
  });

  test('each metric needs key, value and timestamp, named by index', async () => {
    const id = await newRun();
    const ok = { key: 'm', value: 1, timestamp: 1 };
    expectError(await post('runs/log-batch', { run_id: id, metrics: [ok, { value: 1, timestamp: 1 }] }), 400, 'INVALID_PARAMETER_VALUE', "Missing value for required parameter 'metrics[1].key'.");
    expectError(await post('runs/log-batch', { run_id: id, metrics: [{ key: 'm', timestamp: 1 }] }), 400, 'INVALID_PARAMETER_VALUE', "Missing value for required parameter 'metrics[0].value'.");
    expectError(await post('runs/log-batch', { run_id: id, metrics: [ok, ok, { key: 'm', value: 1 }] }), 400, 'INVALID_PARAMETER_VALUE', "Missing value for required parameter 'metrics[2].timestamp'.");
    expectError(await post('runs/log-batch', { run_id: id, params: [{ value: 'v' }] }), 400, 'INVALID_PARAMETER_VALUE', "Missing value for required parameter 'params[0].key'.");
    expectError(await post('runs/log-batch', { run_id: id, tags: [{ value: 'v' }] }), 400, 'INVALID_PARAMETER_VALUE', "Missing value for required parameter 'tags[0].key'.");
    expectError(await post('runs/log-batch', { run_id: id, metrics: { key: 'm' } }), 400, 'INVALID_PARAMETER_VALUE', /'metrics'/);
  });

  test('batch limits: 1000 metrics, 100 params, 100 tags, 1000 entities', async () => {
    const id = await newRun();
    const metrics = (n: number) => Array.from({ length: n }, (_, i) => ({ key: `m${i % 10}`, value: i, timestamp: i, step: i }));
    const kvs = (n: number, p: string) => Array.from({ length: n }, (_, i) => ({ key: `${p}${i}`, value: String(i) }));
    expectError(await post('runs/log-batch', { run_id: id, metrics: metrics(1001) }), 400, 'INVALID_PARAMETER_VALUE', /at most 1000 metrics/);
    expectError(await post('runs/log-batch', { run_id: id, params: kvs(101, 'p') }), 400, 'INVALID_PARAMETER_VALUE', /at most 100 params/);
    expectError(await post('runs/log-batch', { run_id: id, tags: kvs(101, 't') }), 400, 'INVALID_PARAMETER_VALUE', /at most 100 tags/);
    expectError(await post('runs/log-batch', { run_id: id, metrics: metrics(901), params: kvs(100, 'p') }), 400, 'INVALID_PARAMETER_VALUE', /at most 1000/);
    expectOk(await post('runs/log-batch', { run_id: id, metrics: metrics(1000) }));
    expectOk(await post('runs/log-batch', { run_id: id, metrics: metrics(800), params: kvs(100, 'p'), tags: kvs(100, 't') }));
    expect((await getRun(id)).data.params).toHaveLength(100);
  });

  test('the largest batch MLflow allows (100 params of 6000, 100 tags of 8000 characters) is accepted', async () => {
    const id = await newRun();
    const params = Array.from({ length: 100 }, (_, i) => ({ key: `p${i}`, value: 'p'.repeat(6000) }));
    const tags = Array.from({ length: 100 }, (_, i) => ({ key: `t${i}`, value: 't'.repeat(8000) }));
    expectOk(await post('runs/log-batch', { run_id: id, params, tags }));
  });

  test('a changed param fails the batch and stores none of it', async () => {
    const id = await newRun();
    expectOk(await post('runs/log-parameter', { run_id: id, key: 'p', value: '1' }));
    const r = await post('runs/log-batch', { run_id: id, metrics: [{ key: 'm', value: 1, timestamp: 1 }], params: [{ key: 'p', value: '2' }] });
    expectError(r, 400, 'INVALID_PARAMETER_VALUE', /Changing param values is not allowed/);
    expect(await history(id, 'm')).toEqual([]);
  });

  test('over-long keys and values are rejected', async () => {
    const id = await newRun();
    expectError(await post('runs/log-batch', { run_id: id, params: [{ key: 'p', value: 'x'.repeat(6001) }] }), 400, 'INVALID_PARAMETER_VALUE');
    expectError(await post('runs/log-batch', { run_id: id, tags: [{ key: 't', value: 'x'.repeat(8001) }] }), 400, 'INVALID_PARAMETER_VALUE');
    expectError(await post('runs/log-batch', { run_id: id, metrics: [{ key: 'k'.repeat(251), value: 1, timestamp: 1 }] }), 400, 'INVALID_PARAMETER_VALUE');
  });

  test('unknown run is 404', async () => {
    expectError(await post('runs/log-batch', { run_id: UNKNOWN_RUN, params: [{ key: 'p', value: '1' }] }), 404, 'RESOURCE_DOES_NOT_EXIST');
  });
});

describe('runs/log-model', () => {
  const mlmodel = (runId: string, extra: Record<string, unknown> = {}) =>
    JSON.stringify({
      artifact_path: 'model',
      run_id: runId,
      utc_time_created: '2024-01-01 00:00:00.000000',
      flavors: { python_function: { loader_module: 'mlflow.sklearn', config: { x: 1 } }, sklearn: { sklearn_version: '1.4' } },
      signature: { inputs: '[]' },
      ...extra,
    });

  test('appends the model to the mlflow.log-model.history tag, without signature or flavor config', async () => {
    const id = await newRun();
    expect(expectOk(await post('runs/log-model', { run_id: id, model_json: mlmodel(id) }))).toEqual({});
    expectOk(await post('runs/log-model', { run_id: id, model_json: mlmodel(id, { artifact_path: 'model2' }) }));
    const tag = (await getRun(id)).data.tags.find((t: any) => t.key === 'mlflow.log-model.history');
    const entries = JSON.parse(tag.value);
    expect(entries).toHaveLength(2);
    expect(entries[0]).toEqual({
      artifact_path: 'model',
      run_id: id,
      utc_time_created: '2024-01-01 00:00:00.000000',
      flavors: { python_function: { loader_module: 'mlflow.sklearn' }, sklearn: { sklearn_version: '1.4' } },
    });
    expect(entries[1].artifact_path).toBe('model2');
  });

  test('model_json must be JSON with the mandatory fields', async () => {
    const id = await newRun();
    expectError(await post('runs/log-model', { run_id: id }), 400, 'INVALID_PARAMETER_VALUE', "Missing value for required parameter 'model_json'.");
    expectError(await post('runs/log-model', { run_id: id, model_json: '{not json' }), 400, 'INVALID_PARAMETER_VALUE', /Malformed model info/);
    expectError(await post('runs/log-model', { run_id: id, model_json: '[1]' }), 400, 'INVALID_PARAMETER_VALUE', /Malformed model info/);
    expectError(
      await post('runs/log-model', { run_id: id, model_json: JSON.stringify({ artifact_path: 'm', flavors: {} }) }),
      400,
      'INVALID_PARAMETER_VALUE',
      /Model json is missing mandatory fields: .*utc_time_created.*run_id/,
    );
  });

  test('unknown run is 404; deleted run 400', async () => {
    expectError(await post('runs/log-model', { run_id: UNKNOWN_RUN, model_json: mlmodel(UNKNOWN_RUN) }), 404, 'RESOURCE_DOES_NOT_EXIST');
    const id = await newRun();
    expectOk(await post('runs/delete', { run_id: id }));
    expectError(await post('runs/log-model', { run_id: id, model_json: mlmodel(id) }), 400, 'INVALID_PARAMETER_VALUE', /active/);
  });
});

describe('runs/log-inputs and runs/outputs', () => {
  const dataset = { name: 'train', digest: 'abc123', source_type: 'local', source: '{"uri": "/data/train.csv"}', schema: '{"mlflow_colspec": []}', profile: '{"num_rows": 10}' };

  test('log-inputs records datasets with their tags; get-run shows them in snake_case', async () => {
    const id = await newRun();
    const body = { run_id: id, datasets: [{ tags: [{ key: 'mlflow.data.context', value: 'training' }], dataset }] };
    expect(expectOk(await post('runs/log-inputs', body))).toEqual({});
    expectOk(await post('runs/log-inputs', body));
    const run = await getRun(id);
    expect(run.inputs.dataset_inputs).toEqual([{ tags: [{ key: 'mlflow.data.context', value: 'training' }], dataset }]);
  });

  test('dataset fields are checked', async () => {
    const id = await newRun();
    expectError(await post('runs/log-inputs', { run_id: id, datasets: [{ tags: [] }] }), 400, 'INVALID_PARAMETER_VALUE', /datasets\[0\]\.dataset/);
    expectError(await post('runs/log-inputs', { run_id: id, datasets: [{ dataset: { ...dataset, digest: 'd'.repeat(65) } }] }), 400, 'INVALID_PARAMETER_VALUE');
    expectError(await post('runs/log-inputs', { run_id: id, datasets: [{ dataset: { ...dataset, name: 'n'.repeat(501) } }] }), 400, 'INVALID_PARAMETER_VALUE');
    expectError(await post('runs/log-inputs', { run_id: id, datasets: [{ dataset: { name: 'x' } }] }), 400, 'INVALID_PARAMETER_VALUE');
    expectError(
      await post('runs/log-inputs', { run_id: id, datasets: [{ dataset, tags: [{ key: 'k', value: 'v'.repeat(501) }] }] }),
      400,
      'INVALID_PARAMETER_VALUE',
    );
    expectError(await post('runs/log-inputs', { datasets: [] }), 400, 'INVALID_PARAMETER_VALUE', /'run_id'/);
    expectError(await post('runs/log-inputs', { run_id: UNKNOWN_RUN, datasets: [{ dataset }] }), 404, 'RESOURCE_DOES_NOT_EXIST');
  });

  test('model inputs and outputs link logged models to runs', async () => {
    const id = await newRun();
    const modelId = expectOk(await post('logged-models', { experiment_id: experimentId, source_run_id: id })).model.info.model_id;
    expect(expectOk(await post('runs/outputs', { run_id: id, models: [{ model_id: modelId, step: 3 }] }))).toEqual({});
    const consumer = await newRun();
    expectOk(await post('runs/log-inputs', { run_id: consumer, models: [{ model_id: modelId }] }));
    expect((await getRun(id)).outputs).toEqual({ model_outputs: [{ model_id: modelId, step: 3 }] });
    expect((await getRun(consumer)).inputs).toEqual({ model_inputs: [{ model_id: modelId }] });
  });

  test('outputs needs models; unknown models are rejected', async () => {
    const id = await newRun();
    expectError(await post('runs/outputs', { run_id: id }), 400, 'INVALID_PARAMETER_VALUE', "Missing value for required parameter 'models'.");
    expectError(await post('runs/outputs', { run_id: id, models: [{ step: 1 }] }), 400, 'INVALID_PARAMETER_VALUE', /models\[0\]\.model_id/);
    expectError(await post('runs/outputs', { run_id: id, models: [{ model_id: 'm-nope' }] }), 400, 'INVALID_PARAMETER_VALUE');
    expectError(await post('runs/log-inputs', { run_id: id, models: [{ model_id: 'm-nope' }] }), 400, 'INVALID_PARAMETER_VALUE');
  });
});
