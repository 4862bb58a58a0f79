/**
 * What the prediction log stores: the entry the gateway hands over, its row, the checks that keep a bad entry (or a
 * bad spill line) from poisoning a batch, and the one insert both the log and its replay use.
 */
import type BetterSqlite3 from 'better-sqlite3';
import { PostgresAdapter, sql, type Kysely } from 'kysely';
import type { DB, PredictionRow } from '../db/schema.js';

export type PredictionRole = 'stable' | 'candidate' | 'shadow';

export interface PredictionEntry {
  /** From `newPredictionId()`; the primary key, returned to the client for feedback. */
  id: string;
  deployment: string;
  modelVersion: number;
  role: PredictionRole;
  /** Epoch milliseconds (an integer). */
  at: number;
  latencyMs: number;
  /** HTTP-like status: 200 answered, 4xx/5xx failed. */
  status: number;
  /**
   * Whether this prediction's payload is kept (the caller draws it with the deployment's sampling rate). When
   * false, inputs and outputs are not stored, but the row is.
   */
  sampled: boolean;
  /**
   * Any JSON-serializable value; serialized by the background writer, not on the request path, so the caller
   * must not mutate it after `log()`. null/undefined (or a value JSON cannot encode) is stored as NULL.
   */
  inputs?: unknown;
  outputs?: unknown;
  error?: string | null;
  requestKey?: string | null;
}

/**
 * Whatever must never disagree with the log after a crash. `capture()` runs synchronously when the writer takes
 * every prediction logged so far (so never in the middle of one request's `log()` calls); the work it returns
 * runs inside that batch's transaction.
 */
export interface LogCompanion {
  capture(): CompanionWrite | null;
}

export interface CompanionWrite {
  write(trx: Kysely<DB>): Promise<void>;
  /** The transaction did not commit (or its outcome is unknown): the captured state must be written again. */
  failed(): void;
}

export type LogRow = Omit<PredictionRow, 'label' | 'label_at'>;

const ROLES: ReadonlySet<string> = new Set(['stable', 'candidate', 'shadow']);
/** Rows per statement at most: bound parameters per statement on both dialects. */
export const MAX_BATCH = 2000;
const MAX_ERROR_CHARS = 8192;
const MAX_KEY_CHARS = 1024;

export const isPostgres = (db: Kysely<DB>): boolean => db.getExecutor().adapter instanceof PostgresAdapter;

const SQLITE_INSERT_PREDICTION =
  'INSERT INTO predictions (id, deployment, model_version, role, at, latency_ms, status, inputs, outputs, error, request_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING';
const sqliteStatements = new WeakMap<BetterSqlite3.Database, BetterSqlite3.Statement>();

/**
 * Inserts rows in one transaction, ignoring ids already stored; returns how many were new. On SQLite, given the raw
 * handle behind `db`, a cached prepared statement runs once per row inside the transaction: building a multi-row
 * statement with the query builder per batch costs more than the inserts themselves. On PostgreSQL one statement
 * per chunk binds one array per column.
 */
export async function insertPredictionRows(db: Kysely<DB>, rows: readonly LogRow[], sqlite?: BetterSqlite3.Database | null, companion?: CompanionWrite | null): Promise<number> {
  if (rows.length === 0 && !companion) return 0;
  const pg = isPostgres(db);
  if (sqlite && !pg) {
    let stmt = sqliteStatements.get(sqlite);
    if (!stmt) sqliteStatements.set(sqlite, (stmt = sqlite.prepare(SQLITE_INSERT_PREDICTION)));
    const insert = stmt;
    return db.transaction().execute(async (trx) => {
      let inserted = 0;
      for (const r of rows) inserted += insert.run(r.id, r.deployment, r.model_version, r.role, r.at, r.latency_ms, r.status, r.inputs, r.outputs, r.error, r.request_key).changes;
      if (companion) await companion.write(trx);
      return inserted;
    });
  }
  return db.transaction().execute(async (trx) => {
    let inserted = 0;
    for (let i = 0; i < rows.length; i += MAX_BATCH) {
      const chunk = rows.slice(i, i + MAX_BATCH);
      if (pg) {
        const col = <K extends keyof LogRow>(k: K) => chunk.map((r) => r[k]);
        const result = await sql`INSERT INTO predictions
            (id, deployment, model_version, role, at, latency_ms, status, inputs, outputs, error, request_key)
          SELECT * FROM unnest(${col('id')}::text[], ${col('deployment')}::text[], ${col('model_version')}::int8[],
            ${col('role')}::text[], ${col('at')}::int8[], ${col('latency_ms')}::float8[], ${col('status')}::int4[],
            ${col('inputs')}::text[], ${col('outputs')}::text[], ${col('error')}::text[], ${col('request_key')}::text[])
          ON CONFLICT (id) DO NOTHING`.execute(trx);
        inserted += Number(result.numAffectedRows ?? 0);
      } else {
        const result = await trx
          .insertInto('predictions')
          .values(chunk)
          .onConflict((oc) => oc.column('id').doNothing())
          .executeTakeFirst();
        inserted += Number(result.numInsertedOrUpdatedRows ?? 0);
      }
    }
    if (companion) await companion.write(trx);
    return inserted;
  });
}

