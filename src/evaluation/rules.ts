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
