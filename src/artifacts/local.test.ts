import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { openLocalStore, type LocalArtifactStore } from './local.js';
import { openArtifactStore } from './store.js';

const text = (s: string) => Readable.from([Buffer.from(s)]);
const tmpRoot = await mkdtemp(join(tmpdir(), 'slipway-local-'));
afterAll(() => rm(tmpRoot, { recursive: true, force: true }));
let n = 0;

describe('local artifact store', () => {
  let dir: string;
  let outside: string;
  let store: LocalArtifactStore;
  beforeEach(async () => {
    dir = join(tmpRoot, `case-${n++}`);
    outside = `${dir}-outside`;
    await mkdir(outside, { recursive: true });
    await writeFile(join(outside, 'secret'), 'top secret');
    store = await openLocalStore(dir);
  });

  it('opens plain paths and file:// URIs, and rejects unknown schemes', async () => {
    expect(store.uri).toBe(pathToFileURL(dir).href);
    const viaUri = await openArtifactStore(pathToFileURL(join(dir, 'sub')).href);
    await viaUri.put('x.txt', text('x'));
    expect(await store.list('sub')).toEqual([{ path: 'sub/x.txt', isDir: false, size: 1 }]);
    await expect(openArtifactStore('gs://bucket/x')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(openArtifactStore('')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(openArtifactStore('file://remote-host/dir')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('refuses paths that leave the root through a symlink', async () => {
    await symlink(outside, join(dir, 'out'));
    await symlink(join(outside, 'secret'), join(dir, 'secret-link'));
    await expect(store.put('out/x.txt', text('x'))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(store.put('out/new/x.txt', text('x'))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(await readdir(outside)).toEqual(['secret']);
    await expect(store.get('out/secret')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(store.get('secret-link')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(store.list('out')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(store.delete('out/secret')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(await store.list('')).toEqual([]);
    // Deleting the link itself is fine and must not touch its target.
    await store.delete('out');
    await store.delete('secret-link');
    expect(await readFile(join(outside, 'secret'), 'utf8')).toBe('top secret');
  });

  it('follows symlinks that stay inside the root', async () => {
    await store.put('real/a.txt', text('a'));
    await symlink(join(dir, 'real'), join(dir, 'alias'));
    await store.put('alias/b.txt', text('bb'));
    expect((await buffer((await store.get('alias/a.txt')).stream)).toString()).toBe('a');
    expect(await store.list('')).toEqual([
      { path: 'alias', isDir: true },
      { path: 'real', isDir: true },
    ]);
    expect(await store.list('real')).toEqual([
      { path: 'real/a.txt', isDir: false, size: 1 },
      { path: 'real/b.txt', isDir: false, size: 2 },
    ]);
  });

  it('rejects writes where a file and a folder would share a path', async () => {
    await store.put('dir/child.txt', text('c'));
    await store.put('file', text('f'));
    await expect(store.put('dir', text('x'))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: /directory/ });
    await expect(store.put('file/x', text('x'))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: /file is in the way/ });
    await expect(store.put('file/x/y', text('x'))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect((await readdir(dir)).sort()).toEqual(['dir', 'file']);
  });

  it('shows readers the old file, and list no temp file, while an upload is in flight', async () => {
    await store.put('model.bin', text('old'));
    const body = new PassThrough();
    const pending = store.put('model.bin', body);
    body.write(Buffer.alloc(100_000, 7));
    await new Promise((r) => setTimeout(r, 50));
    expect((await readdir(dir)).length).toBe(2); // the temp file exists...
    expect(await store.list('')).toEqual([{ path: 'model.bin', isDir: false, size: 3 }]); // ...but is not listed
    expect((await buffer((await store.get('model.bin')).stream)).toString()).toBe('old');
    body.end(Buffer.alloc(1, 7));
    expect(await pending).toEqual({ size: 100_001 });
    const after = await store.get('model.bin');
    after.stream.destroy();
    expect(after.size).toBe(100_001);
    expect(await readdir(dir)).toEqual(['model.bin']);
  });

  it('leaves no temp file behind when an upload fails', async () => {
    const body = new PassThrough();
    const pending = store.put('a/b.bin', body);
    body.write(Buffer.alloc(10_000));
    setTimeout(() => body.destroy(new Error('connection reset')), 20);
    await expect(pending).rejects.toThrow(/connection reset/);
    expect(await readdir(join(dir, 'a'))).toEqual([]);
  });

  it('streams 300 MB through put and get with bounded memory', async () => {
    const total = 300 * 1024 * 1024;
    const chunk = 256 * 1024;
    const sent = createHash('sha256');
    let produced = 0;
    // Generated on demand: the source never holds more than one chunk.
    const source = new Readable({
      read() {
        if (produced >= total) return void this.push(null);
        const data = randomBytes(Math.min(chunk, total - produced));
        produced += data.length;
        sent.update(data);
        this.push(data);
      },
    });
    const base = process.memoryUsage.rss();
    let peak = base;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 20);
    try {
      expect(await store.put('big/blob.bin', source)).toEqual({ size: total });
      const { stream, size } = await store.get('big/blob.bin');
      expect(size).toBe(total);
      const received = createHash('sha256');
      for await (const part of stream) received.update(part as Buffer);
      expect(received.digest('hex')).toBe(sent.digest('hex'));
    } finally {
      clearInterval(sampler);
    }
    peak = Math.max(peak, process.memoryUsage.rss());
    if (process.env.SLIPWAY_DEBUG_RSS) console.log(`RSS growth ${((peak - base) / 2 ** 20).toFixed(1)} MiB`);
    expect(peak - base, `RSS grew by ${((peak - base) / 2 ** 20).toFixed(1)} MiB`).toBeLessThan(64 * 2 ** 20);
  }, 180_000);
});

it('never loads the AWS SDK for a local store', async () => {
  // A resolve hook in a fresh process fails any @aws-sdk import: the local store must work, and the S3 store must hit it.
  const dir = await mkdtemp(join(tmpRoot, 'no-sdk-'));
  await writeFile(
    join(dir, 'hook.mjs'),
    `export async function resolve(specifier, context, next) {
      if (specifier.startsWith('@aws-sdk/')) throw new Error('AWS SDK loaded: ' + specifier);
      return next(specifier, context);
    }`,
  );
  await writeFile(join(dir, 'register.mjs'), `import { register } from 'node:module'; register(${JSON.stringify(pathToFileURL(join(dir, 'hook.mjs')).href)});`);
  const script = `
    import { Readable } from 'node:stream';
    import { openArtifactStore } from ${JSON.stringify(pathToFileURL(join(import.meta.dirname, 'store.ts')).href)};
    const local = await openArtifactStore(${JSON.stringify(join(dir, 'store'))});
    await local.put('a/b.txt', Readable.from([Buffer.from('hi')]));
    const listed = await local.list('a');
    const s3 = await openArtifactStore('s3://bucket/prefix').then(() => 'opened', (e) => e.message);
    console.log(JSON.stringify({ listed, s3 }));
  `;
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', '--import', pathToFileURL(join(dir, 'register.mjs')).href, '--input-type=module', '-e', script],
    { cwd: join(import.meta.dirname, '../..') },
  );
  expect(JSON.parse(stdout)).toEqual({
    listed: [{ path: 'a/b.txt', isDir: false, size: 2 }],
    s3: 'AWS SDK loaded: @aws-sdk/client-s3',
  });
  expect(existsSync(join(dir, 'store', 'a', 'b.txt'))).toBe(true);
});
