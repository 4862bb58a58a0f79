/**
 * Sketches on the serving path: the gateway folds every prediction it answers (sampled for the log or not) into
 * mergeable sketches per deployment, version and time bucket: a KLL sketch per numeric input, capped counts per
 * categorical input, the prediction (label counts or value sketch) and its score, the latency, request, row and
 * error counts. Each gateway process writes its own rows, rewritten with its cumulative state (so a retry or a
 * crash never double counts), merged for any window on read.
 *
 * Agreement with the prediction log after a crash: coupled to the log (`companion()`), a bucket's counts (requests,
 * rows, errors, last prediction) are committed in the same transaction as the prediction rows they count, so after
 * kill -9 the buckets count exactly the predictions the log kept. The sketches themselves (input and prediction
 * distributions, latency) cost milliseconds to serialize, so they are rewritten at most every `flushMs` (1 s), and
 * when a bucket closes: a crash loses at most that much of the distributions, never of the counts.
 *
 * Cost on the request path: one sketch update per input column and row; memory: the open buckets' sketches.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.js';
import type { Frame } from '../runtimes/frame.js';
import type { Predictions } from '../runtimes/types.js';
import { ColumnSketch, type ColumnSketchState, type WindowSummary } from './summary.js';

/** Output columns a window has besides the model's inputs. */
export const PREDICTION_COLUMN = 'prediction';
export const SCORE_COLUMN = 'prediction_score';

export interface BucketState {
  requests: number;
  rows: number;
  errors: number;
  lastAt: number;
  /** Inputs by name, then the prediction and its score. */
  columns: Record<string, ColumnSketchState>;
  /** Milliseconds per request. */
  latency: ColumnSketchState;
  /** Requests refused because their fields did not match the model's: the fields missing, and keys it does not read. */
  schema?: { refused: number; missing: Record<string, number>; unexpected: Record<string, number> };
}

class Bucket {
  requests = 0;
  rows = 0;
  errors = 0;
  lastAt = 0;
  /** Counts changed since they were last captured for the store. */
  dirty = false;
  /** Sketches changed since they were last captured. */
  sketchDirty = false;
  /** A whole row was captured (and not given back): counts alone may be written. */
  stored = false;
  readonly columns = new Map<string, ColumnSketch>();
  readonly latency = new ColumnSketch('number');
  refused = 0;
  readonly missingFields = new Map<string, number>();
  readonly unexpectedFields = new Map<string, number>();

  column(name: string, kind: 'number' | 'category'): ColumnSketch {
    return columnOf(this.columns, name, kind);
  }

  state(): BucketState {
    const columns: Record<string, ColumnSketchState> = {};
    for (const [k, v] of this.columns) columns[k] = v.toJSON();
    return {
      requests: this.requests,
      rows: this.rows,
      errors: this.errors,
      lastAt: this.lastAt,
      columns,
      latency: this.latency.toJSON(),
      ...(this.refused > 0 ? { schema: { refused: this.refused, missing: Object.fromEntries(this.missingFields), unexpected: Object.fromEntries(this.unexpectedFields) } } : {}),
    };
  }
}

export interface SketcherOptions {
  /** Width of a bucket. Default 60 s. */
  bucketMs?: number;
  /** How often open buckets' sketches are written. Default 1 s. */
  flushMs?: number;
  now?: () => number;
  onError?(e: unknown): void;
}

function columnOf(columns: Map<string, ColumnSketch>, name: string, kind: 'number' | 'category'): ColumnSketch {
  let s = columns.get(name);
  if (!s) columns.set(name, (s = new ColumnSketch(kind)));
  return s;
}

/** Folds a model's answers: the predicted label (or value) and, for classifiers with probabilities, its score. */
export function foldPredictions(columns: Map<string, ColumnSketch>, p: Predictions): void {
  if (p.labelIndex && p.classes) {
    const s = columnOf(columns, PREDICTION_COLUMN, 'category');
    const C = p.classes.length;
    const score = p.proba ? columnOf(columns, SCORE_COLUMN, 'number') : null;
    for (let r = 0; r < p.rows; r++) {
      s.addCategory(p.classes[p.labelIndex[r]!] ?? null);
      // Binary: the positive (second) class's probability; multiclass: the winning class's.
      if (score) score.addNumber(C === 2 ? p.proba![r * 2 + 1]! : p.proba![r * C + Math.max(0, p.labelIndex[r]!)]!);
    }
  } else if (p.value) {
    const s = columnOf(columns, PREDICTION_COLUMN, 'number');
    for (let r = 0; r < p.rows; r++) s.addNumber(p.value[r]!);
  }
}

