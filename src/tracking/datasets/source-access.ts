/**
 * What a dataset source may make this server read: the one place that decides it. Registration checks a source
 * here, and every later read of a dataset's bytes (evaluation, monitoring references) gets them from here.
 *
 * A `file:` source must resolve (symlinks followed) to a regular file inside a data root (`trust.dataRoots`) or
 * the local artifact store, no larger than `trust.maxDatasetBytes`. A source in the artifact store
 * (`mlflow-artifacts:/...`) must fit the same size limit. Readers get a private, size-bounded copy, so a file
 * swapped or grown after the check can neither lead the read outside the roots nor make it endless.
 */
import { constants, createWriteStream } from 'node:fs';
import { mkdtemp, open, readlink, realpath, rm, stat, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative, sep } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { safeArtifactPath } from '../../artifacts/paths.js';
import type { ArtifactStore } from '../../artifacts/store.js';
import { invalid, SlipwayError } from '../../core/errors.js';
import type { TrustSettings } from '../../core/trust.js';
import { proxiedArtifactPath } from '../gc.js';

/** Where dataset files may be read from, and how much of one. */
export interface DatasetAccess {
  /** Folders `file:` sources may resolve into: the data roots, then the local artifact store's folder. */
  roots: readonly string[];
  maxBytes: number;
  store: ArtifactStore;
}

/** The access the trust settings give, for the server's artifact store. */
export function datasetAccess(trust: Pick<TrustSettings, 'dataRoots' | 'maxDatasetBytes'>, store: ArtifactStore): DatasetAccess {
  const storeRoot = store.uri.startsWith('file:') ? [fileURLToPath(store.uri)] : [];
  return { roots: [...trust.dataRoots, ...storeRoot], maxBytes: trust.maxDatasetBytes, store };
}

/** A private copy of a dataset's bytes; `cleanup` removes it. */
export interface DatasetCopy {
  path: string;
  size: number;
  cleanup(): Promise<void>;
}

const mb = (bytes: number) => `${(bytes / 1024 ** 2).toFixed(bytes < 1024 ** 2 ? 3 : 1)} MB`;

/**
 * The one answer for a `file:` source that is outside the roots, missing, or reached through a symlink leading
 * out: telling these apart would let a caller probe the server's file system.
 */
const refused = (source: string) =>
  new SlipwayError(
    'PERMISSION_DENIED',
    `Dataset source ${source} is not a file this server may read: a file: source must name an existing file inside a data root. Register the file with \`slipway datasets register FILE\` (it uploads a copy to the artifact store), or ask an admin to add its folder to the data roots (--data-roots, SLIPWAY_DATA_ROOTS).`,
    { source },
  );

const tooLarge = (what: string, size: number, max: number) =>
  invalid(`${what} is ${mb(size)}; datasets may be at most ${mb(max)}. Split it, or ask an admin to raise the limit (--max-dataset-mb, SLIPWAY_MAX_DATASET_MB).`, { sizeBytes: size, maxBytes: max });

const inside = (root: string, path: string) => {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
};

async function realRoots(access: DatasetAccess): Promise<string[]> {
  const roots = await Promise.all(access.roots.map((r) => realpath(r).catch(() => null)));
  return roots.filter((r): r is string => r !== null);
}

function pathOf(source: string): string {
  try {
    const url = new URL(source);
    if (url.search !== '' || url.hash !== '') throw new Error('query');
    return fileURLToPath(url);
  } catch {
    throw invalid(`Dataset source ${source} is not a valid file: URL; write file:///absolute/path/to/file.csv.`, { source });
  }
}

interface LocalFile {
  path: string;
  size: number;
  dev: number;
  ino: number;
}

