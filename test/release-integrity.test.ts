/**
 * Release integrity: a version that has not passed the gate protecting what a deployment serves never answers its
 * traffic (pinned, rolled out, promoted, restored), except through an audited admin override; shadow stays allowed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlipwayClient } from '../src/client/index.js';
import { expectError } from './api-errors.js';
import { cli } from './cli-run.js';
import { churnModel, churnRows, postJson, registerCsv, registerOnnx, writeCsv } from './eval-fixtures.js';
import { testDialect } from './db.js';
import { startTestServer, type TestServer } from './server.js';

const policy = (extra = '') => `
protect: [production]
dataset: rel-eval
label: churned
no_champion: skip
ignore_columns: [plan, region]
resamples: 100
${extra}rules:
  - min: { metric: roc_auc, value: 0.6 }
`;

describe(`release integrity of deployments (${testDialect})`, () => {
  let server: TestServer;
  let admin: SlipwayClient;
  let editor: SlipwayClient;
  const dir = mkdtempSync(join(tmpdir(), 'slipway-release-'));

  beforeAll(async () => {
    server = await startTestServer({ auth: true });
    admin = new SlipwayClient({ url: server.url, token: server.adminToken! });
    editor = new SlipwayClient({ url: server.url, token: await server.tokenFor('editor', 'eddie') });
    await registerCsv(admin, writeCsv(dir, 'eval.csv', churnRows(600) as unknown as Record<string, unknown>[]), 'rel-eval');
    await admin.createModel({ name: 'churn' });
    await registerOnnx(admin, 'churn', churnModel()); // v1: passes the gate
    await registerOnnx(admin, 'churn', churnModel(-1)); // v2: inverted scores, fails it
    await registerOnnx(admin, 'churn', churnModel()); // v3: never evaluated
    await admin.setGatePolicy('churn', policy());
    await editor.setModelAlias('churn', 'production', 1);
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses to pin a version that has not passed the gate; an admin override with a reason is audited and shown', async () => {
    await expectError(editor.createDeployment({ name: 'pinned', model: 'churn', version: 2 }), 409, 'INVALID_STATE', /churn v2 has not passed the release gate of @production/);
    await expectError(editor.createDeployment({ name: 'pinned', model: 'churn', version: 3 }), 409, 'INVALID_STATE', /v3 has not passed/);
    await expectError(editor.createDeployment({ name: 'pinned', model: 'churn', version: 2, override: { reason: 'editors cannot do this' } }), 403, 'PERMISSION_DENIED', /Only an admin/);
    await expectError(admin.createDeployment({ name: 'pinned', model: 'churn', version: 2, override: { reason: 'short' } }), 400, 'INVALID_ARGUMENT', /at least 10 characters/);
    expect((await admin.listDeployments()).deployments).toHaveLength(0);

    const ok = (await editor.createDeployment({ name: 'pinned-ok', model: 'churn', version: 1 })).deployment;
    expect(ok.release).toEqual([expect.objectContaining({ version: 1, exposure: 'full', gate: 'production', why: expect.stringMatching(/@production points at it/) })]);

    const forced = (await admin.createDeployment({ name: 'pinned', model: 'churn', version: 2, override: { reason: 'incident 42: v1 crashes on new inputs' } })).deployment;
    expect(forced.stable).toBe(2);
    expect(forced.release![0]).toMatchObject({ version: 2, override: { by: 'test-admin', reason: 'incident 42: v1 crashes on new inputs' }, why: expect.stringMatching(/overrode the gate of @production/) });
    const history = (await admin.deploymentHistory('pinned')).revisions;
    expect(history[0]!.reason).toMatch(/release gate overridden for v2: incident 42/);
    const audit = (await admin.audit({ action: 'deployment.gate_override' })).entries;
    expect(audit[0]).toMatchObject({ actor: 'test-admin', targetId: 'pinned', after: { version: 2, reason: 'incident 42: v1 crashes on new inputs' } });
  });

  it('refuses a canary, an A/B test and a promotion of a gate-failed version; shadow stays allowed; a repeated rollout is a no-op', async () => {
    await expectError(editor.setModelAlias('churn', 'production', 2), 409, 'INVALID_STATE', /release checks failed/);
    // An evaluation tailored to pass (the label read as the predictions) is not one under the policy: it opens nothing.
    const tailored = (await editor.startEvaluation({ model: 'churn', version: 2, predictionColumn: 'churned', scoreColumn: 'churned', against: null }, true)).evaluation;
    expect(tailored).toMatchObject({ status: 'completed', gatePassed: true, policyVersion: null });
    await expectError(editor.createDeployment({ name: 'tailored', model: 'churn', version: 2 }), 409, 'INVALID_STATE', /v2 has not passed/);
    await expectError(editor.setModelAlias('churn', 'production', 2), 409, 'INVALID_STATE', /release checks failed/);
    await editor.createDeployment({ name: 'follow', model: 'churn' });
    await expectError(editor.startRollout('follow', { mode: 'canary', version: 2 }), 409, 'INVALID_STATE', /may not answer canary or A\/B traffic \(policy setting canary_ungated: refuse\)/);
    await expectError(editor.startRollout('follow', { mode: 'ab', version: 2, weight: 0.5 }), 409, 'INVALID_STATE', /v2 has not passed/);

    const shadow = (await editor.startRollout('follow', { mode: 'shadow', version: 2, weight: 1 })).deployment;
    expect(shadow).toMatchObject({ stable: 1, candidate: 2, mode: 'shadow' });
    // A shadow answers nobody, not even a caller who asks for its version by number.
    const auth = { authorization: `Bearer ${await server.tokenFor('viewer')}` };
    const body = { inputs: [{ name: 'tenure', shape: [1], datatype: 'FP64', data: [3] }, { name: 'spend', shape: [1], datatype: 'FP64', data: [50] }] };
    const asked = await postJson(`${server.url}/v2/models/follow/versions/2/infer`, body, auth);
    expect(asked.status).toBe(404);
    expect(asked.body.error.message).toMatch(/does not answer with version 2; it answers with v1/);
    expect((await postJson(`${server.url}/v2/models/follow/versions/1/infer`, body, auth)).status).toBe(200);
    const again = (await editor.startRollout('follow', { mode: 'shadow', version: 2, weight: 1 })).deployment;
    expect(again.revision).toBe(shadow.revision);
    expect((await editor.deploymentHistory('follow')).revisions).toHaveLength(2);

    await expectError(editor.promoteDeployment('follow'), 409, 'INVALID_STATE', /churn v2 has not passed the release gate of @production .* may not answer all traffic/);
    const shown = (await editor.getDeployment('follow')).deployment;
    expect(shown).toMatchObject({ stable: 1, candidate: 2, mode: 'shadow', alias: 'production' });
    expect(shown.release).toEqual([expect.objectContaining({ version: 1, exposure: 'full', why: expect.stringMatching(/@production points at it/) })]);
    await editor.rollbackDeployment('follow', 'shadow seen');
  });

  it('`deploy show` says which version answers and why; `deploy create` refuses an ungated pin with the reason', async () => {
    const env = { SLIPWAY_URL: server.url, SLIPWAY_TOKEN: await server.tokenFor('editor') };
    const forced = await cli(['deploy', 'show', 'pinned'], env);
    expect(forced.out).toMatch(/Answers:\s+v2 \(stable\): release gate OVERRIDDEN by test-admin: incident 42: v1 crashes on new inputs/);
    await editor.startRollout('follow', { mode: 'shadow', version: 2, weight: 0.3 });
    const follow = await cli(['deploy', 'show', 'follow'], env);
    expect(follow.out).toMatch(/Answers:\s+v1 \(stable\): v1 passed the gate of @production: @production points at it/);
    expect(follow.out).toMatch(/Shadow:\s+v2 gets 30% of requests mirrored and answers none/);
    await editor.rollbackDeployment('follow', 'shadow seen');
    const refused = await cli(['deploy', 'create', 'pin-cli', '--model', 'churn', '--version', '2'], env);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/churn v2 has not passed the release gate of @production/);
  });

  it('lets a policy allow canaries of ungated versions, never their promotion', async () => {
    await admin.setGatePolicy('churn', policy('canary_ungated: allow\n'));
    const canary = (await editor.startRollout('follow', { mode: 'canary', version: 3, steps: [{ weight: 0.1, durationSeconds: 3600 }] })).deployment;
    expect(canary.release!.find((n) => n.version === 3)).toMatchObject({ exposure: 'partial', why: expect.stringMatching(/allows canary and A\/B exposure of ungated versions/) });
    const same = (await editor.startRollout('follow', { mode: 'canary', version: 3, steps: [{ weight: 0.1, durationSeconds: 3600 }] })).deployment;
    expect(same.revision).toBe(canary.revision);
    await expectError(editor.promoteDeployment('follow'), 409, 'INVALID_STATE', /v3 has not passed .* may not answer all traffic/);
    await editor.rollbackDeployment('follow', 'enough');
    await admin.setGatePolicy('churn', policy());
  });

  it('prints a value next to its bound with digits enough to tell them apart, and the CLI says the checks once', async () => {
    await admin.createModel({ name: 'tight' });
    await registerOnnx(admin, 'tight', churnModel());
    const measured = (await admin.startEvaluation({ model: 'tight', version: 1, dataset: 'rel-eval', label: 'churned', ignoreColumns: ['plan', 'region'], resamples: 100 }, true)).evaluation.report!.metrics.roc_auc!;
    // A bound of 4 significant digits that the measured value misses by less than the last digit shown.
    const bound = Number(measured.toPrecision(4));
    expect(bound).not.toBe(measured);
    const kind = bound > measured ? 'min' : 'max';
    await admin.setGatePolicy('tight', policy().replace(/- min: \{ metric: roc_auc, value: 0.6 \}/, `- ${kind}: { metric: roc_auc, value: ${bound} }`));
    const env = { SLIPWAY_URL: server.url, SLIPWAY_TOKEN: await server.tokenFor('editor') };
    const refused = await cli(['models', 'promote', 'tight', '1'], env);
    expect(refused.code).toBe(1);
    const shown = refused.out.match(new RegExp(`roc_auc is ([0-9.]+); it must be at ${kind === 'min' ? 'least' : 'most'} ${bound}\\.`));
    expect(shown, refused.out).not.toBeNull();
    expect(Number(shown![1])).not.toBe(bound);
    expect(Math.sign(Number(shown![1]) - bound)).toBe(Math.sign(measured - bound));
    // The table above carries the checks; the error line does not repeat them.
    expect(refused.err).toMatch(/error: Promotion of tight v1 to @production refused: 1 of 1 release checks failed \(evaluation \w+\)\. An admin may still promote it/);
    expect(refused.err).not.toMatch(/roc_auc is/);
    expect(refused.err.length).toBeLessThan(300);
  });

  it('refuses to restore a revision whose version has not passed, and the controller says truthfully why it heals', async () => {
    // The canary of v3 was allowed by the policy of its day; under today's policy it may not come back.
    const canaryRevision = (await editor.deploymentHistory('follow')).revisions.find((r) => r.action === 'canary')!;
    await expectError(editor.restoreDeployment('follow', canaryRevision.revision), 409, 'INVALID_STATE', /v3 has not passed .* canary_ungated: refuse/);

    // An admin moves the alias-following deployment off its alias; the controller heals back without claiming the alias moved.
    await admin.startRollout('follow', { mode: 'shadow', version: 2, weight: 1 });
    const forced = (await admin.promoteDeployment('follow', 'hotfix', { reason: 'incident 43: need v2 behaviour now' })).deployment;
    expect(forced).toMatchObject({ stable: 2, alias: 'production' });
    let healed = forced;
    for (let i = 0; i < 100 && healed.candidate === null; i++) {
      await new Promise((r) => setTimeout(r, 50));
      healed = (await admin.getDeployment('follow')).deployment;
    }
    expect(healed).toMatchObject({ candidate: 1, mode: 'canary' });
    expect(healed.lastReason).toBe('@production points at v1 while v2 answers: canary toward v1');
    expect(healed.lastReason).not.toMatch(/moved/);
  });
});
