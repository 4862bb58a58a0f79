import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli/program.js';
import { formatMetric, shortTime, table } from '../src/cli/output.js';
import { SlipwayApiError, SlipwayClient, type Experiment, type Run } from '../src/client/index.js';
import { VERSION } from '../src/version.js';
import { startTestServer, type TestServer } from './server.js';

const ROOT = join(import.meta.dirname, '..');

interface Result {
  code: number;
  out: string;
  err: string;
}

/** Runs the CLI in-process with its own streams and environment (nothing from the real one leaks in). */
async function cli(args: string[], env: Record<string, string | undefined> = {}, tty?: { input: string }): Promise<Result> {
  let out = '';
  let err = '';
  const stdout = new Writable({ write: (chunk, _enc, cb) => ((out += String(chunk)), cb()) });
  // With `tty`, stdin and stderr act as a terminal: gc asks, progress bars draw.
  const stderr = Object.assign(new Writable({ write: (chunk, _enc, cb) => ((err += String(chunk)), cb()) }), tty ? { isTTY: true, columns: 100 } : {});
  const stdin = Object.assign(Readable.from(tty ? [tty.input] : []), { isTTY: tty !== undefined });
  const code = await runCli(args, { stdout, stderr, stdin, env });
  return { code, out, err };
}

/** Runs the real entry point in a child process. */
function spawnCli(args: string[], env: Record<string, string> = {}) {
  return spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

async function runChild(args: string[], env: Record<string, string> = {}): Promise<Result> {
  const child = spawnCli(args, env);
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += String(d)));
  child.stderr.on('data', (d) => (err += String(d)));
  const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? -1)));
  return { code, out, err };
}

/** A port nothing listens on. */
async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as AddressInfo;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

const json = <T>(r: Result): T => {
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.out) as T;
};

describe('output helpers', () => {
  it('aligns tables, shortens times and rounds metrics', () => {
    expect(table(['ID', 'NAME'], [['1', 'churn'], ['12', 'x']], { right: [0] })).toBe('ID  NAME\n 1  churn\n12  x');
    expect(shortTime('2024-05-01T12:34:56.789Z')).toBe('2024-05-01 12:34:56');
    expect(shortTime(null)).toBe('-');
    expect(formatMetric(0.912345678)).toBe('0.912346');
    expect(formatMetric(12)).toBe('12');
    expect(formatMetric(1234567.891)).toBe('1234570');
    expect(formatMetric(1.5e-9)).toBe('1.5e-9');
    expect(formatMetric('NaN')).toBe('NaN');
  });
});

