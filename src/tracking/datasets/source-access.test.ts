import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openArtifactStore, type ArtifactStore } from '../../artifacts/store.js';
import { SlipwayError } from '../../core/errors.js';
import { checkDatasetSource, copyDatasetSource, datasetAccess, type DatasetAccess } from './source-access.js';

const url = (path: string) => pathToFileURL(path).href;

/** The error a promise rejects with (fails the test when it resolves). */
async function errorOf(p: Promise<unknown>): Promise<SlipwayError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(SlipwayError);
  return e as SlipwayError;
}

describe('dataset source access', () => {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-access-'));
  const root = join(dir, 'root');
  const outside = join(dir, 'outside');
  let store: ArtifactStore;
  let access: DatasetAccess;

  beforeAll(async () => {
    mkdirSync(root);
    mkdirSync(outside);
    writeFileSync(join(root, 'ok.csv'), 'a,b\n1,2\n');
    writeFileSync(join(outside, 'secret.csv'), 'password,hunter2\n');
    symlinkSync(join(outside, 'secret.csv'), join(root, 'link.csv'));
    symlinkSync(outside, join(root, 'dirlink'));
    symlinkSync('/dev/zero', join(root, 'zero.csv'));
    writeFileSync(join(root, 'big.csv'), 'x'.repeat(2000));
    mkdirSync(join(root, 'folder'));
    execFileSync('mkfifo', [join(root, 'pipe.csv')]);
    store = await openArtifactStore(join(dir, 'artifacts'));
    access = datasetAccess({ dataRoots: [root], maxDatasetBytes: 1000 }, store);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a regular file inside a root, into a private copy', async () => {
    await checkDatasetSource(access, url(join(root, 'ok.csv')));
    const copy = await copyDatasetSource(access, url(join(root, 'ok.csv')), 'ok');
    expect(readFileSync(copy.path, 'utf8')).toBe('a,b\n1,2\n');
    await copy.cleanup();
  });

  it('gives one answer for files outside the roots, missing ones, and symlinks leading out, quoting nothing of them', async () => {
    const sources = [
      '/etc/passwd',
      '/etc/shadow',
      '/dev/zero',
      '/no/such/file.csv',
      join(outside, 'secret.csv'),
      join(outside, 'missing.csv'),
      join(root, 'link.csv'),
      join(root, 'dirlink', 'secret.csv'),
      join(root, 'dirlink', 'missing.csv'),
      join(root, 'zero.csv'),
      join(root, '..', 'outside', 'secret.csv'),
    ].map(url);
    const answers = new Set<string>();
    for (const source of sources) {
      for (const call of [() => checkDatasetSource(access, source), () => copyDatasetSource(access, source, 'x')]) {
        const e = await errorOf(call());
        expect(e.code).toBe('PERMISSION_DENIED');
        expect(e.message).not.toMatch(/hunter2|root:|password/);
        expect(e.message).toContain('--data-roots');
        answers.add(e.message.replace(source, 'SOURCE'));
      }
    }
    expect(answers.size).toBe(1);
  });

  it('refuses what is not a regular file, and files over the size limit', async () => {
    for (const name of ['folder', 'pipe.csv']) {
      const e = await errorOf(checkDatasetSource(access, url(join(root, name))));
      expect([e.code, e.message]).toEqual(['INVALID_ARGUMENT', expect.stringContaining('not a regular file')]);
    }
    const big = await errorOf(copyDatasetSource(access, url(join(root, 'big.csv')), 'big'));
    expect(big.message).toMatch(/at most 0\.001 MB.*--max-dataset-mb/);
  });

  it('refuses stored datasets over the size limit and sources it never reads', async () => {
    const { Readable } = await import('node:stream');
    await store.put('datasets/big', Readable.from([Buffer.alloc(2000)]));
    expect((await errorOf(checkDatasetSource(access, 'mlflow-artifacts:/datasets/big'))).message).toMatch(/at most/);
    expect((await errorOf(copyDatasetSource(access, 'https://example.invalid/x.csv', 'remote'))).code).toBe('INVALID_ARGUMENT');
    expect((await errorOf(checkDatasetSource(access, 'file://host/x.csv?q'))).code).toBe('INVALID_ARGUMENT');
  });
});