const isInt = (v: unknown): v is number => Number.isSafeInteger(v);
const isText = (v: unknown, max: number): v is string => typeof v === 'string' && v.length > 0 && v.length <= max;
const isOptText = (v: unknown): boolean => v === null || v === undefined || typeof v === 'string';

/** Cheap shape checks (no payload inspection): an entry the store would reject must not poison a batch. */
export function validEntry(e: PredictionEntry): boolean {
  return (
    typeof e === 'object' &&
    e !== null &&
    isText(e.id, 128) &&
    isText(e.deployment, 512) &&
    isInt(e.modelVersion) &&
    ROLES.has(e.role) &&
    isInt(e.at) &&
    typeof e.latencyMs === 'number' &&
    Number.isFinite(e.latencyMs) &&
    Number.isInteger(e.status) &&
    Math.abs(e.status) <= 0x7fffffff &&
    typeof e.sampled === 'boolean' &&
    isOptText(e.error) &&
    isOptText(e.requestKey)
  );
}

/** PostgreSQL text cannot hold NUL. */
const clean = (s: string): string => (s.includes('\u0000') ? s.replaceAll('\u0000', '\uFFFD') : s);

function json(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  try {
    const s = JSON.stringify(v);
    return s === undefined ? null : s;
  } catch {
    return null;
  }
}

export function toRow(e: PredictionEntry): LogRow {
  return {
    id: clean(e.id),
    deployment: clean(e.deployment),
    model_version: e.modelVersion,
    role: e.role,
    at: e.at,
    latency_ms: e.latencyMs,
    status: e.status,
    inputs: e.sampled ? json(e.inputs) : null,
    outputs: e.sampled ? json(e.outputs) : null,
    error: e.error == null ? null : clean(e.error.slice(0, MAX_ERROR_CHARS)),
    request_key: e.requestKey == null ? null : clean(e.requestKey.slice(0, MAX_KEY_CHARS)),
  };
}

/** A spill line read back: the same checks as a fresh entry, on the stored column names. */
export function isLogRow(v: unknown): v is LogRow {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  return (
    isText(r.id, 128) &&
    isText(r.deployment, 512) &&
    isInt(r.model_version) &&
    typeof r.role === 'string' &&
    ROLES.has(r.role) &&
    isInt(r.at) &&
    typeof r.latency_ms === 'number' &&
    Number.isFinite(r.latency_ms) &&
    Number.isInteger(r.status) &&
    (r.inputs === null || typeof r.inputs === 'string') &&
    (r.outputs === null || typeof r.outputs === 'string') &&
    (r.error === null || typeof r.error === 'string') &&
    (r.request_key === null || typeof r.request_key === 'string')
  );
}

export const pickRow = (r: LogRow): LogRow => ({
  id: r.id,
  deployment: r.deployment,
  model_version: r.model_version,
  role: r.role,
  at: r.at,
  latency_ms: r.latency_ms,
  status: r.status,
  inputs: r.inputs,
  outputs: r.outputs,
  error: r.error,
  request_key: r.request_key,
});
