import { beforeAll, describe, expect, test } from 'vitest';
import { expectError, expectOk, mlflowHttp, useTestServer } from './mlflow-http.js';

/** MLflow metric histories, following the reference §2.23-2.24. */

const { post, get } = mlflowHttp(useTestServer());
let experimentId: string;
beforeAll(async () => {
  experimentId = expectOk(await post('experiments/create', { name: 'metrics-tests' })).experiment_id;
});

const newRun = async (): Promise<string> => expectOk(await post('runs/create', { experiment_id: experimentId })).run.info.run_id;
async function logSteps(runId: string, key: string, steps: number[], value = (s: number) => s / 10): Promise<void> {
  for (let i = 0; i < steps.length; i += 1000) {
    const metrics = steps.slice(i, i + 1000).map((s) => ({ key, value: value(s), timestamp: 1_000 + s, step: s }));
    expectOk(await post('runs/log-batch', { run_id: runId, metrics }));
  }
}
const UNKNOWN_RUN = '0123456789abcdef0123456789abcdef';

describe('metrics/get-history', () => {
  test('returns every value of the metric, in order', async () => {
    const id = await newRun();
    expectOk(
      await post('runs/log-batch', {
        run_id: id,
        metrics: [
          { key: 'loss', value: 3, timestamp: 30, step: 2 },
          { key: 'loss', value: 1, timestamp: 10, step: 0 },
          { key: 'loss', value: 2, timestamp: 20, step: 1 },
          { key: 'loss', value: 0.5, timestamp: 10, step: 0 },
          { key: 'other', value: 9, timestamp: 1, step: 0 },
        ],
      }),
    );
    const r = expectOk(await get('metrics/get-history', { run_id: id, metric_key: 'loss' }));
    expect(r).toEqual({
      metrics: [
        { key: 'loss', value: 0.5, timestamp: 10, step: 0 },
        { key: 'loss', value: 1, timestamp: 10, step: 0 },
        { key: 'loss', value: 2, timestamp: 20, step: 1 },
        { key: 'loss', value: 3, timestamp: 30, step: 2 },
      ],
    });
  });

  test('orders by timestamp, then step, then value, as MLflow\'s store does [needs history.ts order fix]', async () => {
    const id = await newRun();
    expectOk(
      await post('runs/log-batch', {
        run_id: id,
        metrics: [
          { key: 'm', value: 1, timestamp: 20, step: 0 },
          { key: 'm', value: 2, timestamp: 10, step: 1 },
        ],
      }),
    );
    const r = expectOk(await get('metrics/get-history', { run_id: id, metric_key: 'm' }));
    expect(r.metrics.map((m: any) => m.timestamp)).toEqual([10, 20]);
  });

  test('without max_results the whole history comes back in one page (not MLflow 3.4\'s LIMIT 1)', async () => {
    const id = await newRun();
    await logSteps(id, 'long', Array.from({ length: 2500 }, (_, i) => i));
    const r = expectOk(await get('metrics/get-history', { run_id: id, metric_key: 'long' }));
    expect(r.metrics).toHaveLength(2500);
    expect(r.next_page_token).toBeUndefined();
  });

  test('pages with max_results and page_token until the token is gone', async () => {
    const id = await newRun();
    await logSteps(id, 'paged', Array.from({ length: 25 }, (_, i) => i));
    const seen: number[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const query: Record<string, string | number> = { run_id: id, metric_key: 'paged', max_results: 10 };
      if (token) query.page_token = token;
      const r = expectOk(await get('metrics/get-history', query));
      seen.push(...r.metrics.map((m: any) => m.step));
      token = r.next_page_token;
      pages++;
    } while (token && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => i));
  });

  test('run_uuid is accepted; /ajax-api serves it too', async () => {
    const id = await newRun();
    await logSteps(id, 'm', [0, 1]);
    expect(expectOk(await get('metrics/get-history', { run_uuid: id, metric_key: 'm' })).metrics).toHaveLength(2);
    expect(expectOk(await get('metrics/get-history', { run_id: id, metric_key: 'm' }, '/ajax-api/2.0')).metrics).toHaveLength(2);
  });

  test('an unknown key is an empty history: {}', async () => {
    const id = await newRun();
    expect(expectOk(await get('metrics/get-history', { run_id: id, metric_key: 'never-logged' }))).toEqual({});
  });

  test('errors: missing run_id or metric_key, bad max_results or page_token, unknown run', async () => {
    const id = await newRun();
    expectError(await get('metrics/get-history', { metric_key: 'm' }), 400, 'INVALID_PARAMETER_VALUE', "Missing value for required parameter 'run_id'.");
    expectError(await get('metrics/get-history', { run_id: id }), 400, 'INVALID_PARAMETER_VALUE', "Missing value for required parameter 'metric_key'.");
    expectError(await get('metrics/get-history', { run_id: id, metric_key: 'm', max_results: 0 }), 400, 'INVALID_PARAMETER_VALUE', /max_results/);
    expectError(await get('metrics/get-history', { run_id: id, metric_key: 'm', max_results: 'many' }), 400, 'INVALID_PARAMETER_VALUE', /max_results/);
    expectError(await get('metrics/get-history', { run_id: id, metric_key: 'm', max_results: 5, page_token: 'garbage!' }), 400, 'INVALID_PARAMETER_VALUE', /page_token/);
    expectError(await get('metrics/get-history', { run_id: UNKNOWN_RUN, metric_key: 'm' }), 404, 'RESOURCE_DOES_NOT_EXIST');
  });
});

