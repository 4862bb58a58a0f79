import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Kysely, KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from 'kysely';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openDatabase } from '../db/database.js';
import type { DB } from '../db/schema.js';
import { testStore, type TestStore } from '../../test/db.js';
import { newPredictionId, PREDICTION_ID } from './prediction-id.js';
import { PredictionLog, SPILL_SUFFIX, type PredictionLogOptions } from './prediction-log.js';
import type { PredictionEntry } from './prediction-rows.js';

let store: TestStore;
let spillDir: string;
const logs: PredictionLog[] = [];
const extra: { close(): Promise<void> }[] = [];

beforeEach(async () => {
  store = await testStore();
  spillDir = mkdtempSync(join(tmpdir(), 'slipway-spill-'));
});

afterEach(async () => {
  await Promise.all(logs.splice(0).map((l) => l.close()));
  await Promise.all(extra.splice(0).map((d) => d.close()));
  await store.cleanup();
  rmSync(spillDir, { recursive: true, force: true });
});

const entry = (over: Partial<PredictionEntry> = {}): PredictionEntry => ({
  id: newPredictionId(),
  deployment: 'churn',
  modelVersion: 3,
  role: 'stable',
  at: Date.now(),
  latencyMs: 1.25,
  status: 200,
  sampled: true,
  inputs: { x: [1, 2, 3] },
  outputs: { y: 0.5 },
  error: null,
  requestKey: 'req-1',
  ...over,
});

const make = (db: Kysely<DB> | (() => Kysely<DB>), options: Partial<PredictionLogOptions> = {}): PredictionLog => {
  const log = new PredictionLog(db, { spillDir, retryMinMs: 20, retryMaxMs: 100, onError: () => {}, ...options });
  logs.push(log);
  return log;
};

const count = async (db: Kysely<DB> = store.database.db): Promise<number> => {
  const row = await db.selectFrom('predictions').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
};

const spillFiles = (dir = spillDir): string[] => readdirSync(dir).filter((n) => n.endsWith(SPILL_SUFFIX));
const spillLines = (dir = spillDir): number =>
  spillFiles(dir).reduce((n, f) => n + readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean).length, 0);

/** A second handle on the same store, closed: every query on it fails, as when the store is down. */
async function brokenDb(): Promise<Kysely<DB>> {
  const other = await openDatabase(store.url, store.pgSchema ? { pgSchema: store.pgSchema, pgPoolSize: 2 } : {});
  await other.close();
  return other.db;
}

/** Counts the statements run through a handle (inserts of the log, not the transaction's BEGIN/COMMIT). */
class Counting implements KyselyPlugin {
  statements = 0;
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    this.statements++;
    return args.node;
  }
  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result;
  }
}

/** Answers every statement late: after it has run (and committed), as a store slower than the log's threshold. */
class Slow implements KyselyPlugin {
  constructor(private readonly ms: number) {}
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    return args.node;
  }
  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    await new Promise((r) => setTimeout(r, this.ms));
    return args.result;
  }
}

/** Fails any statement carrying the marker, as a store rejecting one bad row of a batch. */
class Poison implements KyselyPlugin {
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    if (JSON.stringify(args.node).includes('POISON')) throw new Error('row rejected by the store');
    return args.node;
  }
  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result;
  }
}

describe('newPredictionId', () => {
  it('is a UUIDv7: 36 lowercase characters, unique and increasing in generation order', async () => {
    const ids = Array.from({ length: 20_000 }, () => newPredictionId());
    for (const id of ids.slice(0, 100)) {
      expect(id).toMatch(PREDICTION_ID);
      expect(id).toHaveLength(36);
      expect(id[14]).toBe('7');
      expect('89ab').toContain(id[19]);
    }
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    const before = newPredictionId();
    await new Promise((r) => setTimeout(r, 5));
    expect(newPredictionId() > before).toBe(true);
    // The first 48 bits are the time.
    const ms = parseInt(before.slice(0, 8) + before.slice(9, 13), 16);
    expect(Math.abs(ms - Date.now())).toBeLessThan(1000);
  });
});

