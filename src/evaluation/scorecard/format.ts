/**
 * Number and name formatting shared by the Markdown and HTML scorecards. One convention throughout: metrics that
 * are proportions (accuracy, precision, recall, F1, AUC, AP and their averages) are shown as percentages with one
 * decimal, and their differences in percentage points; everything else with 4 significant digits. Missing values
 * (NaN, null, ±Infinity: the report is JSON, so NaN may arrive as null) are shown as "n/a".
 */
import type { Comparison, GateRuleResult, MetricDelta, SliceDelta, SliceResult } from '../report.js';

export const NA = 'n/a';
/** The typographic minus sign, so negative numbers line up with positive ones. */
export const MINUS = '\u2212';

const PROPORTIONS = new Set([
  'accuracy',
  'balanced_accuracy',
  'precision',
  'recall',
  'f1',
  'precision_macro',
  'recall_macro',
  'f1_macro',
  'precision_weighted',
  'recall_weighted',
  'f1_weighted',
  'roc_auc',
  'roc_auc_ovr',
  'average_precision',
]);

const NAMES: Record<string, string> = {
  accuracy: 'accuracy',
  balanced_accuracy: 'balanced accuracy',
  precision: 'precision',
  recall: 'recall',
  f1: 'F1',
  precision_macro: 'macro-average precision',
  recall_macro: 'macro-average recall',
  f1_macro: 'macro-average F1',
  precision_weighted: 'weighted-average precision',
  recall_weighted: 'weighted-average recall',
  f1_weighted: 'weighted-average F1',
  roc_auc: 'ROC AUC',
  roc_auc_ovr: 'one-vs-rest ROC AUC',
  average_precision: 'average precision',
  log_loss: 'log loss',
  brier_score: 'Brier score',
  expected_calibration_error: 'expected calibration error',
  mae: 'MAE',
  mse: 'MSE',
  rmse: 'RMSE',
  mape: 'MAPE',
  r2: 'R²',
  median_absolute_error: 'median absolute error',
};

/** One-line explanations of the metrics, for readers who do not know them. */
export const METRIC_HINTS: Record<string, string> = {
  accuracy: 'share of rows predicted correctly',
  balanced_accuracy: 'accuracy averaged over the classes, so rare classes count as much as common ones',
  precision: 'of the rows predicted positive, the share that really are',
  recall: 'of the rows that really are positive, the share the model finds',
  f1: 'balance of precision and recall',
  roc_auc: 'how well the scores rank positives above negatives (50% is a coin flip, 100% perfect)',
  roc_auc_ovr: 'how well the scores rank each class above the others (50% is a coin flip)',
  average_precision: 'precision averaged over all recall levels',
  precision_macro: 'precision of each class, averaged so that every class counts the same',
  recall_macro: 'recall of each class (the share of its rows found), averaged so that every class counts the same',
  f1_macro: 'F1 (balance of precision and recall) of each class, averaged so that every class counts the same',
  precision_weighted: 'precision of each class, averaged in proportion to how common the class is',
  recall_weighted: 'recall of each class, averaged in proportion to how common the class is',
  f1_weighted: 'F1 of each class, averaged in proportion to how common the class is',
  log_loss: 'penalty for confident wrong probabilities (lower is better)',
  brier_score: 'mean squared error of the predicted probabilities (lower is better)',
  expected_calibration_error: 'average gap between predicted probability and observed frequency (lower is better)',
  mae: 'average size of the error, in the units of the label (lower is better)',
  mse: 'average squared error (lower is better)',
  rmse: 'typical size of the error, in the units of the label; large errors weigh more (lower is better)',
  mape: 'average error relative to the true value (lower is better)',
  r2: 'share of the variation in the label the model explains (1 is perfect, 0 no better than the average)',
  median_absolute_error: 'the error half the rows stay under (lower is better)',
};

export function isProportion(metric: string): boolean {
  return PROPORTIONS.has(metric);
}

export function metricName(metric: string): string {
  return NAMES[metric] ?? metric.replace(/_/g, ' ');
}

/** Capitalises the first letter (for a name at the start of a sentence or a table cell). */
export function capitalize(s: string): string {
  return s.length === 0 ? s : s.charAt(0).toUpperCase() + s.slice(1);
}

