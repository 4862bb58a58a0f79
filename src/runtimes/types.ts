/**
 * The model runtime interface shared by evaluation and (later) the inference gateway: something that turns a
 * columnar Frame into predictions. Implementations: ONNX in process (`onnx/runtime.ts`), an MLflow-scoring
 * compatible model server over HTTP (`http.ts`).
 */
import type { Frame } from './frame.js';

/** One per dataset column the model reads, in feature order. */
export interface RuntimeInput {
  name: string;
  type: 'number' | 'string';
}

export interface Predictions {
  rows: number;
  /** Regression: one value per row. */
  value?: Float64Array;
  /** Classification: class labels as strings, in model order. */
  classes?: string[];
  /** Classification: index into `classes`, per row (-1 when a model server gave no prediction for the row). */
  labelIndex?: Int32Array;
  /** rows × classes.length, row-major, when the model gives probabilities. */
  proba?: Float64Array;
}

export interface ModelRuntime {
  readonly kind: 'onnx' | 'http';
  /** May be empty for http when unknown (then every frame column is sent). */
  readonly inputs: RuntimeInput[];
  /** The caller batches (e.g. 4096 rows). NaN in outputs is returned as is. */
  predict(frame: Frame, options?: PredictOptions): Promise<Predictions>;
  close(): Promise<void>;
}

export interface PredictOptions {
  /** Stops a call in flight (a cancelled evaluation); runtimes that answer in microseconds may ignore it. */
  signal?: AbortSignal;
}
