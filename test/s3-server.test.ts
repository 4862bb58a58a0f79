import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlipwayClient } from '../src/client/index.js';
import { testDialect } from './db.js';

const freePort = () =>
  new Promise<number>((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });

// The artifact store does not depend on the metadata store: one dialect is enough.
describe.skipIf(testDialect !== 'sqlite')('a server on an S3-compatible artifact store', () => {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-s3srv-'));
  let s3: S3rver;
  let child: ChildProcess;
  let url = '';
  beforeAll(async () => {
    s3 = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: join(dir, 's3'), configureBuckets: [{ name: 'ml' }] });
    const { port: s3Port } = await s3.run();
    const port = await freePort();
    // Configured the way a user would: the s3:// URI as a flag, endpoint and credentials from AWS variables.
    child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'server', '--port', String(port), '--home', join(dir, 'home'), '--artifacts', 's3://ml/slipway', '--log-level', 'error'], {
      env: {
        ...process.env,
        AWS_ENDPOINT_URL: `http://127.0.0.1:${s3Port}`,
        AWS_ACCESS_KEY_ID: 'S3RVER',
        AWS_SECRET_ACCESS_KEY: 'S3RVER',
        AWS_REGION: 'us-east-1',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    url = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 400; i++) {
      try {
        if ((await fetch(`${url}/health`)).ok) return;
      } catch {
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    throw new Error('server did not start');
  });
  afterAll(async () => {
    child?.kill('SIGTERM');
    if (child && child.exitCode === null) await new Promise((r) => child.once('exit', r));
    await s3?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('stores, lists, serves and purges artifacts through the MLflow proxy and the native API', async () => {
    const client = new SlipwayClient({ url });
    const { experiment } = await client.createExperiment({ name: 's3' });
    const { run } = await client.createRun({ experimentId: experiment.id });
    const base = `${url}/api/2.0/mlflow-artifacts/artifacts/${experiment.id}/${run.id}/artifacts`;
    const body = Buffer.alloc(3 * 1024 * 1024, 9);
    expect((await fetch(`${base}/model/weights.bin`, { method: 'PUT', body })).status).toBe(200);
    await client.uploadArtifact(run.id, 'model/MLmodel', Buffer.from('flavors: {}'));
    const listed = (await (await fetch(`${url}/api/2.0/mlflow/artifacts/list?run_id=${run.id}&path=model`)).json()) as { files: { path: string; file_size?: number }[] };
    expect(listed.files).toEqual([
      { path: 'model/MLmodel', is_dir: false, file_size: 11 },
      { path: 'model/weights.bin', is_dir: false, file_size: body.length },
    ]);
    const back = Buffer.from(await (await fetch(`${base}/model/weights.bin`)).arrayBuffer());
    expect(back.equals(body)).toBe(true);
    expect(await (await client.downloadArtifact(run.id, 'model/MLmodel')).text()).toBe('flavors: {}');

    await client.deleteRun(run.id);
    expect((await client.gc({ runIds: [run.id] })).runs).toEqual([run.id]);
    expect((await fetch(`${base}/model/weights.bin`)).status).toBe(404);
  });
});
