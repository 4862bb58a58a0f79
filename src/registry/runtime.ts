/**
 * Opens the model runtime a registered version needs, for evaluation and the gateway alike: ONNX from this server's
 * artifact store (in process by default; on worker threads and/or behind a batcher by `onnx`), or a model server
 * when the source is an http(s) URL.
 */
import type { Kysely } from 'kysely';
import type { ArtifactStore } from '../artifacts/store.js';
import { invalid } from '../core/errors.js';
import type { DB } from '../db/schema.js';
import { withDynamicBatching, type BatchingOptions } from '../runtimes/batcher.js';
import { openHttpRuntime } from '../runtimes/http.js';
import { isModelServerSource } from '../runtimes/model-server-url.js';
import { openOnnxWorkerRuntime } from '../runtimes/onnx/pool.js';
import { openOnnxRuntime, signatureColumns } from '../runtimes/onnx/runtime.js';
import type { ModelRuntime, RuntimeInput } from '../runtimes/types.js';
import { loadVersionFiles } from './model-files.js';
import type { ModelVersion } from './types.js';

export interface OpenOptions {
  /**
   * A model server does not say what its classes are: they come from the version's `slipway.classes` tag, else from
   * these (the labels' classes; null for a regression), so every batch numbers them the same way.
   */
  classes?: string[] | null;
  /** Columns to send a model server whose version has no column signature. */
  features?: RuntimeInput[];
  /** For the error message when the version cannot be run. */
  purpose: 'evaluate' | 'serve';
  /** Hosts an http(s) source may call: `TrustSettings.modelServerHosts` (see runtimes/model-server-url.ts). */
  modelServerHosts: readonly string[];
  /**
   * How an ONNX version runs. Default: in process (on the calling thread), no batching. `threads` ≥ 1: on that many
   * worker threads (runtimes/onnx/pool.ts), so a heavy model does not stall the event loop. `batching`: concurrent
   * predicts concatenated into one call (runtimes/batcher.ts). Ignored for model servers.
   */
  onnx?: { threads?: number; batching?: BatchingOptions };
}

export async function openVersionRuntime(db: Kysely<DB>, store: ArtifactStore, v: ModelVersion, options: OpenOptions): Promise<ModelRuntime> {
  if (isModelServerSource(v.source)) {
    const inputs = signatureColumns(v.signature)?.map((name) => ({ name, type: 'number' as const })) ?? options.features ?? [];
    const classesTag = v.tags.find((t) => t.key === 'slipway.classes')?.value;
    const classes = classesTag ? classesTag.split(',').map((s) => s.trim()) : (options.classes ?? null);
    return openHttpRuntime(v.source, { allowedHosts: options.modelServerHosts, inputs, ...(classes ? { classes } : {}) });
  }
  const files = await loadVersionFiles(db, store, v, '.onnx', options.purpose);
  if (!files) {
    const instead = options.purpose === 'evaluate' ? ' Evaluate a prediction column of the dataset instead (prediction_column).' : ' Register an ONNX file or an http(s) model server URL as a version to serve it.';
    throw invalid(`${v.name} v${v.version} cannot be run here: its source ${v.source} holds no .onnx file in this server's artifact store, and it is not an http(s) model server.${instead}`);
  }
  let runtime: ModelRuntime;
  try {
    const threads = options.onnx?.threads ?? 0;
    const opts = { signature: v.signature, ...(files.externalData ? { modelPath: files.path } : {}) };
    runtime = threads > 0 ? await openOnnxWorkerRuntime(files.bytes, { ...opts, threads }) : await openOnnxRuntime(files.bytes, opts);
    if (options.onnx?.batching) runtime = withDynamicBatching(runtime, options.onnx.batching);
  } catch (e) {
    await files.cleanup();
    throw e;
  }
  if (!files.externalData) {
    await files.cleanup();
    return runtime;
  }
  // Worker threads reopen the model from its folder after a crash: the private copy lives as long as the runtime.
  const close = runtime.close.bind(runtime);
  runtime.close = async () => {
    try {
      await close();
    } finally {
      await files.cleanup();
    }
  };
  return runtime;
}