/** Resolves a `file:` source to a regular file inside the roots, within the size limit. */
async function resolveLocal(access: DatasetAccess, source: string): Promise<LocalFile> {
  const path = pathOf(source);
  const roots = await realRoots(access);
  const real = await realpath(path).catch(() => null);
  if (real === null || !roots.some((r) => inside(r, real))) throw refused(source);
  const info = await stat(real).catch(() => null);
  if (info === null) throw refused(source);
  if (!info.isFile()) throw invalid(`Dataset source ${source} is not a regular file (a folder, device, pipe or socket); name a CSV, JSON Lines or Parquet file.`, { source });
  if (info.size > access.maxBytes) throw tooLarge(`Dataset file ${source}`, info.size, access.maxBytes);
  return { path: real, size: info.size, dev: info.dev, ino: info.ino };
}

/**
 * Opens the resolved file without following a symlink put in its place, and checks the open file is still the one
 * resolved and still inside the roots (a folder on the way could have been swapped for a symlink meanwhile).
 */
async function openLocal(access: DatasetAccess, source: string, file: LocalFile): Promise<FileHandle> {
  const fh = await open(file.path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK).catch(() => {
    throw refused(source);
  });
  try {
    const st = await fh.stat();
    if (!st.isFile() || st.dev !== file.dev || st.ino !== file.ino) throw refused(source);
    // Linux names the file an open descriptor really refers to; elsewhere the identity check above stands alone.
    const opened = await readlink(`/proc/self/fd/${fh.fd}`).catch(() => null);
    if (opened !== null && !(await realRoots(access)).some((r) => inside(r, opened))) throw refused(source);
    return fh;
  } catch (err) {
    await fh.close();
    throw err;
  }
}

/**
 * Checks that this server may read a dataset source, without reading it; throws the error a caller should see.
 * Sources of other kinds (s3://, https://, ...) are metadata this server never reads, and pass.
 */
export async function checkDatasetSource(access: DatasetAccess, source: string): Promise<void> {
  if (/^file:/i.test(source)) {
    await resolveLocal(access, source);
    return;
  }
  const stored = proxiedArtifactPath(source);
  if (stored === null) return;
  const { stream, size } = await access.store.get(safeArtifactPath(stored));
  stream.destroy();
  if (size > access.maxBytes) throw tooLarge(`Dataset ${source}`, size, access.maxBytes);
}

/** Passes bytes through until more than `max` have gone by: a file that grows while being read is cut off. */
function bounded(max: number, what: string): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      seen += chunk.length;
      if (seen > max) return cb(invalid(`${what} grew past ${mb(max)} while being read; datasets may be at most ${mb(max)} (--max-dataset-mb, SLIPWAY_MAX_DATASET_MB).`, { maxBytes: max }));
      cb(null, chunk);
    },
  });
}

/**
 * Copies a dataset's bytes into a private temporary file, read through the same rules as `checkDatasetSource`.
 * `label` names the dataset in errors; `signal` stops the copy.
 */
export async function copyDatasetSource(access: DatasetAccess, source: string, label: string, signal?: AbortSignal): Promise<DatasetCopy> {
  let input: Readable;
  let size: number;
  if (/^file:/i.test(source)) {
    const file = await resolveLocal(access, source);
    const fh = await openLocal(access, source, file);
    input = fh.createReadStream({ highWaterMark: 1 << 20 });
    size = file.size;
  } else {
    const stored = proxiedArtifactPath(source);
    if (stored === null) {
      throw invalid(`${label} lives at ${source}, which this server does not read; register it with \`slipway datasets register FILE\`, which uploads it to the artifact store.`, { source });
    }
    const got = await access.store.get(safeArtifactPath(stored));
    if (got.size > access.maxBytes) {
      got.stream.destroy();
      throw tooLarge(label, got.size, access.maxBytes);
    }
    input = got.stream;
    size = got.size;
  }
  const dir = await mkdtemp(join(tmpdir(), 'slipway-dataset-'));
  const cleanup = () => rm(dir, { recursive: true, force: true });
  const path = join(dir, 'data');
  try {
    const out = createWriteStream(path, { mode: 0o600 });
    await (signal ? pipeline(input, bounded(access.maxBytes, label), out, { signal }) : pipeline(input, bounded(access.maxBytes, label), out));
  } catch (err) {
    input.destroy();
    await cleanup();
    throw err;
  }
  return { path, size, cleanup };
}
