import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlipwayApiError, SlipwayClient } from '../src/client/index.js';
import { cli } from './cli-run.js';
import { testDialect } from './db.js';
import { startTestServer, type TestServer } from './server.js';

describe(`lineage of a model version (${testDialect})`, () => {
  let server: TestServer;
  let admin: SlipwayClient;
  let env: Record<string, string>;
  let runId = '';
  beforeAll(async () => {
    server = await startTestServer({ auth: true });
    admin = new SlipwayClient({ url: server.url, token: server.adminToken! });
    const { token } = await admin.createToken({ name: 'release-bot', role: 'editor' });
    env = { SLIPWAY_URL: server.url, SLIPWAY_TOKEN: token };
    const bot = new SlipwayClient({ url: server.url, token });
    const { experiment } = await bot.createExperiment({ name: 'churn-training' });
    const { run } = await bot.createRun({
      experimentId: experiment.id,
      name: 'xgb-baseline',
      tags: { 'mlflow.source.git.commit': '0123456789abcdef0123', 'slipway.source.git.dirty': 'false', 'mlflow.source.name': 'train.py' },
    });
    runId = run.id;
    await bot.log(run.id, { params: { lr: '0.1', depth: '6' } });
    await bot.logInputs(run.id, {
      datasets: [
        { name: 'churn-train', digest: 'a1b2c3d4', sourceType: 'local', source: 'data/train.csv', tags: { 'mlflow.data.context': 'train' } },
        { name: 'churn-eval', digest: 'e5f6a7b8', sourceType: 'local', source: 'data/eval.csv', tags: { 'mlflow.data.context': 'eval' } },
      ],
    });
    await bot.createModel({ name: 'churn' });
    await bot.createModelVersion('churn', { source: `runs:/${run.id}/model`, runId: run.id });
    await bot.createModelVersion('churn', { source: `runs:/${run.id}/model`, runId: run.id });
    await bot.setModelAlias('churn', 'production', 1);
    await bot.setModelAlias('churn', 'production', 2);
  });
  afterAll(() => server.close());

  it('answers run, params, code, datasets and promotions in one call', async () => {
    const l = await admin.lineage('models:/churn@production');
    expect(l.modelVersion).toMatchObject({ name: 'churn', version: 2, aliases: ['production'] });
    expect(l.run).toMatchObject({ id: runId, name: 'xgb-baseline', params: { lr: '0.1', depth: '6' } });
    expect(l.experiment).toMatchObject({ name: 'churn-training' });
    expect(l.code).toMatchObject({ gitCommit: '0123456789abcdef0123', dirty: false, sourceName: 'train.py' });
    expect(l.datasets.map((d) => [d.name, d.digest, d.context])).toEqual([
      ['churn-eval', 'e5f6a7b8', 'eval'],
      ['churn-train', 'a1b2c3d4', 'train'],
    ]);
    expect(l.promotions).toMatchObject([{ kind: 'alias', key: 'production', from: '1', to: '2', actor: 'release-bot' }]);
    expect((await admin.lineage('models:/churn/1')).promotions.map((p) => [p.from, p.to])).toEqual([
      [null, '1'],
      ['1', '2'],
    ]);
    expect((await admin.lineage(`runs:/${runId}`)).modelVersion).toBeNull();
    expect((await admin.lineage('models:/churn/latest')).modelVersion?.version).toBe(2);
  });

  it('rejects refs it cannot resolve with a precise error', async () => {
    const failure = (ref: string) => admin.lineage(ref).then(() => null, (e: SlipwayApiError) => [e.status, e.code]);
    expect(await failure('models:/churn@nope')).toEqual([404, 'NOT_FOUND']);
    expect(await failure('models:/nope/1')).toEqual([404, 'NOT_FOUND']);
    expect(await failure('models:/churn/weird')).toEqual([400, 'INVALID_ARGUMENT']);
    expect(await failure('s3://bucket/x')).toEqual([400, 'INVALID_ARGUMENT']);
  });

  it('prints it as a tree in the CLI, and as data with --json', async () => {
    const tree = await cli(['lineage', 'models:/churn@production'], env);
    expect(tree.code).toBe(0);
    expect(tree.out).toContain('churn v2 (@production)');
    expect(tree.out).toMatch(/@production 1 → 2/);
    expect(tree.out).toContain('code 0123456789ab (clean)');
    expect(tree.out).toContain('train dataset churn-train digest a1b2c3d4');
    const json = await cli(['lineage', 'models:/churn@production', '--json'], env);
    expect(JSON.parse(json.out).run.id).toBe(runId);
  });

  it('lists models and moves aliases from the CLI', async () => {
    const list = await cli(['models', 'list'], env);
    expect(list.out).toMatch(/churn\s+v2\s+@production→v2/);
    const promote = await cli(['models', 'promote', 'churn', '1', '--alias', 'champion'], env);
    expect(promote.out).toContain('churn@champion: unset → v1');
    expect(JSON.parse((await cli(['models', 'show', 'churn', '--json'], env)).out).model.aliases).toEqual({ production: 2, champion: 1 });
    expect((await cli(['models', 'alias', 'rm', 'churn', 'champion'], env)).code).toBe(0);
    const missing = await cli(['models', 'alias', 'set', 'churn', 'x', '99'], env);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/not found|does not exist/i);
  });
});
