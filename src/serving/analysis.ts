/**
 * Canary analysis: after each step, the candidate's error rate, p99 latency and prediction distribution are held
 * against the stable version's over the same window, from the prediction log.
 */
import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.js';
import { ksTwoSample } from '../stats/drift/tests.js';
import type { AnalysisThresholds } from './deployments.js';

export interface RoleStats {
  requests: number;
  errors: number;
  errorRate: number;
  p99Ms: number;
  /** Predictions whose label has come back through the feedback API, and the share predicted right. */
  labelled: number;
  accuracy: number | null;
  /** A number per sampled prediction: the positive-class probability, the value, or the label's index. */
  scores: number[];
}

export interface Analysis {
  passed: boolean;
  /** Too few candidate requests to judge: wait longer. */
  inconclusive: boolean;
  stable: Omit<RoleStats, 'scores'>;
  candidate: Omit<RoleStats, 'scores'>;
  /** Two-sample Kolmogorov-Smirnov statistic between the two prediction distributions (0 = same, 1 = disjoint). */
  predictionShift: number | null;
  reasons: string[];
}

/** Rows read per role and window: enough for p99 and KS, bounded whatever the traffic. */
const MAX_ROWS = 20_000;

/** One number per prediction for comparing distributions. */
export function scoreOf(outputs: unknown): number | null {
  if (outputs === null || typeof outputs !== 'object') return null;
  const o = outputs as { value?: unknown; probabilities?: Record<string, unknown>; label?: unknown };
  if (typeof o.value === 'number') return o.value;
  if (o.probabilities) {
    const ps = Object.values(o.probabilities).filter((p): p is number => typeof p === 'number');
    // Binary: the probability of the second class; more classes: the top probability.
    if (ps.length === 2) return ps[1]!;
    if (ps.length > 0) return Math.max(...ps);
  }
  if (typeof o.label === 'number') return o.label;
  return null;
}

/** Two-sample Kolmogorov-Smirnov statistic and p-value (the one implementation in stats/); NaN for an empty side. */
export function ksOf(a: number[], b: number[]): { statistic: number; pValue: number } {
  if (a.length === 0 || b.length === 0) return { statistic: Number.NaN, pValue: Number.NaN };
  return ksTwoSample(Float64Array.from(a).sort(), Float64Array.from(b).sort());
}

/** Two-sample Kolmogorov-Smirnov statistic: the largest gap between the two empirical CDFs. */
export const ksStatistic = (a: number[], b: number[]): number => ksOf(a, b).statistic;

/**
 * A shift fails a step only when it is also beyond sampling noise at this level: a step of a few dozen requests
 * (or a stable side left with a tenth of the traffic) shows KS distances of 0.2-0.4 between identical models.
 */
export const PREDICTION_SHIFT_ALPHA = 0.01;

async function statsOf(db: Kysely<DB>, deployment: string, role: 'stable' | 'candidate', version: number, from: number, to: number): Promise<RoleStats> {
  const rows = await db
    .selectFrom('predictions')
    .select(['status', 'latency_ms', 'outputs', 'label'])
    .where('deployment', '=', deployment)
    .where('role', '=', role)
    .where('model_version', '=', version)
    .where('at', '>=', from)
    .where('at', '<=', to)
    .orderBy('at', 'desc')
    .limit(MAX_ROWS)
    .execute();
  const latencies = rows.map((r) => Number(r.latency_ms)).sort((p, q) => p - q);
  const errors = rows.filter((r) => Number(r.status) >= 500).length;
  const scores: number[] = [];
  let labelled = 0;
  let right = 0;
  for (const r of rows) {
    if (r.outputs === null) continue;
    const outputs = JSON.parse(r.outputs) as { label?: unknown };
    const s = scoreOf(outputs);
    if (s !== null && Number.isFinite(s)) scores.push(s);
    // Online accuracy, for classifiers whose predictions have come back labelled.
    if (r.label !== null && outputs.label !== undefined && outputs.label !== null) {
      labelled++;
      if (String(JSON.parse(r.label)) === String(outputs.label)) right++;
    }
  }
  return {
    requests: rows.length,
    errors,
    errorRate: rows.length > 0 ? errors / rows.length : 0,
    p99Ms: latencies.length > 0 ? latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * 0.99))]! : 0,
    labelled,
    accuracy: labelled > 0 ? right / labelled : null,
    scores,
  };
}

/** Judges the candidate against stable over [from, to]. */
export async function analyseStep(db: Kysely<DB>, deployment: string, stable: number, candidate: number, from: number, to: number, t: AnalysisThresholds): Promise<Analysis> {
  const [s, c] = await Promise.all([statsOf(db, deployment, 'stable', stable, from, to), statsOf(db, deployment, 'candidate', candidate, from, to)]);
  const ks = s.scores.length > 0 && c.scores.length > 0 ? ksOf(s.scores, c.scores) : null;
  const shift = ks ? ks.statistic : null;
  const reasons: string[] = [];
  const inconclusive = c.requests < t.minRequests;
  if (c.errorRate - s.errorRate > t.maxErrorRateIncrease) {
    reasons.push(`error rate ${(c.errorRate * 100).toFixed(2)}% against stable's ${(s.errorRate * 100).toFixed(2)}% (allowed +${(t.maxErrorRateIncrease * 100).toFixed(2)} points)`);
  }
  if (s.p99Ms > 0 && c.p99Ms > s.p99Ms * t.maxLatencyRatio && c.p99Ms - s.p99Ms > (t.latencySlackMs ?? 0)) {
    reasons.push(`p99 latency ${c.p99Ms.toFixed(2)} ms against stable's ${s.p99Ms.toFixed(2)} ms (allowed ×${t.maxLatencyRatio})`);
  }
  if (ks && ks.statistic > t.maxPredictionShift && ks.pValue < PREDICTION_SHIFT_ALPHA) {
    reasons.push(`predictions shifted from stable's (KS ${ks.statistic.toFixed(3)} > ${t.maxPredictionShift}, p = ${ks.pValue.toPrecision(2)} on ${s.scores.length} and ${c.scores.length} predictions)`);
  }
  // Labels arrive late: accuracy is judged only once both versions have enough labelled predictions in the step.
  const minLabels = t.minLabels ?? 30;
  if (s.accuracy !== null && c.accuracy !== null && s.labelled >= minLabels && c.labelled >= minLabels && s.accuracy - c.accuracy > (t.maxAccuracyDrop ?? 0.05)) {
    reasons.push(`online accuracy ${(c.accuracy * 100).toFixed(1)}% against stable's ${(s.accuracy * 100).toFixed(1)}% on labelled predictions (allowed drop ${((t.maxAccuracyDrop ?? 0.05) * 100).toFixed(1)} points)`);
  }
  const strip = ({ scores: _s, ...rest }: RoleStats) => rest;
  // Errors fail a step at once, whatever the volume; passing needs enough candidate traffic.
  return { passed: reasons.length === 0 && !inconclusive, inconclusive: inconclusive && reasons.length === 0, stable: strip(s), candidate: strip(c), predictionShift: shift, reasons };
}
