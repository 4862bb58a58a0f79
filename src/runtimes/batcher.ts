/**
 * Dynamic batching in front of a ModelRuntime: concurrent `predict` calls are queued, their frames concatenated into
 * one call of the inner runtime, and the predictions split back per caller. One call of N rows costs far less than
 * N calls of one row when the per-call overhead (tensor setup, session run, a worker round trip) dominates.
 *
 * When a batch goes. A call joins the queue; the queue goes to the runtime as one batch when it holds `maxBatchRows`
 * rows (a call that would overflow it sends the queue first), or `maxDelayMs` after the first call joined it. So a
 * lone caller with no concurrency pays up to `maxDelayMs` extra latency (0 means "the rest of this event-loop turn",
 * i.e. a `setImmediate`). With `eager: true` it pays nothing: a call that finds the queue empty and no batch in
 * flight goes at once; calls arriving while a batch is in flight queue up and go together as soon as it finishes
 * (or at `maxBatchRows` / `maxDelayMs`, whichever comes first). A frame of `maxBatchRows` rows or more goes alone,
 * at once.
 *
 * Each call's frame is validated on its own first (`columnsFor`: the same `invalid` errors, failing that caller
 * only); a batch holds only the runtime's input columns. When a batch fails, every caller in it gets the error;
 * except that a batch of several callers failing with INVALID_ARGUMENT (a value one caller sent that the model
 * cannot take, e.g. a fraction for an int64 input) is retried caller by caller, so only the callers whose own rows
 * are invalid fail. A runtime whose inputs are unknown (an http runtime without a signature, `inputs` empty) is not
 * batched: calls pass straight through.
 */
import { SlipwayError, invalid, invalidState } from '../core/errors.js';
import type { Column, Frame } from './frame.js';
import type { OnnxModelInfo } from './onnx/model-info.js';
import type { ModelRuntime, Predictions, RuntimeInput } from './types.js';
import { columnsFor } from './validate.js';

export interface BatchingOptions {
  /** Most rows in one batch; default 64. */
  maxBatchRows?: number;
  /** Longest a call waits for company before its batch goes, in ms; default 1. */
  maxDelayMs?: number;
  /** Send at once when nothing is queued or in flight (no added latency when idle); default false. */
  eager?: boolean;
}

export interface BatchingRuntime extends ModelRuntime {
  readonly inner: ModelRuntime;
  /** The inner runtime's `info` (ONNX model signature), when it has one. */
  readonly info?: OnnxModelInfo;
}

interface Call {
  frame: Frame;
  columns: Column[];
  resolve: (p: Predictions) => void;
  reject: (err: unknown) => void;
}

/** One column of the batch from the callers' columns for the same input (validated: see columnsFor). */
function concatColumn(input: RuntimeInput, parts: Column[], rows: number[], total: number): Column {
  if (input.type === 'number') {
    const out = new Float64Array(total);
    let o = 0;
    parts.forEach((c, k) => {
      // A text column reaching here is all null (validated): all missing, as the runtimes read it.
      if (c.kind === 'number') out.set(c.values, o);
      else out.fill(NaN, o, o + rows[k]!);
      o += rows[k]!;
    });
    return { kind: 'number', values: out };
  }
  if (parts.every((c) => c.kind === 'number')) {
    const out = new Float64Array(total);
    let o = 0;
    parts.forEach((c, k) => {
      out.set(c.values as Float64Array, o);
      o += rows[k]!;
    });
    return { kind: 'number', values: out };
  }
  const out: (string | null)[] = new Array<string | null>(total);
  let o = 0;
  for (const c of parts) {
    if (c.kind === 'string') for (const v of c.values) out[o++] = v;
    else for (const v of c.values) out[o++] = Number.isNaN(v) ? null : String(v);
  }
  return { kind: 'string', values: out };
}

/** Rows [start, start + rows) of a batch's predictions, as a caller's own Predictions (own buffers). */
function slicePredictions(p: Predictions, start: number, rows: number): Predictions {
  const out: Predictions = { rows };
  if (p.value) out.value = p.value.slice(start, start + rows);
  if (p.classes) out.classes = p.classes;
  if (p.labelIndex) out.labelIndex = p.labelIndex.slice(start, start + rows);
  if (p.proba) {
    const C = p.classes?.length ?? (p.rows > 0 ? p.proba.length / p.rows : 0);
    out.proba = p.proba.slice(start * C, (start + rows) * C);
  }
  return out;
}

