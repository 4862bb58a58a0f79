import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INPUT_LIMITS } from '../src/core/limits.js';
import { testDialect } from './db.js';
import { startTestServer, type TestServer } from './server.js';

/** Every endpoint with the fields its handler reads, so generated payloads reach past the first check. */
const ENDPOINTS: { method: string; path: string; fields: string[] }[] = [
  { method: 'POST', path: '/api/2.0/mlflow/experiments/create', fields: ['name', 'artifact_location', 'tags'] },
  { method: 'GET', path: '/api/2.0/mlflow/experiments/get', fields: ['experiment_id'] },
  { method: 'GET', path: '/api/2.0/mlflow/experiments/get-by-name', fields: ['experiment_name'] },
  { method: 'POST', path: '/api/2.0/mlflow/experiments/update', fields: ['experiment_id', 'new_name'] },
  { method: 'POST', path: '/api/2.0/mlflow/experiments/delete', fields: ['experiment_id'] },
  { method: 'POST', path: '/api/2.0/mlflow/experiments/restore', fields: ['experiment_id'] },
  { method: 'POST', path: '/api/2.0/mlflow/experiments/search', fields: ['max_results', 'page_token', 'filter', 'order_by', 'view_type'] },
  { method: 'POST', path: '/api/2.0/mlflow/experiments/set-experiment-tag', fields: ['experiment_id', 'key', 'value'] },
  { method: 'POST', path: '/api/2.0/mlflow/experiments/delete-experiment-tag', fields: ['experiment_id', 'key'] },
  { method: 'POST', path: '/api/2.0/mlflow/runs/create', fields: ['experiment_id', 'user_id', 'run_name', 'start_time', 'tags'] },
  { method: 'GET', path: '/api/2.0/mlflow/runs/get', fields: ['run_id', 'run_uuid'] },
  { method: 'POST', path: '/api/2.0/mlflow/runs/update', fields: ['run_id', 'status', 'end_time', 'run_name'] },
  { method: 'POST', path: '/api/2.0/mlflow/runs/delete', fields: ['run_id'] },
  { method: 'POST', path: '/api/2.0/mlflow/runs/restore', fields: ['run_id'] },
  { method: 'POST', path: '/api/2.0/mlflow/runs/search', fields: ['experiment_ids', 'filter', 'run_view_type', 'max_results', 'order_by', 'page_token'] },
  { method: 'POST', path: '/api/2.0/mlflow/runs/log-metric', fields: ['run_id', 'key', 'value', 'timestamp', 'step', 'model_id'] },
  { method: 'POST', path: '/api/2.0/mlflow/runs/log-parameter', fields: ['run_id', 'key', 'value'] },
  { method: 'POST', path: '/api/2.0/mlflow/runs/set-tag', fields: ['run_id', 'key', 'value'] },
  { method: 'POST', path: '/api/2.0/mlflow/runs/delete-tag', fields: ['run_id', 'key'] },
  { method: 'POST', path: '/api/2.0/mlflow/runs/log-batch', fields: ['run_id', 'metrics', 'params', 'tags'] },
  { method: 'POST', path: '/api/2.0/mlflow/runs/log-model', fields: ['run_id', 'model_json'] },
  { method: 'POST', path: '/api/2.0/mlflow/runs/log-inputs', fields: ['run_id', 'datasets', 'models'] },
  { method: 'POST', path: '/api/2.0/mlflow/runs/outputs', fields: ['run_id', 'models'] },
  { method: 'GET', path: '/api/2.0/mlflow/metrics/get-history', fields: ['run_id', 'metric_key', 'max_results', 'page_token'] },
  { method: 'GET', path: '/api/2.0/mlflow/metrics/get-history-bulk-interval', fields: ['run_ids', 'metric_key', 'start_step', 'end_step', 'max_results'] },
  { method: 'GET', path: '/api/2.0/mlflow/artifacts/list', fields: ['run_id', 'path', 'page_token'] },
  { method: 'POST', path: '/api/2.0/mlflow/logged-models', fields: ['experiment_id', 'name', 'model_type', 'source_run_id', 'params', 'tags'] },
  { method: 'POST', path: '/api/2.0/mlflow/logged-models/search', fields: ['experiment_ids', 'filter', 'datasets', 'max_results', 'order_by', 'page_token'] },
  { method: 'GET', path: '/api/2.0/mlflow-artifacts/artifacts', fields: ['path'] },
  { method: 'GET', path: '/api/v1/experiments', fields: ['filter', 'orderBy', 'view', 'maxResults', 'pageToken'] },
  { method: 'POST', path: '/api/v1/experiments', fields: ['name', 'artifactLocation', 'tags'] },
  { method: 'POST', path: '/api/v1/runs', fields: ['experimentId', 'name', 'startTime', 'tags', 'parentRunId'] },
  { method: 'POST', path: '/api/v1/runs/search', fields: ['experimentIds', 'filter', 'orderBy', 'view', 'maxResults', 'pageToken'] },
  { method: 'POST', path: '/api/v1/tokens', fields: ['name', 'role', 'expiresAt'] },
  { method: 'GET', path: '/api/v1/audit', fields: ['actor', 'action', 'limit', 'beforeId', 'since'] },
  {
    method: 'POST',
    path: '/api/v1/evaluations',
    fields: ['model', 'version', 'dataset', 'against', 'againstVersion', 'policy', 'label', 'task', 'predictionColumn', 'sliceColumns', 'namedSlices', 'sensitive', 'resamples', 'seed', 'confidence'],
  },
  { method: 'POST', path: '/api/v1/monitors', fields: ['name', 'deployment', 'window', 'step', 'reference', 'features', 'drift', 'quality', 'performance'] },
  { method: 'GET', path: '/api/v1/monitors', fields: ['deployment'] },
  { method: 'POST', path: '/api/v1/alerts/rules', fields: ['name', 'signal', 'match', 'op', 'threshold', 'for', 'severity', 'channels', 'action', 'description'] },
  { method: 'GET', path: '/api/v1/alerts', fields: ['state', 'severity', 'rule', 'limit'] },
  { method: 'POST', path: '/api/v1/alerts/silences', fields: ['rule', 'labels', 'durationSeconds', 'endsAt', 'comment'] },
  { method: 'POST', path: '/api/v1/alerts/channels', fields: ['name', 'type', 'url', 'secret'] },
  { method: 'POST', path: '/api/v1/alerts/samples', fields: ['samples'] },
];
/** Endpoints with an id in the path: the id is generated too. */
const PATH_ENDPOINTS = [
  { method: 'GET', path: (id: string) => `/api/v1/runs/${id}` },
  { method: 'PATCH', path: (id: string) => `/api/v1/runs/${id}` },
  { method: 'POST', path: (id: string) => `/api/v1/runs/${id}/log` },
  { method: 'GET', path: (id: string) => `/api/v1/experiments/${id}` },
  { method: 'GET', path: (id: string) => `/api/2.0/mlflow/logged-models/${id}` },
  { method: 'PATCH', path: (id: string) => `/api/2.0/mlflow/logged-models/${id}` },
  { method: 'GET', path: (id: string) => `/api/2.0/mlflow-artifacts/artifacts/${id}` },
  { method: 'PUT', path: (id: string) => `/api/2.0/mlflow-artifacts/artifacts/${id}` },
  { method: 'GET', path: (id: string) => `/api/v1/evaluations/${id}` },
  { method: 'POST', path: (id: string) => `/api/v1/evaluations/${id}/approve` },
  { method: 'PUT', path: (id: string) => `/api/v1/models/${id}/policy` },
  { method: 'PUT', path: (id: string) => `/api/v1/models/${id}/aliases/production` },
  { method: 'PUT', path: (id: string) => `/api/v1/monitors/${id}` },
  { method: 'POST', path: (id: string) => `/api/v1/monitors/${id}/run` },
  { method: 'GET', path: (id: string) => `/api/v1/monitors/${id}/results` },
  { method: 'GET', path: (id: string) => `/api/v1/monitors/${id}/report` },
  { method: 'GET', path: (id: string) => `/api/v1/alerts/${id}` },
  { method: 'POST', path: (id: string) => `/api/v1/alerts/silences/${id}/expire` },
];