export function isNum(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

function minus(s: string): string {
  return s.startsWith('-') ? MINUS + s.slice(1) : s;
}

/** A number with `digits` significant digits, no exponent for everyday magnitudes, thousands separated. */
export function sig(v: number | null | undefined, digits = 4, keepZeros = false): string {
  if (!isNum(v)) return NA;
  if (v === 0) return '0';
  const abs = Math.abs(v);
  if (abs >= 1e15 || abs < 1e-6) return minus(v.toExponential(digits - 1));
  const rounded = Number(v.toPrecision(digits));
  if (Math.abs(rounded) >= 10 ** digits) return minus(Math.round(rounded).toLocaleString('en-US'));
  const decimals = Math.max(0, digits - 1 - Math.floor(Math.log10(Math.abs(rounded))));
  return minus(rounded.toLocaleString('en-US', { minimumFractionDigits: keepZeros ? decimals : 0, maximumFractionDigits: decimals }));
}

/** A share as a percentage with one decimal ("91.2%"). */
export function pct(v: number | null | undefined): string {
  return isNum(v) ? `${minus((v * 100).toFixed(1))}%` : NA;
}

/** A metric's value as people read it: percentage for proportions, 4 significant digits otherwise (so values line up). */
export function metricValue(metric: string, v: number | null | undefined): string {
  if (isProportion(metric)) return pct(v);
  // Below 1, four decimals (0.0398, 0.1487) line up better than four significant digits (0.03980).
  if (isNum(v) && Math.abs(v) < 1 && Math.abs(v) >= 0.001) return minus(v.toFixed(4));
  return sig(v, 4, true);
}

function signed(s: string): string {
  if (s.startsWith('-')) return MINUS + s.slice(1);
  return /^0(\.0*)?$/.test(s) ? s : `+${s}`;
}

/** A difference of a metric with its sign: "+2.1 points" for proportions, "−0.0412" otherwise. */
export function deltaValue(metric: string, v: number | null | undefined, unit = true): string {
  if (!isNum(v)) return NA;
  if (isProportion(metric)) {
    const s = signed((v * 100).toFixed(1));
    return unit ? `${s} ${s === '+1.0' || s === `${MINUS}1.0` ? 'point' : 'points'}` : s;
  }
  const s = sig(v, 3);
  return s.startsWith(MINUS) || s === '0' ? s : `+${s}`;
}

/** "95% CI +1.2 to +3.0" for a delta's interval. */
export function intervalText(d: MetricDelta, confidence: number): string {
  return `${confidenceText(confidence)} CI ${deltaValue(d.metric, d.low, false)} to ${deltaValue(d.metric, d.high, false)}`;
}

export function confidenceText(confidence: number): string {
  return isNum(confidence) ? `${Number((confidence * 100).toPrecision(3))}%` : '95%';
}

/** "p = 0.003" / "p < 0.001". */
export function pValue(p: number | null | undefined): string {
  if (!isNum(p)) return `p = ${NA}`;
  if (p < 0.001) return 'p < 0.001';
  return `p = ${Number(p.toPrecision(2))}`;
}

export function integer(v: number | null | undefined): string {
  return isNum(v) ? Math.round(v).toLocaleString('en-US') : NA;
}

export function bytes(v: number | null | undefined): string {
  if (!isNum(v)) return NA;
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB'];
  let x = v;
  let i = 0;
  while (Math.abs(x) >= 1024 && i < units.length - 1) {
    x /= 1024;
    i++;
  }
  return i === 0 ? `${integer(x)} bytes` : `${sig(x, 3)} ${units[i]}`;
}

export function ms(v: number | null | undefined): string {
  return isNum(v) ? `${sig(v, 3)} ms` : NA;
}

/** How a slice is named for readers: `region = EU`, `age in [18, 25)`, or a named filter's name. */
export function sliceName(s: Pick<SliceResult, 'family' | 'label' | 'kind'>): string {
  if (s.kind === 'named') return s.label;
  if (s.kind === 'quantile') return `${s.family} in ${s.label}`;
  return `${s.family} = ${s.label}`;
}

export function sliceKey(s: Pick<SliceResult, 'family' | 'label' | 'kind'>): string {
  return `${s.kind}\u0000${s.family}\u0000${s.label}`;
}

/** The champion as a reader knows it: "production (v3)", or "fraud-model v3" when it was named directly. */
export function championName(c: Comparison, challengerName: string): string {
  const who = c.champion.name === challengerName ? '' : `${c.champion.name} `;
  if (c.alias) return `${c.alias} (${who}v${c.champion.version})`;
  return `the champion (${who}v${c.champion.version})`;
}

/** The delta of `metric` in a slice, if the comparison has it. */
export function sliceDeltaOf(d: SliceDelta | undefined, metric: string): MetricDelta | undefined {
  return d?.deltas.find((m) => m.metric === metric);
}

/** A slice with at least one significantly worse metric. */
export function sliceRegressed(d: SliceDelta): boolean {
  return d.deltas.some((m) => m.verdict === 'worse');
}

/** Gate rules failed first, then in policy order. */
export function orderedRules(rules: GateRuleResult[]): GateRuleResult[] {
  return [...rules].sort((a, b) => Number(a.passed) - Number(b.passed) || a.index - b.index);
}

/** The metric a gate rule is about, when the rule starts with one (e.g. `roc_auc >= 0.8`). */
export function ruleMetric(rule: GateRuleResult): string | undefined {
  if (rule.metric !== undefined) return rule.metric;
  const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)/.exec(rule.rule);
  const name = m?.[1];
  return name !== undefined && (isProportion(name) || name in NAMES) ? name : undefined;
}

/** A gate rule's measured value or bound, formatted by what the rule measures. */
export function ruleValue(rule: GateRuleResult, v: number | null): string {
  if (v === null || !isNum(v)) return rule.kind === 'signoff' ? '—' : NA;
  switch (rule.kind) {
    case 'latency':
      return ms(v);
    case 'artifact_size':
      return bytes(v);
    case 'no_regression':
    case 'slice_no_regression': {
      const m = ruleMetric(rule);
      return m === undefined ? sig(v) : deltaValue(m, v);
    }
    case 'min':
    case 'max': {
      const m = ruleMetric(rule);
      return m === undefined ? sig(v) : metricValue(m, v);
    }
    default:
      return sig(v, 3);
  }
}

/** The required bound of a rule, with the direction its kind implies. */
export function ruleRequired(rule: GateRuleResult): string {
  const t = ruleValue(rule, rule.threshold);
  if (rule.threshold === null || !isNum(rule.threshold)) return t;
  switch (rule.kind) {
    case 'min':
      return `≥ ${t}`;
    case 'max':
    case 'latency':
    case 'artifact_size':
      return `≤ ${t}`;
    default:
      return t;
  }
}
