/**
 * The asynchronous prediction log. The gateway calls `log()` once per prediction on the request path; it only
 * pushes onto a bounded in-memory queue. A single background writer drains the queue in batches (one multi-row
 * INSERT per batch, in one transaction). When the store fails or is slower than `slowMs`, batches go to local
 * JSON Lines spill files instead, and the store is retried with exponential backoff; once it answers again, the
 * spill files are replayed oldest first (each deleted once written) before normal batches resume.
 *
 * Sampling: every prediction gets a row, so every prediction id the gateway hands out can receive feedback.
 * For an entry logged with `sampled: false`, inputs and outputs are dropped (stored as NULL) and the entry is
 * counted in `droppedBySampling`.
 *
 * Exactly-once: the prediction id is the primary key and every insert is insert-or-ignore, so a batch written
 * twice (spilled after a slow insert that did commit after all, a spill file replayed again after a crash
 * between the insert and the file's deletion) still leaves one row per prediction.
 *
 * Durability (kill -9 included): a prediction is committed within `flushMs` (25 ms) plus one commit of its
 * answer, so a crash loses at most the predictions answered in the last PREDICTION_DURABLE_WITHIN_MS (100 ms)
 * while the store commits in under ~50 ms; slower or down, batches go to fsynced spill files, replayed at the
 * next start. A companion (the monitoring sketches) commits in the same transaction as the rows it describes.
 */
