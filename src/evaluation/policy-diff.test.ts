import { describe, expect, it } from 'vitest';
import { parsePolicy } from './policy.js';
import { diffPolicies } from './policy-diff.js';

const base = `
protect: [production, staging]
signoff: true
rules:
  - min: { metric: roc_auc, value: 0.8 }
  - no_regression: { metric: roc_auc, margin: 0.01, slices: true }
  - fairness: { column: region, metric: demographic_parity_difference, max: 0.1 }
`;

describe('diffPolicies', () => {
  it('names every weakening in plain words', () => {
    const weaker = parsePolicy(`
protect: [production]
canary_ungated: allow
rules:
  - min: { metric: roc_auc, value: 0.75 }
  - no_regression: { metric: roc_auc, margin: 0.05 }
`);
    expect(diffPolicies(parsePolicy(base), weaker).weakenings).toEqual([
      '@staging is no longer protected',
      'reviewer sign-off is no longer required',
      'versions that have not passed the gate may now answer canary and A/B traffic (canary_ungated: allow)',
      'minimum roc_auc lowered from 0.8 to 0.75 in rule roc_auc >= 0.8',
      'allowed regression margin raised from 0.01 to 0.05 in rule no regression of roc_auc on any slice with >= 100 rows beyond 0.01 (95% confidence)',
      'per-slice checks dropped from rule no regression of roc_auc on any slice with >= 100 rows beyond 0.01 (95% confidence)',
      'rule removed: demographic_parity_difference of region <= 0.1',
    ]);
  });

  it('finds nothing weaker in a stricter policy or a first one', () => {
    const stricter = parsePolicy(base.replace('value: 0.8', 'value: 0.85') + '  - latency: { p99_ms: 50 }\n');
    const d = diffPolicies(parsePolicy(base), stricter);
    expect(d.weakenings).toEqual([]);
    expect(d.changes).toEqual(['rule roc_auc >= 0.8 → roc_auc >= 0.85', 'rule added: latency p99 <= 50 ms']);
    expect(diffPolicies(null, parsePolicy(base)).weakenings).toEqual([]);
  });
});