class DynamicBatcher implements BatchingRuntime {
  readonly kind: ModelRuntime['kind'];
  readonly inputs: RuntimeInput[];
  readonly info?: OnnxModelInfo;
  #queue: Call[] = [];
  #queuedRows = 0;
  #timer: { cancel: () => void } | null = null;
  #inFlight = new Set<Promise<void>>();
  #closed = false;

  constructor(
    readonly inner: ModelRuntime,
    private readonly maxBatchRows: number,
    private readonly maxDelayMs: number,
    private readonly eager: boolean,
  ) {
    this.kind = inner.kind;
    this.inputs = inner.inputs;
    if ('info' in inner) this.info = (inner as { info?: OnnxModelInfo }).info;
  }

  predict(frame: Frame): Promise<Predictions> {
    if (this.#closed) return Promise.reject(invalidState('the model runtime is closed'));
    if (this.inputs.length === 0) return this.inner.predict(frame);
    let columns: Column[];
    try {
      columns = columnsFor(frame, this.inputs);
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise<Predictions>((resolve, reject) => {
      const call: Call = { frame, columns, resolve, reject };
      if (frame.rows === 0 || frame.rows >= this.maxBatchRows) {
        this.#run([call]);
        return;
      }
      if (this.#queuedRows + frame.rows > this.maxBatchRows) this.#flush();
      this.#queue.push(call);
      this.#queuedRows += frame.rows;
      if (this.#queuedRows >= this.maxBatchRows || (this.eager && this.#inFlight.size === 0)) this.#flush();
      else this.#arm();
    });
  }

  #arm(): void {
    if (this.#timer) return;
    if (this.maxDelayMs <= 0) {
      const h = setImmediate(() => this.#flush());
      this.#timer = { cancel: () => clearImmediate(h) };
    } else {
      const h = setTimeout(() => this.#flush(), this.maxDelayMs);
      this.#timer = { cancel: () => clearTimeout(h) };
    }
  }

  #flush(): void {
    this.#timer?.cancel();
    this.#timer = null;
    if (this.#queue.length === 0) return;
    const calls = this.#queue;
    this.#queue = [];
    this.#queuedRows = 0;
    this.#run(calls);
  }

  #run(calls: Call[]): void {
    const done = this.#batch(calls).finally(() => {
      this.#inFlight.delete(done);
      // Eager: whatever queued up while this batch ran goes now.
      if (this.eager && this.#queue.length > 0) this.#flush();
    });
    this.#inFlight.add(done);
  }

  /** One inner call for the calls; settles every call, never rejects. */
  async #batch(calls: Call[]): Promise<void> {
    if (calls.length === 1) {
      const c = calls[0]!;
      try {
        c.resolve(await this.inner.predict(c.frame));
      } catch (err) {
        c.reject(err);
      }
      return;
    }
    const rows = calls.map((c) => c.frame.rows);
    const total = rows.reduce((a, b) => a + b, 0);
    let p: Predictions;
    try {
      const columns = new Map<string, Column>();
      this.inputs.forEach((input, i) => columns.set(input.name, concatColumn(input, calls.map((c) => c.columns[i]!), rows, total)));
      p = await this.inner.predict({ rows: total, columns });
      if (p.rows !== total) throw invalidState(`the model returned ${p.rows} predictions for a batch of ${total} rows`);
    } catch (err) {
      if (err instanceof SlipwayError && err.code === 'INVALID_ARGUMENT') {
        // Someone's values: find out whose, caller by caller.
        await Promise.all(calls.map((c) => this.#batch([c])));
      } else {
        for (const c of calls) c.reject(err);
      }
      return;
    }
    let start = 0;
    calls.forEach((c, k) => {
      c.resolve(slicePredictions(p, start, rows[k]!));
      start += rows[k]!;
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#flush();
    await Promise.all([...this.#inFlight]);
    await this.inner.close();
  }
}

/**
 * Wraps a runtime with dynamic batching (see the file comment): default at most 64 rows per batch, a call waiting at
 * most 1 ms for company. `close()` sends what is queued, waits for the batches in flight, then closes the runtime.
 */
export function withDynamicBatching(runtime: ModelRuntime, options: BatchingOptions = {}): BatchingRuntime {
  const maxBatchRows = options.maxBatchRows ?? 64;
  const maxDelayMs = options.maxDelayMs ?? 1;
  if (!Number.isInteger(maxBatchRows) || maxBatchRows < 1) throw invalid(`maxBatchRows must be a positive integer, got ${maxBatchRows}`);
  if (!Number.isFinite(maxDelayMs) || maxDelayMs < 0) throw invalid(`maxDelayMs must be a non-negative number, got ${maxDelayMs}`);
  return new DynamicBatcher(runtime, maxBatchRows, maxDelayMs, options.eager ?? false);
}
