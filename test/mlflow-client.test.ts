import mlflowModule from 'mlflow';
import { LifecycleStage, RunStatus, ViewType } from 'mlflow/enum.js';
import type { Experiment, Metric, Run, RunInfo } from 'mlflow/lib/interface.js';
import { MLflowBase, type ConstructorProps } from 'mlflow/lib/mlflow.js';
import { afterAll, beforeAll, describe, expect, test, vi, type MockInstance } from 'vitest';
import { useTestServer } from './mlflow-http.js';
import type { TestServer } from './server.js';

/**
 * The third-party npm client `mlflow` 2.0.7 (Yuhsak/mlflow) driving Slipway's MLflow REST API 2.0 end to end.
 *
 * What the package is, read from node_modules/mlflow/lib: one class per area (Experiments, Runs, Metrics, Artifacts)
 * built on `MLflowBase.req(method, path, param)`, which GETs with a query string and POSTs JSON to
 * `${endpoint}/api/2.0/mlflow${area}${path}` through isomorphic-unfetch (Node 20's global fetch), with the
 * constructor's `headers` on every request. Its incompatibilities, each pinned by a test below:
 *  - `Experiments.setExperimentTag` posts to `/api/2.0/mlflow/experimentsset-experiment-tag` (the path lacks its
 *    leading `/`): always a 404. The package's bug.
 *  - `Experiments.list` calls `GET experiments/list`, ListExperiments, which MLflow 2.0 removed from its API
 *    (mlflow/mlflow#6790) and the reference does not list: 404 ENDPOINT_NOT_FOUND. The package targets MLflow 1.x.
 *  - No method at all for experiments/get-by-name, experiments/search or experiments/delete-experiment-tag; they are
 *    reached here through the package's own transport (`MLflowBase.req` in a subclass), said so where used.
 *  - The README's `Runs.logParam()` is `Runs.logParameter()` in the code.
 *  - Errors: a non-200 reply becomes `new Error(new Error(JSON.stringify({status, statusText, data})))`, so the
 *    message is `Error: {...}`; status and MLflow's `{error_code, message}` are only in that string.
 *  - Every POST prints its JSON body with console.log.
 *  - `import MLflow from 'mlflow'` is the class at run time (index.js exports lib/mlflow's default), but the
 *    declared types (lib/mlflow.d.ts) describe lib/mlflow.js's exports object, so TypeScript (NodeNext) sees
 *    `{ default: typeof MLflow, MLflowBase }` and the class needs a cast.
 *  - The README documents the constructor option as `heders`; the code reads `headers`, so the README's spelling
 *    silently sends no token (401 with auth on).
 *  - Type slips without run-time effect: `FileInfo.id_dir` (is `is_dir`), `Artifacts.list` typed `files: FileInfo`
 *    (is an array), `RunInfo` without `run_name`, `Experiments.get` promising `runs` (MLflow 1.x), `runs`/`metrics`/
 *    `files` typed as always present (MLflow omits empty repeated fields: `{}`), and optional request fields typed
 *    as required (`artifact_location`; `user_id`, `start_time` of runs/create; `status`, `end_time` of runs/update).
 */

// See the header: the default import is the class at run time; its declared type is the module object.
const MLflow = mlflowModule as unknown as typeof mlflowModule.default;
type Client = InstanceType<typeof MLflow>;

/** Error replies as the package reports them: the JSON inside its doubly wrapped Error's message. */
interface PackageError {
  status: number;
  statusText: string;
  data: { error_code?: string; message?: string } | null;
}

