import { describe, expect, it } from 'vitest';
import { mulberry32 } from './random.js';
import { defaultMixingVariance, msprt, msprtHalfWidth, msprtLogLikelihoodRatio, sampleRatioMismatch, TwoSampleMsprt, type Arm } from './sequential.js';

/** Standard normal draws from a seeded uniform (Box-Muller). */
function normals(seed: number): () => number {
  const u = mulberry32(seed);
  return () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}

/** One simulated A/B stream: arms alternate at random (50/50), outcome drawn per arm. */
function* stream(seed: number, n: number, draw: (arm: Arm, rand: () => number, z: () => number) => number): Generator<{ arm: Arm; value: number }> {
  const rand = mulberry32(seed);
  const z = normals(seed ^ 0x5bd1e995);
  for (let i = 0; i < n; i++) {
    const arm: Arm = rand() < 0.5 ? 'a' : 'b';
    yield { arm, value: draw(arm, rand, z) };
  }
}

/** Runs a stream checking the p-value and the confidence sequence at every look. */
function everyLook(seed: number, n: number, tau2: number, truth: number, draw: Parameters<typeof stream>[2]) {
  const t = new TwoSampleMsprt({ tau2, alpha: 0.05 });
  let rejectedEver = false;
  let missedEver = false;
  for (const o of stream(seed, n, draw)) {
    t.push(o.arm, o.value);
    const s = t.state();
    if (s.pValue < 0.05) rejectedEver = true;
    const [lo, hi] = s.confidenceSequence;
    if (truth < lo || truth > hi) missedEver = true;
  }
  return { rejectedEver, missedEver, final: t.state() };
}

const STREAMS = 200;
/** α plus two binomial standard errors over 200 streams: 0.05 · 200 + 2·√(200 · 0.05 · 0.95) ≈ 16. */
const ALLOWED = Math.ceil(STREAMS * 0.05 + 2 * Math.sqrt(STREAMS * 0.05 * 0.95));

