import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openS3Store, s3ClientConfig } from './s3.js';
import { openArtifactStore } from './store.js';

const text = (s: string) => Readable.from([Buffer.from(s)]);
const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

describe('s3ClientConfig', () => {
  it('prefers explicit options, then the S3-specific, generic and MLflow endpoint variables', () => {
    const env = {
      AWS_ENDPOINT_URL_S3: 'http://s3-specific',
      AWS_ENDPOINT_URL: 'http://generic',
      MLFLOW_S3_ENDPOINT_URL: 'http://mlflow',
      AWS_ACCESS_KEY_ID: 'AK',
      AWS_SECRET_ACCESS_KEY: 'SK',
      AWS_SESSION_TOKEN: 'ST',
      AWS_DEFAULT_REGION: 'eu-west-3',
    };
    expect(s3ClientConfig({}, env)).toMatchObject({
      endpoint: 'http://s3-specific',
      forcePathStyle: true,
      region: 'eu-west-3',
      credentials: { accessKeyId: 'AK', secretAccessKey: 'SK', sessionToken: 'ST' },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    expect(s3ClientConfig({}, { ...env, AWS_ENDPOINT_URL_S3: '' }).endpoint).toBe('http://generic');
    expect(s3ClientConfig({}, { MLFLOW_S3_ENDPOINT_URL: 'http://mlflow' }).endpoint).toBe('http://mlflow');
    expect(s3ClientConfig({ endpoint: 'http://opt', region: 'ap-south-1', forcePathStyle: false }, env)).toMatchObject({
      endpoint: 'http://opt',
      region: 'ap-south-1',
      forcePathStyle: false,
    });
    expect(s3ClientConfig({}, { AWS_REGION: 'us-west-2', AWS_DEFAULT_REGION: 'eu-west-3' }).region).toBe('us-west-2');
  });

  it('leaves AWS itself on virtual-hosted addressing and the default credential chain', () => {
    const config = s3ClientConfig({}, {});
    expect(config).toMatchObject({ region: 'us-east-1', forcePathStyle: false });
    expect(config.endpoint).toBeUndefined();
    expect(config.credentials).toBeUndefined();
  });
});

describe('S3 artifact store on s3rver', () => {
  let dir: string;
  let server: ChildProcess;
  let endpoint: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'slipway-s3-'));
    // s3rver encrypts ListObjectsV2 continuation tokens with DES, which OpenSSL 3 only offers through its legacy
    // provider: in-process, every truncated listing fails with a 500. So these tests, which page through listings,
    // run s3rver in a child process with that provider enabled.
    const options = {
      port: 0,
      address: '127.0.0.1',
      silent: true,
      directory: dir,
      configureBuckets: [{ name: 'test-bucket' }, { name: 'root-bucket' }],
    };
    const script = `new (require('s3rver'))(${JSON.stringify(options)}).run().then((a) => console.log(a.port));`;
    server = spawn(process.execPath, ['--openssl-legacy-provider', '-e', script], {
      cwd: join(import.meta.dirname, '../..'),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const [line] = (await once(server.stdout!, 'data')) as [Buffer];
    endpoint = `http://127.0.0.1:${Number(line.toString().trim())}`;
  });
  afterAll(async () => {
    if (server.exitCode === null) {
      server.kill();
      await once(server, 'exit');
    }
    await rm(dir, { recursive: true, force: true });
  });

  it('uploads big files as multipart and keeps the old object when a multipart upload fails', async () => {
    const store = await openS3Store('s3://test-bucket/multipart/', { endpoint, credentials, partSize: 5 * 2 ** 20, queueSize: 2 });
    expect(store.uri).toBe('s3://test-bucket/multipart');
    const data = randomBytes(11 * 2 ** 20);
    const send = vi.spyOn(S3Client.prototype, 'send');
    try {
      await store.put('m.bin', Readable.from([data.subarray(0, 3 * 2 ** 20), data.subarray(3 * 2 ** 20)]));
      const commands = send.mock.calls.map(([command]) => command.constructor.name);
      expect(commands).toEqual(['CreateMultipartUploadCommand', ...Array(3).fill('UploadPartCommand'), 'CompleteMultipartUploadCommand']);
    } finally {
      send.mockRestore();
    }
    const failing = Readable.from(
      (async function* () {
        yield randomBytes(7 * 2 ** 20);
        throw new Error('upload aborted by client');
      })(),
    );
    await expect(store.put('m.bin', failing)).rejects.toThrow(/upload aborted by client/);
    expect((await buffer((await store.get('m.bin')).stream)).equals(data)).toBe(true);
    await store.close();
  });

  it('opens from the environment, as MLflow users configure it, at a bucket root', async () => {
    const saved = { ...process.env };
    try {
      for (const k of ['AWS_ENDPOINT_URL_S3', 'AWS_ENDPOINT_URL', 'AWS_REGION', 'AWS_SESSION_TOKEN', 'AWS_PROFILE']) delete process.env[k];
      Object.assign(process.env, {
        MLFLOW_S3_ENDPOINT_URL: endpoint,
        AWS_ACCESS_KEY_ID: 'S3RVER',
        AWS_SECRET_ACCESS_KEY: 'S3RVER',
        AWS_DEFAULT_REGION: 'eu-central-1',
      });
      const store = await openArtifactStore('s3://root-bucket');
      expect(store.uri).toBe('s3://root-bucket');
      await store.put('x/y.txt', text('y'));
      await store.put('z.txt', text('zz'));
      expect(await store.list('')).toEqual([
        { path: 'x', isDir: true },
        { path: 'z.txt', isDir: false, size: 2 },
      ]);
      await store.delete('');
      expect(await store.list('')).toEqual([]);
      await store.close?.();
    } finally {
      process.env = saved;
    }
  });

  it('deletes trees larger than one DeleteObjects batch', async () => {
    const store = await openS3Store('s3://test-bucket/many', { endpoint, credentials });
    const names = Array.from({ length: 1203 }, (_, i) => `t/${String(i).padStart(4, '0')}`);
    for (let i = 0; i < names.length; i += 50) await Promise.all(names.slice(i, i + 50).map((p) => store.put(p, text('.'))));
    await store.put('keep', text('k'));
    expect((await store.list('t')).length).toBe(1203); // also pages through ListObjectsV2 (1000 keys per page)
    await store.delete('t');
    expect(await store.list('')).toEqual([{ path: 'keep', isDir: false, size: 1 }]);
    await store.close();
  }, 120_000);
});
