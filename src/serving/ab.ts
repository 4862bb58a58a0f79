/**
 * A/B report: stable (arm A) against candidate (arm B) on an outcome fed back through the feedback API.
 *
 * - The test: the deployment's current A/B test, or, when it is no longer in `ab` mode, its last one. Its window
 *   starts at the revision that set up that split (same versions and weight; a changed weight is a new test) and
 *   ends now, or at the revision that ended it. `since`/`until` override either end.
 * - Assignment counts: the logged predictions of each arm in the window (A = role `stable` on the stable version,
 *   B = role `candidate` on the candidate), failed ones included, since assignment happened. A request of several
 *   rows counts once per row (the log has a row per prediction).
 * - Sample ratio mismatch: Pearson's chi-square goodness of fit of those counts against the configured weight;
 *   flagged when p < 0.001 (`sampleRatioMismatch` in ../stats/sequential.ts). A flagged test gets no verdict on
 *   the outcome: a broken assignment biases it.
 * - Outcome: the label of each prediction, when it is a number (or a boolean: true = 1), or, with `metric`, the
 *   numeric (or boolean) field of that name of an object label. Predictions without a usable label are left out.
 * - Significance: the mixture SPRT (Johari et al., always-valid inference; ../stats/sequential.ts) on the difference
 *   of means μ_B − μ_A, replaying the labelled predictions in the order their labels arrived (label time, then
 *   prediction time, then id), each one a look: the always-valid p-value and the 95% confidence sequence stay valid
 *   however often this report is read. τ² defaults to (0.1 × pooled standard deviation of the outcome)²; `tau2`
 *   sets it (fix it before the test starts for strict validity, since the default is estimated from the data).
 */
import type { Kysely } from 'kysely';
import { isoOf, nowMs } from '../core/clock.js';
import { invalidState } from '../core/errors.js';
import type { DB } from '../db/schema.js';
import { defaultMixingVariance, sampleRatioMismatch, TwoSampleMsprt, type Arm, type SampleRatioCheck } from '../stats/sequential.js';
import { getDeployment, listRevisions } from './deployments.js';

/** Labelled predictions read per report. */
export const MAX_AB_ROWS = 500_000;
export const SRM_THRESHOLD = 0.001;

export interface AbReportOptions {
  /** JSON field of an object label holding the outcome; default: the label itself. */
  metric?: string;
  since?: number;
  until?: number;
  /** Level of the test and the confidence sequence. Default 0.05. */
  alpha?: number;
  /** Mixing variance τ²; default (0.1 × pooled SD of the outcome)². */
  tau2?: number;
  /** Labelled outcomes each arm needs before the first look. Default 10. */
  minPerArm?: number;
  /** Whether a higher outcome is better (conversions, revenue). Default true. */
  higherIsBetter?: boolean;
}

export type AbVerdict = 'B is better' | 'A is better' | 'no difference yet' | 'sample ratio mismatch: fix assignment before reading results';

export interface AbArm {
  role: 'stable' | 'candidate';
  version: number;
  /** Predictions assigned to this arm in the window. */
  requests: number;
  errors: number;
  /** Predictions with a usable outcome. */
  n: number;
  /** Mean outcome; null with none. */
  mean: number | null;
}

export interface AbReport {
  deployment: string;
  /** Whether the deployment is running this test now (else a past one is reported). */
  running: boolean;
  metric: string | null;
  since: string;
  until: string;
  /** Configured share of traffic of arm B. */
  weight: number;
  arms: { a: AbArm; b: AbArm };
  sampleRatio: (SampleRatioCheck & { expectedShareB: number }) | null;
  test: {
    method: 'mSPRT';
    alpha: number;
    tau2: number;
    tau2Source: 'given' | 'default';
    /** mean B − mean A; null without outcomes in both arms. */
    difference: number | null;
    /** Always-valid p-value (1 before the first look). */
    pValue: number;
    /** (1 − α) confidence sequence for mean B − mean A; null bounds = unbounded (no look yet). */
    confidenceSequence: [number | null, number | null];
    looks: number;
  };
  /** Labels present but without a usable number (wrong type, missing field). */
  unusableLabels: number;
  verdict: AbVerdict;
  summary: string;
}

