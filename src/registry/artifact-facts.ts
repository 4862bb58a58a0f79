import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import { parse as parseYaml } from 'yaml';
import type { ArtifactStore } from '../artifacts/store.js';
import { SlipwayError } from '../core/errors.js';
import type { DB } from '../db/schema.js';
import { proxiedArtifactPath } from '../tracking/gc.js';
import { getLoggedModel } from '../tracking/logged-models.js';
import { getRun } from '../tracking/runs.js';
import { checkExternalData } from '../runtimes/onnx/external-data.js';
import { mlflowSignatureOf, readOnnxModelInfo } from '../runtimes/onnx/model-info.js';

/** What registration reads from the model's own files. */
export interface ArtifactFacts {
  /** sha256 of the file, or of the sorted `path, size, sha256` lines of every file of a model folder. */
  contentDigest: string;
  size: number;
  flavor: string | null;
  signature: unknown;
}

/** A bound on what registration reads, so registering a huge folder cannot stall the server. */
const MAX_FILES = 10_000;

/** The store path behind a version source, or null when its files are not in this server's store. */
export async function storePathOf(db: Kysely<DB>, source: string): Promise<string | null> {
  const run = /^runs:\/([0-9a-f]{32})(?:\/(.*))?$/.exec(source);
  if (run) {
    const root = proxiedArtifactPath((await getRun(db, run[1]!)).info.artifactUri);
    return root === null ? null : [root, run[2]?.replace(/^\/+|\/+$/g, '')].filter(Boolean).join('/');
  }
  const logged = /^models:\/(m-[0-9a-f]{32})\/?$/.exec(source);
  if (logged) return proxiedArtifactPath((await getLoggedModel(db, logged[1]!)).artifactUri);
  const proxied = proxiedArtifactPath(source);
  return proxied === null ? null : proxied.replace(/\/+$/, '');
}

/** ONNX files up to this size are also parsed for their signature at registration; bigger ones only hashed. */
const MAX_ONNX_PARSE = 64 * 1024 * 1024;

async function sha256Of(store: ArtifactStore, path: string): Promise<{ digest: string; size: number; text?: string; bytes?: Buffer }> {
  const { stream } = await store.get(path);
  const hash = createHash('sha256');
  let size = 0;
  const keep: Buffer[] = [];
  const limit = path.endsWith('MLmodel') ? 1 << 20 : path.endsWith('.onnx') ? MAX_ONNX_PARSE : 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    hash.update(chunk);
    size += chunk.length;
    if (size <= limit) keep.push(chunk);
  }
  const kept = keep.length > 0 && size <= limit ? Buffer.concat(keep) : undefined;
  return {
    digest: hash.digest('hex'),
    size,
    ...(kept && path.endsWith('MLmodel') ? { text: kept.toString('utf8') } : {}),
    ...(kept && path.endsWith('.onnx') ? { bytes: kept } : {}),
  };
}

/** An MLflow-style signature read from ONNX bytes; null when they do not parse. */
function onnxSignature(bytes: Buffer | undefined): unknown {
  if (!bytes) return null;
  try {
    const sig = mlflowSignatureOf(readOnnxModelInfo(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length)));
    return { inputs: JSON.parse(sig.inputs) as unknown, outputs: JSON.parse(sig.outputs) as unknown, params: null };
  } catch {
    return null;
  }
}

/**
 * Refuses external data outside the version's files (runtimes/onnx/external-data.ts). Bytes that are not ONNX are
 * registered as before: loading them fails, after the same check.
 */
function refuseForeignExternalData(bytes: Buffer, file: string, own: ReadonlySet<string>): void {
  try {
    checkExternalData(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length), file, own);
  } catch (e) {
    if (e instanceof SlipwayError && e.details?.reason === 'external_data') throw e;
  }
}

/** Every file below a folder, sorted; empty when the folder does not exist. */
export async function filesUnder(store: ArtifactStore, dir: string): Promise<string[]> {
  const files: string[] = [];
  const pending = [dir];
  while (pending.length > 0) {
    for (const entry of await store.list(pending.pop()!)) {
      if (entry.isDir) pending.push(entry.path);
      else files.push(entry.path);
      if (files.length > MAX_FILES) throw new SlipwayError('INVALID_ARGUMENT', `The model folder has more than ${MAX_FILES} files; register a smaller folder.`);
    }
  }
  return files.sort();
}

