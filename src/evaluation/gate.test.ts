import { describe, expect, it } from 'vitest';
import { applyGate } from './gate.js';
import { parsePolicy } from './policy.js';
import type { EvaluationReport, MetricDelta } from './report.js';

const LEVELS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 0.9, 0.95, 0.975, 0.99, 0.995];
const delta = (metric: string, higherIsBetter: boolean, q: number[]): MetricDelta => ({ metric, champion: 0, challenger: 0, delta: q[5]!, low: q[2]!, high: q[8]!, higherIsBetter, verdict: 'unchanged', quantiles: q });

const report = (extra: Partial<EvaluationReport> = {}): EvaluationReport => ({
  id: 'e',
  createdAt: '2026-01-01T00:00:00Z',
  model: { name: 'm', version: 2, runtime: 'onnx' },
  dataset: { name: 'd', version: 1, digest: 'x'.repeat(64), rows: 1000 },
  task: 'binary',
  labelColumn: 'y',
  primaryMetric: 'roc_auc',
  metrics: { roc_auc: 0.82, log_loss: Number.NaN },
  slices: [],
  warnings: [],
  ...extra,
});

describe('applyGate', () => {
  it('holds metrics to bounds, and fails what it cannot check', () => {
    const g = applyGate(parsePolicy('rules:\n  - min: { metric: roc_auc, value: 0.8 }\n  - max: { metric: log_loss, value: 0.5 }\n  - min: { metric: r2, value: 0.1 }\n  - latency: { p99_ms: 5 }\n'), 3, report());
    expect(g.passed).toBe(false);
    expect(g.policyVersion).toBe(3);
    const byRule = Object.fromEntries(g.rules.map((r) => [r.rule, r]));
    expect(byRule['roc_auc >= 0.8']).toMatchObject({ passed: true, observed: 0.82, threshold: 0.8 });
    expect(byRule['log_loss <= 0.5']!.reason).toMatch(/could not be computed/);
    expect(byRule['r2 >= 0.1']!.reason).toMatch(/not computed for this binary evaluation/);
    expect(byRule['latency p99 <= 5 ms']!.reason).toMatch(/not measured/);
    expect(g.rules.slice(0, 3).every((r) => !r.passed)).toBe(true); // failed first
  });

  it('non-inferiority: the one-sided bound of the improvement against the margin, for both directions', () => {
    // AUC: 5% quantile of the delta is -0.008 → at 95% it may be 0.008 worse: passes a 0.01 margin, fails 0.005.
    const auc = delta('roc_auc', true, [-0.02, -0.015, -0.012, -0.008, -0.005, 0.001, 0.006, 0.008, 0.01, 0.012, 0.014]);
    // Log loss (lower is better): the 95% quantile of the delta is +0.03 → may be 0.03 worse.
    const ll = delta('log_loss', false, [-0.05, -0.04, -0.03, -0.02, -0.01, 0, 0.01, 0.03, 0.04, 0.05, 0.06]);
    const r = report({ comparison: { champion: { name: 'm', version: 1, runtime: 'onnx' }, alias: 'production', confidence: 0.95, resamples: 1000, seed: 1, quantileLevels: LEVELS, metrics: [auc, ll], slices: [] } });
    const g = applyGate(
      parsePolicy('rules:\n  - no_regression: { metric: roc_auc, margin: 0.01 }\n  - no_regression: { metric: roc_auc, margin: 0.005 }\n  - no_regression: { metric: log_loss, margin: 0.02 }\n  - no_regression: { metric: log_loss, margin: 0.02, confidence: 0.9 }\n'),
      1,
      r,
    );
    const passed = [...g.rules].sort((a, b) => a.index - b.index).map((x) => [x.index, x.passed, x.observed]);
    expect(passed).toEqual([
      [1, true, -0.008],
      [2, false, -0.008],
      [3, false, -0.03],
      [4, true, -0.01],
    ]);
  });

  it('with no champion: fails comparison rules, or skips them when the policy says so', () => {
    expect(applyGate(parsePolicy('rules:\n  - no_regression: { metric: roc_auc }\n'), 1, report()).passed).toBe(false);
    const skipped = applyGate(parsePolicy('no_champion: skip\nrules:\n  - no_regression: { metric: roc_auc }\n'), 1, report());
    expect(skipped.passed).toBe(true);
    expect(skipped.rules[0]!.reason).toMatch(/^Skipped/);
  });
});
