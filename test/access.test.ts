import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlipwayApiError, SlipwayClient } from '../src/client/index.js';
import { testDialect } from './db.js';
import { startTestServer, type TestServer } from './server.js';

const failure = (p: Promise<unknown>) =>
  p.then(
    () => null,
    (e: SlipwayApiError) => ({ status: e.status, code: e.code, message: e.message }),
  );

describe(`auth and audit (${testDialect})`, () => {
  let server: TestServer;
  let admin: SlipwayClient;
  beforeAll(async () => {
    server = await startTestServer({ auth: true });
    admin = new SlipwayClient({ url: server.url, token: server.adminToken! });
  });
  afterAll(() => server.close());

  it('needs a valid token on native and MLflow paths; health stays public', async () => {
    expect(await failure(new SlipwayClient({ url: server.url }).searchExperiments())).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
    expect(await failure(new SlipwayClient({ url: server.url, token: 'slw_wrong' }).searchExperiments())).toMatchObject({ status: 401 });
    const mlflow = await fetch(`${server.url}/api/2.0/mlflow/experiments/get?experiment_id=0`);
    expect(mlflow.status).toBe(401);
    expect(await mlflow.json()).toMatchObject({ error_code: 'UNAUTHENTICATED' });
    const withToken = await fetch(`${server.url}/api/2.0/mlflow/experiments/get?experiment_id=0`, { headers: { authorization: `Bearer ${server.adminToken}` } });
    expect(withToken.status).toBe(200);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });

  it('lets viewers read, editors write, and only admins manage tokens, audit and gc', async () => {
    const { token: viewerToken } = await admin.createToken({ name: 'reader', role: 'viewer' });
    const { token: editorToken } = await admin.createToken({ name: 'trainer', role: 'editor' });
    const viewer = new SlipwayClient({ url: server.url, token: viewerToken });
    const editor = new SlipwayClient({ url: server.url, token: editorToken });
    expect((await viewer.getExperiment('0')).experiment.name).toBe('Default');
    expect(await failure(viewer.createExperiment({ name: 'nope' }))).toMatchObject({ status: 403, code: 'PERMISSION_DENIED' });
    const { run } = await editor.createRun({ experimentId: '0' });
    expect((await viewer.searchRuns({ experimentIds: ['0'] })).runs.map((r) => r.id)).toContain(run.id);
    expect(await failure(editor.createToken({ name: 'x', role: 'admin' }))).toMatchObject({ status: 403 });
    expect(await failure(editor.audit())).toMatchObject({ status: 403 });
    expect(await failure(editor.gc({ dryRun: true }))).toMatchObject({ status: 403 });
    const mlflowWrite = await fetch(`${server.url}/api/2.0/mlflow/runs/set-tag`, {
      method: 'POST',
      headers: { authorization: `Bearer ${viewerToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ run_id: run.id, key: 'k', value: 'v' }),
    });
    expect(mlflowWrite.status).toBe(403);
    expect(await mlflowWrite.json()).toMatchObject({ error_code: 'PERMISSION_DENIED' });

    const listed = (await admin.listTokens()).tokens.map((t) => t.name);
    expect(listed).toEqual(expect.arrayContaining(['reader', 'trainer']));
    const stored = await server.store.database.db.selectFrom('api_tokens').select('token_hash').execute();
    expect(stored.some((t) => t.token_hash.includes(viewerToken))).toBe(false);
    await admin.revokeToken('reader');
    expect(await failure(viewer.getExperiment('0'))).toMatchObject({ status: 401 });
  });

  it('writes who, what, when, before and after for every change', async () => {
    const { token } = await admin.createToken({ name: 'auditor-subject', role: 'editor' });
    const editor = new SlipwayClient({ url: server.url, token });
    const { experiment } = await editor.createExperiment({ name: 'audited' });
    await editor.renameExperiment(experiment.id, 'audited-2');
    const { run } = await editor.createRun({ experimentId: experiment.id });
    await editor.log(run.id, { params: { lr: '0.1' }, metrics: [{ key: 'm', value: 1 }] });
    await editor.updateRun(run.id, { status: 'FINISHED' });
    await editor.deleteRun(run.id);
    const entries = (await admin.audit({ actor: 'auditor-subject' })).entries;
    expect(entries.map((e) => e.action).reverse()).toEqual(['experiment.create', 'experiment.rename', 'run.create', 'run.log_batch', 'run.update', 'run.delete']);
    const rename = entries.find((e) => e.action === 'experiment.rename')!;
    expect(rename).toMatchObject({ actor: 'auditor-subject', targetType: 'experiment', targetId: experiment.id, before: { name: 'audited' }, after: { name: 'audited-2' } });
    expect(Date.parse(rename.at)).toBeGreaterThan(Date.now() - 60_000);
    const update = entries.find((e) => e.action === 'run.update')!;
    expect(update.before).toMatchObject({ status: 'RUNNING' });
    expect(update.after).toMatchObject({ status: 'FINISHED' });
    // a rejected change writes no entry: the audit row shares the change's transaction
    await failure(editor.log(run.id, { params: { lr: '0.2' } }));
    expect((await admin.audit({ actor: 'auditor-subject' })).entries).toHaveLength(entries.length);
  });

  it('purges deleted runs and experiments for good with gc, freeing the name', async () => {
    const { experiment } = await admin.createExperiment({ name: 'to-purge' });
    const { run } = await admin.createRun({ experimentId: experiment.id });
    await admin.uploadArtifact(run.id, 'a.txt', Buffer.from('x'));
    await admin.deleteExperiment(experiment.id);
    expect(await failure(admin.createExperiment({ name: 'to-purge' }))).toMatchObject({ status: 409, message: expect.stringMatching(/gc/) });
    const dry = await admin.gc({ dryRun: true, experimentIds: [experiment.id] });
    expect(dry).toMatchObject({ experiments: [experiment.id], runs: [run.id] });
    expect((await admin.getRun(run.id)).run.lifecycleStage).toBe('deleted');
    const done = await admin.gc({ experimentIds: [experiment.id] });
    expect(done).toMatchObject({ experiments: [experiment.id], runs: [run.id] });
    expect(await failure(admin.getRun(run.id))).toMatchObject({ status: 404 });
    expect((await admin.createExperiment({ name: 'to-purge' })).experiment.name).toBe('to-purge');
    const left = await server.store.database.db.selectFrom('metrics').select('run_uuid').where('run_uuid', '=', run.id).execute();
    expect(left).toEqual([]);
  });
});
