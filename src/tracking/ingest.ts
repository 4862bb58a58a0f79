import type BetterSqlite3 from 'better-sqlite3';
import { sql, type Kysely } from 'kysely';
import { recordAudit } from '../access/audit.js';
import type { Actor } from '../core/actor.js';
import { invalid } from '../core/errors.js';
import type { Database } from '../db/database.js';
import type { DB, MetricRow } from '../db/schema.js';
import { LIMITS, validateKey } from './limits.js';
import { requireActiveRun, upsertTags, validateParam, validateTag } from './runs.js';
import type { KeyValue } from './types.js';

/** A metric value to log. MLflow 3 may link it to a logged model and the dataset it was computed on. */
export interface MetricInput {
  key: string;
  value: number;
  timestamp: number;
  step: number;
  modelId?: string | null;
  datasetName?: string | null;
  datasetDigest?: string | null;
}

export interface BatchInput {
  metrics?: MetricInput[];
  params?: KeyValue[];
  tags?: KeyValue[];
}

function validateBatch(batch: BatchInput): Required<BatchInput> {
  const metrics = batch.metrics ?? [];
  const params = batch.params ?? [];
  const tags = batch.tags ?? [];
  const over = (n: number, limit: number, what: string) => {
    if (n > limit) {
      throw invalid(
        `A batch logging request can contain at most ${limit} ${what}. Got ${n} ${what}. Please split up ${what} across multiple requests and try again.`,
      );
    }
  };
  over(metrics.length, LIMITS.batchMetrics, 'metrics');
  over(params.length, LIMITS.batchParams, 'params');
  over(tags.length, LIMITS.batchTags, 'tags');
  over(metrics.length + params.length + tags.length, LIMITS.batchTotal, 'metrics, params, and tags in total');
  for (const m of metrics) {
    validateKey(m.key, 'Metric');
    if (typeof m.value !== 'number') throw invalid(`Metric '${m.key}' must have a numeric value.`);
    if (!Number.isSafeInteger(m.timestamp)) throw invalid(`Metric '${m.key}' has an invalid timestamp ${m.timestamp}.`);
    if (!Number.isSafeInteger(m.step)) throw invalid(`Metric '${m.key}' has an invalid step ${m.step}.`);
  }
  params.forEach(validateParam);
  tags.forEach(validateTag);
  const keys = params.map((p) => p.key);
  const duplicates = [...new Set(keys.filter((k, i) => keys.indexOf(k) !== i))];
  if (duplicates.length > 0) {
    throw invalid(`Duplicate parameter keys have been submitted: [${duplicates.map((k) => `'${k}'`).join(', ')}]. Please ensure the request contains only one param value per param key.`);
  }
  return { metrics, params, tags };
}

/**
 * Logs metrics, params and tags to an active run in one transaction: either all of it is stored or none.
 * Params are immutable: logging a key again with another value is INVALID_ARGUMENT; with the same value, a no-op.
 */
export async function logBatch(database: Database, actor: Actor, runId: unknown, batch: BatchInput): Promise<void> {
  const { metrics, params, tags } = validateBatch(batch);
  await database.db.transaction().execute(async (trx) => {
    const run = await requireActiveRun(trx, runId);
    const id = run.run_uuid;
    if (params.length > 0) await insertParams(trx, id, params);
    if (tags.length > 0) await upsertTags(trx, id, tags);
    if (metrics.length > 0) {
      const rows = metrics.map((m) => toMetricRow(id, m));
      await insertMetricRows(database, trx, rows);
      await upsertLatestMetrics(trx, rows);
      const linked = metrics.filter((m) => m.modelId);
      if (linked.length > 0) await insertModelMetrics(trx, id, linked);
    }
    await recordAudit(trx, actor, {
      action: 'run.log_batch',
      targetType: 'run',
      targetId: id,
      // Metric values are data, not configuration: the audit keeps their count and keys, not every value.
      after: {
        metrics: metrics.length,
        metricKeys: [...new Set(metrics.map((m) => m.key))].slice(0, 50),
        params: Object.fromEntries(params.map((p) => [p.key, p.value])),
        tags: Object.fromEntries(tags.map((t) => [t.key, t.value])),
      },
    });
  });
}

const toMetricRow = (runId: string, m: MetricInput): MetricRow => {
  const isNan = Number.isNaN(m.value);
  return { run_uuid: runId, key: m.key, value: isNan ? 0 : m.value, timestamp: m.timestamp, step: m.step, is_nan: isNan ? 1 : 0 };
};

