/**
 * Gate policies stay with their model: an editor cannot rewrite a protected model's policy, an admin's weakening
 * is audited with a readable diff, and a rename (there and back) does not shed the policy.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlipwayClient } from '../src/client/index.js';
import { expectError } from './api-errors.js';
import { churnModel, churnRows, registerCsv, registerOnnx, writeCsv } from './eval-fixtures.js';
import { testDialect } from './db.js';
import { startTestServer, type TestServer } from './server.js';

const policy = (min: number, extra = '') => `
protect: [production, staging]
dataset: pol-eval
label: churned
no_champion: skip
ignore_columns: [plan, region]
resamples: 100
rules:
  - min: { metric: roc_auc, value: ${min} }
${extra}`;

describe(`gate policy integrity (${testDialect})`, () => {
  let server: TestServer;
  let admin: SlipwayClient;
  let editor: SlipwayClient;
  let editorToken: string;
  const dir = mkdtempSync(join(tmpdir(), 'slipway-policy-'));

  const mlflow = async (path: string, body: unknown, token = editorToken) => {
    const res = await fetch(`${server.url}/api/2.0/mlflow/${path}`, { method: path.endsWith('/delete') ? 'DELETE' : 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as any };
  };

  beforeAll(async () => {
    server = await startTestServer({ auth: true });
    admin = new SlipwayClient({ url: server.url, token: server.adminToken! });
    editorToken = await server.tokenFor('editor', 'eddie');
    editor = new SlipwayClient({ url: server.url, token: editorToken });
    await registerCsv(admin, writeCsv(dir, 'eval.csv', churnRows(600) as unknown as Record<string, unknown>[]), 'pol-eval');
    await admin.createModel({ name: 'churn' });
    await registerOnnx(admin, 'churn', churnModel()); // v1: passes
    await registerOnnx(admin, 'churn', churnModel(-1)); // v2: fails
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lets an editor protect a model, but only an admin change its policy; a weakening is audited with a readable diff', async () => {
    await editor.setGatePolicy('churn', policy(0.6, '  - latency: { p99_ms: 1000 }\n'));
    await expectError(editor.setGatePolicy('churn', policy(0.0)), 403, 'PERMISSION_DENIED', /churn is protected by gate policy v1: only an admin may change it; eddie is editor/);
    expect((await admin.getGatePolicy('churn')).policy.version).toBe(1);
    await expectError(editor.setModelAlias('churn', 'production', 2), 409, 'INVALID_STATE', /release checks failed/);

    const weaker = (await admin.setGatePolicy('churn', policy(0.3).replace('[production, staging]', '[production]'))).policy;
    expect(weaker.version).toBe(2);
    const [entry] = (await admin.audit({ action: 'gate_policy.weaken' })).entries;
    expect(entry).toMatchObject({ actor: 'test-admin', targetId: 'churn', before: { version: 1 }, after: { version: 2 } });
    const diff = (entry!.after as { diff: string }).diff.split('\n');
    expect(diff).toEqual(
      expect.arrayContaining(['WEAKER: @staging is no longer protected', 'WEAKER: minimum roc_auc lowered from 0.6 to 0.3 in rule roc_auc >= 0.6', 'WEAKER: rule removed: latency p99 <= 1000 ms']),
    );
    // A stricter policy is an ordinary change.
    await admin.setGatePolicy('churn', policy(0.6));
    expect((await admin.audit({ action: 'gate_policy.set' })).entries[0]!.after).toMatchObject({ version: 3, weakens: [] });
  });

  it('keeps the policy through an MLflow rename there and back: @production cannot move past the gate', async () => {
    await editor.setModelAlias('churn', 'production', 1);
    // Freeing a protected model's name is an admin's decision: another model could take it, policy-less, and be served.
    for (const [path, body] of [['registered-models/rename', { name: 'churn', new_name: 'churn-tmp' }], ['registered-models/delete', { name: 'churn' }]] as const) {
      const refused = await mlflow(path, body);
      expect([refused.status, refused.body.error_code]).toEqual([403, 'PERMISSION_DENIED']);
      expect(refused.body.message).toMatch(/Only an admin may (rename|delete) churn: its gate policy v3 protects @production, @staging/);
    }
    expect((await mlflow('registered-models/rename', { name: 'churn', new_name: 'churn-tmp' }, server.adminToken!)).status).toBe(200);
    expect((await admin.getGatePolicy('churn-tmp')).policy.version).toBe(3);
    const moved = await mlflow('registered-models/alias', { name: 'churn-tmp', alias: 'production', version: '2' });
    expect(moved.status).toBe(400);
    expect(moved.body.message).toMatch(/churn-tmp v2 to @production refused: .*release checks failed/);
    expect((await mlflow('registered-models/rename', { name: 'churn-tmp', new_name: 'churn' }, server.adminToken!)).status).toBe(200);
    expect((await admin.getModelVersionByAlias('churn', 'production')).version.version).toBe(1);
    expect((await admin.getGatePolicy('churn')).policy.version).toBe(3);

    // A new model under an old name starts without the old model's policy or passes.
    expect((await mlflow('registered-models/rename', { name: 'churn', new_name: 'churn-old' }, server.adminToken!)).status).toBe(200);
    await admin.createModel({ name: 'churn' });
    await expectError(admin.getGatePolicy('churn'), 404, 'NOT_FOUND', /has no gate policy/);
    expect((await admin.getGatePolicy('churn-old')).policy.version).toBe(3);
  });
});