/** What the package throws for a failing call, parsed. */
async function packageError(call: Promise<unknown>): Promise<PackageError> {
  const error = await call.then(
    (value) => {
      throw new Error(`expected the call to fail, it returned ${JSON.stringify(value)}`);
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  const message = (error as Error).message;
  // `throw new Error(T_T)` with T_T an Error: the message is String(T_T), "Error: " + the JSON.
  expect(message.startsWith('Error: {')).toBe(true);
  return JSON.parse(message.slice('Error: '.length)) as PackageError;
}

/**
 * The endpoints the package lacks (or gets wrong), reached with its own transport: same URL scheme, headers and
 * error handling as its methods. Not part of the package's API.
 */
class MissingExperimentCalls extends MLflowBase {
  constructor(args: ConstructorProps) {
    super(args);
    this.path = '/experiments';
  }
  getByName(experiment_name: string): Promise<{ experiment: Experiment }> {
    return this.req('get', '/get-by-name', { experiment_name });
  }
  search(param: { filter?: string; order_by?: string[]; view_type?: ViewType; max_results?: number; page_token?: string }): Promise<{
    experiments?: Experiment[];
    next_page_token?: string;
  }> {
    return this.req('post', '/search', param);
  }
  setExperimentTag(param: { experiment_id: string; key: string; value: string }): Promise<object> {
    return this.req('post', '/set-experiment-tag', param);
  }
  deleteExperimentTag(param: { experiment_id: string; key: string }): Promise<object> {
    return this.req('post', '/delete-experiment-tag', param);
  }
}

const tagsOf = (run: Run | Experiment): Record<string, string> =>
  Object.fromEntries(('data' in run ? run.data.tags : run.tags ?? []).map((t) => [t.key, t.value]));
const paramsOf = (run: Run): Record<string, string> => Object.fromEntries((run.data.params ?? []).map((p) => [p.key, p.value]));
const metricsOf = (run: Run): Record<string, Metric> => Object.fromEntries((run.data.metrics ?? []).map((m) => [m.key, m]));

/** Uploads a file through Slipway's artifact proxy with a plain fetch (the package has no upload). */
async function putArtifact(server: TestServer, storePath: string, body: string, token?: string | null): Promise<void> {
  const res = await fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/${storePath}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/octet-stream', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body,
  });
  expect(res.status, await res.clone().text()).toBe(200);
}

let consoleLog: MockInstance<typeof console.log>;
beforeAll(() => {
  // The package console.logs every POST body; keep the test output readable (and check it, below).
  consoleLog = vi.spyOn(console, 'log').mockImplementation(() => undefined);
});
afterAll(() => {
  consoleLog.mockRestore();
});

