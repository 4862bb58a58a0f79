/**
 * What both renderers show, worked out once: the slice rows in order of relevance, the charts the report has data
 * for, and small derived numbers (the share of positives for the precision-recall baseline).
 */
import { HIGHER_IS_BETTER, type EvaluationReport, type MetricDelta, type SliceDelta, type SliceResult } from '../report.js';
import { isNum, sliceDeltaOf, sliceKey, sliceName, sliceRegressed } from './format.js';

/** At most this many slices are listed in the slice table; the rest are counted. */
export const SLICE_TABLE_LIMIT = 50;
/** At most this many slices are drawn in the slice-delta chart. */
export const SLICE_CHART_LIMIT = 20;

export interface SliceRow {
  name: string;
  family: string;
  label: string;
  kind: SliceResult['kind'];
  filter?: string;
  support: number;
  /** The primary metric in the slice (challenger), when the slice has it. */
  value: number | undefined;
  /** The primary metric's delta against the champion, when compared. */
  delta: MetricDelta | undefined;
  regressed: boolean;
}

function higherIsBetter(metric: string): boolean {
  return HIGHER_IS_BETTER[metric] ?? !/(error|loss|mae|mse|mape|latency)/.test(metric);
}

/** How bad a change is, larger is worse: the delta in the direction of "worse". */
function badness(d: MetricDelta | undefined): number {
  if (d === undefined || !isNum(d.delta)) return -Infinity;
  return d.higherIsBetter ? -d.delta : d.delta;
}

/**
 * Every slice, most relevant first: with a comparison, slices that regressed, then by how much the primary metric
 * fell; without one, by how bad the primary metric is in the slice. Slices without a value go last.
 */
export function sliceRows(report: EvaluationReport): SliceRow[] {
  const m = report.primaryMetric;
  const deltas = new Map<string, SliceDelta>();
  for (const d of report.comparison?.slices ?? []) deltas.set(sliceKey(d), d);
  const rows: SliceRow[] = [];
  const seen = new Set<string>();
  const add = (s: Pick<SliceResult, 'family' | 'label' | 'kind' | 'support'> & { filter?: string }, metrics: Record<string, number> | undefined): void => {
    const key = sliceKey(s);
    if (seen.has(key)) return;
    seen.add(key);
    const d = deltas.get(key);
    const delta = sliceDeltaOf(d, m);
    const value = metrics?.[m] ?? delta?.challenger;
    rows.push({
      name: sliceName(s),
      family: s.family,
      label: s.label,
      kind: s.kind,
      ...(s.filter === undefined ? {} : { filter: s.filter }),
      support: s.support,
      value: isNum(value) ? value : undefined,
      delta,
      regressed: d !== undefined && sliceRegressed(d),
    });
  };
  for (const s of report.slices ?? []) add(s, s.metrics);
  for (const d of report.comparison?.slices ?? []) add(d, undefined);

  const hib = higherIsBetter(m);
  const index = new Map(rows.map((r, i) => [r, i]));
  const compared = report.comparison !== undefined;
  return rows.sort((a, b) => {
    if (a.regressed !== b.regressed) return a.regressed ? -1 : 1;
    if (compared) {
      const ba = badness(a.delta);
      const bb = badness(b.delta);
      if (ba !== bb) return bb - ba;
    } else {
      const va = a.value === undefined ? -Infinity : hib ? -a.value : a.value;
      const vb = b.value === undefined ? -Infinity : hib ? -b.value : b.value;
      if (va !== vb) return vb - va;
    }
    return (index.get(a) ?? 0) - (index.get(b) ?? 0);
  });
}

/** The slices drawn in the delta chart: the regressed ones and the largest changes, in table order. */
export function chartSlices(rows: SliceRow[]): SliceRow[] {
  const withDelta = rows.filter((r) => r.delta !== undefined && isNum(r.delta.delta));
  if (withDelta.length <= SLICE_CHART_LIMIT) return withDelta;
  const regressed = withDelta.filter((r) => r.regressed);
  const rest = withDelta.filter((r) => !r.regressed).sort((a, b) => Math.abs(b.delta?.delta ?? 0) - Math.abs(a.delta?.delta ?? 0));
  const keep = new Set([...regressed, ...rest].slice(0, SLICE_CHART_LIMIT));
  return withDelta.filter((r) => keep.has(r));
}

/** The share of rows of the positive class (binary), from the confusion matrix. */
export function positiveShare(report: EvaluationReport): number | undefined {
  const c = report.confusion;
  if (report.task !== 'binary' || c === undefined) return undefined;
  const positive = report.classes?.[1] ?? c.labels[1];
  const i = positive === undefined ? -1 : c.labels.indexOf(positive);
  if (i < 0) return undefined;
  let total = 0;
  let pos = 0;
  c.matrix.forEach((row, r) => {
    const n = row.reduce((a, v) => a + (isNum(v) ? v : 0), 0);
    total += n;
    if (r === i) pos += n;
  });
  return total > 0 ? pos / total : undefined;
}

/** Which charts the report has data for. */
export interface ChartAvailability {
  roc: boolean;
  pr: boolean;
  calibration: boolean;
  confusion: boolean;
  sliceDeltas: boolean;
}

export function availableCharts(report: EvaluationReport, rows: SliceRow[]): ChartAvailability {
  const cv = report.curves;
  return {
    roc: (cv?.roc?.fpr.length ?? 0) > 1 && (cv?.roc?.tpr.length ?? 0) > 1,
    pr: (cv?.pr?.recall.length ?? 0) > 1 && (cv?.pr?.precision.length ?? 0) > 1,
    calibration: (cv?.calibration?.length ?? 0) > 0,
    confusion: (report.confusion?.labels.length ?? 0) > 0 && (report.confusion?.matrix.length ?? 0) > 0,
    sliceDeltas: rows.some((r) => r.delta !== undefined && isNum(r.delta.delta)),
  };
}

/** Metrics in a stable, readable order: the primary metric first, then the known ones in a fixed order, then the rest. */
export function orderedMetrics(report: EvaluationReport, names: string[]): string[] {
  const known = Object.keys(HIGHER_IS_BETTER);
  const rank = (m: string): number => (m === report.primaryMetric ? -1 : known.includes(m) ? known.indexOf(m) : known.length);
  return [...names].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}