describe('metrics/get-history-bulk-interval', () => {
  let runA: string;
  let runB: string;
  beforeAll(async () => {
    runA = await newRun();
    runB = await newRun();
    await logSteps(runA, 'acc', Array.from({ length: 100 }, (_, i) => i));
    await logSteps(runB, 'acc', Array.from({ length: 50 }, (_, i) => i * 2));
  });

  test('returns every point of each run, in the order of run_ids, with run_id on each metric', async () => {
    const r = expectOk(await get('metrics/get-history-bulk-interval', { run_ids: [runB, runA], metric_key: 'acc' }));
    const a = r.metrics.filter((m: any) => m.run_id === runA);
    const b = r.metrics.filter((m: any) => m.run_id === runB);
    expect(a).toHaveLength(100);
    expect(b).toHaveLength(50);
    expect(r.metrics[0].run_id).toBe(runB);
    expect(r.metrics.at(-1).run_id).toBe(runA);
    expect(a[5]).toEqual({ key: 'acc', value: 0.5, timestamp: 1_005, step: 5, run_id: runA });
    expect(a.map((m: any) => m.step)).toEqual([...a.map((m: any) => m.step)].sort((x: number, y: number) => x - y));
  });

  test('samples to about max_results steps per run, keeping the first and last step', async () => {
    const r = expectOk(await get('metrics/get-history-bulk-interval', { run_ids: runA, metric_key: 'acc', max_results: 10 }));
    const steps = r.metrics.map((m: any) => m.step);
    expect(steps.length).toBeGreaterThanOrEqual(10);
    expect(steps.length).toBeLessThanOrEqual(12);
    expect(steps[0]).toBe(0);
    expect(steps.at(-1)).toBe(99);
    expect(new Set(steps).size).toBe(steps.length);
  });

  test('start_step and end_step bound the steps', async () => {
    const r = expectOk(await get('metrics/get-history-bulk-interval', { run_ids: [runA, runB], metric_key: 'acc', start_step: 10, end_step: 20 }));
    const steps = r.metrics.map((m: any) => m.step);
    expect(Math.min(...steps)).toBe(10);
    expect(Math.max(...steps)).toBe(20);
    expect(r.metrics.filter((m: any) => m.run_id === runA)).toHaveLength(11);
    expect(r.metrics.filter((m: any) => m.run_id === runB)).toHaveLength(6);
  });

  test('non-finite values come back as strings', async () => {
    const id = await newRun();
    expectOk(await post('runs/log-metric', { run_id: id, key: 'x', value: 'NaN', timestamp: 1, step: 0 }));
    expectOk(await post('runs/log-metric', { run_id: id, key: 'x', value: 'Infinity', timestamp: 2, step: 1 }));
    const r = expectOk(await get('metrics/get-history-bulk-interval', { run_ids: id, metric_key: 'x' }));
    expect(r.metrics.map((m: any) => m.value)).toEqual(['NaN', 'Infinity']);
  });

  test('no points is {}; /ajax-api serves it too', async () => {
    expect(expectOk(await get('metrics/get-history-bulk-interval', { run_ids: runA, metric_key: 'never' }))).toEqual({});
    expect(expectOk(await get('metrics/get-history-bulk-interval', { run_ids: runA, metric_key: 'acc', max_results: 5 }, '/ajax-api/2.0')).metrics.length).toBeGreaterThan(0);
  });

  test('parameter checks', async () => {
    const bulk = (q: Record<string, string | number | (string | number)[]>) => get('metrics/get-history-bulk-interval', q);
    expectError(await bulk({ metric_key: 'acc' }), 400, 'INVALID_PARAMETER_VALUE', /run_id/);
    expectError(await bulk({ run_ids: runA }), 400, 'INVALID_PARAMETER_VALUE', /'metric_key'/);
    expectError(await bulk({ run_ids: runA, metric_key: 'acc', start_step: 1 }), 400, 'INVALID_PARAMETER_VALUE', /both must be specified/);
    expectError(await bulk({ run_ids: runA, metric_key: 'acc', start_step: 5, end_step: 1 }), 400, 'INVALID_PARAMETER_VALUE', /end_step must be greater than start_step/);
    expectError(await bulk({ run_ids: runA, metric_key: 'acc', max_results: 2501 }), 400, 'INVALID_PARAMETER_VALUE', /max_results must be between 1 and 2500/);
    expectError(await bulk({ run_ids: runA, metric_key: 'acc', max_results: 0 }), 400, 'INVALID_PARAMETER_VALUE', /max_results/);
    const many = Array.from({ length: 101 }, (_, i) => i.toString(16).padStart(32, '0'));
    expectError(await bulk({ run_ids: many, metric_key: 'acc' }), 400, 'INVALID_PARAMETER_VALUE', /100 run_ids/);
    expectError(await bulk({ run_ids: [runA, UNKNOWN_RUN], metric_key: 'acc' }), 404, 'RESOURCE_DOES_NOT_EXIST');
  });
});