/** Flavor and signature from an MLflow MLmodel file (signature inputs/outputs are JSON strings in it). */
function readMlmodel(text: string): { flavor: string | null; signature: unknown } {
  let doc: Record<string, unknown>;
  try {
    doc = (parseYaml(text) ?? {}) as Record<string, unknown>;
  } catch {
    return { flavor: null, signature: null };
  }
  const flavors = Object.keys((doc.flavors ?? {}) as object).filter((f) => f !== 'python_function');
  const sig = doc.signature as Record<string, unknown> | undefined;
  const json = (v: unknown) => {
    if (typeof v !== 'string') return v ?? null;
    try {
      return JSON.parse(v);
    } catch {
      return v;
    }
  };
  return {
    flavor: flavors[0] ?? (doc.flavors ? 'python_function' : null),
    signature: sig ? { inputs: json(sig.inputs), outputs: json(sig.outputs), params: json(sig.params) } : null,
  };
}

/** One file of a model folder as it enters the folder's digest: its path relative to the folder, size and sha256. */
export interface FileDigest {
  rel: string;
  size: number;
  digest: string;
}

/** `contentDigest` of a model folder: sha256 over its files' `path, size, sha256` lines, in path order. */
export function folderDigest(files: readonly FileDigest[]): string {
  const lines = [...files].sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0)).map((f) => `${f.rel}\u0000${f.size}\u0000${f.digest}\n`);
  return createHash('sha256').update(lines.join('')).digest('hex');
}

/** The last path segment: the name a single-file version's file has inside its version. */
export const baseName = (path: string): string => path.slice(path.lastIndexOf('/') + 1);

/**
 * Reads digest, size, flavor and signature from the files behind a version source, when they are in this server's
 * store (`runs:/...`, `mlflow-artifacts:/...`, `models:/<logged model>`); null when they are elsewhere or absent.
 */
export async function readArtifactFacts(db: Kysely<DB>, store: ArtifactStore, source: string): Promise<ArtifactFacts | null> {
  const path = await storePathOf(db, source);
  if (path === null || path === '') return null;
  const files = await filesUnder(store, path);
  if (files.length === 0) {
    const single = await sha256Of(store, path).catch((err: unknown) => {
      if (err instanceof SlipwayError && err.code === 'NOT_FOUND') return null;
      throw err;
    });
    if (!single) return null;
    if (single.bytes) refuseForeignExternalData(single.bytes, baseName(path), new Set([baseName(path)]));
    return { contentDigest: single.digest, size: single.size, flavor: path.endsWith('.onnx') ? 'onnx' : null, signature: onnxSignature(single.bytes) };
  }
  const digests: FileDigest[] = [];
  const own = new Set(files.map((f) => f.slice(path.length + 1)));
  let size = 0;
  let mlmodel: { flavor: string | null; signature: unknown } | null = null;
  let onnxSig: unknown = null;
  for (const file of files) {
    const one = await sha256Of(store, file);
    const rel = file.slice(path.length + 1);
    // Bigger files are checked when they are loaded (registry/model-files.ts), which always happens before use.
    if (one.bytes) refuseForeignExternalData(one.bytes, rel, own);
    if (one.bytes && onnxSig === null) onnxSig = onnxSignature(one.bytes);
    size += one.size;
    digests.push({ rel, size: one.size, digest: one.digest });
    if (one.text !== undefined && file === `${path}/MLmodel`) mlmodel = readMlmodel(one.text);
  }
  const onnx = files.some((f) => f.endsWith('.onnx'));
  return {
    contentDigest: folderDigest(digests),
    size,
    flavor: mlmodel?.flavor ?? (onnx ? 'onnx' : null),
    signature: mlmodel?.signature ?? onnxSig,
  };
}

/**
 * The store path of the model file with this extension behind a version source: the source itself, the only
 * such file in its folder, or `model<ext>` among several. Null when the files are not in this server's store.
 */
export async function findModelFile(db: Kysely<DB>, store: ArtifactStore, source: string, ext: string): Promise<string | null> {
  const path = await storePathOf(db, source);
  if (path === null || path === '') return null;
  if (path.endsWith(ext)) return path;
  return pickModelFile(await filesUnder(store, path), ext);
}

/** Among a model folder's files, the only one with this extension, or `model<ext>` among several; null otherwise. */
export function pickModelFile(files: readonly string[], ext: string): string | null {
  const candidates = files.filter((f) => f.endsWith(ext));
  if (candidates.length === 1) return candidates[0]!;
  return candidates.find((f) => f === `model${ext}` || f.endsWith(`/model${ext}`)) ?? null;
}
