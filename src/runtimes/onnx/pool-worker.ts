/**
 * Worker thread of the ONNX worker pool (pool.ts): opens the model once with the in-process runtime
 * (`openOnnxRuntime`, so the numbers are the in-process ones) and answers predict requests from the pool. Loaded by
 * pool.ts (pool-worker.js when compiled, pool-worker.ts through tsx when running from sources).
 */
import { parentPort, workerData } from 'node:worker_threads';
import type * as ort from 'onnxruntime-node';
import { SlipwayError } from '../../core/errors.js';
import type { Column, Frame } from '../frame.js';
import type { ModelRuntime, Predictions, RuntimeInput } from '../types.js';
import type { OnnxModelInfo } from './model-info.js';
import { openOnnxRuntime } from './runtime.js';

export interface PoolWorkerInput {
  bytes: Uint8Array;
  signature: unknown;
  sessionOptions?: ort.InferenceSession.SessionOptions;
  modelPath?: string;
}

/**
 * Frame columns as sent over the port: the model's input columns only, in input order. Number columns are packed one
 * after the other into `numbers` (one buffer to move, however many columns), a column giving its start there.
 */
export interface WireFrame {
  rows: number;
  numbers: Float64Array;
  columns: [string, { kind: 'number'; start: number } | Extract<Column, { kind: 'string' }>][];
}

export interface WireError {
  /** A SlipwayError's code, or null for any other error (rebuilt as a plain Error). */
  code: SlipwayError['code'] | null;
  message: string;
  details?: Record<string, unknown>;
}

export type PoolRequest = { type: 'predict'; id: number; frame: WireFrame };

export type PoolMessage =
  | { type: 'ready'; inputs: RuntimeInput[]; info: OnnxModelInfo }
  | { type: 'open-failed'; error: WireError }
  | { type: 'result'; id: number; predictions: Predictions }
  | { type: 'error'; id: number; error: WireError };

export function toWireError(err: unknown): WireError {
  if (err instanceof SlipwayError) return { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) };
  return { code: null, message: err instanceof Error ? err.message : String(err) };
}

/** The typed arrays of a Predictions whose buffers can be moved instead of copied (views over a whole buffer). */
function transferables(p: Predictions): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const a of [p.value, p.labelIndex, p.proba]) {
    if (a && a.buffer instanceof ArrayBuffer && a.byteOffset === 0 && a.byteLength === a.buffer.byteLength) out.add(a.buffer);
  }
  return [...out];
}

async function serve(port: NonNullable<typeof parentPort>, input: PoolWorkerInput): Promise<void> {
  let runtime: ModelRuntime & { info: OnnxModelInfo };
  try {
    runtime = await openOnnxRuntime(input.bytes, { signature: input.signature, ...(input.sessionOptions ? { sessionOptions: input.sessionOptions } : {}), ...(input.modelPath ? { modelPath: input.modelPath } : {}) });
  } catch (err) {
    // The pool rejects the open with this error and terminates the thread.
    port.postMessage({ type: 'open-failed', error: toWireError(err) } satisfies PoolMessage);
    return;
  }
  port.on('message', (msg: PoolRequest) => {
    if (msg.type !== 'predict') return;
    const { rows, numbers, columns } = msg.frame;
    const frame: Frame = {
      rows,
      columns: new Map(columns.map(([name, c]): [string, Column] => [name, c.kind === 'number' ? { kind: 'number', values: numbers.subarray(c.start, c.start + rows) } : c])),
    };
    runtime.predict(frame).then(
      (predictions) => {
        try {
          port.postMessage({ type: 'result', id: msg.id, predictions } satisfies PoolMessage, transferables(predictions));
        } catch {
          // A buffer that cannot be moved (e.g. owned by native code): copy instead.
          port.postMessage({ type: 'result', id: msg.id, predictions } satisfies PoolMessage);
        }
      },
      (err: unknown) => port.postMessage({ type: 'error', id: msg.id, error: toWireError(err) } satisfies PoolMessage),
    );
  });
  port.postMessage({ type: 'ready', inputs: runtime.inputs, info: runtime.info } satisfies PoolMessage);
}

if (parentPort !== null) void serve(parentPort, workerData as PoolWorkerInput);