describe('PredictionLog', () => {
  it('writes entries logged from a tight loop in batches, with payloads only for sampled entries', async () => {
    const counter = new Counting();
    const log = make(store.database.db.withPlugin(counter), { batchSize: 1000, maxQueue: 10_000 });
    const ids: string[] = [];
    for (let i = 0; i < 5000; i++) {
      const e = entry({ sampled: i % 2 === 0, role: i % 3 === 0 ? 'candidate' : 'stable', status: i % 100 === 0 ? 500 : 200 });
      ids.push(e.id);
      const returned: unknown = log.log(e);
      expect(returned).toBeUndefined();
      expect(log.stats().queued).toBeLessThanOrEqual(10_000);
    }
    expect(log.stats().queued).toBe(5000);
    await log.flush();
    expect(await count()).toBe(5000);
    // One statement per batch of 1,000.
    expect(counter.statements).toBeGreaterThanOrEqual(5);
    expect(counter.statements).toBeLessThanOrEqual(10);
    expect(log.stats()).toMatchObject({ queued: 0, written: 5000, spilled: 0, dropped: 0, droppedBySampling: 2500, spillBacklog: 0 });
    const rows = await store.database.db.selectFrom('predictions').selectAll().where('id', 'in', [ids[0]!, ids[1]!]).orderBy('id').execute();
    expect(rows[0]).toMatchObject({ id: ids[0], deployment: 'churn', model_version: 3, role: 'candidate', status: 500, latency_ms: 1.25, request_key: 'req-1', label: null });
    expect(JSON.parse(rows[0]!.inputs!)).toEqual({ x: [1, 2, 3] });
    expect(JSON.parse(rows[0]!.outputs!)).toEqual({ y: 0.5 });
    expect(rows[1]).toMatchObject({ id: ids[1], inputs: null, outputs: null });
    expect(spillFiles()).toEqual([]);
  });

  it.runIf(process.env.SLIPWAY_TEST_DB !== 'postgres')('on SQLite, writes through the raw handle with one prepared statement, ignoring ids already stored', async () => {
    const log = make(store.database.db, { sqlite: store.database.sqlite });
    const entries = Array.from({ length: 3000 }, (_, i) => entry({ sampled: i % 2 === 0 }));
    for (const e of entries) log.log(e);
    await log.flush();
    for (const e of entries.slice(0, 10)) log.log(e); // a replay of the same ids
    await log.flush();
    expect(await count()).toBe(3000);
    expect(log.stats()).toMatchObject({ written: 3000, dropped: 0, spilled: 0 });
    const row = await store.database.db.selectFrom('predictions').selectAll().where('id', '=', entries[0]!.id).executeTakeFirstOrThrow();
    expect(JSON.parse(row.inputs!)).toEqual({ x: [1, 2, 3] });
  });

  it('writes a partial batch within flushMs without being asked', async () => {
    const log = make(store.database.db, { flushMs: 20 });
    log.log(entry());
    log.log(entry({ error: 'model crashed', status: 500, inputs: undefined, outputs: () => 0 }));
    await vi.waitFor(async () => expect(await count()).toBe(2), { timeout: 5000, interval: 20 });
    const failed = await store.database.db.selectFrom('predictions').selectAll().where('status', '=', 500).executeTakeFirstOrThrow();
    expect(failed).toMatchObject({ error: 'model crashed', inputs: null, outputs: null });
  });

  it('holds at most maxQueue entries and drops (and counts) the newest beyond', async () => {
    const log = make(store.database.db, { maxQueue: 100, batchSize: 50 });
    const ids: string[] = [];
    for (let i = 0; i < 150; i++) {
      const e = entry();
      ids.push(e.id);
      log.log(e);
    }
    expect(log.stats()).toMatchObject({ queued: 100, dropped: 50 });
    await log.flush();
    // A queue 80% full is shed to the spill file (rather than risk dropping more), then replayed.
    await vi.waitFor(() => expect(log.stats().spillBacklog).toBe(0), { timeout: 10_000, interval: 20 });
    const stored = (await store.database.db.selectFrom('predictions').select('id').execute()).map((r) => r.id).sort();
    expect(stored).toEqual(ids.slice(0, 100));
    // Room again once written.
    log.log(entry());
    await log.flush();
    expect(await count()).toBe(101);
  });

  it('drops invalid entries without failing their batch, and never throws from log()', async () => {
    const log = make(store.database.db);
    log.log(entry({ role: 'bogus' as 'stable' }));
    log.log(entry({ at: Number.NaN }));
    log.log(null as unknown as PredictionEntry);
    log.log(entry({ deployment: 'nul\u0000in name', error: 'x'.repeat(100_000) }));
    const odd = entry({ deployment: 'a "b" {c}, \\d \u00e9\u{1f600}', requestKey: 'NULL', inputs: ['{', null, '\\'] });
    log.log(odd);
    await log.flush();
    expect(await count()).toBe(2);
    expect(log.stats().dropped).toBe(3);
    const stored = await store.database.db.selectFrom('predictions').selectAll().where('id', '=', odd.id).executeTakeFirstOrThrow();
    expect(stored).toMatchObject({ deployment: odd.deployment, request_key: 'NULL', inputs: JSON.stringify(odd.inputs) });
    const long = await store.database.db.selectFrom('predictions').select(['deployment', 'error']).where('id', '!=', odd.id).executeTakeFirstOrThrow();
    expect(long.deployment).toBe('nul\uFFFDin name');
    expect(long.error).toHaveLength(8192);
  });

  it('writes the other rows of a batch the store rejects one row of', async () => {
    const log = make(store.database.db.withPlugin(new Poison()));
    for (let i = 0; i < 20; i++) log.log(entry({ requestKey: i === 7 ? 'POISON' : `k${i}` }));
    await log.flush();
    expect(await count()).toBe(19);
    expect(log.stats()).toMatchObject({ written: 19, dropped: 1, spilled: 0 });
  });

  it('spills while the store is down and replays exactly once when it answers again', async () => {
    const broken = await brokenDb();
    let current = broken;
    const errors: unknown[] = [];
    const log = make(() => current, { batchSize: 100, onError: (e) => errors.push(e) });
    const ids: string[] = [];
    for (let i = 0; i < 350; i++) {
      const e = entry();
      ids.push(e.id);
      log.log(e);
    }
    await log.flush();
    expect(log.stats()).toMatchObject({ queued: 0, written: 0, spilled: 350, dropped: 0, spillBacklog: 350 });
    expect(spillLines()).toBe(350);
    expect(errors.length).toBeGreaterThan(0);
    // More while down: straight to the spill file.
    for (let i = 0; i < 50; i++) {
      const e = entry();
      ids.push(e.id);
      log.log(e);
    }
    await log.flush();
    expect(log.stats().spilled).toBe(400);

    current = store.database.db;
    await vi.waitFor(() => expect(spillFiles()).toEqual([]), { timeout: 10_000, interval: 20 });
    expect(log.stats()).toMatchObject({ written: 400, spillBacklog: 0, spilled: 400, dropped: 0 });
    const stored = (await store.database.db.selectFrom('predictions').select('id').execute()).map((r) => r.id).sort();
    expect(stored).toEqual(ids);
    // Normal batches resume.
    log.log(entry());
    await log.flush();
    expect(await count()).toBe(401);
    expect(log.stats().spilled).toBe(400);
  });

  it('spills a batch the store is too slow to take, and its replay does not duplicate it', async () => {
    let current: Kysely<DB> = store.database.db.withPlugin(new Slow(400));
    const log = make(() => current, { slowMs: 100, batchSize: 50 });
    const ids = Array.from({ length: 120 }, () => entry());
    for (const e of ids) log.log(e);
    await log.flush();
    expect(log.stats().spilled).toBeGreaterThan(0);
    current = store.database.db;
    await vi.waitFor(() => expect(spillFiles()).toEqual([]), { timeout: 10_000, interval: 20 });
    expect(log.stats().spillBacklog).toBe(0);
    // The slow insert did commit; the replay ignored those ids.
    expect(await count()).toBe(120);
  });

  it('replays spill files left by a previous instance, skipping a torn last line', async () => {
    const broken = await brokenDb();
    const first = make(broken);
    const ids: string[] = [];
    for (let i = 0; i < 200; i++) {
      const e = entry();
      ids.push(e.id);
      first.log(e);
    }
    await first.flush();
    expect(first.stats().spillBacklog).toBe(200);
    // The first instance is abandoned, not closed: as if killed. A crash mid-append left half a line.
    const [file] = spillFiles();
    appendFileSync(join(spillDir, file!), '{"id":"0190');
    const second = make(store.database.db);
    await vi.waitFor(() => expect(spillFiles()).toEqual([]), { timeout: 10_000, interval: 20 });
    expect(second.stats()).toMatchObject({ written: 200, spillBacklog: 0, dropped: 1 });
    const stored = (await store.database.db.selectFrom('predictions').select('id').execute()).map((r) => r.id).sort();
    expect(stored).toEqual(ids);
  });

  it('close() writes the queue to the store; a closed log drops', async () => {
    const log = make(store.database.db, { flushMs: 60_000 });
    for (let i = 0; i < 10; i++) log.log(entry());
    await log.close();
    expect(await count()).toBe(10);
    log.log(entry());
    expect(log.stats()).toMatchObject({ written: 10, dropped: 1, queued: 0 });
    await log.flush();
  });

  it('close() with the store down spills the queue, and the next start replays it', async () => {
    const broken = await brokenDb();
    const log = make(broken, { flushMs: 60_000, retryMinMs: 60_000, retryMaxMs: 60_000 });
    for (let i = 0; i < 30; i++) log.log(entry());
    await log.close();
    expect(log.stats()).toMatchObject({ spilled: 30, spillBacklog: 30, written: 0 });
    expect(spillLines()).toBe(30);
    const next = make(store.database.db);
    await vi.waitFor(() => expect(next.stats().written).toBe(30), { timeout: 10_000, interval: 20 });
    await vi.waitFor(() => expect(spillFiles()).toEqual([]), { timeout: 5000, interval: 20 });
    expect(await count()).toBe(30);
  });

  it('with the store down and spilling impossible, keeps at most maxQueue in memory and drops the newest', async () => {
    const file = join(spillDir, 'not-a-dir');
    writeFileSync(file, '');
    const broken = await brokenDb();
    const log = make(broken, { spillDir: join(file, 'spill'), maxQueue: 50, batchSize: 10 });
    for (let i = 0; i < 80; i++) log.log(entry());
    expect(log.stats()).toMatchObject({ queued: 50, dropped: 30 });
    await expect(log.flush()).rejects.toThrow();
    for (let i = 0; i < 10; i++) log.log(entry());
    expect(log.stats().queued).toBeLessThanOrEqual(50);
    expect(log.stats()).toMatchObject({ dropped: 40, spilled: 0, written: 0 });
    await log.close();
    expect(log.stats()).toMatchObject({ queued: 0, dropped: 90, spilled: 0 });
  });

  it('replays the spill files of a process killed with SIGKILL', async () => {
    // A child process logs against a store that is down, reports once its rows are spilled, and is killed.
    const module = fileURLToPath(new URL('./prediction-log.ts', import.meta.url));
    const idModule = fileURLToPath(new URL('./prediction-id.ts', import.meta.url));
    const script = `
      import { Kysely, SqliteDialect } from 'kysely';
      const { PredictionLog } = await import(${JSON.stringify(module)});
      const { newPredictionId } = await import(${JSON.stringify(idModule)});
      const down = new Kysely({ dialect: new SqliteDialect({ database: async () => { throw new Error('down'); } }) });
      const log = new PredictionLog(down, { spillDir: ${JSON.stringify(spillDir)}, retryMinMs: 60000, onError: () => {} });
      const ids = [];
      for (let i = 0; i < 500; i++) {
        const id = newPredictionId();
        ids.push(id);
        log.log({ id, deployment: 'd', modelVersion: 1, role: 'shadow', at: Date.now(), latencyMs: 1, status: 200, sampled: true, inputs: [i], outputs: [i] });
      }
      await log.flush();
      process.stdout.write(JSON.stringify(ids) + '\\n');
      setInterval(() => {}, 1000);
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    try {
      await vi.waitFor(() => expect(out.includes('\n'), err).toBe(true), { timeout: 30_000, interval: 50 });
    } finally {
      child.kill('SIGKILL');
    }
    expect(await exited).toBe('SIGKILL');
    const ids = JSON.parse(out) as string[];
    expect(spillLines()).toBe(500);

    const log = make(store.database.db);
    await vi.waitFor(() => expect(spillFiles()).toEqual([]), { timeout: 10_000, interval: 20 });
    const rows = await store.database.db.selectFrom('predictions').select(['id', 'inputs', 'role']).orderBy('id').execute();
    expect(rows.map((r) => r.id)).toEqual([...ids].sort());
    expect(rows[0]).toMatchObject({ role: 'shadow', inputs: '[0]' });
    expect(log.stats()).toMatchObject({ written: 500, spillBacklog: 0 });
  });
});
