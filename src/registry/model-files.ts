/**
 * The one way a registered version's files are read for running it (serving, evaluation, monitoring references):
 * read from the artifact store once, checked against the sha256 recorded at registration, and checked for ONNX
 * external data outside the version's own files. The runtime is then opened from what was read (the bytes in memory,
 * or a private copy on disk when the model reads external data), so what was checked is what runs, whatever happens
 * to the store meanwhile. */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, sep } from 'node:path';
import { Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Kysely } from 'kysely';
import { Counter } from 'prom-client';
import { recordAudit } from '../access/audit.js';
import type { ArtifactStore } from '../artifacts/store.js';
import { SYSTEM_ACTOR } from '../core/actor.js';
import { invalidState, SlipwayError } from '../core/errors.js';
import type { DB } from '../db/schema.js';
import { checkExternalData } from '../runtimes/onnx/external-data.js';
import { baseName, filesUnder, folderDigest, pickModelFile, storePathOf, type FileDigest } from './artifact-facts.js';
import type { ModelVersion } from './types.js';

/**
 * Versions refused at load because their files are not what was registered (`reason`: digest_mismatch,
 * no_digest, external_data). Registered into each gateway's /metrics registry (serving/metrics.ts).
 */
export const modelIntegrityFailures = new Counter({
  name: 'slipway_model_integrity_failures_total',
  help: 'Model versions refused at load because their files differ from what was registered, by model, version and reason.',
  labelNames: ['model', 'version', 'reason'],
  registers: [],
});

/** A version's files, verified. */
export interface VersionFiles {
  /** The model file's bytes, as verified. */
  bytes: Uint8Array;
  /** The model file in the private copy, when `externalData` (only then are the files copied to disk). */
  path: string;
  /** The model names external data (among its own files): open it from `path`, not from `bytes`. */
  externalData: boolean;
  /** Removes the private copy; call it once the runtime no longer needs the files. */
  cleanup(): Promise<void>;
}

/**
 * Streams one store file through sha256, writing it to `dest` when given and keeping its bytes when `keep`; null
 * when the file is gone.
 */
async function readHashing(store: ArtifactStore, from: string, dest: string | null, keep: boolean): Promise<{ size: number; digest: string; bytes: Buffer | null } | null> {
  let stream: NodeJS.ReadableStream;
  try {
    stream = (await store.get(from)).stream as NodeJS.ReadableStream;
  } catch (e) {
    if (e instanceof SlipwayError && e.code === 'NOT_FOUND') return null;
    throw e;
  }
  const hash = createHash('sha256');
  const kept: Buffer[] = [];
  let size = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      size += chunk.length;
      if (keep) kept.push(chunk);
      done(null, chunk);
    },
  });
  if (dest) {
    await mkdir(dirname(dest), { recursive: true, mode: 0o700 });
    await pipeline(stream, tap, createWriteStream(dest, { flags: 'wx', mode: 0o600 }));
  } else {
    await pipeline(stream, tap, new Writable({ write: (_c, _e, done) => done() }));
  }
  return { size, digest: hash.digest('hex'), bytes: keep ? Buffer.concat(kept) : null };
}

/** Counts, audits and builds the error for a version whose files must not be run. */
async function refuse(db: Kysely<DB>, v: ModelVersion, purpose: string, reason: string, message: string, after: Record<string, unknown>): Promise<SlipwayError> {
  modelIntegrityFailures.inc({ model: v.name, version: String(v.version), reason });
  await recordAudit(db, SYSTEM_ACTOR, {
    action: 'model_version.integrity_failure',
    targetType: 'model_version',
    targetId: `${v.name}/${v.version}`,
    before: { contentDigest: v.contentDigest, source: v.source },
    after: { reason, purpose, ...after },
  }).catch(() => {});
  return invalidState(message, { reason });
}

