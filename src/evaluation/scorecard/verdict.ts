/**
 * The scorecard's verdict: one plain-words headline, its tone, and the lines that back it up. The gate decides the
 * tone when there is one; otherwise the comparison with the champion on the primary metric does.
 */
import type { EvaluationReport, MetricDelta } from '../report.js';
import {
  capitalize,
  championName,
  confidenceText,
  deltaValue,
  integer,
  intervalText,
  isNum,
  metricName,
  metricValue,
  pValue,
  sliceName,
  sliceRegressed,
} from './format.js';

export interface Verdict {
  headline: string;
  tone: 'good' | 'bad' | 'neutral';
  /** One line per metric significantly better than the champion's. */
  improved: string[];
  /** One line per metric significantly worse than the champion's. */
  worse: string[];
  /** One line per slice with a significantly worse metric. */
  regressedSlices: string[];
  notes: string[];
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${integer(n)} ${n === 1 ? one : many}`;
}

function stripPeriod(s: string): string {
  return s.trim().replace(/[.\s]+$/, '');
}

/** A reason to follow a dash: "Accuracy fell" → "accuracy fell", but "ROC AUC fell" and "EU" stay as written. */
function midSentence(s: string): string {
  return /^[A-Z][a-z]/.test(s) ? s.charAt(0).toLowerCase() + s.slice(1) : s;
}

/** "ROC AUC (+2.1 points, 95% CI +1.2 to +3.0)". */
export function deltaPhrase(d: MetricDelta, confidence: number): string {
  return `${metricName(d.metric)} (${deltaValue(d.metric, d.delta)}, ${intervalText(d, confidence)})`;
}

/** "ROC AUC: 91.2% → 93.3%, +2.1 points (95% CI +1.2 to +3.0)". */
function deltaLine(d: MetricDelta, confidence: number): string {
  return (
    `${capitalize(metricName(d.metric))}: ${metricValue(d.metric, d.champion)} → ${metricValue(d.metric, d.challenger)}, ` +
    `${deltaValue(d.metric, d.delta)} (${intervalText(d, confidence)})`
  );
}

/** The McNemar sentence for classification comparisons, or undefined when the comparison has none. */
export function mcnemarSentence(report: EvaluationReport): string | undefined {
  const c = report.comparison;
  const m = c?.mcnemar;
  if (c === undefined || m === undefined) return undefined;
  const n = m.b + m.c;
  if (n === 0) return 'The two models make exactly the same predictions on every row.';
  const alpha = isNum(c.confidence) ? 1 - c.confidence : 0.05;
  const meaning = !isNum(m.pValue)
    ? ''
    : m.pValue < alpha
      ? ` A split this uneven is unlikely to be chance: the ${m.c > m.b ? 'challenger' : 'champion'} is more often right.`
      : ' A split like this could well be chance.';
  return (
    `The two models disagree on ${plural(n, 'row')}; the challenger is right on ${integer(m.c)} of them and the ` +
    `champion on ${integer(m.b)} (McNemar ${m.exact ? 'exact ' : ''}test, ${pValue(m.pValue)}).${meaning}`
  );
}

export function verdictOf(report: EvaluationReport): Verdict {
  const cmp = report.comparison;
  const gate = report.gate;
  const conf = cmp?.confidence ?? 0.95;
  const improved = (cmp?.metrics ?? []).filter((d) => d.verdict === 'better').map((d) => deltaLine(d, conf));
  const worse = (cmp?.metrics ?? []).filter((d) => d.verdict === 'worse').map((d) => deltaLine(d, conf));
  const regressedSlices = (cmp?.slices ?? []).filter(sliceRegressed).map((s) => {
    const bad = s.deltas.filter((d) => d.verdict === 'worse');
    return `${sliceName(s)} (${integer(s.support)} rows): ${bad.map((d) => `${metricName(d.metric)} ${deltaValue(d.metric, d.delta)} (${intervalText(d, conf)})`).join('; ')}`;
  });

  const notes: string[] = [];
  const primary = cmp?.metrics.find((d) => d.metric === report.primaryMetric);
  const primaryName = metricName(report.primaryMetric);
  const vs = cmp ? championName(cmp, report.model.name) : '';

  // What the comparison says about the primary metric, as a clause to follow "is ...".
  let comparisonClause: string | undefined;
  let comparisonTone: Verdict['tone'] = 'neutral';
  if (cmp && primary) {
    const phrase = deltaPhrase(primary, conf);
    if (primary.verdict === 'better') {
      comparisonClause = `is better than ${vs} on ${phrase}`;
      comparisonTone = 'good';
    } else if (primary.verdict === 'worse') {
      comparisonClause = `is worse than ${vs} on ${phrase}`;
      comparisonTone = 'bad';
    } else {
      comparisonClause = `is not measurably different from ${vs} on ${phrase}`;
    }
  } else if (cmp) {
    notes.push(`The comparison with ${vs} has no result for the primary metric, ${primaryName}.`);
  }

  let headline: string;
  let tone: Verdict['tone'];
  if (gate) {
    const total = gate.rules.length;
    const failed = gate.rules.filter((r) => !r.passed).sort((a, b) => a.index - b.index);
    if (gate.passed) {
      tone = 'good';
      const checks = total === 0 ? 'passes the release gate (it has no checks)' : total === 1 ? 'passes its 1 release check' : `passes all ${total} release checks`;
      headline = comparisonClause
        ? `Ready to promote: ${checks} and ${comparisonClause}.`
        : cmp
          ? `Ready to promote: ${checks}.`
          : `Ready to promote: ${checks} (there is no champion to compare with).`;
      if (primary?.verdict === 'worse') notes.push(`The gate passed although ${report.model.name} is worse than ${vs} on ${primaryName}.`);
    } else {
      tone = 'bad';
      const first = failed[0];
      const count = failed.length === 0 ? 'the release gate failed' : `${failed.length} of ${plural(total, 'release check')} failed`;
      headline = first ? `Do not promote: ${count} — ${midSentence(stripPeriod(first.reason)) || first.rule}.` : `Do not promote: ${count}.`;
      if (failed.length > 1) notes.push(`Also failed: ${failed.slice(1).map((r) => stripPeriod(r.reason) || r.rule).join('; ')}.`);
      if (comparisonClause) notes.push(`Compared with the champion, ${report.model.name} ${comparisonClause}.`);
    }
  } else if (cmp) {
    tone = comparisonTone;
    if (primary === undefined) headline = `Compared with ${vs}; the primary metric (${primaryName}) was not compared.`;
    else if (primary.verdict === 'worse') headline = `Do not promote: worse than ${vs} on ${deltaPhrase(primary, conf)}.`;
    else if (primary.verdict === 'better') headline = `Better than ${vs} on ${deltaPhrase(primary, conf)}.`;
    else headline = `No measurable difference from ${vs} on ${deltaPhrase(primary, conf)}.`;
    notes.push('No release gate was applied.');
  } else {
    tone = 'neutral';
    headline = 'No champion to compare with; metrics below.';
  }

  const value = report.metrics[report.primaryMetric];
  notes.unshift(`${capitalize(primaryName)} (the primary metric) is ${metricValue(report.primaryMetric, value)}.`);
  if (cmp && primary && primary.verdict !== 'worse' && worse.length > 0) {
    notes.push(`Though not on the primary metric, ${plural(worse.length, 'metric')} got significantly worse (below).`);
  }
  if (regressedSlices.length > 0) notes.push(`${plural(regressedSlices.length, 'slice')} of the data got significantly worse (below).`);
  const mc = mcnemarSentence(report);
  if (mc) notes.push(mc);
  if (cmp) notes.push(`Intervals are ${confidenceText(conf)} paired bootstrap intervals over ${integer(cmp.resamples)} resamples.`);
  const warnings = report.warnings ?? [];
  if (warnings.length > 0) notes.push(`${plural(warnings.length, 'warning')} about the inputs (see the end).`);
  return { headline, tone, improved, worse, regressedSlices, notes };
}
