/**
 * Reads a registered dataset version into columns for evaluation, checking on the way that the bytes are still
 * the ones registered (same sha256): an evaluation is only worth its dataset digest if the digest is true.
 */
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import { invalid, invalidState, notFound } from '../core/errors.js';
import type { DB } from '../db/schema.js';
import type { Column, Frame } from '../runtimes/frame.js';
import { readRows } from '../runtimes/frame-file.js';
import { copyDatasetSource, type DatasetAccess } from '../tracking/datasets/source-access.js';
import { getDatasetVersion, listDatasetVersions, type DatasetVersion } from '../tracking/datasets/versions.js';

/** `NAME`, `NAME@VERSION` or `NAME@DIGEST` (a full sha256, or a prefix of at least 8 hex characters). */
export async function resolveDataset(db: Kysely<DB>, ref: string): Promise<DatasetVersion> {
  const at = ref.lastIndexOf('@');
  const name = at < 0 ? ref : ref.slice(0, at);
  const which = at < 0 ? '' : ref.slice(at + 1);
  if (name === '') throw invalid(`Invalid dataset reference "${ref}": use NAME, NAME@VERSION or NAME@DIGEST.`);
  const versions = await listDatasetVersions(db, name);
  if (which === '') return versions[0]!;
  if (/^\d{1,15}$/.test(which)) return getDatasetVersion(db, name, which);
  if (!/^[0-9a-f]{8,64}$/.test(which)) throw invalid(`Invalid dataset reference "${ref}": after @ give a version number or a sha256 digest (at least 8 hex characters).`);
  const matches = versions.filter((v) => v.digest.startsWith(which));
  if (matches.length === 0) throw notFound(`Dataset "${name}" has no version with digest ${which}; \`slipway datasets show ${name}\` lists its versions.`);
  if (matches.length > 1) throw invalid(`Digest prefix ${which} matches ${matches.length} versions of "${name}"; give more characters.`);
  return matches[0]!;
}

interface Sink {
  columns(names: string[]): void;
  row(values: (unknown)[]): void;
}

/** Growable columns, typed by the dataset version's registered schema. */
class FrameBuilder implements Sink {
  private names: string[] = [];
  private numeric: boolean[] = [];
  private nums: Float64Array[] = [];
  private strs: (string | null)[][] = [];
  rows = 0;

  constructor(
    private readonly types: Map<string, string>,
    private readonly want: Set<string> | null,
  ) {}

  columns(names: string[]): void {
    this.names = names;
    this.numeric = names.map((n) => ['integer', 'float', 'boolean'].includes(this.types.get(n) ?? 'string'));
    this.nums = names.map(() => new Float64Array(1024));
    this.strs = names.map(() => []);
  }

  row(values: unknown[]): void {
    const r = this.rows++;
    for (let c = 0; c < this.names.length; c++) {
      if (this.want && !this.want.has(this.names[c]!)) continue;
      const v = values[c];
      if (this.numeric[c]) {
        let arr = this.nums[c]!;
        if (r >= arr.length) {
          const grown = new Float64Array(arr.length * 2);
          grown.set(arr);
          arr = this.nums[c] = grown;
        }
        arr[r] = toNumber(v);
      } else {
        this.strs[c]!.push(v === null || v === undefined || v === '' ? null : typeof v === 'string' ? v : v instanceof Date ? v.toISOString() : String(v));
      }
    }
  }

  build(): Frame {
    const columns = new Map<string, Column>();
    this.names.forEach((name, c) => {
      if (this.want && !this.want.has(name)) return;
      columns.set(name, this.numeric[c] ? { kind: 'number', values: this.nums[c]!.slice(0, this.rows) } : { kind: 'string', values: this.strs[c]! });
    });
    return { rows: this.rows, columns };
  }
}

function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v !== 'string' || v === '') return Number.NaN;
  const lower = v.toLowerCase();
  if (lower === 'true') return 1;
  if (lower === 'false') return 0;
  const n = Number(v);
  return Number.isFinite(n) ? n : Number.NaN;
}

export interface LoadOptions {
  /** Read only these columns (all when absent). */
  columns?: string[];
  onProgress?(bytes: number, total: number): void;
  /** Stops reading (an evaluation cancelled). */
  signal?: AbortSignal;
}

/**
 * Loads a dataset version's rows as columns, from a copy `access` allows (see source-access.ts): a file inside a
 * data root, or a file in the artifact store.
 */
export async function loadFrame(access: DatasetAccess, version: DatasetVersion, options: LoadOptions = {}): Promise<Frame> {
  const types = new Map(((version.schema as { name: string; type: string }[]) ?? []).map((f) => [f.name, f.type]));
  const builder = new FrameBuilder(types, options.columns ? new Set(options.columns) : null);
  const hash = createHash('sha256');
  let read = 0;
  const label = `Dataset ${version.name} v${version.version}`;
  const { path, cleanup } = await copyDatasetSource(access, version.source, label, options.signal);
  // JSON Lines rows are objects: read the registered schema's columns out of each.
  let names: string[] = version.format === 'jsonl' ? ((version.schema as { name: string }[]) ?? []).map((f) => f.name) : [];
  if (version.format === 'jsonl') builder.columns(names);
  try {
    if (version.format !== 'csv' && version.format !== 'jsonl' && version.format !== 'parquet') {
      throw invalid(`${label} has format "${version.format}", which evaluation cannot read (csv, jsonl, parquet).`);
    }
    await readRows(
      path,
      version.format,
      {
        header: (n) => builder.columns((names = n)),
        values: (cells) => builder.row(cells),
        object: (row) => builder.row(names.map((n) => row[n])),
      },
      {
        label,
        onChunk: (chunk) => {
          options.signal?.throwIfAborted();
          hash.update(chunk);
          read += chunk.length;
          options.onProgress?.(read, version.sizeBytes);
        },
      },
    );
  } finally {
    await cleanup();
  }
  const digest = hash.digest('hex');
  if (digest !== version.digest) {
    throw invalidState(
      `Dataset ${version.name} v${version.version} has changed since it was registered: the bytes at ${version.source} no longer have sha256 ${version.digest.slice(0, 12)}…. Register the file again (it becomes a new version) and evaluate that.`,
    );
  }
  return builder.build();
}
