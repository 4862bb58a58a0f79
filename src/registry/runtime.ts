/**
 * Opens the model runtime a registered version needs, for evaluation and the gateway alike: ONNX from this server's
 * artifact store (run in-process), or a model server when the source is an http(s) URL.
 */
import type { Kysely } from 'kysely';
import type { ArtifactStore } from '../artifacts/store.js';
import { invalid } from '../core/errors.js';
import type { DB } from '../db/schema.js';
import { openHttpRuntime } from '../runtimes/http.js';
import { openOnnxRuntime, signatureColumns } from '../runtimes/onnx/runtime.js';
import type { ModelRuntime, RuntimeInput } from '../runtimes/types.js';
import { findModelFile } from './artifact-facts.js';
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
}

export async function openVersionRuntime(db: Kysely<DB>, store: ArtifactStore, v: ModelVersion, options: OpenOptions): Promise<ModelRuntime> {
  if (/^https?:\/\//.test(v.source)) {
    const inputs = signatureColumns(v.signature)?.map((name) => ({ name, type: 'number' as const })) ?? options.features ?? [];
    const classesTag = v.tags.find((t) => t.key === 'slipway.classes')?.value;
    const classes = classesTag ? classesTag.split(',').map((s) => s.trim()) : (options.classes ?? null);
    return openHttpRuntime(v.source, { inputs, ...(classes ? { classes } : {}) });
  }
  const path = await findModelFile(db, store, v.source, '.onnx');
  if (!path) {
    const instead = options.purpose === 'evaluate' ? ' Evaluate a prediction column of the dataset instead (prediction_column).' : ' Register an ONNX file or an http(s) model server URL as a version to serve it.';
    throw invalid(`${v.name} v${v.version} cannot be run here: its source ${v.source} holds no .onnx file in this server's artifact store, and it is not an http(s) model server.${instead}`);
  }
  const { stream } = await store.get(path);
  const chunks: Buffer[] = [];
  for await (const c of stream as AsyncIterable<Buffer>) chunks.push(c);
  return openOnnxRuntime(new Uint8Array(Buffer.concat(chunks)), { signature: v.signature });
}
