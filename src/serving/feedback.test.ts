import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SlipwayError } from '../core/errors.js';
import { testStore, type TestStore } from '../../test/db.js';
import { MAX_FEEDBACK_ITEMS, MAX_LABEL_BYTES, attachLabels, attachLabelsFlushingLog } from './feedback.js';
import { newPredictionId } from './prediction-id.js';
import { PredictionLog } from './prediction-log.js';
import { insertPredictionRows } from './prediction-rows.js';

let store: TestStore;
let spillDir: string;

beforeEach(async () => {
  store = await testStore();
  spillDir = mkdtempSync(join(tmpdir(), 'slipway-spill-'));
});

afterEach(async () => {
  await store.cleanup();
  rmSync(spillDir, { recursive: true, force: true });
});

async function predictions(n: number): Promise<string[]> {
  const ids = Array.from({ length: n }, () => newPredictionId());
  await insertPredictionRows(
    store.database.db,
    ids.map((id) => ({ id, deployment: 'churn', model_version: 1, role: 'stable' as const, at: 1000, latency_ms: 2, status: 200, inputs: null, outputs: null, error: null, request_key: null })),
  );
  return ids;
}

const labelsOf = async (ids: string[]) =>
  store.database.db.selectFrom('predictions').select(['id', 'label', 'label_at']).where('id', 'in', ids).orderBy('id').execute();

async function invalidArgument(work: Promise<unknown>, message: RegExp): Promise<void> {
  const err = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SlipwayError);
  expect((err as SlipwayError).code).toBe('INVALID_ARGUMENT');
  expect((err as SlipwayError).message).toMatch(message);
}

describe('attachLabels', () => {
  it('stores each label as JSON with its time, and returns the unknown ids', async () => {
    const [a, b, c] = await predictions(3);
    const missing = newPredictionId();
    const result = await attachLabels(
      store.database.db,
      [
        { predictionId: a!, label: 1 },
        { predictionId: missing, label: 'x' },
        { predictionId: b!, label: { class: 'churned', score: 0.9 } },
      ],
      5000,
    );
    expect(result).toEqual({ updated: 2, unknown: [missing] });
    const rows = await labelsOf([a!, b!, c!]);
    expect(rows).toEqual([
      { id: a, label: '1', label_at: 5000 },
      { id: b, label: '{"class":"churned","score":0.9}', label_at: 5000 },
      { id: c, label: null, label_at: null },
    ]);
  });

  it('replaces a label sent again', async () => {
    const [a] = await predictions(1);
    await attachLabels(store.database.db, [{ predictionId: a!, label: 'cat' }], 10);
    expect(await attachLabels(store.database.db, [{ predictionId: a!, label: 'dog' }], 20)).toEqual({ updated: 1, unknown: [] });
    expect(await labelsOf([a!])).toEqual([{ id: a, label: '"dog"', label_at: 20 }]);
  });

  it('labels a thousand predictions in one call', async () => {
    const ids = await predictions(MAX_FEEDBACK_ITEMS);
    const result = await attachLabels(store.database.db, ids.map((id, i) => ({ predictionId: id, label: i % 2 })));
    expect(result).toEqual({ updated: MAX_FEEDBACK_ITEMS, unknown: [] });
    const rows = await store.database.db.selectFrom('predictions').select('label').where('label', 'is not', null).execute();
    expect(rows).toHaveLength(MAX_FEEDBACK_ITEMS);
  });

  it('rejects a bad request before writing anything', async () => {
    const [a] = await predictions(1);
    const db = store.database.db;
    await invalidArgument(attachLabels(db, [{ predictionId: a!, label: 1 }, { predictionId: 'nope', label: 1 }]), /Item 1: predictionId/);
    await invalidArgument(attachLabels(db, [{ predictionId: a!.toUpperCase(), label: 1 }]), /predictionId/);
    await invalidArgument(attachLabels(db, [{ predictionId: a!, label: 1 }, { predictionId: a!, label: 2 }]), /more than once/);
    await invalidArgument(attachLabels(db, [{ predictionId: a!, label: null }]), /label is required/);
    await invalidArgument(attachLabels(db, [{ predictionId: a!, label: undefined }]), /label is required/);
    await invalidArgument(attachLabels(db, [{ predictionId: a!, label: 10n }]), /not JSON/);
    await invalidArgument(attachLabels(db, [{ predictionId: a!, label: 'x'.repeat(MAX_LABEL_BYTES) }]), /at most 65536/);
    await invalidArgument(attachLabels(db, { predictionId: a } as never), /list/);
    const many = Array.from({ length: MAX_FEEDBACK_ITEMS + 1 }, () => ({ predictionId: newPredictionId(), label: 1 }));
    await invalidArgument(attachLabels(db, many), /At most 1000/);
    expect(await labelsOf([a!])).toEqual([{ id: a, label: null, label_at: null }]);
    // Exactly at the cap is fine (the JSON string's quotes count).
    const atCap = 'x'.repeat(MAX_LABEL_BYTES - 2);
    expect(await attachLabels(db, [{ predictionId: a!, label: atCap }])).toEqual({ updated: 1, unknown: [] });
    expect(await attachLabels(db, [])).toEqual({ updated: 0, unknown: [] });
  });

  it('finds a prediction still queued in the prediction log once the log is flushed', async () => {
    const log = new PredictionLog(store.database.db, { spillDir, flushMs: 60_000 });
    try {
      const [known] = await predictions(1);
      const queued = newPredictionId();
      log.log({ id: queued, deployment: 'churn', modelVersion: 1, role: 'stable', at: Date.now(), latencyMs: 1, status: 200, sampled: false });
      const items = [
        { predictionId: known!, label: 'a' },
        { predictionId: queued, label: 'b' },
      ];
      // Without a flush the queued prediction is not in the store yet.
      expect(await attachLabels(store.database.db, items)).toEqual({ updated: 1, unknown: [queued] });
      const never = newPredictionId();
      expect(await attachLabelsFlushingLog(store.database.db, log, [...items, { predictionId: never, label: 'c' }])).toEqual({ updated: 2, unknown: [never] });
      expect((await labelsOf([queued])).map((r) => r.label)).toEqual(['"b"']);
    } finally {
      await log.close();
    }
  });
});
