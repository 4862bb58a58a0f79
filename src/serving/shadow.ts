/**
 * Shadow report: how the mirrored candidate's predictions compare with the stable ones on the same requests.
 *
 * In shadow mode the gateway logs each mirrored prediction with role `shadow` and `request_key` = the id of the
 * primary prediction it shadows (row for row), so the two are paired with a self-join of the prediction log.
 * A pair counts when both answered; agreement and score differences need both payloads, which the log keeps only
 * for sampled predictions (the primary and the shadow are sampled independently), so `compared` ≤ `pairs`.
 *
 * - Agreement: classifiers agree when the predicted labels are equal; regressors when the values are within
 *   `tolerance` (default 0.01) relative to the stable value, absolute below 1: |shadow − stable| ≤ tol · max(1, |stable|).
 * - Score: `scoreOf` (positive-class probability, value, or top probability); the mean absolute difference over
 *   the pairs, and the two-sample Kolmogorov-Smirnov statistic of the two score distributions (the largest gap
 *   between their empirical CDFs: 0 = identical, 1 = disjoint). No KS p-value is given: the two samples are paired
 *   (the same inputs), not independent, so the classical p-value would not apply; the statistic is a distance.
 * - Latency: p50/p99 (nearest rank) of the per-row latency of the paired stable and shadow predictions.
 * - Errors: failed shadow calls in the window (status ≥ 400; the gateway logs one row per failed mirrored request,
 *   pointing at the request's first primary prediction).
 */
import type { Kysely } from 'kysely';
import { isoOf, nowMs } from '../core/clock.js';
import type { DB } from '../db/schema.js';
import { ksStatistic, scoreOf } from './analysis.js';
import { getDeployment } from './deployments.js';

/** Shadow rows read per report, newest first: bounded whatever the traffic. */
export const MAX_SHADOW_ROWS = 50_000;
export const DEFAULT_AGREEMENT_TOLERANCE = 0.01;

export interface ShadowReportOptions {
  /** Epoch ms; default: the beginning. Bounds the shadow predictions' time. */
  since?: number;
  /** Epoch ms; default: now. */
  until?: number;
  /** Regressors: relative tolerance of agreement (absolute below 1). */
  tolerance?: number;
}

export interface LatencySummary {
  p50Ms: number | null;
  p99Ms: number | null;
}

