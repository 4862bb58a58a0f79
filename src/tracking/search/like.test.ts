import { describe, expect, it } from 'vitest';
import { likeToEscaped, likeToGlob } from './like.js';

describe('LIKE pattern translation', () => {
  it('maps wildcards to GLOB and makes GLOB metacharacters literal', () => {
    expect(likeToGlob('a%b_c')).toBe('a*b?c');
    expect(likeToGlob('a*b?[c]')).toBe('a[*]b[?][[]c]');
    expect(likeToGlob('100\\%')).toBe('100%');
    expect(likeToGlob('a\\_b\\\\')).toBe('a_b\\');
    expect(likeToGlob('trailing\\')).toBe('trailing\\');
    expect(likeToGlob('ünï%')).toBe('ünï*');
  });

  it('writes literal wildcards and backslashes escaped for LIKE ... ESCAPE backslash', () => {
    expect(likeToEscaped('a%b_c')).toBe('a%b_c');
    expect(likeToEscaped('100\\%')).toBe('100\\%');
    expect(likeToEscaped('a\\_b')).toBe('a\\_b');
    expect(likeToEscaped('trailing\\')).toBe('trailing\\\\');
    expect(likeToEscaped('\\x')).toBe('x');
    expect(likeToEscaped('a*b?[c]')).toBe('a*b?[c]');
  });
});
