import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SlipwayError } from '../core/errors.js';
import { describeRule, parsePolicy } from './policy.js';

const fails = (text: string, message: RegExp) => {
  let err: unknown;
  try {
    parsePolicy(text);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(SlipwayError);
  expect((err as SlipwayError).code).toBe('INVALID_ARGUMENT');
  expect((err as Error).message).toMatch(message);
};

describe('gate policies', () => {
  it('reads every rule kind and the evaluation settings, with defaults', () => {
    const p = parsePolicy(`
protect: [production, canary]
against: production
dataset: churn-eval@3
label: churned
positive_class: "yes"
slices:
  columns: [region]
  quantiles: { age: 4 }
  named: { seniors: "age >= 65" }
sensitive: gender
signoff: true
rules:
  - min: { metric: roc_auc, value: 0.8 }
  - max: { metric: log_loss, value: 0.5 }
  - no_regression: { metric: f1, margin: 0.01, confidence: 0.99, slices: true, min_support: 200 }
  - fairness: { column: gender, metric: disparate_impact_ratio, min: 0.8 }
  - latency: { p99_ms: 20 }
  - artifact_size: { max_mb: 50 }
`);
    expect(p).toMatchObject({ protect: ['production', 'canary'], against: 'production', dataset: 'churn-eval@3', label: 'churned', positiveClass: 'yes', sensitive: ['gender'], signoff: true, confidence: 0.95, resamples: 1000, noChampion: 'fail' });
    expect(p.slices).toEqual({ columns: ['region'], quantiles: [{ column: 'age', bins: 4 }], named: [{ name: 'seniors', filter: 'age >= 65' }] });
    expect(p.rules.map((r) => [r.kind, r.line])).toEqual([['min', 14], ['max', 15], ['no_regression', 16], ['fairness', 17], ['latency', 18], ['artifact_size', 19]]);
    expect(p.rules[2]).toMatchObject({ metric: 'f1', margin: 0.01, confidence: 0.99, slices: true, minSupport: 200 });
    expect(p.rules.map(describeRule)).toEqual([
      'roc_auc >= 0.8',
      'log_loss <= 0.5',
      'no regression of f1 on any slice with >= 200 rows beyond 0.01 (99% confidence)',
      'disparate_impact_ratio of gender >= 0.8',
      'latency p99 <= 20 ms',
      'artifact size <= 50 MB',
    ]);
  });

  it('accepts JSON too, and an empty rule list', () => {
    expect(parsePolicy('{"protect": ["prod"], "rules": []}').protect).toEqual(['prod']);
  });

  it('names the line and the key of each mistake', () => {
    fails('protect: [production]\nrulez: []\n', /line 2: unknown key `rulez`; known keys: protect/);
    fails('rules:\n  - min: { metric: roc_auc, value: 0.8 }\n  - between: { metric: f1 }\n', /line 3: unknown rule `between`; known rules: min, max/);
    fails('rules:\n  - min: { metric: rocauc, value: 0.8 }\n', /line 2: rule `min` names unknown metric `rocauc`; known metrics: accuracy/);
    fails('rules:\n  - min: { metric: f1 }\n', /line 2: rule `min` needs `value`/);
    fails('rules:\n  - no_regression: { metric: f1, confidence: 0.97 }\n', /`confidence` must be one of 0.9, 0.95, 0.975, 0.99, 0.995/);
    fails('rules:\n  - no_regression: { metric: f1, margin: -1 }\n', /`margin` is the largest drop allowed and cannot be negative/);
    fails('rules:\n  - fairness: { column: g, metric: parity, max: 0.1 }\n', /`metric` must be one of demographic_parity_difference/);
    fails('rules:\n  - min: { metric: f1, value: 0.8 }\n    max: { metric: f1, value: 0.9 }\n', /line 2: a rule is a mapping with exactly one key/);
    fails('rules: [\n', /line \d: not valid YAML/);
    fails('- just a list\n', /a policy is a mapping/);
    fails('protect: []\n', /needs at least one alias/);
    fails('resamples: 5\n', /from 100 to 100000/);
    fails('slices: { quantiles: { age: 1 } }\n', /whole number of bins from 2 to 100/);
    fails('score_column: p\n', /`score_column` needs `prediction_column`/);
    fails('protect: [a]\nprotect: [b]\n', /not valid YAML: Map keys must be unique/);
  });
});

describe('gate policies from arbitrary text', () => {
  it('either parse or fail with a coded INVALID_ARGUMENT naming a line, never anything else', () => {
    const yamlish = fc.array(fc.constantFrom('protect:', ' [production]', '\n', 'rules:', '  - ', 'min:', ' { metric: f1, value: 0.5 }', 'max: ', '{', '}', '[', ']', ':', ' ', 'slices:', '  named: {a: "x <"}', 'resamples: 1e9', '- ', '&a', '*a', '!!binary', "'", '"'), { maxLength: 30 }).map((parts) => parts.join(''));
    fc.assert(
      fc.property(fc.oneof(fc.string(), yamlish), (text) => {
        try {
          parsePolicy(text);
        } catch (e) {
          expect(e).toBeInstanceOf(SlipwayError);
          expect((e as SlipwayError).code).toBe('INVALID_ARGUMENT');
          expect((e as Error).message).toMatch(/line \d+|policy:/);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
