/**
 * The rules of a gate policy, and how each reads. Kept apart from the YAML parsing (policy.ts) so the web UI can
 * show rules without bundling a YAML parser.
 */
export const FAIRNESS_METRICS = ['demographic_parity_difference', 'equal_opportunity_difference', 'equalized_odds_difference', 'disparate_impact_ratio'] as const;
export type FairnessMetric = (typeof FAIRNESS_METRICS)[number];

export type Rule =
  | { kind: 'min' | 'max'; metric: string; value: number; line: number }
  | { kind: 'no_regression'; metric: string; margin: number; confidence: number; slices: boolean; minSupport: number; line: number }
  | { kind: 'fairness'; column: string; metric: FairnessMetric; min?: number; max?: number; line: number }
  | { kind: 'latency'; p50Ms?: number; p99Ms?: number; line: number }
  | { kind: 'artifact_size'; maxMb: number; line: number };

/** How a rule reads in a gate result and an error message. */
export function describeRule(rule: Rule): string {
  switch (rule.kind) {
    case 'min':
      return `${rule.metric} >= ${rule.value}`;
    case 'max':
      return `${rule.metric} <= ${rule.value}`;
    case 'no_regression':
      return `no regression of ${rule.metric}${rule.slices ? ` on any slice with >= ${rule.minSupport} rows` : ''} beyond ${rule.margin} (${rule.confidence * 100}% confidence)`;
    case 'fairness':
      return `${rule.metric} of ${rule.column}${rule.min !== undefined ? ` >= ${rule.min}` : ''}${rule.max !== undefined ? ` <= ${rule.max}` : ''}`;
    case 'latency':
      return ['latency', rule.p50Ms !== undefined ? `p50 <= ${rule.p50Ms} ms` : '', rule.p99Ms !== undefined ? `p99 <= ${rule.p99Ms} ms` : ''].filter(Boolean).join(' ');
    case 'artifact_size':
      return `artifact size <= ${rule.maxMb} MB`;
  }
}

/**
 * A measured value as it reads next to the bound it is held to: at least 4 significant digits, and as many more
 * as it takes for the printed value to sit on the same side of the bound as the real one (0.8499658 against 0.85
 * reads 0.84997, never 0.85). The bound is printed as written. Every gate message and table uses this.
 */
export function showAgainst(value: number, bound: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (!Number.isFinite(bound)) return String(Number(value.toPrecision(4)));
  const side = Math.sign(value - bound);
  for (let p = 4; p <= 17; p++) {
    const shown = Number(value.toPrecision(p));
    if (Math.sign(shown - bound) === side) return String(shown);
  }
  return String(value);
}