/**
 * Reads the files of version `v` (into memory, or for a model with external data into a private folder) and verifies
 * them: their digest (computed as at
 * registration, artifact-facts.ts) must equal `v.contentDigest`, and the model file with extension `ext` may name
 * external data only among the version's own files. Null when the version's files are not in this server's store, or
 * hold no such model file. A failed check throws INVALID_STATE, counts `slipway_model_integrity_failures_total` and
 * writes a `model_version.integrity_failure` audit entry.
 */
export async function loadVersionFiles(db: Kysely<DB>, store: ArtifactStore, v: ModelVersion, ext: string, purpose: string): Promise<VersionFiles | null> {
  const root = await storePathOf(db, v.source);
  if (root === null || root === '') return null;
  const listed = await filesUnder(store, root);
  const single = listed.length === 0;
  const rels = single ? [baseName(root)] : listed.map((f) => f.slice(root.length + 1));
  const model = single ? (root.endsWith(ext) ? rels[0]! : null) : pickModelFile(rels, ext);
  if (model === null) return null;
  const storePath = (rel: string) => (single ? root : `${root}/${rel}`);

  // The model file first: only a model with (allowed) external data needs its folder on disk.
  const first = await readHashing(store, storePath(model), null, true);
  if (!first) return null;
  const bytes = new Uint8Array(first.bytes!.buffer, first.bytes!.byteOffset, first.bytes!.length);
  let verdict: { externalData: boolean } | { error: unknown };
  try {
    verdict = { externalData: checkExternalData(bytes, model, new Set(rels)) };
  } catch (error) {
    verdict = { error };
  }
  const dir = 'externalData' in verdict && verdict.externalData ? await mkdtemp(join(tmpdir(), 'slipway-model-')) : null;
  const cleanup = async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  };
  const destOf = (rel: string): string | null => {
    if (!dir) return null;
    const dest = join(dir, ...rel.split('/'));
    // Store listings hold clean relative paths; this keeps a malformed one from writing outside the copy.
    if (!dest.startsWith(dir + sep) || rel.split('/').includes('..')) throw invalidState(`${v.name} v${v.version} has a file with an unusable name: ${rel.slice(0, 200)}`);
    return dest;
  };
  try {
    const modelPath = destOf(model);
    if (modelPath) {
      await mkdir(dirname(modelPath), { recursive: true, mode: 0o700 });
      await writeFile(modelPath, bytes, { flag: 'wx', mode: 0o600 });
    }
    const digests: FileDigest[] = [{ rel: model, size: first.size, digest: first.digest }];
    for (const rel of rels) {
      if (rel === model) continue;
      const read = await readHashing(store, storePath(rel), destOf(rel), false);
      if (!read) {
        await cleanup();
        return null;
      }
      digests.push({ rel, size: read.size, digest: read.digest });
    }
    const actual = single ? first.digest : folderDigest(digests);
    if (v.contentDigest === null) {
      throw await refuse(db, v, purpose, 'no_digest', `${v.name} v${v.version} was not loaded: it was registered without a content digest, so its files cannot be checked. Register its files again as a new version.`, { contentDigest: actual });
    }
    if (actual !== v.contentDigest) {
      throw await refuse(
        db,
        v,
        purpose,
        'digest_mismatch',
        `${v.name} v${v.version} was not loaded: its files no longer match the sha256 recorded at registration (${v.contentDigest.slice(0, 12)}…, now ${actual.slice(0, 12)}…); they were changed after registration. Register the files you mean to run as a new version.`,
        { contentDigest: actual },
      );
    }
    if ('error' in verdict) {
      const e = verdict.error;
      if (e instanceof SlipwayError && e.details?.reason === 'external_data') throw await refuse(db, v, purpose, 'external_data', `${v.name} v${v.version} was not loaded: ${e.message}`, {});
      throw e;
    }
    // Versions registered before store paths were recorded become immutable from their first verified load.
    await db.updateTable('model_versions').set({ store_path: root }).where('name', '=', v.name).where('version', '=', v.version).where('store_path', 'is', null).execute();
    return { bytes, path: modelPath ?? '', externalData: verdict.externalData, cleanup };
  } catch (e) {
    await cleanup();
    throw e;
  }
}
