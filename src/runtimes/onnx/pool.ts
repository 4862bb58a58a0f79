/**
 * ONNX models on worker threads: the `ModelRuntime` of `openOnnxRuntime`, with the onnxruntime session(s) on
 * `threads` worker threads instead of the calling thread, so a heavy model does not stall the event loop.
 *
 * Each worker opens the model with `openOnnxRuntime` itself (same feed plan, same outputs, same session options), so
 * the predictions are the in-process ones, number for number. The frame is validated on the calling thread (the
 * same `invalid` errors, before anything is sent), then only the model's input columns travel: number columns copied
 * into one fresh buffer that is transferred (a frame's arrays may be views into a larger buffer the caller still
 * owns, and a structured clone of a view would copy the whole buffer; one buffer moves faster than one per column),
 * string columns by structured clone. Predictions
 * come back with their buffers transferred. Errors thrown in a worker come back as the same `SlipwayError` (code,
 * message, details); any other error as an `Error` with its message.
 *
 * Requests go to the worker with the fewest requests outstanding (ties: the one after the last used). A worker that
 * dies (e.g. a native crash) fails its outstanding requests with an INTERNAL error and is started again on its next
 * request. Workers keep the process alive only while they have requests outstanding; `close()` terminates them.
 *
 * Each worker's session has its own onnxruntime intra-op thread pool (onnxruntime's default size unless
 * `sessionOptions.intraOpNumThreads` says otherwise): with several workers, consider `intraOpNumThreads: 1`.
 */
import { Worker } from 'node:worker_threads';
import { invalid, invalidState, SlipwayError } from '../../core/errors.js';
import { workerEntry } from '../../core/worker-entry.js';
import type { Frame } from '../frame.js';
import type { Predictions, RuntimeInput } from '../types.js';
import { columnsFor } from '../validate.js';
import type { OnnxModelInfo } from './model-info.js';
import type { PoolMessage, PoolRequest, PoolWorkerInput, WireError, WireFrame } from './pool-worker.js';
import type { OnnxRuntime, OnnxRuntimeOptions } from './runtime.js';

export interface OnnxWorkerRuntimeOptions extends OnnxRuntimeOptions {
  /** Worker threads, each with its own session; default 1. */
  threads?: number;
}

export interface OnnxWorkerRuntime extends OnnxRuntime {
  readonly threads: number;
}

let liveWorkers = 0;
/** ONNX pool worker threads currently alive (started and not yet exited), for tests and diagnostics. */
export function runningOnnxWorkers(): number {
  return liveWorkers;
}


function fromWire(e: WireError): Error {
  return e.code === null ? new Error(e.message) : new SlipwayError(e.code, e.message, e.details);
}

interface Pending {
  resolve: (p: Predictions) => void;
  reject: (err: unknown) => void;
}

/** One worker thread and its outstanding requests; started again after an unexpected exit. */
class Slot {
  worker: Worker | null = null;
  /** Settles when the worker's session is open (rejects when opening failed or the worker died first). */
  ready: Promise<{ inputs: RuntimeInput[]; info: OnnxModelInfo }> | null = null;
  readonly pending = new Map<number, Pending>();
  #closing = false;

  constructor(
    private readonly entry: { script: URL | string; eval: boolean },
    private readonly data: PoolWorkerInput,
  ) {}

  get alive(): boolean {
    return this.worker !== null;
  }

  start(): Promise<{ inputs: RuntimeInput[]; info: OnnxModelInfo }> {
    if (this.ready) return this.ready;
    const worker = new Worker(this.entry.script, { workerData: this.data, eval: this.entry.eval });
    liveWorkers++;
    this.worker = worker;
    let opened = false;
    this.ready = new Promise((resolve, reject) => {
      let firstError: unknown = null;
      worker.on('message', (msg: PoolMessage) => {
        switch (msg.type) {
          case 'ready':
            opened = true;
            this.#refresh();
            resolve({ inputs: msg.inputs, info: msg.info });
            break;
          case 'open-failed':
            reject(fromWire(msg.error));
            void worker.terminate();
            break;
          case 'result':
          case 'error': {
            const p = this.pending.get(msg.id);
            if (!p) break;
            this.pending.delete(msg.id);
            this.#refresh();
            if (msg.type === 'result') p.resolve(msg.predictions);
            else p.reject(fromWire(msg.error));
            break;
          }
        }
      });
      worker.on('error', (err) => (firstError ??= err));
      worker.once('exit', (code) => {
        liveWorkers--;
        if (this.worker === worker) {
          this.worker = null;
          this.ready = null;
        }
        const why = firstError instanceof Error ? `: ${firstError.message}` : '';
        if (!opened) reject(firstError ?? new SlipwayError('INTERNAL', `the ONNX worker thread exited (code ${code}) before opening the model`));
        const err = this.#closing
          ? new SlipwayError('UNAVAILABLE', 'the model runtime was closed')
          : new SlipwayError('INTERNAL', `the ONNX worker thread exited (code ${code})${why}`);
        for (const p of this.pending.values()) p.reject(err);
        this.pending.clear();
      });
    });
    // Keep the process alive while opening; afterwards only while requests are outstanding.
    this.ready.catch(() => {});
    return this.ready;
  }

