import { describe, expect, it } from 'vitest';
import { bucketOf } from './gateway.js';

describe('sticky assignment', () => {
  it('spreads similar keys evenly and keeps each key on its side of any weight', () => {
    const shares = Array.from({ length: 20_000 }, (_, i) => bucketOf(`checkout\u0000user-${i}`));
    for (const w of [0.05, 0.3, 0.5, 0.9]) {
      const below = shares.filter((u) => u < w).length / shares.length;
      expect(Math.abs(below - w)).toBeLessThan(0.015); // binomial sd at 20k keys is at most 0.0035
    }
    expect(bucketOf('checkout\u0000user-7')).toBe(shares[7]);
    // Growing a weight only moves keys from A to B, never back: the share of a key does not depend on the weight.
    const at30 = shares.map((u) => u < 0.3);
    const at50 = shares.map((u) => u < 0.5);
    expect(at30.every((inB, i) => !inB || at50[i])).toBe(true);
  });
});
