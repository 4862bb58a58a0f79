import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/database.js';
import { invalid } from '../core/errors.js';
import type { DB } from '../db/schema.js';
import { requireRunRow } from './runs.js';
import { decodePageToken, encodePageToken } from './search/page-token.js';
import type { Metric } from './types.js';

export interface HistoryPage {
  metrics: Metric[];
  nextPageToken: string | null;
}

/**
 * Every logged value of one metric of a run, ordered by step then timestamp. Without `maxResults` the whole
 * history comes back in one page, as MLflow's get-history does.
 */
export async function getMetricHistory(
  db: Kysely<DB>,
  runId: unknown,
  key: string,
  opts: { maxResults?: number; pageToken?: string; orderBy?: 'step' | 'timestamp' } = {},
): Promise<HistoryPage> {
  if (!key) throw invalid(`Missing value for required parameter 'metric_key'.`);
  const run = await requireRunRow(db, runId);
  const offset = decodePageToken(opts.pageToken);
  let q = db
    .selectFrom('metrics')
    .select(['value', 'timestamp', 'step', 'is_nan'])
    .where('run_uuid', '=', run.run_uuid)
    .where('key', '=', key);
  // MLflow's get-history orders by time; charts and the native API want steps.
  q = opts.orderBy === 'timestamp' ? q.orderBy('timestamp').orderBy('step').orderBy('value') : q.orderBy('step').orderBy('timestamp').orderBy('value');
  if (opts.maxResults !== undefined) q = q.limit(opts.maxResults + 1).offset(offset);
  const rows = await q.execute();
  const more = opts.maxResults !== undefined && rows.length > opts.maxResults;
  if (more) rows.pop();
  return {
    metrics: rows.map((r) => ({ key, value: r.is_nan ? NaN : r.value, timestamp: r.timestamp, step: r.step })),
    nextPageToken: more ? encodePageToken(offset + opts.maxResults!) : null,
  };
}

/**
 * The whole history of one metric as a JSON array of `{key, value, timestamp, step}` (non-finite values as the
 * strings "NaN", "Infinity", "-Infinity"), written by the database itself. Histories run to hundreds of thousands
 * of points; building a JS object per point and serializing it again takes longer than the query.
 */
export async function getMetricHistoryJson(database: Database, runId: unknown, key: string, orderBy: 'step' | 'timestamp'): Promise<string> {
  if (!key) throw invalid(`Missing value for required parameter 'metric_key'.`);
  const run = await requireRunRow(database.db, runId);
  const order = orderBy === 'timestamp' ? sql`timestamp, step, value` : sql`step, timestamp, value`;
  const query =
    database.dialect === 'sqlite'
      ? sql<{ j: string }>`SELECT coalesce(json_group_array(json_object('key', key, 'value',
          CASE WHEN is_nan THEN 'NaN' WHEN value = 9e999 THEN 'Infinity' WHEN value = -9e999 THEN '-Infinity' ELSE value END,
          'timestamp', timestamp, 'step', step) ORDER BY ${order}), '[]') AS j
          FROM metrics WHERE run_uuid = ${run.run_uuid} AND key = ${key}`
      : sql<{ j: string }>`SELECT coalesce(json_agg(json_build_object('key', key, 'value',
          CASE WHEN is_nan = 1 THEN to_json('NaN'::text) ELSE to_json(value) END,
          'timestamp', timestamp, 'step', step) ORDER BY ${order}), '[]')::text AS j
          FROM metrics WHERE run_uuid = ${run.run_uuid} AND key = ${key}`;
  return (await query.execute(database.db)).rows[0]!.j;
}

export const BULK_INTERVAL_MAX_RUNS = 100;
export const BULK_INTERVAL_MAX_RESULTS = 2500;
export const BULK_INTERVAL_DEFAULT_RESULTS = 2500;
const BULK_INTERVAL_PER_RUN_CAP = 25_000;

/**
 * Steps to show in a chart of at most `maxResults` points: evenly spaced over the distinct steps logged (sorted),
 * plus the last one, as MLflow's get-history-bulk-interval samples them.
 */
export function sampleSteps(sortedSteps: number[], maxResults: number): number[] {
  if (sortedSteps.length <= maxResults) return sortedSteps;
  const interval = sortedSteps.length / maxResults;
  const picked = new Set<number>();
  for (let i = 0; i < maxResults; i++) picked.add(sortedSteps[Math.floor(i * interval)]!);
  picked.add(sortedSteps[sortedSteps.length - 1]!);
  return [...picked];
}

export interface BulkMetric extends Metric {
  runId: string;
}

/**
 * The history of one metric for several runs, for charts: the steps kept are sampled over the union of all the
 * runs' steps in [startStep, endStep] (default 0..the largest step), plus each run's first and last step there.
 */
export async function getMetricHistoryBulkInterval(
  db: Kysely<DB>,
  input: { runIds: string[]; key: string; startStep?: number; endStep?: number; maxResults?: number },
): Promise<BulkMetric[]> {
  const runIds = [...new Set(input.runIds)];
  if (runIds.length === 0) throw invalid('GetMetricHistoryBulkInterval request must specify at least one run_id.');
  if (runIds.length > BULK_INTERVAL_MAX_RUNS) {
    throw invalid(`GetMetricHistoryBulkInterval request must specify at most ${BULK_INTERVAL_MAX_RUNS} run_ids. Received ${runIds.length} run_ids.`);
  }
  if (!input.key) throw invalid(`Missing value for required parameter 'metric_key'.`);
  const maxResults = input.maxResults ?? BULK_INTERVAL_DEFAULT_RESULTS;
  if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > BULK_INTERVAL_MAX_RESULTS) {
    throw invalid(`max_results must be between 1 and ${BULK_INTERVAL_MAX_RESULTS}.`);
  }
  if ((input.startStep === undefined) !== (input.endStep === undefined)) {
    throw invalid('If either start step or end step are specified, both must be specified.');
  }
  if (input.startStep !== undefined && input.startStep > input.endStep!) {
    throw invalid(`end_step must be greater than start_step. Found start_step=${input.startStep} and end_step=${input.endStep}.`);
  }
  for (const id of runIds) await requireRunRow(db, id);
  const histories = await Promise.all(
    runIds.map((runId) =>
      db
        .selectFrom('metrics')
        .select(['key', 'value', 'timestamp', 'step', 'is_nan'])
        .where('run_uuid', '=', runId)
        .where('key', '=', input.key)
        .orderBy('step')
        .orderBy('timestamp')
        .orderBy('value')
        .execute(),
    ),
  );
  const allSteps = [...new Set(histories.flatMap((rows) => rows.map((r) => r.step)))].sort((a, b) => a - b);
  const start = input.startStep ?? 0;
  const end = input.endStep ?? (allSteps.length ? allSteps[allSteps.length - 1]! : 0);
  const inRange = (step: number) => step >= start && step <= end;
  const keep = new Set(sampleSteps(allSteps.filter(inRange), maxResults));
  for (const rows of histories) {
    const steps = rows.map((r) => r.step).filter(inRange);
    if (steps.length) keep.add(steps[0]!).add(steps[steps.length - 1]!);
  }
  return histories.flatMap((rows, i) =>
    rows
      .filter((r) => keep.has(r.step))
      .slice(0, BULK_INTERVAL_PER_RUN_CAP)
      .map((r) => ({ runId: runIds[i]!, key: r.key, value: r.is_nan ? NaN : r.value, timestamp: r.timestamp, step: r.step })),
  );
}
