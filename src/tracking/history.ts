import type { Kysely } from 'kysely';
import { invalid } from '../core/errors.js';
import type { DB } from '../db/schema.js';
import { requireRunRow } from './runs.js';
import type { Metric } from './types.js';

export interface HistoryPage {
  metrics: Metric[];
  nextPageToken: string | null;
}

const encodeOffset = (offset: number) => Buffer.from(JSON.stringify({ offset })).toString('base64');
function decodeOffset(token: string | undefined): number {
  if (!token) return 0;
  try {
    const { offset } = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { offset: unknown };
    if (typeof offset === 'number' && Number.isSafeInteger(offset) && offset >= 0) return offset;
  } catch {
    // falls through to the error below
  }
  throw invalid(`Invalid page_token '${token}': pass the next_page_token of the previous response unchanged.`);
}

/**
 * Every logged value of one metric of a run, ordered by step then timestamp. Without `maxResults` the whole
 * history comes back in one page, as MLflow's get-history does.
 */
export async function getMetricHistory(
  db: Kysely<DB>,
  runId: unknown,
  key: string,
  opts: { maxResults?: number; pageToken?: string } = {},
): Promise<HistoryPage> {
  if (!key) throw invalid(`Missing value for required parameter 'metric_key'.`);
  const run = await requireRunRow(db, runId);
  const offset = decodeOffset(opts.pageToken);
  let q = db
    .selectFrom('metrics')
    .select(['key', 'value', 'timestamp', 'step', 'is_nan'])
    .where('run_uuid', '=', run.run_uuid)
    .where('key', '=', key)
    .orderBy('step')
    .orderBy('timestamp')
    .orderBy('value');
  if (opts.maxResults !== undefined) q = q.limit(opts.maxResults + 1).offset(offset);
  const rows = await q.execute();
  const more = opts.maxResults !== undefined && rows.length > opts.maxResults;
  if (more) rows.pop();
  return {
    metrics: rows.map((r) => ({ key: r.key, value: r.is_nan ? NaN : r.value, timestamp: r.timestamp, step: r.step })),
    nextPageToken: more ? encodeOffset(offset + opts.maxResults!) : null,
  };
}

export const BULK_INTERVAL_MAX_RUNS = 100;
export const BULK_INTERVAL_MAX_RESULTS = 2500;
export const BULK_INTERVAL_DEFAULT_RESULTS = 2500;

/**
 * Steps to show in a chart of at most `maxResults` points: evenly spaced over the steps logged, always keeping
 * the first and last, as the MLflow UI expects of get-history-bulk-interval.
 */
export function sampleSteps(steps: number[], maxResults: number): number[] {
  const sorted = [...new Set(steps)].sort((a, b) => a - b);
  if (sorted.length <= maxResults) return sorted;
  const picked = new Set<number>([sorted[0]!, sorted[sorted.length - 1]!]);
  const stride = (sorted.length - 1) / (maxResults - 1);
  for (let i = 1; picked.size < maxResults && i < maxResults - 1; i++) picked.add(sorted[Math.round(i * stride)]!);
  return [...picked].sort((a, b) => a - b);
}

export interface BulkMetric extends Metric {
  runId: string;
}

/** The history of one metric for several runs, sampled to at most `maxResults` steps per run. */
export async function getMetricHistoryBulkInterval(
  db: Kysely<DB>,
  input: { runIds: string[]; key: string; startStep?: number; endStep?: number; maxResults?: number },
): Promise<BulkMetric[]> {
  const runIds = [...new Set(input.runIds)];
  if (runIds.length === 0) throw invalid('GetMetricHistoryBulkInterval request must specify at least one run_id.');
  if (runIds.length > BULK_INTERVAL_MAX_RUNS) {
    throw invalid(`GetMetricHistoryBulkInterval request cannot specify more than ${BULK_INTERVAL_MAX_RUNS} run_ids. Received ${runIds.length} run_ids.`);
  }
  if (!input.key) throw invalid(`Missing value for required parameter 'metric_key'.`);
  const maxResults = input.maxResults ?? BULK_INTERVAL_DEFAULT_RESULTS;
  if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > BULK_INTERVAL_MAX_RESULTS) {
    throw invalid(`max_results must be between 1 and ${BULK_INTERVAL_MAX_RESULTS}, got ${input.maxResults}.`);
  }
  if ((input.startStep === undefined) !== (input.endStep === undefined)) {
    throw invalid('If either start step or end step are specified, both must be specified.');
  }
  if (input.startStep !== undefined && input.startStep > input.endStep!) {
    throw invalid(`end_step must be greater than start_step. Found start_step=${input.startStep} and end_step=${input.endStep}.`);
  }
  for (const id of runIds) await requireRunRow(db, id);
  const out: BulkMetric[] = [];
  for (const runId of runIds) {
    let q = db.selectFrom('metrics').select(['key', 'value', 'timestamp', 'step', 'is_nan']).where('run_uuid', '=', runId).where('key', '=', input.key);
    if (input.startStep !== undefined) q = q.where('step', '>=', input.startStep).where('step', '<=', input.endStep!);
    const rows = await q.orderBy('step').orderBy('timestamp').execute();
    const keep = new Set(sampleSteps(rows.map((r) => r.step), maxResults));
    for (const r of rows) {
      if (keep.has(r.step)) out.push({ runId, key: r.key, value: r.is_nan ? NaN : r.value, timestamp: r.timestamp, step: r.step });
    }
  }
  return out;
}