/** One per gateway process. */
export class ServingSketches {
  readonly bucketMs: number;
  readonly writer = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  private readonly buckets = new Map<string, Bucket>();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  private readonly now: () => number;
  private readonly flushMs: number;
  private lastFull = 0;
  /** flush() asked for sketches too, not only counts. */
  private fullWanted = false;
  /** Coupled to the prediction log: how to make it commit a batch now. */
  private commitVia: (() => Promise<void>) | null = null;

  constructor(
    private readonly db: Kysely<DB>,
    private readonly options: SketcherOptions = {},
  ) {
    this.bucketMs = options.bucketMs ?? 60_000;
    this.flushMs = options.flushMs ?? 1000;
    this.now = options.now ?? Date.now;
  }

  /** The open bucket of each deployment and version, so a request finds its bucket without building a key. */
  private readonly current = new Map<string, Map<number, { start: number; bucket: Bucket }>>();

  private bucket(deployment: string, version: number, at: number): Bucket {
    const start = at - (at % this.bucketMs);
    let versions = this.current.get(deployment);
    if (!versions) this.current.set(deployment, (versions = new Map()));
    const hit = versions.get(version);
    let b: Bucket;
    if (hit && hit.start === start) b = hit.bucket;
    else {
      const key = `${deployment}\u0000${version}\u0000${start}`;
      b = this.buckets.get(key) ?? new Bucket();
      this.buckets.set(key, b);
      versions.set(version, { start, bucket: b });
    }
    b.dirty = true;
    b.sketchDirty = true;
    b.lastAt = at;
    return b;
  }

  /** Folds an answered request: every row's inputs, the predictions, and the request's latency. */
  observe(deployment: string, version: number, frame: Frame, p: Predictions, latencyMs: number): void {
    const b = this.bucket(deployment, version, this.now());
    b.requests++;
    b.rows += frame.rows;
    b.latency.addNumber(latencyMs);
    for (const [name, col] of frame.columns) {
      if (col.kind === 'number') {
        const s = b.column(name, 'number');
        const v = col.values;
        for (let r = 0; r < frame.rows; r++) s.addNumber(v[r]!);
      } else {
        const s = b.column(name, 'category');
        for (let r = 0; r < frame.rows; r++) s.addCategory(col.values[r] ?? null);
      }
    }
    foldPredictions(b.columns, p);
  }

  /** A request refused before the model ran because its fields did not match the model's inputs. */
  observeRefused(deployment: string, version: number, missing: readonly string[], unexpected: readonly string[]): void {
    const b = this.bucket(deployment, version, this.now());
    b.requests++;
    b.errors++;
    b.refused++;
    // Field names come from callers: count at most 100 distinct ones per bucket.
    for (const [names, counts] of [
      [missing, b.missingFields],
      [unexpected, b.unexpectedFields],
    ] as const) {
      for (const f of names.slice(0, 20)) if (counts.has(f) || counts.size < 100) counts.set(f, (counts.get(f) ?? 0) + 1);
    }
  }

  /** A request the model failed (or refused). */
  observeError(deployment: string, version: number, latencyMs: number): void {
    const b = this.bucket(deployment, version, this.now());
    b.requests++;
    b.errors++;
    b.latency.addNumber(latencyMs);
  }

  start(): void {
    this.timer = setInterval(() => void this.flush().catch((e: unknown) => this.options.onError?.(e)), this.flushMs);
    this.timer.unref();
  }

  /**
   * For the prediction log: what to commit with a batch holding every prediction logged so far. `commit` makes
   * the log write a batch now (its commitCompanion()); from then on every write of these buckets goes through it,
   * so counts are never ahead of, nor behind, the rows the log stored.
   */
  companion(commit: () => Promise<void>): { capture(): SketchWrite | null } {
    this.commitVia = commit;
    return { capture: () => this.capture(this.fullWanted) };
  }

