/**
 * What an evaluation found: the JSON stored with it, rendered as the scorecard and read by the gate. Plain data,
 * so it survives a round trip through the database and the artifact store unchanged.
 */
export type TaskType = 'binary' | 'multiclass' | 'regression';

/** Whether a larger value of a metric is better; every metric Slipway computes has a direction. */
export const HIGHER_IS_BETTER: Record<string, boolean> = {
  accuracy: true,
  balanced_accuracy: true,
  precision: true,
  recall: true,
  f1: true,
  precision_macro: true,
  recall_macro: true,
  f1_macro: true,
  precision_weighted: true,
  recall_weighted: true,
  f1_weighted: true,
  roc_auc: true,
  roc_auc_ovr: true,
  average_precision: true,
  log_loss: false,
  brier_score: false,
  expected_calibration_error: false,
  mae: false,
  mse: false,
  rmse: false,
  mape: false,
  r2: true,
  median_absolute_error: false,
};

export interface DatasetRef {
  name: string;
  version: number;
  digest: string;
  rows: number;
}

export interface ModelRef {
  name: string;
  version: number;
  /** How predictions were obtained. */
  runtime: 'onnx' | 'http' | 'column';
}

export interface Curves {
  roc?: { fpr: number[]; tpr: number[] };
  pr?: { recall: number[]; precision: number[] };
  calibration?: { lower: number; upper: number; count: number; meanPredicted: number; fractionPositive: number }[];
}

/** Metrics of one slice of the dataset (one value of a column, one quantile bin, or one named filter). */
export interface SliceResult {
  /** The column (or `named` for filter expressions). */
  family: string;
  /** The value, the bin (e.g. `[18, 25)`) or the slice's name. */
  label: string;
  kind: 'category' | 'quantile' | 'named';
  /** For named slices: the filter expression. */
  filter?: string;
  support: number;
  metrics: Record<string, number>;
}

export interface FairnessResult {
  column: string;
  groups: { value: string; support: number; selectionRate: number; truePositiveRate: number; falsePositiveRate: number }[];
  demographicParityDifference: number;
  equalOpportunityDifference: number;
  equalizedOddsDifference: number;
  disparateImpactRatio: number;
}

/** The difference challenger − champion of one metric, with its paired bootstrap interval. */
export interface MetricDelta {
  metric: string;
  champion: number;
  challenger: number;
  delta: number;
  /** Two-sided interval at the report's confidence. */
  low: number;
  high: number;
  higherIsBetter: boolean;
  /** `better` / `worse` when the interval excludes 0 in that direction. */
  verdict: 'better' | 'worse' | 'unchanged';
  /** Bootstrap quantiles of the delta at `Comparison.quantileLevels`, for gate rules at other confidence levels. */
  quantiles: number[];
}

export interface SliceDelta {
  family: string;
  label: string;
  kind: SliceResult['kind'];
  support: number;
  deltas: MetricDelta[];
}

export interface Comparison {
  /** The alias the champion was found through (absent when a version was named directly). */
  alias?: string;
  champion: ModelRef;
  confidence: number;
  resamples: number;
  seed: number;
  quantileLevels: number[];
  metrics: MetricDelta[];
  /** Classification only: rows only the champion got right (b) and only the challenger (c). */
  mcnemar?: { b: number; c: number; statistic: number; pValue: number; exact: boolean };
  /** Slices with at least one significantly worse metric first, then by the primary metric's delta. */
  slices: SliceDelta[];
}

export interface GateRuleResult {
  /** Position in the policy, from 1, and the rule as written (e.g. `roc_auc >= 0.8`). */
  index: number;
  rule: string;
  kind: 'min' | 'max' | 'no_regression' | 'slice_no_regression' | 'fairness' | 'latency' | 'artifact_size' | 'signoff';
  /** The metric the rule is about (min, max, no_regression, fairness). */
  metric?: string;
  passed: boolean;
  /**
   * The measured value and the bound it was held to: the metric (min, max, fairness); the lower bound of the change
   * at the rule's confidence, negative when worse, against minus the margin (no_regression); milliseconds (latency);
   * bytes (artifact_size).
   */
  observed: number | null;
  threshold: number | null;
  /** One sentence a non-ML reader understands: what was measured, against what, and why it passed or failed. */
  reason: string;
  /** For slice rules: the slices that failed. */
  failures?: { slice: string; observed: number; threshold: number }[];
}

export interface GateResult {
  policyVersion: number | null;
  passed: boolean;
  rules: GateRuleResult[];
}

export interface LatencyResult {
  /** Single-row predictions timed after warm-up. */
  samples: number;
  p50Ms: number;
  p99Ms: number;
  /** Scoring the whole dataset in batches. */
  rowsPerSecond: number;
}

export interface EvaluationReport {
  id: string;
  createdAt: string;
  model: ModelRef;
  dataset: DatasetRef;
  task: TaskType;
  labelColumn: string;
  /** Classification: class labels in model order; binary: classes[1] is the positive class. */
  classes?: string[];
  /** The metric the verdict leads with (e.g. roc_auc, f1, rmse). */
  primaryMetric: string;
  metrics: Record<string, number>;
  /** Classification: per-class precision, recall, f1 and support, by class label. */
  perClass?: { label: string; precision: number; recall: number; f1: number; support: number }[];
  confusion?: { labels: string[]; matrix: number[][] };
  curves?: Curves;
  slices: SliceResult[];
  fairness?: FairnessResult[];
  latency?: LatencyResult;
  artifactSizeBytes?: number;
  comparison?: Comparison;
  gate?: GateResult;
  /** Anything a reader should know about the inputs (e.g. rows skipped because the label was missing). */
  warnings: string[];
}