async function insertParams(trx: Kysely<DB>, runId: string, params: KeyValue[]): Promise<void> {
  const keys = params.map((p) => p.key);
  await trx
    .insertInto('params')
    .values(params.map((p) => ({ run_uuid: runId, key: p.key, value: p.value })))
    .onConflict((oc) => oc.columns(['run_uuid', 'key']).doNothing())
    .execute();
  // Reading back after the insert also catches a concurrent writer that stored another value first.
  const stored = await trx.selectFrom('params').select(['key', 'value']).where('run_uuid', '=', runId).where('key', 'in', keys).execute();
  const storedByKey = new Map(stored.map((p) => [p.key, p.value]));
  for (const p of params) {
    const existing = storedByKey.get(p.key);
    if (existing !== p.value) {
      throw invalid(
        `Changing param values is not allowed. Param with key='${p.key}' was already logged with value='${existing}' for run ID='${runId}'. Attempted logging new value '${p.value}'.`,
      );
    }
  }
}

export const SQLITE_INSERT_METRIC =
  'INSERT INTO metrics (run_uuid, key, value, timestamp, step, is_nan) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING';
const sqliteStatements = new WeakMap<BetterSqlite3.Database, BetterSqlite3.Statement>();

/**
 * The ingestion hot path. On SQLite a cached prepared statement runs once per row inside the caller's
 * transaction (the query builder would re-prepare a statement per batch); on PostgreSQL one statement
 * inserts the whole batch from arrays.
 */
export async function insertMetricRows(database: Database, trx: Kysely<DB>, rows: MetricRow[]): Promise<void> {
  if (database.sqlite) {
    let stmt = sqliteStatements.get(database.sqlite);
    if (!stmt) {
      stmt = database.sqlite.prepare(SQLITE_INSERT_METRIC);
      sqliteStatements.set(database.sqlite, stmt);
    }
    for (const r of rows) stmt.run(r.run_uuid, r.key, r.value, r.timestamp, r.step, r.is_nan);
    return;
  }
  await sql`INSERT INTO metrics (run_uuid, key, value, timestamp, step, is_nan)
    SELECT * FROM unnest(${rows.map((r) => r.run_uuid)}::text[], ${rows.map((r) => r.key)}::text[],
      ${rows.map((r) => r.value)}::float8[], ${rows.map((r) => r.timestamp)}::int8[],
      ${rows.map((r) => r.step)}::int8[], ${rows.map((r) => r.is_nan)}::int2[])
    ON CONFLICT DO NOTHING`.execute(trx);
}

/** MLflow's latest value of a metric is the one with the greatest (step, timestamp, value). */
const later = (a: MetricRow, b: MetricRow): boolean =>
  a.step !== b.step ? a.step > b.step : a.timestamp !== b.timestamp ? a.timestamp > b.timestamp : a.value > b.value;

export async function upsertLatestMetrics(trx: Kysely<DB>, rows: MetricRow[]): Promise<void> {
  const latest = new Map<string, MetricRow>();
  for (const r of rows) {
    const k = `${r.run_uuid}\u0000${r.key}`;
    const prior = latest.get(k);
    if (!prior || later(r, prior)) latest.set(k, r);
  }
  // A stable key order keeps concurrent upserts on PostgreSQL from deadlocking on each other's rows.
  const values = [...latest.values()].sort((a, b) => (a.run_uuid + a.key < b.run_uuid + b.key ? -1 : 1));
  await trx
    .insertInto('latest_metrics')
    .values(values)
    .onConflict((oc) =>
      oc
        .columns(['run_uuid', 'key'])
        .doUpdateSet((eb) => ({
          value: eb.ref('excluded.value'),
          timestamp: eb.ref('excluded.timestamp'),
          step: eb.ref('excluded.step'),
          is_nan: eb.ref('excluded.is_nan'),
        }))
        .where((eb) =>
          eb.or([
            eb('excluded.step', '>', eb.ref('latest_metrics.step')),
            eb.and([
              eb('excluded.step', '=', eb.ref('latest_metrics.step')),
              eb('excluded.timestamp', '>', eb.ref('latest_metrics.timestamp')),
            ]),
            eb.and([
              eb('excluded.step', '=', eb.ref('latest_metrics.step')),
              eb('excluded.timestamp', '=', eb.ref('latest_metrics.timestamp')),
              eb('excluded.value', '>', eb.ref('latest_metrics.value')),
            ]),
          ]),
        ),
    )
    .execute();
}

async function insertModelMetrics(trx: Kysely<DB>, runId: string, metrics: MetricInput[]): Promise<void> {
  const ids = [...new Set(metrics.map((m) => m.modelId!))];
  const known = await trx.selectFrom('logged_models').select('model_id').where('model_id', 'in', ids).execute();
  const missing = ids.filter((id) => !known.some((k) => k.model_id === id));
  if (missing.length > 0) throw invalid(`Logged model ${missing[0]} does not exist; create it before logging metrics to it.`);
  await trx
    .insertInto('logged_model_metrics')
    .values(
      metrics.map((m) => ({
        ...toMetricRow(runId, m),
        model_id: m.modelId!,
        dataset_name: m.datasetName ?? null,
        dataset_digest: m.datasetDigest ?? null,
      })),
    )
    .execute();
}