describe('slipway CLI against a server without auth', () => {
  let server: TestServer;
  let client: SlipwayClient;
  let env: Record<string, string>;
  let churn: Experiment;
  let fraud: Experiment;
  let r1: Run;
  let r2: Run;
  let r3: Run;

  beforeAll(async () => {
    server = await startTestServer();
    client = new SlipwayClient({ url: server.url });
    env = { SLIPWAY_URL: server.url };
    churn = (await client.createExperiment({ name: 'churn', tags: { team: 'risk' } })).experiment;
    fraud = (await client.createExperiment({ name: 'fraud-detect', tags: { team: 'ml' } })).experiment;
    await client.createExperiment({ name: 'other' });
    r1 = (await client.createRun({ experimentId: churn.id, name: 'xgb-1' })).run;
    r2 = (await client.createRun({ experimentId: churn.id, name: 'lr-1' })).run;
    r3 = (await client.createRun({ experimentId: churn.id, name: 'rf-1' })).run;
    await client.log(r1.id, { metrics: [{ key: 'auc', value: 0.912345678, step: 3 }, { key: 'loss', value: 0.25 }], params: { model: 'xgb', lr: '0.1' }, tags: { owner: 'ana' } });
    await client.log(r2.id, { metrics: [{ key: 'auc', value: 0.85 }], params: { model: 'lr' } });
    await client.log(r3.id, { metrics: [{ key: 'auc', value: 0.95 }], params: { model: 'rf' } });
    await client.logInputs(r1.id, { datasets: [{ name: 'train-2024', digest: 'abc123', sourceType: 'local', source: '/data/train.csv', tags: { 'mlflow.data.context': 'training' } }] });
    await client.updateRun(r1.id, { status: 'FINISHED' });
  });
  afterAll(async () => server?.close());

  it('prints the version and help with examples', async () => {
    const v = await cli(['--version']);
    expect(v).toEqual({ code: 0, out: `${VERSION}\n`, err: '' });
    for (const cmd of [['runs', 'list'], ['runs', 'show'], ['experiments', 'list'], ['experiments', 'show'], ['tokens', 'create'], ['tokens', 'list'], ['tokens', 'revoke'], ['audit'], ['gc'], ['server']]) {
      const help = await cli([...cmd, '--help']);
      expect(help.code).toBe(0);
      expect(help.out).toContain('Examples:');
      expect(help.out).toContain(`$ slipway ${cmd.join(' ')}`);
    }
  });

  it('reports usage errors and an unreachable server with exit code 1', async () => {
    const missing = await cli(['runs', 'list'], env);
    expect(missing.code).toBe(1);
    expect(missing.err).toContain("required option '--experiment <id>'");

    const closed = await freePort();
    const down = await cli(['experiments', 'show', '0'], { SLIPWAY_URL: `http://127.0.0.1:${closed}` });
    expect(down.code).toBe(1);
    expect(down.out).toBe('');
    expect(down.err).toMatch(new RegExp(`^error: Cannot reach Slipway at http://127\\.0\\.0\\.1:${closed} \\(ECONNREFUSED\\)`));
    expect(down.err).toContain('slipway server');
  });

  it('experiments show: by id or by name, JSON or human', async () => {
    const byId = json<{ experiment: Experiment }>(await cli(['experiments', 'show', churn.id, '--json'], env));
    expect(byId).toEqual({ experiment: churn });
    const byName = json<{ experiment: Experiment }>(await cli(['experiments', 'show', 'fraud-detect', '--json'], env));
    expect(byName.experiment.id).toBe(fraud.id);

    const human = await cli(['experiments', 'show', 'churn'], env);
    expect(human.code).toBe(0);
    expect(human.out).toMatch(new RegExp(`^ID: +${churn.id}$`, 'm'));
    expect(human.out).toMatch(/^Name: +churn$/m);
    expect(human.out).toMatch(/^Created: +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/m);
    expect(human.out).toMatch(/^Tags:\n {2}KEY +VALUE\n {2}team +risk$/m);

    const missing = await cli(['experiments', 'show', 'no-such-experiment'], env);
    expect(missing.code).toBe(1);
    expect(missing.out).toBe('');
    expect(missing.err).toMatch(/^error: .*\[NOT_FOUND\]\n$/);
  });

  it('experiments list: filter with OR, order, JSON and table', async () => {
    const page = json<{ experiments: Experiment[]; nextPageToken: string | null }>(
      await cli(['experiments', 'list', '--filter', "name LIKE 'churn%' OR tags.team = 'ml'", '--order-by', 'name ASC', '--json'], env),
    );
    expect(page.experiments.map((e) => e.name)).toEqual(['churn', 'fraud-detect']);

    const human = await cli(['experiments', 'list', '--order-by', 'name ASC'], env);
    expect(human.code).toBe(0);
    const lines = human.out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID +NAME +STAGE +CREATED +UPDATED +TAGS$/);
    expect(lines.slice(1).map((l) => l.trim().split(/\s+/)[1]).sort()).toEqual(['Default', 'churn', 'fraud-detect', 'other']);
    expect(human.out).toMatch(/team=risk/);
    // Columns line up: every row has NAME where the header has it.
    const nameAt = lines[0]!.indexOf('NAME');
    for (const line of lines.slice(1)) expect(line[nameAt - 1]).toBe(' ');
  });

  it('runs list: filter with OR and parentheses, JSON and table, --all across pages', async () => {
    const filter = "params.model = 'xgb' OR (metrics.auc > 0.9 AND params.model != 'lr')";
    const page = json<{ runs: Run[] }>(await cli(['runs', 'list', '--experiment', churn.id, '--filter', filter, '--order-by', 'metrics.auc DESC', '--json'], env));
    expect(page.runs.map((r) => r.id)).toEqual([r3.id, r1.id]);

    const byName = json<{ runs: Run[] }>(await cli(['runs', 'list', '--experiment', 'churn', '--experiment', fraud.id, '--json'], env));
    expect(byName.runs.map((r) => r.id).sort()).toEqual([r1.id, r2.id, r3.id].sort());

    const human = await cli(['runs', 'list', '--experiment', churn.id, '--filter', filter, '--order-by', 'metrics.auc DESC'], env);
    expect(human.code).toBe(0);
    const lines = human.out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^RUN ID +NAME +EXP +STATUS +STARTED +DURATION +METRICS$/);
    expect(lines[1]).toMatch(new RegExp(`^${r3.id} +rf-1 +${churn.id} +RUNNING +\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d +- +auc=0\\.95$`));
    expect(lines[2]).toMatch(new RegExp(`^${r1.id} +xgb-1 +${churn.id} +FINISHED .* auc=0\\.912346, loss=0\\.25$`));
    expect(lines).toHaveLength(3);

    const all = json<{ runs: Run[]; nextPageToken: string | null }>(await cli(['runs', 'list', '--experiment', churn.id, '--max-results', '1', '--all', '--json'], env));
    expect(all.runs).toHaveLength(3);
    expect(all.nextPageToken).toBeNull();
    const one = json<{ runs: Run[]; nextPageToken: string | null }>(await cli(['runs', 'list', '--experiment', churn.id, '--max-results', '1', '--json'], env));
    expect(one.runs).toHaveLength(1);
    expect(one.nextPageToken).toEqual(expect.any(String));
  });

  it('runs list: a bad filter prints the server message as is', async () => {
    const bad = await cli(['runs', 'list', '--experiment', churn.id, '--filter', "metrics.auc >> 1 OR"], env);
    expect(bad.code).toBe(1);
    expect(bad.out).toBe('');
    let message = '';
    await client.searchRuns({ experimentIds: [churn.id], filter: 'metrics.auc >> 1 OR' }).catch((e: SlipwayApiError) => (message = e.message));
    expect(message).not.toBe('');
    expect(bad.err).toBe(`error: ${message} [INVALID_ARGUMENT]\n`);
  });

  it('runs show: info, params, latest metrics, tags and datasets', async () => {
    const shown = json<{ run: Run }>(await cli(['runs', 'show', r1.id, '--json'], env));
    expect(shown.run.id).toBe(r1.id);
    expect(shown.run.params).toEqual({ model: 'xgb', lr: '0.1' });
    expect(shown.run).toEqual((await client.getRun(r1.id)).run);

    const human = await cli(['runs', 'show', r1.id], env);
    expect(human.code).toBe(0);
    expect(human.out).toMatch(new RegExp(`^Run: +${r1.id}$`, 'm'));
    expect(human.out).toMatch(/^Status: +FINISHED$/m);
    expect(human.out).toMatch(/^Params:\n {2}KEY +VALUE\n {2}lr +0\.1\n {2}model +xgb$/m);
    expect(human.out).toMatch(/^ {2}auc +0\.912346 +3 +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/m);
    expect(human.out).toMatch(/^ {2}owner +ana$/m);
    expect(human.out).toMatch(/^ {2}train-2024 +abc123 +local +\/data\/train\.csv +mlflow\.data\.context=training$/m);

    const missing = await cli(['runs', 'show', '0'.repeat(32)], env);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/\[NOT_FOUND\]/);
  });

  it('audit: filters, JSON and table', async () => {
    await client.deleteRun(r2.id);
    await client.restoreRun(r2.id);
    const entries = json<{ entries: { action: string; targetId: string; actor: string }[] }>(
      await cli(['audit', '--action', 'run.delete', '--target-type', 'run', '--json'], env),
    );
    expect(entries.entries).toEqual([expect.objectContaining({ action: 'run.delete', targetId: r2.id, actor: 'local' })]);

    const human = await cli(['audit', '--target-id', r2.id, '--since', '2000-01-01', '--limit', '2'], env);
    expect(human.code).toBe(0);
    const lines = human.out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ *ID +AT +ACTOR +ACTION +TARGET$/);
    expect(lines[1]).toMatch(new RegExp(`\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d +local +run\\.restore +run ${r2.id}$`));
    expect(lines[2]).toMatch(/ run\.delete /);
    expect(lines[3]).toMatch(/^\(older entries: --before-id \d+\)$/);

    const none = await cli(['audit', '--action', 'nothing.like.this'], env);
    expect(none).toEqual({ code: 0, out: 'No audit entries match.\n', err: '' });
  });

  it('gc: dry run, refuses without --yes off a terminal, then removes deleted runs and experiments', async () => {
    const doomed = (await client.createRun({ experimentId: churn.id, name: 'doomed' })).run;
    await client.deleteRun(doomed.id);
    const gone = (await client.createExperiment({ name: 'gone' })).experiment;
    const inGone = (await client.createRun({ experimentId: gone.id })).run;
    await client.deleteExperiment(gone.id);

    const plan = json<{ runs: string[]; experiments: string[] }>(await cli(['gc', '--dry-run', '--json'], env));
    expect(plan.runs.sort()).toEqual([doomed.id, inGone.id].sort());
    expect(plan.experiments).toEqual([gone.id]);
    const dry = await cli(['gc', '--dry-run'], env);
    expect(dry.out).toContain('Would remove 2 runs, 1 experiment, 0 logged models:');
    expect(dry.out).toContain(`    ${doomed.id}`);

    const refused = await cli(['gc'], env);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('pass --yes');
    expect((await client.getRun(doomed.id)).run.lifecycleStage).toBe('deleted');

    const older = await cli(['gc', '--older-than-days', '30', '--yes'], env);
    expect(older).toEqual({ code: 0, out: 'Nothing to remove.\n', err: '' });

    const done = await cli(['gc', '--yes'], env);
    expect(done.err).toBe('');
    expect(done.code).toBe(0);
    expect(done.out).toContain('Removed 2 runs, 1 experiment, 0 logged models.');
    for (const id of [doomed.id, inGone.id]) await expect(client.getRun(id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(client.getExperiment(gone.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await client.getRun(r1.id)).run.id).toBe(r1.id);

    const purged = json<{ entries: { targetId: string }[] }>(await cli(['audit', '--action', 'run.purge', '--json'], env));
    expect(purged.entries.map((e) => e.targetId).sort()).toEqual([doomed.id, inGone.id].sort());
    expect(await cli(['gc', '--yes'], env)).toEqual({ code: 0, out: 'Nothing to remove.\n', err: '' });
  });

  it('gc --run only removes the runs named, in --json', async () => {
    const a = (await client.createRun({ experimentId: churn.id })).run;
    const b = (await client.createRun({ experimentId: churn.id })).run;
    await client.deleteRun(a.id);
    await client.deleteRun(b.id);
    const result = json<{ runs: string[]; experiments: string[] }>(await cli(['gc', '--run', a.id, '--yes', '--json'], env));
    expect(result).toMatchObject({ runs: [a.id], experiments: [] });
    await expect(client.getRun(a.id)).rejects.toBeInstanceOf(SlipwayApiError);
    expect((await client.getRun(b.id)).run.lifecycleStage).toBe('deleted');
  });

  it('gc at a terminal: asks first, and draws progress on stderr', async () => {
    const a = (await client.createRun({ experimentId: fraud.id })).run;
    await client.deleteRun(a.id);
    const no = await cli(['gc', '--run', a.id], env, { input: 'n\n' });
    expect(no.code).toBe(1);
    expect(no.err).toContain('This removes 1 run, 0 experiments, 0 logged models for good');
    expect(no.err).toContain('Proceed? [y/N]');
    expect(no.err).toContain('error: Aborted; nothing was removed.');
    expect((await client.getRun(a.id)).run.lifecycleStage).toBe('deleted');

    const yes = await cli(['gc', '--run', a.id], env, { input: 'y\n' });
    expect(yes.code).toBe(0);
    expect(yes.err).toContain('Removing');
    expect(yes.err).toContain('1/1 runs and experiments');
    expect(yes.out).toBe('Removed 1 run, 0 experiments, 0 logged models.\n');
    await expect(client.getRun(a.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('slipway CLI against a server with auth', () => {
  let server: TestServer;
  let admin: string;
  let viewer: string;

  beforeAll(async () => {
    server = await startTestServer({ auth: true });
    admin = server.adminToken!;
    viewer = await server.tokenFor('viewer', 'watcher');
  });
  afterAll(async () => server?.close());

  it('needs a token, from --token, SLIPWAY_TOKEN or MLFLOW_TRACKING_TOKEN', async () => {
    const none = await cli(['experiments', 'show', '0'], { SLIPWAY_URL: server.url });
    expect(none.code).toBe(1);
    expect(none.err).toMatch(/^error: Authentication required.*\[UNAUTHENTICATED\]$/m);

    const cases: [string[], Record<string, string>][] = [
      [[], { SLIPWAY_TOKEN: viewer }],
      [[], { MLFLOW_TRACKING_TOKEN: viewer }],
      [['--token', viewer], { SLIPWAY_TOKEN: 'wrong', MLFLOW_TRACKING_TOKEN: 'wrong' }],
    ];
    for (const [flags, env] of cases) {
      const r = json<{ experiment: Experiment }>(await cli(['experiments', 'show', '0', '--json', ...flags], { SLIPWAY_URL: server.url, ...env }));
      expect(r.experiment.name).toBe('Default');
    }
  });

  it('tokens create, list and revoke', async () => {
    const env = { SLIPWAY_URL: server.url, SLIPWAY_TOKEN: admin };
    const created = json<{ token: string; info: { name: string; role: string; expiresAt: string | null } }>(
      await cli(['tokens', 'create', '--name', 'ci', '--role', 'editor', '--expires-at', '2099-01-01', '--json'], env),
    );
    expect(created.token).toMatch(/^slw_/);
    expect(created.info).toMatchObject({ name: 'ci', role: 'editor', expiresAt: '2099-01-01T00:00:00.000Z' });

    const human = await cli(['tokens', 'create', '--name', 'dash', '--role', 'viewer'], env);
    expect(human.code).toBe(0);
    expect(human.out).toMatch(/^Created viewer token "dash" \(id [0-9a-f-]+\)\.$/m);
    expect(human.out).toMatch(/^ {4}slw_\S+$/m);
    expect(human.out).toContain('shown only this once');
    const dashSecret = /^ {4}(slw_\S+)$/m.exec(human.out)![1]!;
    expect(json<{ experiment: Experiment }>(await cli(['experiments', 'show', '0', '--json'], { SLIPWAY_URL: server.url, SLIPWAY_TOKEN: dashSecret })).experiment.id).toBe('0');

    const listed = json<{ tokens: { name: string }[] }>(await cli(['tokens', 'list', '--json'], env));
    expect(listed.tokens.map((t) => t.name).sort()).toEqual(['ci', 'dash', 'test-admin', 'watcher']);
    const table = await cli(['tokens', 'list'], env);
    expect(table.out).toMatch(/^ID +NAME +ROLE +PREFIX +STATUS +CREATED +BY +LAST USED +EXPIRES$/m);
    expect(table.out).toMatch(/ ci +editor +slw_\S+ +active +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d +test-admin +- +2099-01-01 00:00:00$/m);

    const revoked = await cli(['tokens', 'revoke', 'dash'], env);
    expect(revoked.code).toBe(0);
    expect(revoked.out).toMatch(/^Revoked token "dash"\.$/m);
    const after = json<{ tokens: { name: string }[] }>(await cli(['tokens', 'list', '--json'], env));
    expect(after.tokens.map((t) => t.name)).not.toContain('dash');
    const withAll = await cli(['tokens', 'list', '--all'], env);
    expect(withAll.out).toMatch(/ dash +viewer +\S+ +revoked /);
    const rejected = await cli(['experiments', 'show', '0'], { SLIPWAY_URL: server.url, SLIPWAY_TOKEN: dashSecret });
    expect(rejected.code).toBe(1);
    expect(rejected.err).toContain('[UNAUTHENTICATED]');

    const audit = json<{ entries: { action: string; actor: string }[] }>(await cli(['audit', '--target-type', 'token', '--json'], env));
    expect(audit.entries.map((e) => `${e.actor} ${e.action}`)).toEqual(expect.arrayContaining(['test-admin token.create', 'test-admin token.revoke']));
  });

  it('a viewer token cannot create tokens', async () => {
    const r = await cli(['tokens', 'create', '--name', 'sneaky', '--role', 'admin', '--token', viewer], { SLIPWAY_URL: server.url });
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toBe('error: This needs the admin role; token "watcher" has viewer. [PERMISSION_DENIED]\n');
    const gc = await cli(['gc', '--dry-run'], { SLIPWAY_URL: server.url, SLIPWAY_TOKEN: viewer });
    expect(gc.code).toBe(1);
    expect(gc.err).toContain('[PERMISSION_DENIED]');
  });

  it('rejects an invalid role before calling the server', async () => {
    const r = await cli(['tokens', 'create', '--name', 'x', '--role', 'root'], { SLIPWAY_URL: server.url, SLIPWAY_TOKEN: admin });
    expect(r.code).toBe(1);
    expect(r.err).toContain("argument 'root' is invalid");
  });
});

describe('slipway as a process', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => server?.close());

  it('prints the version and talks to a server', async () => {
    expect(await runChild(['--version'])).toEqual({ code: 0, out: `${VERSION}\n`, err: '' });
    const shown = await runChild(['experiments', 'show', '0', '--json', '--url', server.url]);
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.out)).toMatchObject({ experiment: { id: '0', name: 'Default' } });
    const missing = await runChild(['runs', 'show', 'f'.repeat(32)], { SLIPWAY_URL: server.url });
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/^error: .*\[NOT_FOUND\]\n$/);
  });

  it('server: refuses a public address without auth, with no stack trace', async () => {
    const home = mkdtempSync(join(tmpdir(), 'slipway-cli-'));
    try {
      const r = await runChild(['server', '--host', '0.0.0.0', '--port', '0', '--home', home]);
      expect(r.code).toBe(1);
      expect(r.out).toBe('');
      expect(r.err).toMatch(/^error: Refusing to listen on 0\.0\.0\.0 without auth/);
      expect(r.err).not.toMatch(/\n\s+at /);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('server: starts, prints where it is and the bootstrap token once, and stops on SIGTERM', async () => {
    const home = mkdtempSync(join(tmpdir(), 'slipway-cli-'));
    try {
      const child = spawnCli(['server', '--port', '0', '--home', home, '--auth', '--log-level', 'silent'], { SLIPWAY_HOST: '127.0.0.1' });
      let out = '';
      child.stdout.on('data', (d) => (out += String(d)));
      let err = '';
      child.stderr.on('data', (d) => (err += String(d)));
      const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
      await expect.poll(() => out, { timeout: 30_000, interval: 100 }).toMatch(/shown only now[\s\S]*export SLIPWAY_TOKEN/);

      const line = out.split('\n')[0]!;
      const url = /listening on (http:\/\/127\.0\.0\.1:\d+) /.exec(line)?.[1];
      expect(url).toBeDefined();
      expect(line).toContain(`store sqlite:${join(home, 'slipway.db')}`);
      expect(line).toContain(`artifacts ${join(home, 'artifacts')}`);
      expect(line).toContain('auth on');
      expect(line).toContain(`export MLFLOW_TRACKING_URI=${url}`);
      const token = /^ {4}(slw_\S+)$/m.exec(out)?.[1];
      expect(token).toBeDefined();
      expect(out.split(token!)).toHaveLength(2);

      const shown = await cli(['experiments', 'show', '0', '--json'], { SLIPWAY_URL: url, SLIPWAY_TOKEN: token });
      expect(shown.code).toBe(0);

      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(err).toContain('shutting down');
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
