import { describe, expect, it } from 'vitest';
import { showAgainst } from './rules.js';

describe('showAgainst', () => {
  it('prints a value just below its bound with enough digits to read below it', () => {
    expect(showAgainst(0.8499658, 0.85)).toBe('0.84997');
    expect(showAgainst(0.85000001, 0.85)).toBe('0.85000001');
    expect(showAgainst(0.9999999999, 1)).toBe('0.9999999999');
  });
  it('keeps four significant digits when that already reads right, and equal values equal', () => {
    expect(showAgainst(0.912345, 0.85)).toBe('0.9123');
    expect(showAgainst(0.85, 0.85)).toBe('0.85');
    expect(showAgainst(1234.5678, 1000)).toBe('1235');
    expect(showAgainst(Number.NaN, 0.5)).toBe('NaN');
  });
});
