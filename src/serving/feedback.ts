/**
 * Feedback: the ground truth of a prediction, sent later by the client with the prediction id the gateway
 * returned, is stored on the prediction's row (`label`, JSON text, and `label_at`). Sending a label again for the
 * same prediction replaces it.
 */
import { sql, type Kysely } from 'kysely';
import { nowMs } from '../core/clock.js';
import { invalid } from '../core/errors.js';
import type { DB } from '../db/schema.js';
import { PREDICTION_ID } from './prediction-id.js';
import type { PredictionLog } from './prediction-log.js';
import { isPostgres } from './prediction-rows.js';

export interface FeedbackItem {
  predictionId: string;
  /** Any JSON value but null: a class, a number, an object. */
  label: unknown;
}

export interface FeedbackResult {
  /** Predictions that got their label. */
  updated: number;
  /** Ids with no prediction in the store, in request order: the route answers 404 naming them, or a partial result. */
  unknown: string[];
}

/** Serialized size cap of one label (UTF-8 bytes). */
export const MAX_LABEL_BYTES = 64 * 1024;
/** Items per call. */
export const MAX_FEEDBACK_ITEMS = 1000;

/** Validates the request and serializes the labels; throws INVALID_ARGUMENT naming the offending item. */
function validate(items: unknown): { ids: string[]; labels: string[] } {
  if (!Array.isArray(items)) throw invalid('Feedback must be a list of {predictionId, label} items.');
  if (items.length > MAX_FEEDBACK_ITEMS) {
    throw invalid(`At most ${MAX_FEEDBACK_ITEMS} feedback items per request; got ${items.length}. Split them across requests.`);
  }
  const ids: string[] = [];
  const labels: string[] = [];
  const seen = new Set<string>();
  items.forEach((item: unknown, i) => {
    const { predictionId, label } = (typeof item === 'object' && item !== null ? item : {}) as Partial<FeedbackItem>;
    if (typeof predictionId !== 'string' || !PREDICTION_ID.test(predictionId)) {
      throw invalid(`Item ${i}: predictionId must be a prediction id as returned by the gateway (a lowercase UUID); got ${JSON.stringify(predictionId) ?? 'nothing'}.`, { index: i });
    }
    if (seen.has(predictionId)) throw invalid(`Item ${i}: prediction ${predictionId} appears more than once in the request.`, { index: i, predictionId });
    seen.add(predictionId);
    if (label === undefined || label === null) throw invalid(`Item ${i}: a label is required for prediction ${predictionId}.`, { index: i, predictionId });
    let text: string | undefined;
    try {
      text = JSON.stringify(label);
    } catch {
      text = undefined;
    }
    if (text === undefined) throw invalid(`Item ${i}: the label of prediction ${predictionId} is not JSON.`, { index: i, predictionId });
    const bytes = Buffer.byteLength(text);
    if (bytes > MAX_LABEL_BYTES) {
      throw invalid(`Item ${i}: the label of prediction ${predictionId} is ${bytes} bytes as JSON; at most ${MAX_LABEL_BYTES} are allowed.`, { index: i, predictionId });
    }
    ids.push(predictionId);
    labels.push(text);
  });
  return { ids, labels };
}

/**
 * Sets the label of each prediction, all in one transaction; unknown ids are returned, not an error. Validation
 * failures (id format, duplicate ids, missing, non-JSON or oversized labels) throw before anything is written.
 */
export async function attachLabels(db: Kysely<DB>, items: readonly FeedbackItem[], now: number = nowMs()): Promise<FeedbackResult> {
  const { ids, labels } = validate(items);
  if (ids.length === 0) return { updated: 0, unknown: [] };
  const found = new Set<string>();
  await db.transaction().execute(async (trx) => {
    if (isPostgres(db)) {
      const { rows } = await sql<{ id: string }>`UPDATE predictions AS p SET label = v.label, label_at = ${now}
        FROM unnest(${ids}::text[], ${labels}::text[]) AS v(id, label)
        WHERE p.id = v.id RETURNING p.id`.execute(trx);
      for (const r of rows) found.add(r.id);
      return;
    }
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      const result = await trx.updateTable('predictions').set({ label: labels[i]!, label_at: now }).where('id', '=', id).executeTakeFirst();
      if (Number(result.numUpdatedRows) > 0) found.add(id);
    }
  });
  return { updated: found.size, unknown: ids.filter((id) => !found.has(id)) };
}

/**
 * `attachLabels`, retrying the unknown ids once after flushing the prediction log: feedback can arrive while its
 * prediction is still queued in memory. Ids still unknown after that are returned (a prediction spilled while the
 * store was down is not in the store until replayed). A flush that fails (spill failing) skips the retry.
 */
export async function attachLabelsFlushingLog(
  db: Kysely<DB>,
  log: Pick<PredictionLog, 'flush'>,
  items: readonly FeedbackItem[],
  now: number = nowMs(),
): Promise<FeedbackResult> {
  const first = await attachLabels(db, items, now);
  if (first.unknown.length === 0) return first;
  try {
    await log.flush();
  } catch {
    return first;
  }
  const retry = new Set(first.unknown);
  const second = await attachLabels(db, items.filter((it) => retry.has(it.predictionId)), now);
  return { updated: first.updated + second.updated, unknown: second.unknown };
}