/** The outcome of a label (JSON text): a number, a boolean as 0/1, or a field of an object; null when unusable. */
export function outcomeOf(label: string, metric?: string): number | null {
  let v: unknown;
  try {
    v = JSON.parse(label);
  } catch {
    return null;
  }
  if (metric !== undefined) v = v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>)[metric] : undefined;
  if (typeof v === 'boolean') return v ? 1 : 0;
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

interface TestWindow {
  stable: number;
  candidate: number;
  weight: number;
  from: number;
  to: number | null;
  running: boolean;
}

/** The current A/B test of a deployment, else its last one, from its revisions (newest first). */
async function findTest(db: Kysely<DB>, name: string): Promise<TestWindow> {
  const revisions = await listRevisions(db, name);
  const same = (s: { mode: string; stable: number; candidate: number | null; weight: number }, t: { stable: number; candidate: number | null; weight: number }) =>
    s.mode === 'ab' && s.stable === t.stable && s.candidate === t.candidate && s.weight === t.weight;
  const i = revisions.findIndex((r) => r.state.mode === 'ab' && r.state.candidate !== null);
  if (i < 0) throw invalidState(`Deployment "${name}" has not run an A/B test; start one with a rollout in mode "ab".`);
  const last = revisions[i]!.state;
  let first = i;
  while (first + 1 < revisions.length && same(revisions[first + 1]!.state, last)) first++;
  return { stable: last.stable, candidate: last.candidate!, weight: last.weight, from: revisions[first]!.at, to: i > 0 ? revisions[i - 1]!.at : null, running: i === 0 };
}

const fmt = (x: number) => (Math.abs(x) >= 100 ? x.toFixed(1) : x.toPrecision(3));

