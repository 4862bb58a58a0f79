/**
 * The one way a registered version's files are read for running it (serving, evaluation, monitoring references):
 * copied from the artifact store into a private folder, checked against the sha256 recorded at registration, and
 * checked for ONNX external data outside the version's own files. The runtime is then opened from that copy, so
 * what was checked is what runs, whatever happens to the store meanwhile.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, sep } from 'node:path';
import { Transform } from 'node:stream';
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

/** A version's files, copied and verified. */
export interface VersionFiles {
  /** The model file's bytes, as verified. */
  bytes: Uint8Array;
  /** The model file in the private copy. */
  path: string;
  /** The model names external data (among its own files): open it from `path`, not from `bytes`. */
  externalData: boolean;
  /** Removes the private copy; call it once the runtime no longer needs the files. */
  cleanup(): Promise<void>;
}

/** Copies one store file to `dest` while hashing it. */
async function copyHashing(store: ArtifactStore, from: string, dest: string): Promise<{ size: number; digest: string }> {
  const { stream } = await store.get(from);
  const hash = createHash('sha256');
  let size = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  await mkdir(dirname(dest), { recursive: true, mode: 0o700 });
  await pipeline(stream as NodeJS.ReadableStream, tap, createWriteStream(dest, { flags: 'wx', mode: 0o600 }));
  return { size, digest: hash.digest('hex') };
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
 * Copies the files of version `v` into a private folder and verifies them: their digest (computed as at
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

  const dir = await mkdtemp(join(tmpdir(), 'slipway-model-'));
  const cleanup = () => rm(dir, { recursive: true, force: true });
  try {
    const digests: FileDigest[] = [];
    for (const rel of rels) {
      // Store listings hold clean relative paths; this keeps a malformed one from writing outside the copy.
      const dest = join(dir, ...rel.split('/'));
      if (!dest.startsWith(dir + sep) || rel.split('/').includes('..')) throw invalidState(`${v.name} v${v.version} has a file with an unusable name: ${rel.slice(0, 200)}`);
      const copied = await copyHashing(store, single ? root : `${root}/${rel}`, dest).catch((e: unknown) => {
        if (e instanceof SlipwayError && e.code === 'NOT_FOUND') return null;
        throw e;
      });
      if (!copied) {
        await cleanup();
        return null;
      }
      digests.push({ rel, ...copied });
    }
    const actual = single ? digests[0]!.digest : folderDigest(digests);
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
    const path = join(dir, ...model.split('/'));
    const bytes = new Uint8Array(await readFile(path));
    let externalData: boolean;
    try {
      externalData = checkExternalData(bytes, model, new Set(rels));
    } catch (e) {
      if (!(e instanceof SlipwayError) || e.details?.reason !== 'external_data') throw e;
      throw await refuse(db, v, purpose, 'external_data', `${v.name} v${v.version} was not loaded: ${e.message}`, {});
    }
    return { bytes, path, externalData, cleanup };
  } catch (e) {
    await cleanup();
    throw e;
  }
}
