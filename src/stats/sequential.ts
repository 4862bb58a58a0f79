/**
 * Sequential tests for online experiments: a p-value and a confidence interval that stay valid however often the
 * results are looked at (so an A/B test may be stopped as soon as they say so), and the sample-ratio-mismatch check.
 *
 * ## mSPRT (mixture sequential probability ratio test)
 *
 * Johari, Koomen, Pekelis & Walsh, "Peeking at A/B tests: why it matters, and what to do about it" (KDD 2017) and
 * "Always valid inference: continuous monitoring of A/B tests" (Operations Research 70(3), 2022), after Robbins
 * (1970). The quantity tested is the difference of the means of two streams, θ = μ_B − μ_A. After n_A and n_B
 * observations its estimate θ̂ = ȳ_B − ȳ_A is approximately normal with variance V = σ²_A/n_A + σ²_B/n_B. The
 * likelihood ratio of θ against the null θ₀, mixed over θ ~ N(θ₀, τ²), is in closed form
 *
 *     Λ = √(V / (V + τ²)) · exp( τ² (θ̂ − θ₀)² / (2 V (V + τ²)) )
 *
 * and is a non-negative martingale under the null, so by Ville's inequality P(sup Λ ≥ 1/α) ≤ α. Hence
 *
 * - the always-valid p-value p_n = min(1, min_{k ≤ n} 1/Λ_k): the probability that it ever drops below α under
 *   the null is at most α, at whatever looks it is read;
 * - the confidence sequence: every θ₀ with Λ(θ₀) < 1/α, i.e. θ̂ ± √( 2V(V + τ²)/τ² · (log(1/α) + ½·log((V + τ²)/V)) ),
 *   intersected over the looks, covers the true θ at all times simultaneously with probability ≥ 1 − α.
 *
 * Proportions are the same test on 0/1 outcomes (normal approximation, as in the paper). The variances σ²_A, σ²_B are
 * the running sample variances (the plug-in used in the paper's deployment at Optimizely); looks start once each
 * arm has `minPerArm` observations, so the plug-in is not trusted on a handful of points.
 *
 * The mixing variance τ² says how large an effect the test is tuned for: its power is best for |θ| near τ, and a
 * wrong guess costs only a logarithmic factor in the width. `defaultMixingVariance` sets τ = 0.1 × the pooled
 * standard deviation of the outcome (a tenth of a standard deviation: a typical product-experiment effect, half
 * Cohen's "small" d = 0.2).
 *
 * ## Sample ratio mismatch
 *
 * Pearson's chi-square goodness-of-fit test of the observed assignment counts against the configured split (one
 * degree of freedom for two arms). A mismatch (p < 0.001 is the common threshold: Fabijan et al., "Diagnosing
 * sample ratio mismatch in online controlled experiments", KDD 2019; Kohavi, Tang & Xu, "Trustworthy Online
 * Controlled Experiments", 2020, ch. 21) means the assignment or the logging is broken and the outcome comparison
 * cannot be trusted.
 */
import { chiSquare1Sf } from './metrics/hypothesis.js';

/** log Λ: the log mixture likelihood ratio of estimate θ̂ with variance V against θ₀, mixing N(θ₀, τ²). */
export function msprtLogLikelihoodRatio(estimate: number, variance: number, tau2: number, theta0 = 0): number {
  if (!(variance > 0) || !(tau2 > 0)) return 0;
  const d = estimate - theta0;
  return 0.5 * Math.log(variance / (variance + tau2)) + (tau2 * d * d) / (2 * variance * (variance + tau2));
}

/** Half-width of the level-(1 − α) confidence set {θ₀ : Λ(θ₀) < 1/α} around θ̂ at one look. */
export function msprtHalfWidth(variance: number, tau2: number, alpha: number): number {
  if (!(variance > 0) || !(tau2 > 0)) return Number.POSITIVE_INFINITY;
  return Math.sqrt(((2 * variance * (variance + tau2)) / tau2) * (Math.log(1 / alpha) + 0.5 * Math.log((variance + tau2) / variance)));
}

/** Default τ: a tenth of the outcome's standard deviation (see the module comment). */
export const DEFAULT_TAU_SCALE = 0.1;

/**
 * τ² = (0.1 · s)², s² the sample variance of the outcomes of both arms pooled (ignoring the arm, so it does not
 * grow with the effect it is meant to detect). Outcomes that never vary (all 0, say) give a tiny positive value.
 */
export function defaultMixingVariance(values: Iterable<number>): number {
  let n = 0;
  let mean = 0;
  let m2 = 0;
  for (const x of values) {
    n++;
    const d = x - mean;
    mean += d / n;
    m2 += d * (x - mean);
  }
  const s2 = n > 1 ? m2 / (n - 1) : 0;
  return Math.max(s2, 1e-12) * DEFAULT_TAU_SCALE * DEFAULT_TAU_SCALE;
}

/** Running count, mean and sum of squared deviations (Welford). */
class Running {
  n = 0;
  mean = 0;
  private m2 = 0;
  push(x: number): void {
    this.n++;
    const d = x - this.mean;
    this.mean += d / this.n;
    this.m2 += d * (x - this.mean);
  }
  /** Sample variance (n − 1), 0 below two observations. */
  get variance(): number {
    return this.n > 1 ? this.m2 / (this.n - 1) : 0;
  }
}

export type Arm = 'a' | 'b';