describe('mSPRT (always-valid inference)', () => {
  it('matches the closed form of the normal-mixture likelihood ratio and its confidence set', () => {
    // Λ = √(V/(V+τ²)) exp(τ²θ̂²/(2V(V+τ²))) with V = 1, τ² = 1, θ̂ = 2: √½ · e^(4/4).
    expect(Math.exp(msprtLogLikelihoodRatio(2, 1, 1))).toBeCloseTo(Math.SQRT1_2 * Math.E, 12);
    // The boundary of the confidence set is where Λ = 1/α.
    const h = msprtHalfWidth(0.01, 0.04, 0.05);
    expect(Math.exp(msprtLogLikelihoodRatio(0.3 + h, 0.01, 0.04, 0.3))).toBeCloseTo(20, 8);
    expect(msprtLogLikelihoodRatio(1, 0, 1)).toBe(0);
    expect(() => new TwoSampleMsprt({ tau2: 0 })).toThrow(RangeError);
  });

  it('keeps the always-valid p-value above α at every look in at least 95% of null streams (normal outcomes)', () => {
    let rejected = 0;
    for (let s = 0; s < STREAMS; s++) {
      const { rejectedEver } = everyLook(1000 + s, 1000, 0.04, 0, (_arm, _r, z) => 10 + 2 * z());
      if (rejectedEver) rejected++;
    }
    expect(rejected).toBeLessThanOrEqual(ALLOWED);
    expect(rejected / STREAMS).toBeLessThanOrEqual(0.05);
  });

  it('keeps the always-valid p-value above α at every look in at least 95% of null streams (conversions)', () => {
    let rejected = 0;
    for (let s = 0; s < STREAMS; s++) {
      const { rejectedEver } = everyLook(5000 + s, 1000, defaultMixingVariance([0, 0, 0, 1]), 0, (_arm, r) => (r() < 0.2 ? 1 : 0));
      if (rejectedEver) rejected++;
    }
    expect(rejected).toBeLessThanOrEqual(ALLOWED);
  });

  it('rejects under a real effect, and its confidence sequence covers the true difference', () => {
    let rejected = 0;
    let missed = 0;
    for (let s = 0; s < 50; s++) {
      // 10% against 15% conversion.
      const { rejectedEver, missedEver, final } = everyLook(9000 + s, 6000, 0.05 * 0.05, 0.05, (arm, r) => (r() < (arm === 'a' ? 0.1 : 0.15) ? 1 : 0));
      if (rejectedEver) rejected++;
      if (missedEver) missed++;
      if (rejectedEver) expect(final.difference).toBeGreaterThan(0);
    }
    expect(rejected).toBeGreaterThanOrEqual(45);
    expect(missed).toBeLessThanOrEqual(5); // covers the truth at every look in ≥ 90% of 50 streams (≥ 95% expected)

    const one = msprt(stream(77, 4000, (arm, _r, z) => (arm === 'a' ? 0 : 0.3) + z()), { tau2: 0.01 });
    expect(one.rejected).toBe(true);
    expect(one.pValue).toBeLessThan(1e-4);
    expect(one.confidenceSequence[0]).toBeLessThan(0.3);
    expect(one.confidenceSequence[1]).toBeGreaterThan(0.3);
    expect(one.confidenceSequence[0]).toBeGreaterThan(0);
  });

  it('covers the true difference at every look in at least 95% of streams', () => {
    let missed = 0;
    for (let s = 0; s < STREAMS; s++) {
      const { missedEver } = everyLook(20_000 + s, 800, 0.04, 0.5, (arm, _r, z) => (arm === 'a' ? 1 : 1.5) + z());
      if (missedEver) missed++;
    }
    expect(missed).toBeLessThanOrEqual(ALLOWED);
  });

  it('p-value never increases and starts at 1 before the warm-up', () => {
    const t = new TwoSampleMsprt({ tau2: 0.01, minPerArm: 5 });
    for (let i = 0; i < 4; i++) {
      t.push('a', i);
      t.push('b', i);
    }
    expect(t.state()).toMatchObject({ looks: 0, pValue: 1, confidenceSequence: [-Infinity, Infinity] });
    let last = 1;
    const z = normals(3);
    for (let i = 0; i < 500; i++) {
      t.push(i % 2 ? 'a' : 'b', z() + (i % 2 ? 0 : 0.2));
      const p = t.state().pValue;
      expect(p).toBeLessThanOrEqual(last);
      last = p;
    }
  });

  it('defaults τ to a tenth of the pooled standard deviation', () => {
    expect(defaultMixingVariance([1, 3])).toBeCloseTo(0.02, 12); // s² = 2
    expect(defaultMixingVariance([5, 5, 5])).toBeGreaterThan(0);
  });
});

describe('sample ratio mismatch', () => {
  it('passes a 5000/5000 split of a 50/50 test and flags 5400/4600', () => {
    const even = sampleRatioMismatch(5000, 5000, 0.5)!;
    expect(even).toMatchObject({ statistic: 0, pValue: 1, mismatch: false });
    const skewed = sampleRatioMismatch(5400, 4600, 0.5)!;
    expect(skewed.statistic).toBeCloseTo(64, 10);
    expect(skewed.pValue).toBeLessThan(1e-10);
    expect(skewed.mismatch).toBe(true);
  });

  it('tests against the configured weight, not 50/50', () => {
    expect(sampleRatioMismatch(9000, 1000, 0.1)!.mismatch).toBe(false);
    expect(sampleRatioMismatch(5000, 5000, 0.1)!.mismatch).toBe(true);
    // 5100/4900 is within chance for 10,000 (χ² = 4, p ≈ 0.046 > 0.001).
    const mild = sampleRatioMismatch(5100, 4900, 0.5)!;
    expect(mild.pValue).toBeCloseTo(0.0455, 3);
    expect(mild.mismatch).toBe(false);
    expect(sampleRatioMismatch(0, 0, 0.5)).toBeNull();
    expect(sampleRatioMismatch(10, 0, 0)).toBeNull();
  });
});