export interface ShadowReport {
  deployment: string;
  since: string | null;
  until: string;
  /** Versions seen in the window. */
  stableVersions: number[];
  shadowVersions: number[];
  /** Shadow predictions in the window, answered or not. */
  shadowPredictions: number;
  /** Shadow predictions that answered, paired with their answered primary prediction. */
  pairs: number;
  /** Pairs with both payloads logged (sampling), compared below. */
  compared: number;
  agreement: {
    /** `label` (classifiers), `value` (regressors), `mixed`, or null when nothing could be compared. */
    kind: 'label' | 'value' | 'mixed' | null;
    /** Share of compared pairs that agree; null with none. */
    rate: number | null;
    agreeing: number;
    tolerance: number;
  };
  score: {
    /** Pairs with a score on both sides. */
    n: number;
    /** Mean of |shadow score − stable score|. */
    meanAbsDifference: number | null;
    /** Mean of (shadow score − stable score): which way the shadow leans. */
    meanDifference: number | null;
    /** Two-sample KS statistic of the two score distributions. */
    ks: number | null;
    /** The shift, in words. */
    shift: string;
  };
  latency: { stable: LatencySummary; shadow: LatencySummary };
  /** Failed shadow calls (one per failed mirrored request). */
  shadowErrors: number;
  summary: string;
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

function parse(text: string | null): Record<string, unknown> | null {
  if (text === null) return null;
  try {
    const v = JSON.parse(text) as unknown;
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** Whether two predictions agree: the kind of comparison made, or null when they cannot be compared. */
export function agreementOf(stable: Record<string, unknown>, shadow: Record<string, unknown>, tolerance = DEFAULT_AGREEMENT_TOLERANCE): { kind: 'label' | 'value'; agree: boolean } | null {
  const ls = stable.label;
  const lc = shadow.label;
  if (ls !== undefined && ls !== null && lc !== undefined && lc !== null) return { kind: 'label', agree: String(ls) === String(lc) };
  const vs = stable.value;
  const vc = shadow.value;
  if (typeof vs === 'number' && typeof vc === 'number') return { kind: 'value', agree: Math.abs(vc - vs) <= tolerance * Math.max(1, Math.abs(vs)) };
  return null;
}

/** The shift of the shadow's score distribution, in plain words. */
export function describeShift(ks: number | null, meanDifference: number | null): string {
  if (ks === null || !Number.isFinite(ks)) return 'no scores to compare yet';
  const lean = meanDifference !== null && Math.abs(meanDifference) > 1e-12 ? `, ${meanDifference > 0 ? 'higher' : 'lower'} by ${Math.abs(meanDifference).toPrecision(3)} on average` : '';
  const ksText = `KS ${ks.toFixed(3)}`;
  if (ks <= 0.05) return `the shadow's scores are distributed like stable's (${ksText})`;
  if (ks <= 0.2) return `the shadow's scores are slightly shifted from stable's (${ksText}${lean})`;
  if (ks <= 0.5) return `the shadow's scores are clearly shifted from stable's (${ksText}${lean})`;
  return `the shadow's scores are distributed very differently from stable's (${ksText}${lean})`;
}

export async function shadowReport(db: Kysely<DB>, deployment: string, options: ShadowReportOptions = {}): Promise<ShadowReport> {
  const d = await getDeployment(db, deployment);
  const until = options.until ?? nowMs();
  const tolerance = options.tolerance ?? DEFAULT_AGREEMENT_TOLERANCE;
  let q = db
    .selectFrom('predictions as s')
    .leftJoin('predictions as p', 'p.id', 's.request_key')
    .select(['s.status as sStatus', 's.latency_ms as sLatency', 's.outputs as sOutputs', 's.model_version as sVersion', 'p.id as pId', 'p.status as pStatus', 'p.latency_ms as pLatency', 'p.outputs as pOutputs', 'p.model_version as pVersion'])
    .where('s.deployment', '=', d.name)
    .where('s.role', '=', 'shadow')
    .where('s.at', '<=', until);
  if (options.since !== undefined) q = q.where('s.at', '>=', options.since);
  const rows = await q.orderBy('s.at', 'desc').limit(MAX_SHADOW_ROWS).execute();

  const stableVersions = new Set<number>();
  const shadowVersions = new Set<number>();
  let errors = 0;
  let pairs = 0;
  let compared = 0;
  let agreeing = 0;
  const kinds = new Set<'label' | 'value'>();
  const stableScores: number[] = [];
  const shadowScores: number[] = [];
  let absSum = 0;
  let sum = 0;
  const stableLatency: number[] = [];
  const shadowLatency: number[] = [];
  for (const r of rows) {
    shadowVersions.add(Number(r.sVersion));
    if (Number(r.sStatus) >= 400) {
      errors++;
      continue;
    }
    if (r.pId === null || Number(r.pStatus) >= 400) continue;
    pairs++;
    stableVersions.add(Number(r.pVersion));
    stableLatency.push(Number(r.pLatency));
    shadowLatency.push(Number(r.sLatency));
    const po = parse(r.pOutputs);
    const so = parse(r.sOutputs);
    if (!po || !so) continue;
    compared++;
    const a = agreementOf(po, so, tolerance);
    if (a) {
      kinds.add(a.kind);
      if (a.agree) agreeing++;
    }
    const ps = scoreOf(po);
    const ss = scoreOf(so);
    if (ps !== null && ss !== null && Number.isFinite(ps) && Number.isFinite(ss)) {
      stableScores.push(ps);
      shadowScores.push(ss);
      absSum += Math.abs(ss - ps);
      sum += ss - ps;
    }
  }
  const judged = compared > 0 && kinds.size > 0;
  const n = stableScores.length;
  const ks = n > 0 ? ksStatistic(stableScores, shadowScores) : null;
  const meanDifference = n > 0 ? sum / n : null;
  const shift = describeShift(ks, meanDifference);
  stableLatency.sort((x, y) => x - y);
  shadowLatency.sort((x, y) => x - y);
  const latency = {
    stable: { p50Ms: percentile(stableLatency, 0.5), p99Ms: percentile(stableLatency, 0.99) },
    shadow: { p50Ms: percentile(shadowLatency, 0.5), p99Ms: percentile(shadowLatency, 0.99) },
  };
  const agreement = {
    kind: !judged ? null : kinds.size > 1 ? ('mixed' as const) : [...kinds][0]!,
    rate: judged ? agreeing / compared : null,
    agreeing,
    tolerance,
  };

  const parts: string[] = [];
  if (rows.length === 0) parts.push(`No shadow predictions for "${d.name}" in this window${d.mode === 'shadow' ? '' : ` (the deployment is in ${d.mode} mode, not shadow)`}.`);
  else {
    parts.push(`${pairs} paired prediction${pairs === 1 ? '' : 's'}, ${compared} with both payloads logged.`);
    if (agreement.rate !== null) parts.push(`The shadow agrees with stable on ${(agreement.rate * 100).toFixed(1)}% of them${agreement.kind === 'value' ? ` (within ${tolerance * 100}%)` : ''}.`);
    if (n > 0) parts.push(`Mean absolute score difference ${(absSum / n).toPrecision(3)}; ${shift}.`);
    if (latency.stable.p99Ms !== null && latency.shadow.p99Ms !== null) parts.push(`p99 latency ${latency.shadow.p99Ms.toFixed(2)} ms against stable's ${latency.stable.p99Ms.toFixed(2)} ms.`);
    parts.push(errors === 0 ? 'No shadow errors.' : `${errors} shadow prediction${errors === 1 ? '' : 's'} failed.`);
  }

  return {
    deployment: d.name,
    since: isoOf(options.since),
    until: isoOf(until)!,
    stableVersions: [...stableVersions].sort((x, y) => x - y),
    shadowVersions: [...shadowVersions].sort((x, y) => x - y),
    shadowPredictions: rows.length,
    pairs,
    compared,
    agreement,
    score: { n, meanAbsDifference: n > 0 ? absSum / n : null, meanDifference, ks, shift },
    latency,
    shadowErrors: errors,
    summary: parts.join(' '),
  };
}