describe('mlflow npm client against Slipway (no auth)', () => {
  const server = useTestServer();
  let client: Client;
  let extra: MissingExperimentCalls;

  beforeAll(() => {
    client = new MLflow({ endpoint: server.url });
    extra = new MissingExperimentCalls({ endpoint: server.url });
  });

  test('experiments: create, get, get-by-name, update, search, tag, delete, restore', async () => {
    const { Experiments } = client;
    const created = await Experiments.create({ name: 'npm-client-exp', artifact_location: '' });
    expect(created).toEqual({ experiment_id: expect.any(String) });
    const experimentId = created.experiment_id;

    const got = await Experiments.get({ experiment_id: experimentId });
    expect(got.experiment).toMatchObject({
      experiment_id: experimentId,
      name: 'npm-client-exp',
      artifact_location: `mlflow-artifacts:/${experimentId}`,
      lifecycle_stage: LifecycleStage.active,
      creation_time: expect.any(Number),
      last_update_time: expect.any(Number),
    });
    // MLflow 2 no longer returns the experiment's runs here; the package's type still promises them.
    expect(got.runs).toBeUndefined();

    expect(await Experiments.update({ experiment_id: experimentId, new_name: 'npm-client-exp-renamed' })).toEqual({});
    const byName = await extra.getByName('npm-client-exp-renamed');
    expect(byName.experiment.experiment_id).toBe(experimentId);
    expect((await packageError(extra.getByName('npm-client-exp'))).data?.error_code).toBe('RESOURCE_DOES_NOT_EXIST');

    // set-experiment-tag: the package's method has a broken URL (no '/' before 'set-experiment-tag').
    const broken = await packageError(Experiments.setExperimentTag({ experiment_id: experimentId, key: 'team', value: 'ml' }));
    expect(broken).toEqual({
      status: 404,
      statusText: 'Not Found',
      data: { error_code: 'ENDPOINT_NOT_FOUND', message: 'No endpoint POST /api/2.0/mlflow/experimentsset-experiment-tag' },
    });
    // The same request at the right path works.
    expect(await extra.setExperimentTag({ experiment_id: experimentId, key: 'team', value: 'ml' })).toEqual({});
    expect(await extra.setExperimentTag({ experiment_id: experimentId, key: 'scratch', value: 'x' })).toEqual({});
    expect(await extra.deleteExperimentTag({ experiment_id: experimentId, key: 'scratch' })).toEqual({});
    expect(tagsOf((await Experiments.get({ experiment_id: experimentId })).experiment)).toEqual({ team: 'ml' });

    const other = (await Experiments.create({ name: 'npm-client-other', artifact_location: '' })).experiment_id;
    const searched = await extra.search({ filter: "name LIKE 'npm-client-%'", order_by: ['name ASC'], max_results: 10 });
    expect(searched.experiments?.map((e) => e.experiment_id)).toEqual([experimentId, other]);
    const tagged = await extra.search({ filter: "tags.team = 'ml'", max_results: 10 });
    expect(tagged.experiments?.map((e) => e.name)).toEqual(['npm-client-exp-renamed']);

    expect(await Experiments.delete({ experiment_id: other })).toEqual({});
    expect((await Experiments.get({ experiment_id: other })).experiment.lifecycle_stage).toBe(LifecycleStage.deleted);
    const deleted = await extra.search({ view_type: ViewType.DELETED_ONLY, max_results: 10 });
    expect(deleted.experiments?.map((e) => e.experiment_id)).toEqual([other]);
    const active = await extra.search({ view_type: ViewType.ACTIVE_ONLY, max_results: 10 });
    expect(active.experiments?.map((e) => e.experiment_id)).not.toContain(other);

    expect(await Experiments.restore({ experiment_id: other })).toEqual({});
    expect((await Experiments.get({ experiment_id: other })).experiment.lifecycle_stage).toBe(LifecycleStage.active);
  });

  test('Experiments.list calls ListExperiments, removed in MLflow 2.0: 404 ENDPOINT_NOT_FOUND', async () => {
    const error = await packageError(client.Experiments.list({ view_type: ViewType.ALL }));
    expect(error).toEqual({
      status: 404,
      statusText: 'Not Found',
      data: { error_code: 'ENDPOINT_NOT_FOUND', message: 'No endpoint GET /api/2.0/mlflow/experiments/list' },
    });
  });

  test('runs: create, get, log params/metrics/batch, tags, history, update, search, delete, restore, artifacts', async () => {
    const { Experiments, Runs, Metrics, Artifacts } = client;
    const experimentId = (await Experiments.create({ name: 'npm-client-runs', artifact_location: '' })).experiment_id;
    const t0 = 1_700_000_000_000;

    const { run } = await Runs.create({
      experiment_id: experimentId,
      user_id: 'alice',
      start_time: t0,
      tags: [{ key: 'mlflow.runName', value: 'first' }, { key: 'stage', value: 'dev' }],
    });
    const runId = run.info.run_id;
    expect(run.info).toMatchObject({
      run_id: expect.stringMatching(/^[0-9a-f]{32}$/),
      experiment_id: experimentId,
      user_id: 'alice',
      status: RunStatus.RUNNING,
      start_time: t0,
      artifact_uri: `mlflow-artifacts:/${experimentId}/${runId}/artifacts`,
      lifecycle_stage: LifecycleStage.active,
    });
    expect(tagsOf(run)).toMatchObject({ 'mlflow.runName': 'first', stage: 'dev' });
    const second = (await Runs.create({ experiment_id: experimentId, user_id: 'bob', start_time: t0 + 1 })).run.info.run_id;

    // Params: one by log-parameter (the README calls it logParam), the rest in a batch.
    expect(await Runs.logParameter({ run_id: runId, key: 'lr', value: '0.01' })).toEqual({});
    // Metrics with steps, one at a time and in a batch.
    for (const [step, loss] of [0.9, 0.5, 0.3].entries()) {
      expect(await Runs.logMetric({ run_id: runId, key: 'loss', value: loss, timestamp: t0 + step * 1000, step })).toEqual({});
    }
    expect(
      await Runs.logBatch({
        run_id: runId,
        metrics: [
          { key: 'loss', value: 0.2, timestamp: t0 + 3000, step: 3 },
          { key: 'acc', value: 0.7, timestamp: t0 + 3000, step: 3 },
          { key: 'acc', value: 0.8, timestamp: t0 + 4000, step: 4 },
        ],
        params: [{ key: 'epochs', value: '5' }],
        tags: [{ key: 'owner', value: 'alice' }],
      }),
    ).toEqual({});
    await Runs.logBatch({
      run_id: second,
      metrics: [{ key: 'loss', value: 0.6, timestamp: t0, step: 0 }],
      params: [{ key: 'lr', value: '0.1' }],
    });

    // Tags: set, delete.
    expect(await Runs.setTag({ run_id: runId, key: 'note', value: 'temp' })).toEqual({});
    expect(await Runs.setTag({ run_id: runId, key: 'stage', value: 'prod' })).toEqual({});
    expect(await Runs.deleteTag({ run_id: runId, key: 'note' })).toEqual({});

    const { run: logged } = await Runs.get({ run_id: runId });
    expect(paramsOf(logged)).toEqual({ lr: '0.01', epochs: '5' });
    expect(metricsOf(logged)).toEqual({
      loss: { key: 'loss', value: 0.2, timestamp: t0 + 3000, step: 3 },
      acc: { key: 'acc', value: 0.8, timestamp: t0 + 4000, step: 4 },
    });
    const tags = tagsOf(logged);
    expect(tags).toMatchObject({ stage: 'prod', owner: 'alice', 'mlflow.runName': 'first' });
    expect(tags).not.toHaveProperty('note');

    // Metric history: every step, in timestamp order.
    const history = await Metrics.getHistory({ run_id: runId, metric_key: 'loss' });
    expect(history.metrics.map((m) => [m.step, m.value, m.timestamp])).toEqual([
      [0, 0.9, t0],
      [1, 0.5, t0 + 1000],
      [2, 0.3, t0 + 2000],
      [3, 0.2, t0 + 3000],
    ]);
    expect((await Metrics.getHistory({ run_id: runId, metric_key: 'acc' })).metrics.map((m) => m.step)).toEqual([3, 4]);

    // Update: status and end time.
    const updated = await Runs.update({ run_id: runId, status: RunStatus.FINISHED, end_time: t0 + 10_000 });
    expect(updated.run_info).toMatchObject({ run_id: runId, status: RunStatus.FINISHED, end_time: t0 + 10_000 } satisfies Partial<RunInfo>);

    // Search with a filter and order_by.
    const search = async (filter?: string, order_by?: string[], run_view_type?: ViewType) =>
      (await Runs.search({ experiment_ids: [experimentId], filter, order_by, run_view_type })).runs?.map((r) => r.info.run_id) ?? [];
    expect(await search('metrics.loss < 0.5')).toEqual([runId]);
    expect(await search("params.lr = '0.1'")).toEqual([second]);
    expect(await search("attributes.status = 'FINISHED' and tags.stage = 'prod'")).toEqual([runId]);
    expect(await search(undefined, ['metrics.loss ASC'])).toEqual([runId, second]);
    expect(await search(undefined, ['metrics.loss DESC'])).toEqual([second, runId]);
    expect(await search(undefined, ['attributes.start_time ASC'])).toEqual([runId, second]);
    const paged = await Runs.search({ experiment_ids: [experimentId], max_results: 1, order_by: ['params.lr ASC'] });
    expect(paged.runs.map((r) => r.info.run_id)).toEqual([runId]);
    expect(paged.next_page_token).toEqual(expect.any(String));
    const rest = await Runs.search({ experiment_ids: [experimentId], max_results: 1, order_by: ['params.lr ASC'], page_token: paged.next_page_token });
    expect(rest.runs.map((r) => r.info.run_id)).toEqual([second]);

    // Artifacts: upload through the mlflow-artifacts proxy with fetch, list with the package.
    await putArtifact(server, `${experimentId}/${runId}/artifacts/model/weights.bin`, 'w'.repeat(10));
    await putArtifact(server, `${experimentId}/${runId}/artifacts/notes.txt`, 'hello');
    const root = await Artifacts.list({ run_id: runId, path: '' });
    expect(root).toEqual({
      root_uri: `mlflow-artifacts:/${experimentId}/${runId}/artifacts`,
      files: [
        { path: 'model', is_dir: true },
        { path: 'notes.txt', is_dir: false, file_size: 5 },
      ],
    });
    const model = await Artifacts.list({ run_id: runId, path: 'model' });
    expect(model.files).toEqual([{ path: 'model/weights.bin', is_dir: false, file_size: 10 }]);
    // An empty run: no files field at all (unset repeated field), as MLflow.
    expect(await Artifacts.list({ run_id: second, path: '' })).toEqual({ root_uri: `mlflow-artifacts:/${experimentId}/${second}/artifacts` });

    // Delete and restore the run.
    expect(await Runs.delete({ run_id: second })).toEqual({});
    expect((await Runs.get({ run_id: second })).run.info.lifecycle_stage).toBe(LifecycleStage.deleted);
    expect(await search()).toEqual([runId]);
    expect(await search(undefined, undefined, ViewType.DELETED_ONLY)).toEqual([second]);
    expect((await search(undefined, undefined, ViewType.ALL)).sort()).toEqual([runId, second].sort());
    expect(await Runs.restore({ run_id: second })).toEqual({});
    expect((await Runs.get({ run_id: second })).run.info.lifecycle_stage).toBe(LifecycleStage.active);

    // Deleting the experiment deletes its runs; restoring it restores them.
    await Experiments.delete({ experiment_id: experimentId });
    expect((await Runs.get({ run_id: runId })).run.info.lifecycle_stage).toBe(LifecycleStage.deleted);
    await Experiments.restore({ experiment_id: experimentId });
    expect((await Runs.get({ run_id: runId })).run.info.lifecycle_stage).toBe(LifecycleStage.active);
  });

  test('errors: RESOURCE_DOES_NOT_EXIST and RESOURCE_ALREADY_EXISTS surface as an Error carrying the MLflow JSON', async () => {
    const { Experiments, Runs, Metrics, Artifacts } = client;
    const unknownRun = '0123456789abcdef0123456789abcdef';

    const noExperiment = await packageError(Experiments.get({ experiment_id: '987654' }));
    expect(noExperiment).toEqual({
      status: 404,
      statusText: 'Not Found',
      data: { error_code: 'RESOURCE_DOES_NOT_EXIST', message: expect.stringContaining('987654') },
    });
    for (const call of [
      () => Runs.get({ run_id: unknownRun }),
      () => Runs.logParameter({ run_id: unknownRun, key: 'k', value: 'v' }),
      () => Runs.delete({ run_id: unknownRun }),
      () => Artifacts.list({ run_id: unknownRun, path: '' }),
      () => Runs.create({ experiment_id: '987654', user_id: 'u', start_time: 0 }),
    ]) {
      const error = await packageError(call());
      expect(error.status).toBe(404);
      expect(error.data?.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
    }

    const experimentId = (await Experiments.create({ name: 'npm-client-dup', artifact_location: '' })).experiment_id;
    const duplicate = await packageError(Experiments.create({ name: 'npm-client-dup', artifact_location: '' }));
    expect(duplicate).toEqual({
      status: 400,
      statusText: 'Bad Request',
      data: { error_code: 'RESOURCE_ALREADY_EXISTS', message: expect.stringContaining('npm-client-dup') },
    });
    const other = (await Experiments.create({ name: 'npm-client-dup-2', artifact_location: '' })).experiment_id;
    const renamed = await packageError(Experiments.update({ experiment_id: other, new_name: 'npm-client-dup' }));
    expect([renamed.status, renamed.data?.error_code]).toEqual([400, 'RESOURCE_ALREADY_EXISTS']);

    // Deleting twice / restoring an active experiment: 404, as MLflow looks among active (deleted) ones.
    await Experiments.delete({ experiment_id: other });
    expect((await packageError(Experiments.delete({ experiment_id: other }))).data?.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect((await packageError(Experiments.restore({ experiment_id: experimentId }))).data?.error_code).toBe('RESOURCE_DOES_NOT_EXIST');

    const runId = (await Runs.create({ experiment_id: experimentId, user_id: 'u', start_time: 0 })).run.info.run_id;
    // Unknown metric key: an empty history, `{}` (no metrics field).
    expect(await Metrics.getHistory({ run_id: runId, metric_key: 'never-logged' })).toEqual({});
    // Unknown run: Slipway answers 404 (MLflow's SQL store would answer an empty history; see the reference §2.23).
    expect((await packageError(Metrics.getHistory({ run_id: unknownRun, metric_key: 'loss' }))).data?.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect((await packageError(Runs.deleteTag({ run_id: runId, key: 'never-set' }))).data).toEqual({
      error_code: 'RESOURCE_DOES_NOT_EXIST',
      message: `No tag with name: never-set in run with id ${runId}`,
    });

    // Validation errors: INVALID_PARAMETER_VALUE, 400.
    await Runs.logParameter({ run_id: runId, key: 'k', value: 'v1' });
    const changed = await packageError(Runs.logParameter({ run_id: runId, key: 'k', value: 'v2' }));
    expect([changed.status, changed.data?.error_code]).toEqual([400, 'INVALID_PARAMETER_VALUE']);
    const badFilter = await packageError(Runs.search({ experiment_ids: [experimentId], filter: 'metrics.loss <<< 1' }));
    expect([badFilter.status, badFilter.data?.error_code]).toEqual([400, 'INVALID_PARAMETER_VALUE']);
    await Runs.delete({ run_id: runId });
    const deletedRun = await packageError(Runs.logMetric({ run_id: runId, key: 'm', value: 1, timestamp: 1 }));
    expect(deletedRun).toEqual({
      status: 400,
      statusText: 'Bad Request',
      data: { error_code: 'INVALID_PARAMETER_VALUE', message: `The run ${runId} must be in the 'active' state. Current state is deleted.` },
    });
  });

  test('the package console.logs every POST body (GETs are not logged)', async () => {
    consoleLog.mockClear();
    const { experiment_id } = await client.Experiments.create({ name: 'npm-client-logged', artifact_location: '' });
    await client.Experiments.get({ experiment_id });
    expect(consoleLog.mock.calls).toEqual([[JSON.stringify({ name: 'npm-client-logged', artifact_location: '' })]]);
  });
});

describe('mlflow npm client with auth on', () => {
  const server = useTestServer({ auth: true });

  test('the `headers` option carries the bearer token: with an admin token the workflow runs', async () => {
    const token = server.adminToken!;
    const client = new MLflow({ endpoint: server.url, headers: { Authorization: `Bearer ${token}` } });
    const { Experiments, Runs, Metrics, Artifacts } = client;
    const experimentId = (await Experiments.create({ name: 'npm-auth', artifact_location: '' })).experiment_id;
    const runId = (await Runs.create({ experiment_id: experimentId, user_id: 'x', start_time: 1 })).run.info.run_id;
    await Runs.logMetric({ run_id: runId, key: 'm', value: 1, timestamp: 1, step: 1 });
    await Runs.logParameter({ run_id: runId, key: 'p', value: 'v' });
    await Runs.setTag({ run_id: runId, key: 't', value: 'v' });
    expect((await Metrics.getHistory({ run_id: runId, metric_key: 'm' })).metrics).toHaveLength(1);
    expect((await Runs.search({ experiment_ids: [experimentId], filter: "params.p = 'v'" })).runs).toHaveLength(1);
    await putArtifact(server, `${experimentId}/${runId}/artifacts/a.txt`, 'a', token);
    expect((await Artifacts.list({ run_id: runId, path: '' })).files).toEqual([{ path: 'a.txt', is_dir: false, file_size: 1 }]);
    const extra = new MissingExperimentCalls({ endpoint: server.url, headers: { Authorization: `Bearer ${token}` } });
    expect((await extra.getByName('npm-auth')).experiment.experiment_id).toBe(experimentId);
    await Runs.update({ run_id: runId, status: RunStatus.FINISHED, end_time: 2 });
    await Runs.delete({ run_id: runId });
    await Experiments.delete({ experiment_id: experimentId });
  });

  test("the README's option name `heders` (a typo for `headers`) is ignored: the token is never sent", async () => {
    const readmeSpelling = { endpoint: server.url, heders: { Authorization: `Bearer ${server.adminToken!}` } };
    const client = new MLflow(readmeSpelling as ConstructorProps);
    const error = await packageError(client.Experiments.get({ experiment_id: '0' }));
    expect([error.status, error.data?.error_code]).toEqual([401, 'UNAUTHENTICATED']);
  });

  test('without a token, or with a bad one: 401 UNAUTHENTICATED; a viewer token reads but cannot write (403)', async () => {
    const anonymous = new MLflow({ endpoint: server.url });
    const noToken = await packageError(anonymous.Experiments.get({ experiment_id: '0' }));
    expect(noToken.status).toBe(401);
    expect(noToken.data?.error_code).toBe('UNAUTHENTICATED');
    const badToken = new MLflow({ endpoint: server.url, headers: { Authorization: 'Bearer nope' } });
    expect((await packageError(badToken.Experiments.create({ name: 'x', artifact_location: '' }))).data?.error_code).toBe('UNAUTHENTICATED');

    const viewer = new MLflow({ endpoint: server.url, headers: { Authorization: `Bearer ${await server.tokenFor('viewer')}` } });
    expect((await viewer.Experiments.get({ experiment_id: '0' })).experiment.name).toBe('Default');
    expect((await viewer.Runs.search({ experiment_ids: ['0'] })).runs).toBeUndefined();
    const denied = await packageError(viewer.Experiments.create({ name: 'viewer-exp', artifact_location: '' }));
    expect(denied.status).toBe(403);
    expect(denied.data?.error_code).toBe('PERMISSION_DENIED');
  });
});
