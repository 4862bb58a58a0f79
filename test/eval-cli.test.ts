import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlipwayClient } from '../src/client/index.js';
import { logisticRegression } from '../src/runtimes/onnx/builder.js';
import { cli } from './cli-run.js';
import { testDialect } from './db.js';
import { churnModel, churnRows, registerCsv, registerOnnx, writeCsv } from './eval-fixtures.js';
import { startTestServer, type TestServer } from './server.js';

const policy = (extra = '') => `protect: [production]
dataset: churn-eval
label: churned
ignore_columns: [plan]
slices: { columns: [region] }
resamples: 200
no_champion: skip
${extra}rules:
  - min: { metric: roc_auc, value: 0.6 }
  - no_regression: { metric: roc_auc, margin: 0.005, slices: true, min_support: 50 }
`;

describe(`slipway eval and gated promotion with sign-off (${testDialect})`, () => {
  let server: TestServer;
  let admin: SlipwayClient;
  const dir = mkdtempSync(join(tmpdir(), 'slipway-evalcli-'));
  const env: Record<string, string> = {};
  let editor: Record<string, string>;
  let reviewer: Record<string, string>;
  let adminEnv: Record<string, string>;

  beforeAll(async () => {
    server = await startTestServer({ auth: true });
    admin = new SlipwayClient({ url: server.url, token: server.adminToken! });
    env.SLIPWAY_URL = server.url;
    editor = { ...env, SLIPWAY_TOKEN: await server.tokenFor('editor', 'erin') };
    reviewer = { ...env, SLIPWAY_TOKEN: await server.tokenFor('reviewer', 'rita') };
    adminEnv = { ...env, SLIPWAY_TOKEN: server.adminToken! };
    await registerCsv(admin, writeCsv(dir, 'eval.csv', churnRows(2000) as unknown as Record<string, unknown>[]), 'churn-eval');
    await admin.createModel({ name: 'churn' });
    await registerOnnx(admin, 'churn', churnModel());
    await registerOnnx(admin, 'churn', logisticRegression({ featureNames: ['tenure', 'spend'], classes: [0, 1], coefficients: [-0.08, 0], intercepts: [0.5] }));
    await registerOnnx(admin, 'churn', churnModel());
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('checks policy files locally, naming the line of a mistake', async () => {
    const good = join(dir, 'gate.yaml');
    writeFileSync(good, policy());
    expect((await cli(['eval', 'policy', 'check', good], {})).out).toContain('valid; 2 rules, protects production');
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, policy().replace('min_support: 50', 'min_suport: 50'));
    const r = await cli(['eval', 'policy', 'check', bad], {});
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/bad\.yaml line 10: rule `no_regression` has no setting `min_suport`/);
  });

  it('runs an evaluation with a progress-bar-free log, exits 3 when the gate fails, and shows the scorecard', async () => {
    const file = join(dir, 'gate.yaml');
    writeFileSync(file, policy());
    expect((await cli(['eval', 'policy', 'set', 'churn', file], editor)).out).toContain('Stored gate policy v1 of churn');
    expect((await cli(['eval', 'policy', 'show', 'churn'], editor)).out).toContain('no_regression');

    const first = await cli(['eval', 'run', '--model', 'churn', '--version', '1'], editor);
    expect(first.code).toBe(0);
    expect(first.out).toMatch(/Release checks \(PASSED\)/);
    expect(first.out).toContain('points to no version yet');

    await cli(['models', 'promote', 'churn', '1', '--override', '--reason', 'first release of the churn model'], adminEnv);
    const bad = await cli(['eval', 'run', '--model', 'churn', '--version', '2'], editor);
    expect(bad.code).toBe(3);
    expect(bad.out).toMatch(/Against @production v1/);
    expect(bad.out).toMatch(/roc_auc .* worse/);
    expect(bad.out).toMatch(/FAIL\s+no regression of roc_auc/);
    expect(bad.err).toContain('the release gate failed');

    const list = await cli(['eval', 'list', '--model', 'churn', '--json'], editor);
    const evaluations = JSON.parse(list.out).evaluations as { id: string; version: number; gatePassed: boolean }[];
    const failed = evaluations.find((e) => e.version === 2)!;
    expect(failed.gatePassed).toBe(false);
    const md = join(dir, 'scorecard.md');
    await cli(['eval', 'show', failed.id, '--format', 'md', '-o', md], editor);
    expect(readFileSync(md, 'utf8')).toMatch(/Do not promote/);
    const html = await cli(['eval', 'show', failed.id, '--format', 'html'], editor);
    expect(html.out).toMatch(/^<!doctype html>/i);

    const refused = await cli(['models', 'promote', 'churn', '2'], editor);
    expect(refused.code).toBe(1);
    expect(refused.out).toMatch(/Release checks \(FAILED\)/);
    expect(refused.err).toMatch(/refused/);

    const cmp = await cli(['eval', 'compare', 'churn', '1', '3', '--dataset', 'churn-eval', '--label', 'churned', '--ignore-columns', 'plan,region'], editor);
    expect(cmp.code).toBe(0);
    expect(cmp.out).toMatch(/roc_auc\s+\S+\s+\S+\s+0\s/); // identical weights: zero difference
  });

  it('needs a second person with the reviewer role to sign off when the policy says so', async () => {
    const file = join(dir, 'signoff.yaml');
    writeFileSync(file, policy('signoff: true\n'));
    // Once a model is protected, only an admin changes its policy.
    expect((await cli(['eval', 'policy', 'set', 'churn', file], editor)).err).toMatch(/only an admin may change it/);
    await cli(['eval', 'policy', 'set', 'churn', file], adminEnv);
    const blocked = await cli(['models', 'promote', 'churn', '3'], editor);
    expect(blocked.err).toMatch(/needs a sign-off: a reviewer other than erin must approve evaluation ([0-9a-f]{32})/);
    const id = /evaluation ([0-9a-f]{32})/.exec(blocked.err)![1]!;

    expect((await cli(['eval', 'approve', id, '--note', 'ok'], editor)).err).toMatch(/needs the reviewer role|PERMISSION_DENIED/);
    expect((await cli(['eval', 'approve', id, '--note', 'looked at the EU slice'], reviewer)).out).toContain(`Approved evaluation ${id}`);
    const promoted = await cli(['models', 'promote', 'churn', '3'], editor);
    expect(promoted.out).toContain('churn@production: v1 → v3');

    // An editor cannot override; the override of an admin is audited with its reason.
    const denied = await cli(['models', 'promote', 'churn', '2', '--override', '--reason', 'testing overrides here'], editor);
    expect(denied.err).toMatch(/Only an admin can override/);
    const audit = await admin.audit({ action: 'evaluation.approve' });
    expect(audit.entries[0]).toMatchObject({ actor: 'rita', targetId: id });
  });
});