export async function abReport(db: Kysely<DB>, deployment: string, options: AbReportOptions = {}): Promise<AbReport> {
  const d = await getDeployment(db, deployment);
  const t = await findTest(db, d.name);
  const since = options.since ?? t.from;
  const until = options.until ?? t.to ?? nowMs();
  const alpha = options.alpha ?? 0.05;
  const armOf = (role: string, version: number): Arm | null => (role === 'stable' && version === t.stable ? 'a' : role === 'candidate' && version === t.candidate ? 'b' : null);
  const base = db
    .selectFrom('predictions')
    .where('deployment', '=', d.name)
    .where('role', 'in', ['stable', 'candidate'])
    .where('model_version', 'in', [t.stable, t.candidate])
    .where('at', '>=', since)
    .where('at', '<=', until);

  const counts = await base
    .select((eb) => ['role', 'model_version', eb.fn.countAll<number | string | bigint>().as('n'), eb.fn.sum<number | string | null>(eb.case().when('status', '>=', 400).then(1).else(0).end()).as('errors')])
    .groupBy(['role', 'model_version'])
    .execute();
  const arm = (role: 'stable' | 'candidate', version: number): AbArm => ({ role, version, requests: 0, errors: 0, n: 0, mean: null });
  const arms = { a: arm('stable', t.stable), b: arm('candidate', t.candidate) };
  for (const c of counts) {
    const k = armOf(c.role, Number(c.model_version));
    if (!k) continue;
    arms[k].requests += Number(c.n);
    arms[k].errors += Number(c.errors ?? 0);
  }

  const labelled = await base
    .select(['id', 'role', 'model_version', 'label'])
    .where('label', 'is not', null)
    .where('status', '<', 400)
    .orderBy('label_at')
    .orderBy('at')
    .orderBy('id')
    .limit(MAX_AB_ROWS)
    .execute();
  const outcomes: { arm: Arm; value: number }[] = [];
  let unusable = 0;
  for (const r of labelled) {
    const k = armOf(r.role, Number(r.model_version));
    if (!k) continue;
    const v = outcomeOf(r.label!, options.metric);
    if (v === null) unusable++;
    else outcomes.push({ arm: k, value: v });
  }
  const tau2 = options.tau2 ?? defaultMixingVariance(outcomes.map((o) => o.value));
  const test = new TwoSampleMsprt({ tau2, alpha, ...(options.minPerArm !== undefined ? { minPerArm: options.minPerArm } : {}) });
  for (const o of outcomes) test.push(o.arm, o.value);
  const s = test.state();
  arms.a.n = s.nA;
  arms.b.n = s.nB;
  arms.a.mean = s.nA > 0 ? s.meanA : null;
  arms.b.mean = s.nB > 0 ? s.meanB : null;

  const srm = sampleRatioMismatch(arms.a.requests, arms.b.requests, t.weight, SRM_THRESHOLD);
  const higherIsBetter = options.higherIsBetter ?? true;
  let verdict: AbVerdict;
  if (srm?.mismatch) verdict = 'sample ratio mismatch: fix assignment before reading results';
  else if (s.rejected && Number.isFinite(s.difference) && s.difference !== 0) verdict = s.difference > 0 === higherIsBetter ? 'B is better' : 'A is better';
  else verdict = 'no difference yet';

  const what = options.metric ? `"${options.metric}"` : 'the outcome';
  const [lo, hi] = s.confidenceSequence;
  const ci = Number.isFinite(lo) && Number.isFinite(hi) ? `${(1 - alpha) * 100}% confidence sequence [${fmt(lo)}, ${fmt(hi)}]` : 'no confidence sequence yet';
  const parts: string[] = [];
  if (srm?.mismatch) {
    parts.push(
      `Sample ratio mismatch: ${arms.a.requests} predictions went to A and ${arms.b.requests} to B where ${(100 * (1 - t.weight)).toFixed(1)}/${(100 * t.weight).toFixed(1)} was configured (p = ${srm.pValue.toExponential(2)} < ${SRM_THRESHOLD}). Fix assignment before reading results.`,
    );
  }
  if (s.nA === 0 || s.nB === 0) parts.push(`No usable ${what} in ${s.nA === 0 && s.nB === 0 ? 'either arm' : s.nA === 0 ? 'arm A' : 'arm B'} yet: send labels through the feedback API.`);
  else {
    parts.push(`Mean ${what}: A (v${t.stable}) ${fmt(s.meanA)} over ${s.nA}, B (v${t.candidate}) ${fmt(s.meanB)} over ${s.nB}; B − A = ${fmt(s.difference)}, ${ci}, always-valid p = ${s.pValue < 1e-4 ? s.pValue.toExponential(2) : s.pValue.toFixed(4)}.`);
    if (!srm?.mismatch) {
      if (verdict === 'no difference yet') parts.push(s.looks === 0 ? `Too few labelled predictions to look yet (${options.minPerArm ?? 10} per arm needed).` : 'No significant difference yet: keep the test running; the p-value stays valid at every look.');
      else parts.push(`${verdict}.`);
    }
  }

  const bound = (x: number) => (Number.isFinite(x) ? x : null);
  return {
    deployment: d.name,
    running: t.running,
    metric: options.metric ?? null,
    since: isoOf(since)!,
    until: isoOf(until)!,
    weight: t.weight,
    arms,
    sampleRatio: srm ? { ...srm, expectedShareB: t.weight } : null,
    test: {
      method: 'mSPRT',
      alpha,
      tau2,
      tau2Source: options.tau2 !== undefined ? 'given' : 'default',
      difference: s.nA > 0 && s.nB > 0 ? s.difference : null,
      pValue: s.pValue,
      confidenceSequence: [bound(lo), bound(hi)],
      looks: s.looks,
    },
    unusableLabels: unusable,
    verdict,
    summary: parts.join(' '),
  };
}
