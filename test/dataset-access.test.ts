import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlipwayApiError, SlipwayClient } from '../src/client/index.js';
import { profileFile } from '../src/tracking/datasets/profile.js';
import { cli } from './cli-run.js';
import { testDialect } from './db.js';
import { churnModel, churnRows, postJson as post, registerOnnx, writeCsv } from './eval-fixtures.js';
import { startTestServer, type TestServer } from './server.js';

const url = (path: string) => pathToFileURL(path).href;
const passwdDigest = createHash('sha256').update(readFileSync('/etc/passwd')).digest('hex');

/** The body of a dataset registration for `source`, described as `profiled` (what a client measured). */
function registration(name: string, source: string, profiled: Awaited<ReturnType<typeof profileFile>>) {
  return {
    name,
    digest: profiled.digest,
    source,
    sourceType: 'local',
    format: profiled.format,
    sizeBytes: profiled.sizeBytes,
    rowCount: profiled.rowCount,
    schema: profiled.schema,
    profile: profiled.profile as unknown as Record<string, unknown>[],
  };
}

async function apiError(p: Promise<unknown>): Promise<SlipwayApiError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(SlipwayApiError);
  return e as SlipwayApiError;
}

describe(`what a dataset source makes the server read (${testDialect})`, () => {
  let server: TestServer;
  let client: SlipwayClient;
  const dir = mkdtempSync(join(tmpdir(), 'slipway-dsa-'));
  const root = join(dir, 'root');
  const elsewhere = join(dir, 'elsewhere');
  let good: Awaited<ReturnType<typeof profileFile>>;
  const goodFile = join(root, 'eval.csv');

  beforeAll(async () => {
    mkdirSync(root);
    mkdirSync(elsewhere);
    writeCsv(root, 'eval.csv', churnRows(400) as unknown as Record<string, unknown>[]);
    good = await profileFile(goodFile);
    server = await startTestServer({ trust: { dataRoots: [root], maxDatasetBytes: 64 * 1024 } });
    client = new SlipwayClient({ url: server.url });
    await client.createModel({ name: 'churn' });
    await registerOnnx(client, 'churn', churnModel());
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses to register files outside the data roots, missing or not, with one message that reveals nothing of them', async () => {
    writeFileSync(join(elsewhere, 'secret.csv'), 'token\nhunter2\n');
    symlinkSync(join(elsewhere, 'secret.csv'), join(root, 'link.csv'));
    const messages = new Set<string>();
    for (const path of ['/etc/passwd', '/dev/zero', '/no/such/file.csv', join(elsewhere, 'secret.csv'), join(elsewhere, 'missing.csv'), join(root, 'link.csv')]) {
      const e = await apiError(client.registerDataset(registration('outside', url(path), good)));
      expect([e.status, e.code]).toEqual([403, 'PERMISSION_DENIED']);
      expect(e.message).toMatch(/--data-roots.*SLIPWAY_DATA_ROOTS/);
      expect(e.message).not.toMatch(/hunter2|root:x|\d{2,}:\d+/);
      messages.add(e.message.replace(url(path), 'SOURCE'));
    }
    expect(messages.size).toBe(1);
    expect(await client.datasetVersions('outside').catch((e: SlipwayApiError) => e.status)).toBe(404);
  });

  it('refuses files over the size limit and files that are not regular files', async () => {
    writeFileSync(join(root, 'big.csv'), 'a\n' + '1\n'.repeat(40_000));
    const big = await apiError(client.registerDataset(registration('big', url(join(root, 'big.csv')), good)));
    expect([big.status, big.message]).toEqual([400, expect.stringMatching(/0\.076 MB; datasets may be at most 0\.063 MB.*--max-dataset-mb/)]);
    mkdirSync(join(root, 'folder.csv'));
    const folder = await apiError(client.registerDataset(registration('folder', url(join(root, 'folder.csv')), good)));
    expect([folder.status, folder.message]).toEqual([400, expect.stringMatching(/not a regular file/)]);
  });

  it('checks the source again at every read: a registered file swapped for a symlink out of the roots, or to /dev/zero, is refused quickly', async () => {
    const inRoot = join(root, 'swap.csv');
    writeFileSync(inRoot, readFileSync(goodFile));
    await client.registerDataset(registration('swap', url(inRoot), good));
    for (const target of ['/etc/passwd', '/dev/zero']) {
      unlinkSync(inRoot);
      symlinkSync(target, inRoot);
      const started = Date.now();
      const e = await apiError(client.startEvaluation({ model: 'churn', version: 1, dataset: 'swap', label: 'churned', ignoreColumns: ['plan', 'region'] }, true));
      expect(Date.now() - started).toBeLessThan(5000);
      expect([e.status, e.code]).toEqual([403, 'PERMISSION_DENIED']);
      expect(e.message).not.toContain(passwdDigest.slice(0, 8));
      expect(e.message).not.toMatch(/root:x/);
    }
    expect(await fetch(`${server.url}/health`).then((r) => r.status)).toBe(200);
  });

  it('reads monitoring references through the same check', async () => {
    await client.setModelAlias('churn', 'production', 1);
    await client.createDeployment({ name: 'churn', model: 'churn' });
    const created = await post(`${server.url}/api/v1/monitors`, { name: 'watch', deployment: 'churn', window: '3s', step: '3s', reference: { dataset: 'swap' } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const run = await post(`${server.url}/api/v1/monitors/watch/run`, { at: 'now' });
    expect(run.status).toBe(200);
    expect(run.body.results[0].status).toBe('failed');
    expect(run.body.results[0].error).toMatch(/not a file this server may read/);
  });

  it('names where a CSV file inside a root is broken without quoting its cells', async () => {
    const broken = join(root, 'broken.csv');
    writeFileSync(broken, readFileSync(goodFile));
    await client.registerDataset(registration('broken', url(broken), good));
    writeFileSync(broken, 'tenure,spend,plan,region,churned\n1,2,basic,EU,0\n3,4,a"SECRETCELL,US,1\n');
    const e = await apiError(client.startEvaluation({ model: 'churn', version: 1, dataset: 'broken', label: 'churned' }, true));
    expect(e.status).toBe(400);
    expect(e.message).toMatch(/line 3/);
    expect(e.message).not.toContain('SECRETCELL');
  });

  it('`slipway datasets register` uploads the file, so evaluating it needs no data root', async () => {
    const local = writeCsv(elsewhere, 'upload.csv', churnRows(300, 5) as unknown as Record<string, unknown>[]);
    const registered = await cli(['datasets', 'register', local, '--name', 'uploaded', '--json'], { SLIPWAY_URL: server.url });
    expect(registered.code, registered.err).toBe(0);
    const { version } = JSON.parse(registered.out);
    expect(version.source).toMatch(/^mlflow-artifacts:\/datasets\/[0-9a-f]{64}$/);
    rmSync(local);
    const { evaluation } = await client.startEvaluation({ model: 'churn', version: 1, dataset: 'uploaded', label: 'churned', ignoreColumns: ['plan', 'region'] }, true);
    expect(evaluation.status).toBe('completed');
    expect(evaluation.report!.dataset.rows).toBe(300);
  });

  it('refuses an upload whose bytes do not match its digest, or that is over the size limit', async () => {
    const wrong = await apiError(client.uploadDataset('a'.repeat(64), Buffer.from('x,y\n1,2\n')));
    expect([wrong.status, wrong.message]).toEqual([400, expect.stringMatching(/sha256/)]);
    const bytes = Buffer.from('a\n' + '1\n'.repeat(40_000));
    const tooBig = await apiError(client.uploadDataset(createHash('sha256').update(bytes).digest('hex'), bytes));
    expect(tooBig.status).toBe(413);
    expect(tooBig.message).toMatch(/--max-dataset-mb/);
  });
});
