import { posix } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SlipwayError } from '../core/errors.js';
import { safeArtifactPath, safeArtifactPrefix } from './paths.js';

const rejects = (fn: () => unknown, message: RegExp) => {
  expect(fn).toThrow(message);
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SlipwayError);
    expect((err as SlipwayError).code).toBe('INVALID_ARGUMENT');
  }
};

describe('safeArtifactPath', () => {
  it('accepts ordinary relative paths unchanged', () => {
    for (const p of ['a', 'model/MLmodel', 'a b/ü ñ/日本.txt', '.hidden', 'a/..b/c..', '...', 'ab:c', 'metrics/x:y', 'a%2F..%2Fb']) {
      expect(safeArtifactPath(p)).toBe(p);
    }
  });

  it('rejects unsafe paths, saying what to do', () => {
    rejects(() => safeArtifactPath(''), /empty.*relative to the artifact root/);
    rejects(() => safeArtifactPath('/etc/passwd'), /absolute.*without a leading "\/"/);
    rejects(() => safeArtifactPath('C:/x'), /absolute.*drive letter/);
    rejects(() => safeArtifactPath('c:x'), /absolute/);
    rejects(() => safeArtifactPath('..'), /"\.\.".*use a path inside/);
    rejects(() => safeArtifactPath('a/../../b'), /"\.\."/);
    rejects(() => safeArtifactPath('a\\b'), /backslash.*use "\/"/);
    rejects(() => safeArtifactPath('..\\x'), /backslash/);
    rejects(() => safeArtifactPath('a\0b'), /control character/);
    rejects(() => safeArtifactPath('a\tb'), /control character/);
    rejects(() => safeArtifactPath('a\u007fb'), /control character/);
    rejects(() => safeArtifactPath('./a'), /"\." segment.*remove/);
    rejects(() => safeArtifactPath('a/.'), /"\." segment/);
    rejects(() => safeArtifactPath('a//b'), /empty segment.*remove the extra/);
    rejects(() => safeArtifactPath('a/'), /empty segment/);
  });

  it('allows the root only when asked', () => {
    expect(safeArtifactPath('', { allowRoot: true })).toBe('');
    expect(safeArtifactPrefix('')).toBe('');
    expect(safeArtifactPrefix('model/')).toBe('model');
    expect(safeArtifactPrefix('model/data')).toBe('model/data');
    rejects(() => safeArtifactPrefix('/'), /absolute/);
    rejects(() => safeArtifactPrefix('model//'), /empty segment/);
    rejects(() => safeArtifactPrefix('../'), /"\.\."/);
  });

  it('never lets an accepted path leave the root', () => {
    const segment = fc.stringMatching(/^[a-zA-Z0-9./\\:%\0\n -]{0,6}$/);
    fc.assert(
      fc.property(fc.array(segment, { maxLength: 5 }), (parts) => {
        const input = parts.join('/');
        let out: string;
        try {
          out = safeArtifactPath(input);
        } catch (err) {
          expect((err as SlipwayError).code).toBe('INVALID_ARGUMENT');
          return;
        }
        expect(out).toBe(input);
        expect(posix.normalize(out)).toBe(out);
        expect(posix.resolve('/root', out).startsWith('/root/')).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});