export interface MsprtOptions {
  /** Mixing variance τ² (> 0), on the squared scale of the outcome. */
  tau2: number;
  /** Level of the confidence sequence and the rejection threshold of the p-value. Default 0.05. */
  alpha?: number;
  /** The null difference θ₀ = μ_B − μ_A. Default 0. */
  theta0?: number;
  /** Observations each arm needs before the first look. Default 10, at least 2. */
  minPerArm?: number;
  /** Known per-observation variances of the two arms; by default the running sample variances (plug-in). */
  variance?: { a: number; b: number };
}

export interface MsprtState {
  nA: number;
  nB: number;
  meanA: number;
  meanB: number;
  /** θ̂ = meanB − meanA (NaN before both arms have data). */
  difference: number;
  /** Variance of θ̂ at the last look (NaN before the first look). */
  variance: number;
  tau2: number;
  alpha: number;
  /** Looks taken (one per observation once both arms reached `minPerArm`). */
  looks: number;
  /** Always-valid p-value: 1 before the first look, never increases. */
  pValue: number;
  /** The (1 − α) confidence sequence for μ_B − μ_A: the intersection over the looks; infinite before the first. */
  confidenceSequence: [number, number];
  /** pValue < alpha. */
  rejected: boolean;
}

/**
 * A two-stream mSPRT fed one observation at a time, in arrival order; every observation (once both arms have
 * `minPerArm`) is a look. `state()` can be read at any point.
 */
export class TwoSampleMsprt {
  private readonly arms = { a: new Running(), b: new Running() };
  private readonly alpha: number;
  private readonly theta0: number;
  private readonly minPerArm: number;
  private pValue = 1;
  private lo = Number.NEGATIVE_INFINITY;
  private hi = Number.POSITIVE_INFINITY;
  private looks = 0;
  private lastVariance = Number.NaN;

  constructor(private readonly options: MsprtOptions) {
    if (!(options.tau2 > 0) || !Number.isFinite(options.tau2)) throw new RangeError(`mSPRT: tau2 must be a positive number, got ${options.tau2}`);
    this.alpha = options.alpha ?? 0.05;
    if (!(this.alpha > 0 && this.alpha < 1)) throw new RangeError(`mSPRT: alpha must be in (0, 1), got ${this.alpha}`);
    this.theta0 = options.theta0 ?? 0;
    this.minPerArm = Math.max(2, Math.floor(options.minPerArm ?? 10));
  }

  push(arm: Arm, x: number): void {
    if (!Number.isFinite(x)) return;
    this.arms[arm].push(x);
    const { a, b } = this.arms;
    if (a.n < this.minPerArm || b.n < this.minPerArm) return;
    const va = this.options.variance?.a ?? a.variance;
    const vb = this.options.variance?.b ?? b.variance;
    const v = va / a.n + vb / b.n;
    if (!(v > 0)) return; // no spread yet (e.g. all zeros in both arms): nothing to look at
    this.looks++;
    this.lastVariance = v;
    const theta = b.mean - a.mean;
    const tau2 = this.options.tau2;
    this.pValue = Math.min(this.pValue, Math.min(1, Math.exp(-msprtLogLikelihoodRatio(theta, v, tau2, this.theta0))));
    const h = msprtHalfWidth(v, tau2, this.alpha);
    this.lo = Math.max(this.lo, theta - h);
    this.hi = Math.min(this.hi, theta + h);
    if (this.lo > this.hi) {
      // The running intersection went empty (a < α event, or a bad plug-in variance early): restart it from this look.
      this.lo = theta - h;
      this.hi = theta + h;
    }
  }

  state(): MsprtState {
    const { a, b } = this.arms;
    return {
      nA: a.n,
      nB: b.n,
      meanA: a.n > 0 ? a.mean : Number.NaN,
      meanB: b.n > 0 ? b.mean : Number.NaN,
      difference: a.n > 0 && b.n > 0 ? b.mean - a.mean : Number.NaN,
      variance: this.lastVariance,
      tau2: this.options.tau2,
      alpha: this.alpha,
      looks: this.looks,
      pValue: this.pValue,
      confidenceSequence: [this.lo, this.hi],
      rejected: this.pValue < this.alpha,
    };
  }
}

/** Runs the mSPRT over a whole stream in order (each element a look once warmed up) and returns the last state. */
export function msprt(stream: Iterable<{ arm: Arm; value: number }>, options: MsprtOptions): MsprtState {
  const t = new TwoSampleMsprt(options);
  for (const o of stream) t.push(o.arm, o.value);
  return t.state();
}

export interface SampleRatioCheck {
  /** Observed counts, A then B. */
  observed: [number, number];
  /** Counts expected under the configured split. */
  expected: [number, number];
  /** Pearson chi-square statistic, one degree of freedom. */
  statistic: number;
  pValue: number;
  /** pValue < threshold. */
  mismatch: boolean;
  threshold: number;
}

/**
 * Sample-ratio-mismatch check of two arms' assignment counts against the configured share of B (0 < shareB < 1).
 * Returns null when the split cannot be tested (no traffic, or a share of 0 or 1).
 */
export function sampleRatioMismatch(countA: number, countB: number, shareB: number, threshold = 0.001): SampleRatioCheck | null {
  const n = countA + countB;
  if (!(n > 0) || !(shareB > 0 && shareB < 1)) return null;
  const eA = n * (1 - shareB);
  const eB = n * shareB;
  const statistic = (countA - eA) ** 2 / eA + (countB - eB) ** 2 / eB;
  const pValue = chiSquare1Sf(statistic);
  return { observed: [countA, countB], expected: [eA, eB], statistic, pValue, mismatch: pValue < threshold, threshold };
}