  /** Writes every bucket changed since the last flush, sketches included; forgets closed buckets once written. */
  flush(): Promise<void> {
    this.fullWanted = true;
    if (this.commitVia) return this.commitVia();
    // A flush already running may have started before the latest predictions: wait for it, then write again.
    if (this.flushing) return this.flushing.catch(() => {}).then(() => this.flush());
    const p = this.write();
    this.flushing = p;
    // Cleared once settled (not inside write(): with nothing to write it finishes before this assignment).
    void p.then(
      () => this.flushing === p && (this.flushing = null),
      () => this.flushing === p && (this.flushing = null),
    );
    return p;
  }

  private async write(): Promise<void> {
    const batch = this.capture(true);
    if (!batch) return;
    try {
      await batch.write(this.db);
    } catch (e) {
      batch.failed();
      throw e;
    }
  }

  /**
   * The changed buckets as of now: counts always, sketches when `full`, when due (every flushMs), when the bucket
   * closed or was never written. Synchronous, so it describes exactly the predictions observed so far.
   */
  private capture(full: boolean): SketchWrite | null {
    const now = this.now();
    const open = now - (now % this.bucketMs);
    if (full || now - this.lastFull >= this.flushMs) {
      full = true;
      this.lastFull = now;
      this.fullWanted = false;
    }
    const captured: Captured[] = [];
    for (const [key, b] of this.buckets) {
      const [deployment, version, start] = key.split('\u0000');
      const closed = Number(start) < open;
      const withSketch = b.sketchDirty && (full || closed || !b.stored);
      if (b.dirty || withSketch) {
        captured.push({
          key,
          bucket: b,
          wasStored: b.stored,
          row: {
            deployment: deployment!,
            model_version: Number(version),
            bucket_start: Number(start),
            bucket_ms: this.bucketMs,
            writer: this.writer,
            requests: b.requests,
            rows: b.rows,
            errors: b.errors,
            last_at: b.lastAt,
            sketch: withSketch ? JSON.stringify(b.state()) : null,
            updated_at: now,
          },
        });
        b.dirty = false;
        if (withSketch) {
          b.sketchDirty = false;
          b.stored = true;
        }
      } else if (closed && !b.sketchDirty) {
        this.buckets.delete(key);
        const versions = this.current.get(deployment!);
        if (versions?.get(Number(version))?.bucket === b) versions.delete(Number(version));
      }
    }
    if (captured.length === 0) return null;
    return {
      write: (db) => writeBuckets(db, captured),
      failed: () => {
        for (const c of captured) {
          c.bucket.dirty = true;
          if (c.row.sketch !== null) {
            c.bucket.sketchDirty = true;
            c.bucket.stored = c.wasStored;
          }
          if (!this.buckets.has(c.key)) this.buckets.set(c.key, c.bucket);
        }
      },
    };
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    // The log is closed first (the gateway closes it): what is left is written here.
    this.commitVia = null;
    await this.flushing?.catch(() => {});
    await this.flush();
  }
}

/** Work to run in the transaction of a prediction-log batch (structurally the log's CompanionWrite). */
export interface SketchWrite {
  write(db: Kysely<DB>): Promise<void>;
  failed(): void;
}

interface Captured {
  key: string;
  bucket: Bucket;
  wasStored: boolean;
  row: { deployment: string; model_version: number; bucket_start: number; bucket_ms: number; writer: string; requests: number; rows: number; errors: number; last_at: number; sketch: string | null; updated_at: number };
}

/**
 * Writes captured buckets. A bucket's requests only grow, so a write never replaces a newer one: an older
 * capture committing late (a transaction given up on as slow) leaves the newer row alone.
 */