import { randomBytes } from 'node:crypto';
import type BetterSqlite3 from 'better-sqlite3';
import { mkdir, open, readdir, readFile, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import type { DB } from '../db/schema.js';
import { insertPredictionRows, isLogRow, MAX_BATCH, pickRow, toRow, validEntry, type CompanionWrite, type LogCompanion, type LogRow, type PredictionEntry } from './prediction-rows.js';

export interface PredictionLogOptions {
  /** Bound on predictions held in memory (queued, held back, or in flight); beyond it `log()` drops. Default 50,000. */
  maxQueue?: number;
  /** Rows per INSERT. Default 1,000, at most 2,000 (bound parameters per statement on both dialects). */
  batchSize?: number;
  /** A partial batch is written at most this long after its first entry. Default 25 ms (see PREDICTION_DURABLE_WITHIN_MS). */
  flushMs?: number;
  /** Directory of the spill files; created if missing. One directory per server process. */
  spillDir: string;
  /** An insert that takes longer than this counts as a store failure: its batch is spilled. Default 2,000 ms. */
  slowMs?: number;
  /** Backoff between store retries while it is down: starts at retryMinMs, doubles up to retryMaxMs. */
  retryMinMs?: number;
  retryMaxMs?: number;
  /** A spill file is sealed (and a new one started) past this size. Default 8 MiB. */
  spillFileBytes?: number;
  /** Store and spill failures; never thrown to the caller of `log()`. */
  onError?(e: unknown): void;
  /** The raw SQLite handle behind the store, for prepared-statement inserts (see insertPredictionRows). */
  sqlite?: BetterSqlite3.Database | null;
  /**
   * State committed in the same transaction as the rows it describes (the monitoring sketches' counts). With a
   * companion, each insert takes every queued prediction, so the captured state covers exactly the rows stored.
   */
  companion?: LogCompanion;
}

export interface PredictionLogStats {
  /** Predictions in memory not yet in the store or a spill file (queued, held after a failed spill, in flight). */
  queued: number;
  /** Rows inserted into the store (replayed rows included, duplicates ignored by the store not counted). */
  written: number;
  /** Rows appended to spill files. */
  spilled: number;
  /** Predictions lost: queue full, logged after close, invalid entries, unreadable spill lines, rows the store rejects. */
  dropped: number;
  /** Predictions logged without their inputs and outputs (`sampled: false`). */
  droppedBySampling: number;
  /** Spilled rows not yet replayed into the store (files found at start included). */
  spillBacklog: number;
}

interface SpillFile {
  path: string;
  rows: number;
}

/**
 * The durability bound: a prediction answered this long before the process dies (kill -9 included) is in the
 * store, and so is its share of the monitoring sketches, provided the store commits within half of it.
 */
export const PREDICTION_DURABLE_WITHIN_MS = 100;
export const SPILL_PREFIX = 'predictions-';
export const SPILL_SUFFIX = '.jsonl';

const errCode = (e: unknown): string | undefined => (e as NodeJS.ErrnoException | null)?.code;

type StoreResult = { ok: true; inserted: number } | { ok: false; error: unknown; slow: boolean };

interface Waiter {
  target: number;
  resolve(): void;
  reject(e: unknown): void;
}

class StoreDownError extends Error {
  constructor() {
    super('Prediction log: the store is unreachable; state is written once it answers again.');
    this.name = 'StoreDownError';
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The log

export class PredictionLog {
  private readonly getDb: () => Kysely<DB>;
  private readonly maxQueue: number;
  private readonly batchSize: number;
  private readonly flushMs: number;
  private readonly slowMs: number;
  private readonly retryMinMs: number;
  private readonly retryMaxMs: number;
  private readonly spillFileBytes: number;
  /** Past this many rows in memory, batches are shed to the spill file even while the store is up. */
  private readonly highWater: number;
  private readonly spillDir: string;
  private readonly onError: ((e: unknown) => void) | undefined;
  private readonly companion: LogCompanion | undefined;
  /** Callers of commitCompanion(), by ticket: settled by the first insert that captured after they asked. */
  private companionAsked = 0;
  private companionWaiters: Waiter[] = [];
  /** Rows went to a spill file since the companion last committed: its state is written once they are replayed. */
  private companionOwed = false;

  // The queue: entries from `items[head]` on, plus batches taken out and given back after a failed spill.
  private items: PredictionEntry[] = [];
  private head = 0;
  private held: LogRow[][] = [];
  private heldRows = 0;
  private inFlight = 0;

  private written = 0;
  private spilled = 0;
  private dropped = 0;
  private droppedBySampling = 0;
  /** Entries accepted by `log()`, and those since written, spilled or dropped: in order, so flush() waits on a count. */
  private accepted = 0;
  private settled = 0;
  private waiters: Waiter[] = [];

  private running: Promise<void> | undefined;
  private again = false;
  /** When the oldest entry of the queue was logged (epoch ms). */
  private firstAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private down = false;
  private failures = 0;
  private retryDue = false;
  /** An insert given up on as slow, still running: the store is not probed again while it is pending. */
  private abandoned: Promise<void> | undefined;
  private abandonedAt = 0;
  private closing = false;
  private closed: Promise<void> | undefined;
  private readonly ready: Promise<void>;

  // Spill files: sealed ones oldest first, the one being appended to, and the one being replayed (backlog[0]).
  private backlog: SpillFile[] = [];
  private spill: { path: string; handle: FileHandle; bytes: number; rows: number } | undefined;
  private replay: { file: SpillFile; rows: LogRow[]; next: number } | undefined;
  private spillSeq = 0;
  /** After a failed spill, no new attempt before this time (backoff, as for the store). */
  private spillBlockedUntil = 0;
  private spillFailures = 0;
  private readonly sqlite: BetterSqlite3.Database | null;

  /**
   * `db` may be a getter, read before every store attempt, so the caller can swap the handle (reconnect).
   * Spill files already in `spillDir` (left by a previous process) are replayed as soon as the store answers.
   */
  constructor(db: Kysely<DB> | (() => Kysely<DB>), options: PredictionLogOptions) {
    this.getDb = typeof db === 'function' ? db : () => db;
    this.maxQueue = Math.max(1, Math.floor(options.maxQueue ?? 50_000));
    this.batchSize = Math.max(1, Math.min(MAX_BATCH, this.maxQueue, Math.floor(options.batchSize ?? 1000)));
    this.flushMs = Math.max(0, options.flushMs ?? 25);
    this.slowMs = Math.max(1, options.slowMs ?? 2000);
    this.retryMinMs = Math.max(1, options.retryMinMs ?? 250);
    this.retryMaxMs = Math.max(this.retryMinMs, options.retryMaxMs ?? 30_000);
    this.spillFileBytes = Math.max(1, options.spillFileBytes ?? 8 << 20);
    this.highWater = Math.max(this.batchSize, Math.floor(this.maxQueue * 0.8));
    this.spillDir = options.spillDir;
    this.onError = options.onError;
    this.sqlite = options.sqlite ?? null;
    this.companion = options.companion;
    this.ready = this.init();
    void this.ready.then(() => {
      if (this.backlog.length > 0) this.kick();
    });
  }

  /** Queues one prediction. Synchronous and O(1); never throws, never blocks: when the queue is full it drops. */
  log(entry: PredictionEntry): void {
    try {
      if (this.closing || this.queued() >= this.maxQueue) {
        this.dropped++;
        return;
      }
      if (!validEntry(entry)) {
        this.dropped++;
        this.report(new Error(`Prediction log: invalid entry dropped (id ${String((entry as { id?: unknown } | null)?.id)}).`));
        return;
      }
      if (!entry.sampled) {
        this.droppedBySampling++;
        // Release the payload now rather than hold it until the writer runs.
        if (entry.inputs != null || entry.outputs != null) entry = { ...entry, inputs: null, outputs: null };
      }
      if (this.items.length === this.head) this.firstAt = Date.now();
      this.items.push(entry);
      this.accepted++;
      if (this.items.length - this.head >= this.batchSize) this.kick();
      else if (!this.timer && !this.running) this.timer = setTimeout(() => this.pump(), this.flushMs).unref();
    } catch (e) {
      this.dropped++;
      this.report(e);
    }
  }

  /**
   * Resolves once every prediction logged before the call is in the store or a spill file (it does not wait for
   * a spill backlog to be replayed). Rejects if a spill fails while it waits: those rows are then only in memory.
   */
  flush(): Promise<void> {
    if (this.closed) return this.closed;
    if (this.settled >= this.accepted) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ target: this.accepted, resolve, reject });
      this.kick();
    });
  }

  /**
   * Commits the companion's state now, with whatever predictions are queued; resolves once it is in the store,
   * rejects if the store is down. Closing or closed, or without a companion, resolves at once.
   */
  commitCompanion(): Promise<void> {
    if (!this.companion || this.closing) return Promise.resolve();
    const target = ++this.companionAsked;
    return new Promise<void>((resolve, reject) => {
      this.companionWaiters.push({ target, resolve, reject });
      this.kick();
    });
  }

  /**
   * Stops accepting, writes everything still in memory to the store (or, the store failing, to a spill file),
   * seals the spill file and stops the timers. A replay in progress stops: its file stays for the next start.
   */
  close(): Promise<void> {
    this.closed ??= this.shutdown();
    return this.closed;
  }

  stats(): PredictionLogStats {
    let backlog = this.spill?.rows ?? 0;
    for (const f of this.backlog) backlog += f.rows;
    return {
      queued: this.queued(),
      written: this.written,
      spilled: this.spilled,
      dropped: this.dropped,
      droppedBySampling: this.droppedBySampling,
      spillBacklog: Math.max(0, backlog),
    };
  }

  // -------------------------------------------------------------------------------------------------------------
  // Scheduling

  private queued(): number {
    return this.items.length - this.head + this.heldRows + this.inFlight;
  }

  private pending(): number {
    return this.items.length - this.head + this.heldRows;
  }

  private kick(): void {
    if (this.closing) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.immediate ??= setImmediate(() => {
      this.immediate = undefined;
      this.pump();
    });
  }

  private pump(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.closing) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.again = false;
    this.running = this.drain()
      .catch((e: unknown) => this.report(e))
      .finally(() => {
        this.running = undefined;
        if (this.closing) return;
        if (this.again) this.kick();
        else if (this.pending() > 0 && !this.timer && (this.storeUsable() || this.spillUsable())) {
          this.timer = setTimeout(() => this.pump(), this.flushMs).unref();
        }
      });
  }

  private hasBacklog(): boolean {
    return this.replay !== undefined || this.backlog.length > 0 || this.spill !== undefined;
  }

  private spillUsable(): boolean {
    return Date.now() >= this.spillBlockedUntil;
  }

  private storeUsable(): boolean {
    if (!this.down) return true;
    // Set by the retry timer itself: a timer may fire a little before Date.now() reaches the time it was set for.
    if (!this.retryDue) return false;
    // An insert abandoned as slow is still running: probing again would pile up work on a struggling store. Its
    // end kicks the writer; if it never ends, the store is probed anyway after retryMaxMs.
    if (!this.abandoned) return true;
    const wait = this.abandonedAt + this.retryMaxMs - Date.now();
    if (wait < 0) return true;
    if (!this.retryTimer && !this.closing) {
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        this.pump();
      }, wait + 1).unref();
    }
    return false;
  }

  /** The writer: one loop at a time, until there is nothing it can do now. */
  private async drain(): Promise<void> {
    await this.ready;
    while (!this.closing) {
      const pending = this.pending();
      if (!this.storeUsable()) {
        this.settleCompanion(this.companionAsked, new StoreDownError());
        // Down: everything goes to the spill file until the retry timer fires.
        if (pending === 0 || !this.spillUsable() || !(await this.spillNext())) break;
        continue;
      }
      // Overloaded: shed to disk rather than let the queue fill up and drop.
      if (pending >= this.highWater && this.spillUsable() && (await this.spillNext())) continue;
      // Replay the backlog first, unless someone is waiting on a flush of the queue.
      if (this.hasBacklog() && !(pending > 0 && this.waiters.length > 0)) {
        await this.replayChunk();
        continue;
      }
      if (pending === 0 && this.companionWaiters.length === 0 && !this.companionOwed) break;
      if (this.companion && this.holdBack(pending)) break;
      await this.insertNext();
    }
  }

  /**
   * With a companion, a partial batch waits until its oldest entry is flushMs old rather than following the
   * previous commit at once: fewer, larger transactions, each carrying the companion's state once, and still
   * committed within flushMs plus one commit. Schedules the writer for when it is due.
   */
  private holdBack(pending: number): boolean {
    if (pending >= this.batchSize || this.waiters.length > 0 || this.companionWaiters.length > 0 || this.heldRows > 0) return false;
    const wait = this.firstAt + this.flushMs - Date.now();
    if (wait <= 0) return false;
    if (!this.timer) this.timer = setTimeout(() => this.pump(), wait).unref();
    return true;
  }

  private markDown(error: unknown): void {
    this.report(error);
    this.down = true;
    this.failures++;
    this.retryDue = false;
    const delay = Math.min(this.retryMaxMs, this.retryMinMs * 2 ** Math.min(this.failures - 1, 30));
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.closing) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.retryDue = true;
      this.pump();
    }, delay).unref();
  }

  private markUp(): void {
    this.down = false;
    this.failures = 0;
    if (this.retryTimer) {
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
    }
  }

  private settle(n: number): void {
    this.settled += n;
    if (this.waiters.length === 0) return;
    const still: Waiter[] = [];
    for (const w of this.waiters) {
      if (w.target <= this.settled) w.resolve();
      else still.push(w);
    }
    this.waiters = still;
  }

  /** Settles commitCompanion() callers up to `ticket`: resolved by a commit, rejected with the failure. */
  private settleCompanion(ticket: number, error: unknown): void {
    if (this.companionWaiters.length === 0) return;
    const still: Waiter[] = [];
    for (const w of this.companionWaiters) {
      if (w.target > ticket) still.push(w);
      else if (error === null) w.resolve();
      else w.reject(error);
    }
    this.companionWaiters = still;
  }

  /** The companion's state for a batch that holds every prediction logged so far. */
  private capture(): CompanionWrite | null {
    if (!this.companion || this.pending() > 0) return null;
    try {
      return this.companion.capture();
    } catch (e) {
      this.report(e);
      return null;
    }
  }

  private rejectWaiters(e: unknown): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w.reject(e);
  }

  private report(e: unknown): void {
    try {
      this.onError?.(e);
    } catch {
      // The error handler's own failure has nowhere to go.
    }
  }

  // -------------------------------------------------------------------------------------------------------------
  // Batches

  /**
   * The oldest rows in memory: batches given back first, then the queue. Counted in flight until settled. With a
   * companion, the whole queue (at most maxQueue rows) for one transaction.
   */
  private take(): LogRow[] {
    let rows: LogRow[];
    const back = this.held.shift();
    if (back) {
      this.heldRows -= back.length;
      rows = back;
    } else {
      const end = this.companion ? this.items.length : Math.min(this.items.length, this.head + this.batchSize);
      rows = [];
      for (let i = this.head; i < end; i++) rows.push(toRow(this.items[i]!));
      this.head = end;
      if (this.head === this.items.length) {
        this.items = [];
        this.head = 0;
      } else if (this.head > 4096 && this.head * 2 > this.items.length) {
        this.items = this.items.slice(this.head);
        this.head = 0;
      }
    }
    this.inFlight = rows.length;
    return rows;
  }

  /** Bookkeeping after a batch reached the store. */
  private stored(rows: number, inserted: number): void {
    this.inFlight = 0;
    this.written += inserted;
    this.settle(rows);
    this.markUp();
  }

  private async insertNext(): Promise<void> {
    const rows = this.take();
    const ticket = this.companionAsked;
    // Only a batch that holds every prediction logged so far may carry the companion's state.
    const whole = this.companion !== undefined && this.pending() === 0;
    const extra = whole ? this.capture() : null;
    const result = await this.store(rows, extra);
    if (result.ok) {
      if (whole) {
        if (!this.hasBacklog()) this.companionOwed = false;
        this.settleCompanion(ticket, null);
      }
      return this.stored(rows.length, result.inserted);
    }
    extra?.failed();
    if (whole) this.settleCompanion(ticket, result.error);
    if (!result.slow && (await this.salvage(rows))) return;
    this.markDown(result.error);
    await this.spillRows(rows, true);
  }

  /**
   * After a failed insert: if the store answers a trivial query, the batch itself was the problem (a row the
   * store rejects), so write it row by row and drop only the rows that fail. Returns false if the store is down.
   */
  private async salvage(rows: LogRow[]): Promise<boolean> {
    try {
      await this.withTimeout(sql`SELECT 1`.execute(this.getDb()));
    } catch {
      return false;
    }
    let lost = 0;
    for (const row of rows) {
      const r = await this.store([row]);
      if (r.ok) this.written += r.inserted;
      else if (r.slow) {
        // Slow midway: rows written so far stay written; the rest is handled like a failed batch.
        const rest = rows.slice(rows.indexOf(row));
        this.settle(rows.length - rest.length);
        this.inFlight = rest.length;
        this.markDown(r.error);
        await this.spillRows(rest, true);
        return true;
      } else {
        lost++;
        this.report(r.error);
      }
    }
    this.inFlight = 0;
    this.dropped += lost;
    this.settle(rows.length);
    this.markUp();
    return true;
  }

  /** One insert, given up on (and reported as a failure) after `slowMs`; the abandoned insert may still commit. */
  private async store(rows: LogRow[], extra: CompanionWrite | null = null): Promise<StoreResult> {
    try {
      return { ok: true, inserted: await this.withTimeout(insertPredictionRows(this.getDb(), rows, this.sqlite, extra)) };
    } catch (error) {
      return { ok: false, error, slow: error instanceof SlowStoreError };
    }
  }

  private async withTimeout<T>(work: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const slow = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new SlowStoreError(this.slowMs)), this.slowMs);
    });
    try {
      return await Promise.race([work, slow]);
    } catch (e) {
      if (e instanceof SlowStoreError) {
        const tracked: Promise<void> = work.then(
          () => undefined,
          () => undefined,
        );
        this.abandoned = tracked;
        this.abandonedAt = Date.now();
        void tracked.then(() => {
          if (this.abandoned !== tracked) return;
          this.abandoned = undefined;
          if (this.down && this.retryDue) this.kick();
        });
      }
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }

  // -------------------------------------------------------------------------------------------------------------
  // Spill files

  private async init(): Promise<void> {
    try {
      await mkdir(this.spillDir, { recursive: true });
      const names = (await readdir(this.spillDir)).filter((n) => n.startsWith(SPILL_PREFIX) && n.endsWith(SPILL_SUFFIX)).sort();
      for (const name of names) {
        const path = join(this.spillDir, name);
        let rows = 0;
        try {
          const buf = await readFile(path);
          for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, i + 1)) rows++;
        } catch (e) {
          if (errCode(e) === 'ENOENT') continue;
          this.report(e);
        }
        this.backlog.push({ path, rows });
      }
    } catch (e) {
      this.report(e);
    }
  }

  private async spillNext(): Promise<boolean> {
    return this.spillRows(this.take(), true);
  }

  /**
   * Appends rows to the current spill file and fsyncs it (one write and one fdatasync per batch). On failure the
   * rows are given back to the front of the queue (or, closing, returned as not spilled) and flush() callers are
   * told; the file is sealed, since its tail may be a torn line.
   */
  private async spillRows(rows: LogRow[], holdOnFailure: boolean): Promise<boolean> {
    if (rows.length === 0) {
      this.inFlight = 0;
      return true;
    }
    try {
      if (!this.spill) {
        await mkdir(this.spillDir, { recursive: true });
        const name = `${SPILL_PREFIX}${String(Date.now()).padStart(13, '0')}-${String(process.pid).padStart(7, '0')}-${String(this.spillSeq++).padStart(8, '0')}-${randomBytes(3).toString('hex')}${SPILL_SUFFIX}`;
        const path = join(this.spillDir, name);
        const handle = await open(path, 'a');
        this.spill = { path, handle, bytes: 0, rows: 0 };
        await syncDir(this.spillDir);
      }
      const spill = this.spill;
      let text = '';
      for (const r of rows) text += `${JSON.stringify(r)}\n`;
      const bytes = Buffer.byteLength(text);
      await spill.handle.appendFile(text);
      await spill.handle.datasync();
      spill.bytes += bytes;
      spill.rows += rows.length;
      this.spilled += rows.length;
      if (this.companion) this.companionOwed = true;
      this.spillFailures = 0;
      this.spillBlockedUntil = 0;
      this.inFlight = 0;
      this.settle(rows.length);
      if (spill.bytes >= this.spillFileBytes) await this.sealSpill();
      return true;
    } catch (e) {
      this.report(e);
      await this.sealSpill();
      this.spillFailures++;
      this.spillBlockedUntil = Date.now() + Math.min(this.retryMaxMs, this.retryMinMs * 2 ** Math.min(this.spillFailures - 1, 30));
      this.inFlight = 0;
      if (holdOnFailure) {
        this.held.unshift(rows);
        this.heldRows += rows.length;
      }
      this.rejectWaiters(e);
      return false;
    }
  }

  /** Closes the current spill file and queues it for replay (or deletes it if nothing made it in). */
  private async sealSpill(): Promise<void> {
    const spill = this.spill;
    if (!spill) return;
    this.spill = undefined;
    await spill.handle.close().catch((e: unknown) => this.report(e));
    if (spill.bytes > 0) this.backlog.push({ path: spill.path, rows: spill.rows });
    else await unlink(spill.path).catch(() => {});
  }

  /** Writes the next batch of the oldest spill file to the store; deletes the file once all of it is written. */
  private async replayChunk(): Promise<void> {
    if (!this.replay) {
      if (this.backlog.length === 0) await this.sealSpill();
      const file = this.backlog[0];
      if (!file) return;
      let text: string;
      try {
        text = await readFile(file.path, 'utf8');
      } catch (e) {
        // Gone (another process replayed it) or unreadable: skip it; an unreadable file stays for the next start.
        if (errCode(e) !== 'ENOENT') this.report(e);
        this.backlog.shift();
        return;
      }
      const rows: LogRow[] = [];
      let bad = 0;
      for (const line of text.split('\n')) {
        if (line.length === 0) continue;
        let v: unknown;
        try {
          v = JSON.parse(line);
        } catch {
          v = undefined;
        }
        if (isLogRow(v)) rows.push(pickRow(v));
        else bad++;
      }
      if (bad > 0) {
        // A torn last line after a crash mid-append: those rows were never acknowledged as spilled.
        this.dropped += bad;
        this.report(new Error(`Prediction log: ${bad} unreadable line(s) in spill file ${file.path} skipped.`));
      }
      file.rows = rows.length;
      this.replay = { file, rows, next: 0 };
    }
    const replay = this.replay;
    const chunk = replay.rows.slice(replay.next, replay.next + this.batchSize);
    if (chunk.length === 0) {
      await unlink(replay.file.path).catch((e: unknown) => {
        if (errCode(e) !== 'ENOENT') this.report(e);
      });
      this.backlog.shift();
      this.replay = undefined;
      return;
    }
    const result = await this.store(chunk);
    if (result.ok) {
      this.written += result.inserted;
      replay.next += chunk.length;
      replay.file.rows -= chunk.length;
      this.markUp();
    } else {
      this.markDown(result.error);
    }
  }

  // -------------------------------------------------------------------------------------------------------------
  // Shutdown

  private async shutdown(): Promise<void> {
    this.closing = true;
    for (const t of [this.timer, this.retryTimer]) if (t) clearTimeout(t);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = this.retryTimer = this.immediate = undefined;
    await this.ready;
    await this.running;
    // The writer has stopped between two steps; whatever is left in memory goes out now.
    while (this.pending() > 0) {
      const rows = this.take();
      if (this.storeUsable()) {
        const extra = this.capture();
        const result = await this.store(rows, extra);
        if (result.ok) {
          this.stored(rows.length, result.inserted);
          continue;
        }
        extra?.failed();
        this.markDown(result.error);
      }
      if (!(await this.spillRows(rows, false))) {
        this.dropped += rows.length;
        this.settle(rows.length);
      }
    }
    await this.sealSpill();
    // Replayed rows of a half-done file are written; the rest of it is replayed at the next start.
    this.replay = undefined;
    this.settle(0);
    for (const w of this.waiters) w.resolve();
    this.waiters = [];
    // The companion writes its own state once the log is closed.
    this.settleCompanion(Infinity, null);
  }
}

class SlowStoreError extends Error {
  constructor(ms: number) {
    super(`Prediction log: the store took longer than ${ms} ms to insert a batch.`);
    this.name = 'SlowStoreError';
  }
}

/** Makes a new file's directory entry durable (best effort: not every platform can open a directory). */
async function syncDir(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // Durability of the entry is best effort.
  } finally {
    await handle?.close().catch(() => {});
  }
}
