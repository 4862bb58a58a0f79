/**
 * Applies a gate policy to an evaluation report. Every rule yields a result with the numbers and a reason in
 * plain words; a rule that cannot be checked (a metric the task lacks, no champion, no latency) fails, so a gate
 * never passes on what it did not see.
 */
import { describeRule, type PolicySpec, type Rule } from './policy.js';
import { showAgainst } from './rules.js';
import type { EvaluationReport, GateResult, GateRuleResult, MetricDelta } from './report.js';

const round = (v: number) => (Number.isFinite(v) ? Number(v.toPrecision(4)) : v);
const show = (v: number) => String(round(v));

/** Lower bound of the improvement (challenger better = positive) at a one-sided confidence level. */
function improvementBound(d: MetricDelta, levels: number[], confidence: number): number {
  const at = (q: number) => {
    const i = levels.findIndex((l) => Math.abs(l - q) < 1e-9);
    return i < 0 ? Number.NaN : d.quantiles[i]!;
  };
  return d.higherIsBetter ? at(1 - confidence) : -at(confidence);
}

function check(index: number, rule: Rule, report: EvaluationReport, policy: PolicySpec): GateRuleResult[] {
  const base = { index, rule: describeRule(rule), ...('metric' in rule ? { metric: rule.metric } : {}) };
  const fail = (reason: string, kind: GateRuleResult['kind'] = rule.kind): GateRuleResult => ({ ...base, kind, passed: false, observed: null, threshold: null, reason });
  switch (rule.kind) {
    case 'min':
    case 'max': {
      const value = report.metrics[rule.metric];
      if (value === undefined) return [fail(`${rule.metric} is not computed for this ${report.task} evaluation${rule.metric.match(/auc|loss|brier|precision$|calibration/) ? ' (it needs predicted probabilities)' : ''}, so this check cannot pass.`)];
      if (!Number.isFinite(value)) return [fail(`${rule.metric} could not be computed on this dataset (for example only one class is present), so this check cannot pass.`)];
      const passed = rule.kind === 'min' ? value >= rule.value : value <= rule.value;
      const need = rule.kind === 'min' ? 'at least' : 'at most';
      return [{ ...base, kind: rule.kind, passed, observed: value, threshold: rule.value, reason: `${rule.metric} is ${showAgainst(value, rule.value)}; it must be ${need} ${rule.value}.` }];
    }
    case 'no_regression': {
      const cmp = report.comparison;
      if (!cmp) {
        if (policy.noChampion === 'skip') {
          return [{ ...base, kind: 'no_regression', passed: true, observed: null, threshold: null, reason: `Skipped: there is no champion to compare with (the policy allows this with no_champion: skip).` }];
        }
        return [fail(`There is no champion to compare with, so a regression cannot be ruled out.`)];
      }
      const results: GateRuleResult[] = [];
      const d = cmp.metrics.find((m) => m.metric === rule.metric);
      if (!d) results.push(fail(`${rule.metric} was not compared for this ${report.task} model, so a regression cannot be ruled out.`));
      else {
        const bound = improvementBound(d, cmp.quantileLevels, rule.confidence);
        const passed = Number.isFinite(bound) && bound >= -rule.margin;
        const pct = `${rule.confidence * 100}%`;
        results.push({
          ...base,
          kind: 'no_regression',
          passed,
          observed: bound,
          threshold: -rule.margin,
          reason: passed
            ? `${rule.metric} moved by ${show(d.delta)} against ${cmp.alias ?? 'the champion'} (v${cmp.champion.version}); at ${pct} confidence it is at worst ${showAgainst(-bound, rule.margin)} worse, within the allowed ${rule.margin}.`
            : Number.isFinite(bound)
              ? `${rule.metric} moved by ${show(d.delta)} against ${cmp.alias ?? 'the champion'} (v${cmp.champion.version}); at ${pct} confidence it may be ${showAgainst(-bound, rule.margin)} worse, more than the allowed ${rule.margin}.`
              : `${rule.metric} has no bootstrap interval (it was undefined in the resamples), so a regression cannot be ruled out.`,
        });
      }
      if (rule.slices) {
        const failures: { slice: string; observed: number; threshold: number }[] = [];
        let checked = 0;
        for (const s of cmp.slices) {
          if (s.support < rule.minSupport) continue;
          const sd = s.deltas.find((x) => x.metric === rule.metric);
          if (!sd) continue;
          const bound = improvementBound(sd, cmp.quantileLevels, rule.confidence);
          if (!Number.isFinite(bound)) continue;
          checked++;
          if (bound < -rule.margin) failures.push({ slice: `${s.family}=${s.label}`, observed: bound, threshold: -rule.margin });
        }
        failures.sort((a, b) => a.observed - b.observed);
        const worst = failures[0];
        results.push({
          ...base,
          kind: 'slice_no_regression',
          passed: failures.length === 0,
          observed: worst ? worst.observed : null,
          threshold: -rule.margin,
          reason:
            failures.length === 0
              ? `No slice with at least ${rule.minSupport} rows got worse on ${rule.metric} beyond ${rule.margin} (${checked} slices checked).`
              : `${failures.length} of ${checked} slices may be worse on ${rule.metric} by more than ${rule.margin}; worst: ${worst!.slice} (up to ${showAgainst(-worst!.observed, rule.margin)} worse).`,
          failures,
        });
      }
      return results;
    }
    case 'fairness': {
      const f = report.fairness?.find((x) => x.column === rule.column);
      if (!f) return [fail(`No fairness results for column ${rule.column}: fairness is measured for binary classification with the column listed under \`sensitive\`.`)];
      const key = ({ demographic_parity_difference: 'demographicParityDifference', equal_opportunity_difference: 'equalOpportunityDifference', equalized_odds_difference: 'equalizedOddsDifference', disparate_impact_ratio: 'disparateImpactRatio' } as const)[rule.metric];
      const value = f[key];
      if (!Number.isFinite(value)) return [fail(`${rule.metric} of ${rule.column} could not be computed (a group has no rows of the class it needs).`)];
      const tooLow = rule.min !== undefined && value < rule.min;
      const tooHigh = rule.max !== undefined && value > rule.max;
      const bound = tooLow ? rule.min! : tooHigh ? rule.max! : (rule.max ?? rule.min!);
      return [{ ...base, kind: 'fairness', passed: !tooLow && !tooHigh, observed: value, threshold: bound, reason: `${rule.metric} across ${rule.column} groups is ${showAgainst(value, bound)}; allowed ${rule.min !== undefined ? `>= ${rule.min}` : ''}${rule.min !== undefined && rule.max !== undefined ? ' and ' : ''}${rule.max !== undefined ? `<= ${rule.max}` : ''}.` }];
    }
    case 'latency': {
      const l = report.latency;
      if (!l) return [fail('Latency was not measured: predictions came from a dataset column, not from running the model.')];
      const over: string[] = [];
      if (rule.p50Ms !== undefined && l.p50Ms > rule.p50Ms) over.push(`p50 ${showAgainst(l.p50Ms, rule.p50Ms)} ms > ${rule.p50Ms} ms`);
      if (rule.p99Ms !== undefined && l.p99Ms > rule.p99Ms) over.push(`p99 ${showAgainst(l.p99Ms, rule.p99Ms)} ms > ${rule.p99Ms} ms`);
      const observed = rule.p99Ms !== undefined ? l.p99Ms : l.p50Ms;
      return [{ ...base, kind: 'latency', passed: over.length === 0, observed, threshold: rule.p99Ms ?? rule.p50Ms ?? null, reason: over.length === 0 ? `Single-row latency p50 ${showAgainst(l.p50Ms, rule.p50Ms ?? Number.NaN)} ms, p99 ${showAgainst(l.p99Ms, rule.p99Ms ?? Number.NaN)} ms over ${l.samples} calls: within budget.` : `Single-row latency over budget: ${over.join('; ')} (${l.samples} calls).` }];
    }
    case 'artifact_size': {
      const size = report.artifactSizeBytes;
      if (size === undefined) return [fail('The model artifact size is unknown (the version is not stored in this server).')];
      const mb = size / 1e6;
      return [{ ...base, kind: 'artifact_size', passed: mb <= rule.maxMb, observed: size, threshold: rule.maxMb * 1e6, reason: `The model artifact is ${showAgainst(mb, rule.maxMb)} MB; the limit is ${rule.maxMb} MB.` }];
    }
  }
}

/** The gate result of a policy on a report; failed rules first. */
export function applyGate(policy: PolicySpec, policyVersion: number | null, report: EvaluationReport): GateResult {
  const rules = policy.rules.flatMap((rule, i) => check(i + 1, rule, report, policy));
  rules.sort((a, b) => Number(a.passed) - Number(b.passed) || a.index - b.index);
  return { policyVersion, passed: rules.every((r) => r.passed), rules };
}