  /** Holds the process open only while the worker is opening or has requests outstanding. */
  #refresh(): void {
    if (!this.worker) return;
    if (this.pending.size > 0) this.worker.ref();
    else this.worker.unref();
  }

  send(req: PoolRequest, transfer: ArrayBuffer[], p: Pending): void {
    const worker = this.worker;
    if (!worker) {
      p.reject(new SlipwayError('INTERNAL', 'the ONNX worker thread is not running'));
      return;
    }
    this.pending.set(req.id, p);
    this.#refresh();
    try {
      worker.postMessage(req, transfer);
    } catch (err) {
      this.pending.delete(req.id);
      this.#refresh();
      p.reject(err);
    }
  }

  async terminate(): Promise<void> {
    this.#closing = true;
    const w = this.worker;
    if (w) await w.terminate();
  }
}

class OnnxWorkerModelRuntime implements OnnxWorkerRuntime {
  readonly kind = 'onnx' as const;
  #nextId = 1;
  #last = -1;
  #closed = false;

  constructor(
    readonly info: OnnxModelInfo,
    readonly inputs: RuntimeInput[],
    private readonly slots: Slot[],
  ) {}

  get threads(): number {
    return this.slots.length;
  }

  /** Fewest outstanding requests, preferring running workers; ties go round-robin from the last one used. */
  #pick(): Slot {
    const n = this.slots.length;
    let best: Slot | null = null;
    let bestScore = Infinity;
    let bestIndex = 0;
    for (let k = 1; k <= n; k++) {
      const i = (this.#last + k) % n;
      const s = this.slots[i]!;
      const score = s.pending.size + (s.alive ? 0 : n * 1e6);
      if (score < bestScore) {
        best = s;
        bestScore = score;
        bestIndex = i;
      }
    }
    this.#last = bestIndex;
    return best!;
  }

  async predict(frame: Frame): Promise<Predictions> {
    if (this.#closed) throw invalidState('the model runtime is closed');
    const columns = columnsFor(frame, this.inputs);
    const rows = frame.rows;
    const numbers = new Float64Array(rows * columns.filter((c) => c.kind === 'number').length);
    const wire: WireFrame = { rows, numbers, columns: [] };
    let start = 0;
    columns.forEach((c, i) => {
      const name = this.inputs[i]!.name;
      if (c.kind === 'number') {
        numbers.set(c.values, start);
        wire.columns.push([name, { kind: 'number', start }]);
        start += rows;
      } else {
        wire.columns.push([name, c]);
      }
    });
    const transfer = [numbers.buffer];
    const slot = this.#pick();
    // Resolves at once when the worker is running; (re)starts it after an unexpected exit.
    await slot.start();
    if (this.#closed) throw invalidState('the model runtime is closed');
    return new Promise<Predictions>((resolve, reject) => slot.send({ type: 'predict', id: this.#nextId++, frame: wire }, transfer, { resolve, reject }));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all(this.slots.map((s) => s.terminate()));
  }
}

/**
 * Opens an ONNX model on `threads` worker threads (default 1): the same checks and errors as `openOnnxRuntime`,
 * raised when every worker has opened its session (or the first that fails, after which all are terminated).
 */
export async function openOnnxWorkerRuntime(bytes: Uint8Array, options: OnnxWorkerRuntimeOptions = {}): Promise<OnnxWorkerRuntime> {
  const threads = options.threads ?? 1;
  if (!Number.isInteger(threads) || threads < 1) throw invalid(`threads must be a positive integer, got ${threads}`);
  const entry = workerEntry(import.meta.url, 'pool-worker');
  const data: PoolWorkerInput = { bytes, signature: options.signature ?? null, ...(options.sessionOptions ? { sessionOptions: options.sessionOptions } : {}), ...(options.modelPath ? { modelPath: options.modelPath } : {}) };
  const slots = Array.from({ length: threads }, () => new Slot(entry, data));
  try {
    const opened = await Promise.all(slots.map((s) => s.start()));
    const { inputs, info } = opened[0]!;
    return new OnnxWorkerModelRuntime(info, inputs, slots);
  } catch (err) {
    await Promise.all(slots.map((s) => s.terminate()));
    throw err;
  }
}
