/**
 * The Plan of a paired bootstrap: what the resamples run on (passes, slots, reported units, per-row inputs), the
 * metric lists per task and the statistics per slot. Built once by prepare.ts, read by the kernel on the calling
 * thread and in the workers.
 */
export type Task = 'binary' | 'multiclass' | 'regression';

/** One accumulation pass over the rows: statistics per slot. */
export interface PassPlan {
  /** Number of slots (a family's labels + 1 for rows with code −1; 1 for an overall pass). */
  slots: number;
  /** Segmented pass (pass 0 only): rows segments[s] .. segments[s+1]−1 are slot s. */
  segments: Int32Array | null;
  /** Coded pass: slot of each row. */
  codes: Uint16Array | null;
  /** Score histograms of this pass use bin >>> shift (coarser bins when a family has many slices). */
  shift: number;
  /** Histogram bins per score after the shift. */
  binsP: number;
  /** Int32 statistics per slot. */
  K: number;
  /** Float64 statistics per slot. */
  S: number;
}

/**
 * A reported unit: one slot of one pass, or (slot −1) the sum of all the pass's slots (the overall unit). Under the
 * joint segmentation (Plan.jointDims), slot `slot` of family `family` (the sum of the joint slots with that digit),
 * or with slot −1 the overall unit.
 */
export interface Unit {
  pass: number;
  slot: number;
  family?: number;
}

/** Per-row inputs, precomputed once in pass-0 row order (SharedArrayBuffer-backed when workers are used). */
export interface RowData {
  /** binary without probabilities: y*4 + labelA*2 + labelB. */
  cell?: Uint8Array;
  /**
   * binary with probabilities, 4 per row: [y*4 + labelA*2 + labelB, y*bins + binA, y*bins + binB, 0], bins being
   * the p₁ score bins (ascending).
   */
  packed?: Uint16Array;
  /** multiclass: class codes of y and of both models' labels. */
  y?: Int32Array;
  pa?: Int32Array;
  pb?: Int32Array;
  /** multiclass OvR: score bin of every p_k, n×C, per model. */
  binA?: Uint16Array;
  binB?: Uint16Array;
  /**
   * classification with probabilities: n×2 [logLossB − logLossA, brierB − brierA];
   * regression: n×4 [y − ȳ, y − ŷA, y − ŷB, 1/max(|y|, eps)].
   */
  terms?: Float64Array;
}

export interface Plan {
  task: Task;
  /** Classes (0 for regression). */
  C: number;
  n: number;
  /** Both models have probabilities. */
  proba: boolean;
  /** Multiclass one-vs-rest AUC is computed. */
  ovr: boolean;
  /** Score bins before any shift. */
  bins: number;
  metrics: string[];
  passes: PassPlan[];
  units: Unit[];
  rows: RowData;
  /**
   * Joint segmentation (every family in pass 0, slots = the cross product of the families' slots): the Poisson
   * stream is still drawn in the "base" order (rows sorted stably by the first family only, the order the
   * first-family-segmented plan uses), so each row gets the same weight as without the joint segmentation and the
   * integer statistics are identical. jointRest[k] is the joint slot, within its first-family block, of the row at
   * base position k: the weight drawn k-th goes to the next free row of that joint slot (drawJoint). null otherwise.
   */
  jointRest: Uint16Array | null;
  /**
   * Joint segmentation: slots per family (labels + 1), the first family most significant, so joint slot
   * s = Σ_f (code_f + 1)·Π_{g>f} jointDims[g]. null otherwise.
   */
  jointDims: Int32Array | null;
}

export const BINARY_METRICS = ['accuracy', 'balanced_accuracy', 'precision', 'recall', 'f1'] as const;
export const BINARY_PROBA_METRICS = ['roc_auc', 'average_precision', 'log_loss', 'brier_score'] as const;
export const MULTICLASS_METRICS = ['accuracy', 'balanced_accuracy', 'precision_macro', 'recall_macro', 'f1_macro', 'f1_weighted'] as const;
export const MULTICLASS_PROBA_METRICS = ['log_loss', 'brier_score'] as const;
export const REGRESSION_METRICS = ['mae', 'mse', 'rmse', 'r2', 'mape'] as const;

/** Int32 and Float64 statistics per slot for a task. */
export function statSizes(task: Task, C: number, proba: boolean, ovr: boolean, binsP: number): { K: number; S: number } {
  if (task === 'binary') return { K: 8 + (proba ? 4 * binsP : 0), S: proba ? 2 : 0 };
  if (task === 'multiclass') return { K: 2 * C * C + (ovr ? 4 * C * binsP : 0), S: proba ? 2 : 0 };
  return { K: 0, S: 9 };
}
