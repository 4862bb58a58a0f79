import { randomBytes } from 'node:crypto';
import { lstat, mkdir, open, readdir, realpath, rename, rm, stat, unlink } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { invalid, notFound } from '../core/errors.js';
import { comparePaths, safeArtifactPath, safeArtifactPrefix } from './paths.js';
import type { ArtifactEntry, ArtifactStore } from './store.js';

// In-progress uploads sit next to their target (so the final rename stays on one filesystem) and are hidden from list.
const TMP_PREFIX = '.slipway-tmp-';
const isTmpName = (name: string) => name.startsWith(TMP_PREFIX) && name.endsWith('.part');

const fileInTheWay = (rel: string) =>
  invalid(`Cannot write artifact "${rel}": a file is in the way of one of its folders; delete it or choose another path.`, { path: rel });

const errCode = (err: unknown) => (err as NodeJS.ErrnoException | undefined)?.code;

/** Opens (creating if needed) a folder store at a plain path or file:// URI. */
export async function openLocalStore(uri: string): Promise<LocalArtifactStore> {
  let dir: string;
  try {
    dir = /^file:/i.test(uri) ? fileURLToPath(uri) : resolve(uri);
  } catch {
    throw invalid(`Invalid artifact store URI "${uri}"; use an absolute file:///path URI or a plain path.`, { uri });
  }
  await mkdir(dir, { recursive: true });
  return new LocalArtifactStore(await realpath(dir));
}

/** ArtifactStore on a local folder. Paths that resolve outside the root, symlinks included, are rejected. */
export class LocalArtifactStore implements ArtifactStore {
  readonly uri: string;

  /** `root` must be an existing directory's real path (see `openLocalStore`). */
  constructor(private readonly root: string) {
    this.uri = pathToFileURL(root).href;
  }

  async put(path: string, body: NodeJS.ReadableStream | Readable): Promise<{ size: number }> {
    const rel = safeArtifactPath(path);
    const segments = rel.split('/');
    const name = segments.pop()!;
    const dir = await this.ensureDir(segments, rel);
    const tmp = join(dir, `${TMP_PREFIX}${randomBytes(8).toString('hex')}.part`);
    let size = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        size += chunk.length;
        done(null, chunk);
      },
    });
    const handle = await open(tmp, 'wx').catch((err: unknown) => {
      throw errCode(err) === 'ENOTDIR' ? fileInTheWay(rel) : err;
    });
    try {
      // flush: fsync before close, else a crash soon after the rename could leave a renamed but empty/partial file.
      // The stream owns the handle and closes it on success and on error alike.
      await pipeline(body, counter, handle.createWriteStream({ flush: true }));
      await rename(tmp, join(dir, name));
    } catch (err) {
      await unlink(tmp).catch(() => {});
      const code = errCode(err);
      if (code === 'EISDIR' || code === 'ENOTEMPTY') {
        throw invalid(`Cannot write artifact "${rel}": a directory already has that path; delete it first or choose another name.`, { path: rel });
      }
      throw err;
    }
    return { size };
  }

  async get(path: string): Promise<{ stream: Readable; size: number }> {
    const rel = safeArtifactPath(path);
    const real = await this.resolveExisting(rel);
    if (real === undefined) throw notFound(`Artifact "${rel}" not found.`, { path: rel });
    const handle = await open(real, 'r');
    try {
      // fstat on the opened handle: the size belongs to the very file we stream, even if it is replaced meanwhile.
      const info = await handle.stat();
      if (!info.isFile()) throw notFound(`Artifact "${rel}" is a directory, not a file.`, { path: rel });
      return { stream: handle.createReadStream(), size: info.size };
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  async list(prefix: string): Promise<ArtifactEntry[]> {
    const rel = safeArtifactPrefix(prefix);
    const real = await this.resolveExisting(rel);
    if (real === undefined) return [];
    let dirents;
    try {
      dirents = await readdir(real, { withFileTypes: true });
    } catch (err) {
      if (errCode(err) === 'ENOTDIR' || errCode(err) === 'ENOENT') return [];
      throw err;
    }
    const entries = await Promise.all(
      dirents
        .filter((d) => !isTmpName(d.name))
        .map(async (d): Promise<ArtifactEntry | undefined> => {
          const path = rel === '' ? d.name : `${rel}/${d.name}`;
          if (d.isDirectory()) return { path, isDir: true };
          if (d.isFile()) return { path, isDir: false, size: (await lstat(join(real, d.name))).size };
          if (!d.isSymbolicLink()) return undefined;
          // A symlink is listed as what it points to, but only if that is inside the root (get/list would refuse it anyway).
          const target = await this.resolveExisting(path).catch(() => undefined);
          if (target === undefined) return undefined;
          const info = await stat(target);
          return info.isDirectory() ? { path, isDir: true } : { path, isDir: false, size: info.size };
        }),
    );
    return entries.filter((e): e is ArtifactEntry => e !== undefined).sort(comparePaths);
  }

  async delete(path: string): Promise<void> {
    const rel = safeArtifactPrefix(path);
    if (rel === '') {
      // Empty the root but keep it: the folder may be a mount point or have permissions set by an operator.
      for (const name of await readdir(this.root)) await rm(join(this.root, name), { recursive: true, force: true });
      return;
    }
    const segments = rel.split('/');
    const name = segments.pop()!;
    const parent = await this.resolveExisting(segments.join('/'));
    if (parent === undefined) return;
    // rm does not follow a symlink at `name`: deleting a link removes the link, never what it points to.
    await rm(join(parent, name), { recursive: true, force: true });
  }

  /** Real path of an existing entry, or undefined when missing; throws when it resolves outside the root. */
  private async resolveExisting(rel: string): Promise<string | undefined> {
    let real: string;
    try {
      real = await realpath(rel === '' ? this.root : join(this.root, ...rel.split('/')));
    } catch (err) {
      if (errCode(err) === 'ENOENT' || errCode(err) === 'ENOTDIR') return undefined;
      throw err;
    }
    this.assertInside(real, rel);
    return real;
  }

  /**
   * Creates the folders of a put one level at a time, resolving each: checking only at the end would let
   * `mkdir -p` create folders through a symlink that leads outside the root before we notice.
   */
  private async ensureDir(segments: string[], rel: string): Promise<string> {
    let dir = this.root;
    for (const segment of segments) {
      const next = join(dir, segment);
      try {
        await mkdir(next);
      } catch (err) {
        const code = errCode(err);
        if (code === 'ENOTDIR') throw fileInTheWay(rel);
        if (code !== 'EEXIST') throw err;
      }
      dir = await realpath(next);
      this.assertInside(dir, rel);
    }
    return dir;
  }

  private assertInside(real: string, rel: string): void {
    const r = relative(this.root, real);
    if (r === '' || (!isAbsolute(r) && r !== '..' && !r.startsWith(`..${sep}`))) return;
    throw invalid(`Artifact path "${rel}" resolves outside the artifact root through a symlink; use a path inside the root.`, { path: rel });
  }
}