const scalar = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme' }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom('0', '1', 'NaN', 'Infinity', '-1', '9'.repeat(30), '../../etc/passwd', '/abs', "metrics.x > 'a", 'a'.repeat(9000), 'ACTIVE_ONLY', 'FINISHED'),
);
const value = fc.oneof(scalar, fc.array(scalar, { maxLength: 3 }), fc.array(fc.dictionary(fc.constantFrom('key', 'value', 'timestamp', 'step', 'dataset', 'model_id', 'name'), scalar), { maxLength: 3 }), fc.jsonValue({ maxDepth: 3 }));

describe(`generated payloads at every endpoint (${testDialect})`, () => {
  let server: TestServer;
  let sentinelRun: string;
  let snapshot: () => Promise<string>;
  beforeAll(async () => {
    server = await startTestServer();
    const post = (path: string, body: unknown) =>
      fetch(server.url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then((r) => r.json() as Promise<any>);
    const { experiment_id } = await post('/api/2.0/mlflow/experiments/create', { name: 'sentinel' });
    sentinelRun = (await post('/api/2.0/mlflow/runs/create', { experiment_id, run_name: 'sentinel' })).run.info.run_id;
    await post('/api/2.0/mlflow/runs/log-batch', {
      run_id: sentinelRun,
      metrics: [{ key: 'm', value: 1, timestamp: 1, step: 0 }],
      params: [{ key: 'p', value: 'v' }],
      tags: [{ key: 't', value: 'v' }],
    });
    snapshot = async () => {
      const run = await (await fetch(`${server.url}/api/2.0/mlflow/runs/get?run_id=${sentinelRun}`)).text();
      const exp = await (await fetch(`${server.url}/api/2.0/mlflow/experiments/get?experiment_id=${experiment_id}`)).text();
      const history = await (await fetch(`${server.url}/api/2.0/mlflow/metrics/get-history?run_id=${sentinelRun}&metric_key=m`)).text();
      return run + exp.replace(/"last_update_time":\d+/, '') + history;
    };
  });
  afterAll(() => server.close());

  it('never answer 5xx and never change unrelated data', async () => {
    const before = await snapshot();
    const failures: string[] = [];
    const send = async (method: string, path: string, payload: Record<string, unknown> | unknown, raw?: string) => {
      let url = server.url + path;
      let body: string | undefined;
      if (method === 'GET' && payload && typeof payload === 'object' && !Array.isArray(payload)) {
        const qs = new URLSearchParams();
        for (const [k, v] of Object.entries(payload as Record<string, unknown>)) for (const item of [v].flat()) qs.append(k, typeof item === 'string' ? item : JSON.stringify(item));
        url += `?${qs}`;
      } else if (method !== 'GET') {
        body = raw ?? JSON.stringify(payload);
      }
      const res = await fetch(url, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body });
      const text = await res.text();
      if (res.status >= 500) failures.push(`${method} ${path} ${body ?? url} -> ${res.status} ${text}`);
      return res.status;
    };
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ENDPOINTS),
        fc.oneof(fc.dictionary(fc.string(), value, { maxKeys: 4 }), value),
        fc.array(value, { minLength: 6, maxLength: 6 }),
        async (endpoint, junk, fieldValues) => {
          // Both shapes: arbitrary JSON, and an object with the endpoint's own field names holding arbitrary values.
          await send(endpoint.method, endpoint.path, junk);
          const shaped = Object.fromEntries(endpoint.fields.map((f, i) => [f, fieldValues[i % fieldValues.length]]));
          await send(endpoint.method, endpoint.path, shaped);
        },
      ),
      { numRuns: 250, seed: 20261121 },
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...PATH_ENDPOINTS), fc.string({ unit: 'grapheme', minLength: 1 }), value, async (endpoint, id, payload) => {
        await send(endpoint.method, endpoint.path(encodeURIComponent(id)), payload);
      }),
      { numRuns: 150, seed: 20261121 },
    );
    for (const raw of ['{', '[]', 'null', '"str"', '{"run_id": ', '\u0000', '{"a":1}{"b":2}', 'NaN']) {
      await send('POST', '/api/2.0/mlflow/runs/log-batch', null, raw);
      await send('POST', '/api/v1/runs', null, raw);
    }
    expect(failures).toEqual([]);
    expect(await snapshot()).toBe(before);
  });

  /** A JSON text of `depth` nested arrays around `inner` (built as text: JSON.stringify itself would overflow). */
  const nested = (depth: number, inner = '1') => '['.repeat(depth) + inner + ']'.repeat(depth);
  const terms = (n: number) => Array.from({ length: n }, (_, i) => `tags.t${i} = 'v'`).join(' AND ');
  const post = async (path: string, body: unknown) => {
    const res = await fetch(server.url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
    return { status: res.status, text: await res.text() };
  };
  const { MAX_JSON_DEPTH, MAX_FILTER_TERMS, MAX_FILTER_DEPTH, MAX_FILTER_VALUES, MAX_ORDER_BY_KEYS, MAX_EXPERIMENT_IDS } = INPUT_LIMITS;
  const dataset = (profile: string) =>
    `{"name":"deep","digest":"${'a'.repeat(64)}","source":"x","sourceType":"local","format":"csv","sizeBytes":1,"rowCount":1,"schema":[],"profile":[{"x":${profile}}]}`;

  it('answer 400 naming the limit for pathological input, and accept input at the limit', async () => {
    const before = await snapshot();
    const over: [string, string, unknown, string][] = [
      ['/api/2.0/mlflow/runs/log-batch', 'deep JSON', `{"run_id":"${sentinelRun}","params":[{"key":"p","value":${nested(10_000, '"v"')}}]}`, 'MAX_JSON_DEPTH'],
      ['/api/2.0/mlflow/runs/log-batch', 'JSON one level too deep', `{"run_id":"${sentinelRun}","tags":${nested(MAX_JSON_DEPTH)}}`, 'MAX_JSON_DEPTH'],
      ['/api/v1/datasets', 'deep dataset profile', dataset(nested(10_000)), 'MAX_JSON_DEPTH'],
      ['/api/2.0/mlflow/runs/log-model', 'deep model_json', { run_id: sentinelRun, model_json: `{"artifact_path":"m","flavors":${nested(10_000)},"utc_time_created":"x","run_id":"${sentinelRun}"}` }, 'MAX_JSON_DEPTH'],
      ['/api/2.0/mlflow/runs/search', 'filter terms', { experiment_ids: ['0'], filter: terms(201) }, 'MAX_FILTER_TERMS'],
      ['/api/2.0/mlflow/experiments/search', 'filter terms', { filter: Array.from({ length: 201 }, () => "name = 'x'").join(' AND ') }, 'MAX_FILTER_TERMS'],
      ['/api/2.0/mlflow/registered-models/search', 'filter terms', { filter: terms(MAX_FILTER_TERMS + 1) }, 'MAX_FILTER_TERMS'],
      ['/api/v1/runs/search', 'parentheses', { experimentIds: ['0'], filter: `${'('.repeat(5000)}tags.a = 'b'${')'.repeat(5000)}` }, 'MAX_FILTER_DEPTH'],
      ['/api/v1/runs/search', 'parentheses one too deep', { experimentIds: ['0'], filter: `${'('.repeat(MAX_FILTER_DEPTH + 1)}tags.a = 'b'${')'.repeat(MAX_FILTER_DEPTH + 1)}` }, 'MAX_FILTER_DEPTH'],
      ['/api/2.0/mlflow/runs/search', 'IN list', { experiment_ids: ['0'], filter: `attributes.run_id IN (${Array.from({ length: 50_000 }, (_, i) => `'r${i}'`).join(',')})` }, 'MAX_FILTER_VALUES'],
      ['/api/2.0/mlflow/runs/search', 'order_by keys', { experiment_ids: ['0'], order_by: Array.from({ length: 1000 }, (_, i) => `params.p${i}`) }, 'MAX_ORDER_BY_KEYS'],
      ['/api/2.0/mlflow/experiments/search', 'order_by keys', { order_by: Array.from({ length: MAX_ORDER_BY_KEYS + 1 }, (_, i) => `tags.t${i}`) }, 'MAX_ORDER_BY_KEYS'],
      ['/api/2.0/mlflow/runs/search', 'experiment ids', { experiment_ids: Array.from({ length: 100_000 }, (_, i) => String(i)) }, 'MAX_EXPERIMENT_IDS'],
      ['/api/2.0/mlflow/logged-models/search', 'experiment ids', { experiment_ids: Array.from({ length: MAX_EXPERIMENT_IDS + 1 }, (_, i) => String(i)) }, 'MAX_EXPERIMENT_IDS'],
    ];
    const wrong: string[] = [];
    for (const [path, what, body, limit] of over) {
      const r = await post(path, body);
      if (r.status !== 400 || !r.text.includes(`(${limit})`) || !r.text.includes(INPUT_LIMITS[limit as keyof typeof INPUT_LIMITS].toLocaleString('en-US'))) wrong.push(`${path} ${what}: ${r.status} ${r.text.slice(0, 300)}`);
    }
    expect(wrong).toEqual([]);

    // Exactly at each limit is fine: every condition, key and list is really run on this dialect.
    const at: [string, string, unknown][] = [
      ['/api/v1/datasets', 'JSON at the depth limit', dataset(nested(MAX_JSON_DEPTH - 3))],
      ['/api/2.0/mlflow/runs/search', 'filter terms and order_by keys', { experiment_ids: ['0'], filter: terms(MAX_FILTER_TERMS), order_by: Array.from({ length: MAX_ORDER_BY_KEYS }, (_, i) => `params.p${i}`) }],
      ['/api/v1/runs/search', 'parentheses', { experimentIds: ['0'], filter: `${'('.repeat(MAX_FILTER_DEPTH)}tags.a = 'b' OR params.p = 'v'${')'.repeat(MAX_FILTER_DEPTH)}` }],
      ['/api/2.0/mlflow/runs/search', 'IN list', { experiment_ids: Array.from({ length: MAX_EXPERIMENT_IDS }, (_, i) => String(i)), filter: `params.p IN (${Array.from({ length: MAX_FILTER_VALUES }, (_, i) => `'v${i}'`).join(',')})` }],
      ['/api/2.0/mlflow/registered-models/search', 'filter terms', { filter: terms(MAX_FILTER_TERMS) }],
    ];
    for (const [path, what, body] of at) {
      const r = await post(path, body);
      if (r.status >= 300) wrong.push(`${path} ${what}: ${r.status} ${r.text.slice(0, 300)}`);
    }
    expect(wrong).toEqual([]);
    expect(await snapshot()).toBe(before);
  });
});