async function writeBuckets(db: Kysely<DB>, captured: readonly Captured[]): Promise<void> {
  for (const { row } of captured) {
    const counts = { requests: row.requests, rows: row.rows, errors: row.errors, last_at: row.last_at, updated_at: row.updated_at };
    if (row.sketch === null) {
      await db
        .updateTable('monitor_buckets')
        .set(counts)
        .where('deployment', '=', row.deployment)
        .where('bucket_start', '=', row.bucket_start)
        .where('model_version', '=', row.model_version)
        .where('writer', '=', row.writer)
        .where('requests', '<=', row.requests)
        .execute();
    } else {
      const sketch = row.sketch;
      await db
        .insertInto('monitor_buckets')
        .values({ ...row, sketch })
        .onConflict((oc) =>
          oc
            .columns(['deployment', 'bucket_start', 'model_version', 'writer'])
            .doUpdateSet({ ...counts, sketch })
            .where('monitor_buckets.requests', '<=', row.requests),
        )
        .execute();
    }
  }
}

const WINDOW_PAGE = 50;

/** A window's merged buckets. */
export interface ServedWindow {
  summary: WindowSummary;
  requests: number;
  rows: number;
  errors: number;
  /** Latest prediction in the window (epoch ms), or null. */
  lastAt: number | null;
  /** Requests refused for missing fields, with the fields missing and the keys the model does not read. */
  schema: { refused: number; missing: Map<string, number>; unexpected: Map<string, number> };
  latency: ColumnSketch;
  buckets: number;
}

/** Merges the stored buckets of [from, to) for a deployment (all versions, or one), a page of buckets at a time. */
export async function readWindow(db: Kysely<DB>, deployment: string, from: number, to: number, version?: number): Promise<ServedWindow> {
  const columns = new Map<string, ColumnSketch>();
  const latency = new ColumnSketch('number');
  let requests = 0;
  let n = 0;
  let errors = 0;
  let lastAt: number | null = null;
  let buckets = 0;
  const schema = { refused: 0, missing: new Map<string, number>(), unexpected: new Map<string, number>() };
  // Keyset pages: a day of one-minute buckets is 1,440 rows of sketches; holding them all at once would cost
  // hundreds of megabytes of JSON.
  let after: { start: number; version: number; writer: string } | null = null;
  for (;;) {
    let q = db
      .selectFrom('monitor_buckets')
      .select(['bucket_start', 'model_version', 'writer', 'requests', 'rows', 'errors', 'last_at', 'sketch'])
      .where('deployment', '=', deployment)
      .where('bucket_start', '>=', from)
      .where('bucket_start', '<', to)
      .orderBy('bucket_start')
      .orderBy('model_version')
      .orderBy('writer')
      .limit(WINDOW_PAGE);
    if (version !== undefined) q = q.where('model_version', '=', version);
    if (after) {
      const a = after;
      q = q.where((eb) =>
        eb.or([
          eb('bucket_start', '>', a.start),
          eb.and([eb('bucket_start', '=', a.start), eb('model_version', '>', a.version)]),
          eb.and([eb('bucket_start', '=', a.start), eb('model_version', '=', a.version), eb('writer', '>', a.writer)]),
        ]),
      );
    }
    const rows = await q.execute();
    for (const r of rows) {
      const state = JSON.parse(r.sketch) as BucketState;
      requests += Number(r.requests);
      n += Number(r.rows);
      errors += Number(r.errors);
      lastAt = Math.max(lastAt ?? 0, Number(r.last_at));
      latency.merge(ColumnSketch.fromJSON(state.latency, true));
      if (state.schema) {
        schema.refused += state.schema.refused;
        for (const [f, c] of Object.entries(state.schema.missing)) schema.missing.set(f, (schema.missing.get(f) ?? 0) + c);
        for (const [f, c] of Object.entries(state.schema.unexpected)) schema.unexpected.set(f, (schema.unexpected.get(f) ?? 0) + c);
      }
      for (const [name, st] of Object.entries(state.columns)) {
        const sketch = ColumnSketch.fromJSON(st, true);
        const mine = columns.get(name);
        if (!mine) columns.set(name, sketch);
        else if (mine.kind === sketch.kind) mine.merge(sketch);
      }
    }
    buckets += rows.length;
    if (rows.length < WINDOW_PAGE) break;
    const last = rows[rows.length - 1]!;
    after = { start: Number(last.bucket_start), version: Number(last.model_version), writer: last.writer };
  }
  const summary: WindowSummary = { rows: n, columns: new Map([...columns].map(([k, v]) => [k, v.summary()])) };
  return { summary, requests, rows: n, errors, lastAt, latency, buckets, schema };
}
