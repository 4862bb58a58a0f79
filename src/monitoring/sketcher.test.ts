import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openDatabase } from '../db/database.js';
import type { DB } from '../db/schema.js';
import { testDialect, testStore, type TestStore } from '../../test/db.js';
import { newPredictionId } from '../serving/prediction-id.js';
import { PredictionLog, type PredictionLogOptions } from '../serving/prediction-log.js';
import { ServingSketches } from './sketcher.js';

let store: TestStore;
let spillDir: string;
const closers: (() => Promise<void>)[] = [];

beforeEach(async () => {
  store = await testStore();
  spillDir = mkdtempSync(join(tmpdir(), 'slipway-sketch-spill-'));
});

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  await store.cleanup();
  rmSync(spillDir, { recursive: true, force: true });
});

/** A log and sketches wired as the server wires them: the sketches' counts commit with the log's rows. */
function coupled(db: Kysely<DB> | (() => Kysely<DB>), options: Partial<PredictionLogOptions> = {}) {
  const sketches = new ServingSketches(store.database.db, { bucketMs: 60_000, flushMs: 60_000 });
  let commit = (): Promise<void> => Promise.resolve();
  const log = new PredictionLog(db, { spillDir, retryMinMs: 20, retryMaxMs: 100, onError: () => {}, companion: sketches.companion(() => commit()), ...options });
  commit = () => log.commitCompanion();
  closers.push(async () => {
    await log.close();
    await sketches.close();
  });
  /** One failed prediction, as the gateway records it: sketched, then logged. */
  const predict = () => {
    sketches.observeError('churn', 1, 2);
    log.log({ id: newPredictionId(), deployment: 'churn', modelVersion: 1, role: 'stable', at: Date.now(), latencyMs: 2, status: 500, sampled: false, error: 'boom' });
  };
  return { sketches, log, predict };
}

/** Predictions stored and requests counted by the buckets, read in one statement (one snapshot on both dialects). */
async function snapshot(db: Kysely<DB> = store.database.db): Promise<{ logged: number; counted: number }> {
  const { rows } = await sql<{ logged: number | string; counted: number | string | null }>`
    SELECT (SELECT count(*) FROM predictions) AS logged, (SELECT sum(requests) FROM monitor_buckets) AS counted`.execute(db);
  return { logged: Number(rows[0]!.logged), counted: Number(rows[0]!.counted ?? 0) };
}

describe(`monitoring buckets commit with the prediction log (${testDialect})`, () => {
  it('counts exactly the predictions stored at every moment, under a steady trickle, without being flushed', async () => {
    const { predict } = coupled(store.database.db);
    const seen: { logged: number; counted: number }[] = [];
    for (let round = 0; round < 60; round++) {
      for (let i = 0; i < 1 + (round % 7); i++) predict();
      await new Promise((r) => setTimeout(r, round % 3 === 0 ? 0 : 5));
      seen.push(await snapshot());
    }
    expect(seen.filter((s) => s.logged !== s.counted)).toEqual([]);
    // The snapshots did see the log progress, not only an empty store.
    expect(new Set(seen.map((s) => s.logged)).size).toBeGreaterThan(4);
  });

  it('with the store down, counts catch up with the spilled rows once it answers, and flush() says the store was down', async () => {
    const other = await openDatabase(store.url, store.pgSchema ? { pgSchema: store.pgSchema, pgPoolSize: 2 } : {});
    await other.close();
    let current = other.db;
    const { log, sketches, predict } = coupled(() => current);
    for (let i = 0; i < 40; i++) predict();
    await vi.waitFor(() => expect(log.stats().spilled).toBe(40), { timeout: 5000, interval: 10 });
    await expect(sketches.flush()).rejects.toThrow();
    expect(await snapshot()).toEqual({ logged: 0, counted: 0 });
    current = store.database.db;
    for (let i = 0; i < 10; i++) predict();
    await vi.waitFor(async () => expect(await snapshot()).toEqual({ logged: 50, counted: 50 }), { timeout: 10_000, interval: 20 });
    await sketches.flush();
    const row = await store.database.db.selectFrom('monitor_buckets').select(['requests', 'errors', 'sketch']).executeTakeFirstOrThrow();
    expect(Number(row.errors)).toBe(50);
    expect(JSON.parse(row.sketch)).toMatchObject({ requests: 50, errors: 50 });
  });
});
