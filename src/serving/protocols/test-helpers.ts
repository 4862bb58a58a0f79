/** Shared by the protocol tests (no vitest import, so the build can include this file harmlessly). */
import assert from 'node:assert/strict';
import { SlipwayError } from '../../core/errors.js';
import type { Column, Frame } from '../../runtimes/frame.js';

/** Runs `fn`, expecting an INVALID_ARGUMENT naming `field` first in its message, with a message matching `message`. */
export function expectInvalid(fn: () => unknown, field: string, message: RegExp): SlipwayError {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof SlipwayError, `expected a SlipwayError, got ${String(error)}`);
  assert.equal(error.code, 'INVALID_ARGUMENT');
  assert.equal(error.details?.field, field, `field of: ${error.message}`);
  assert.match(error.message, message);
  if (field) assert.ok(error.message.startsWith(`${field}: `), `message should start with the field: ${error.message}`);
  return error;
}

/** A frame's columns as plain arrays (NaN kept), for toEqual. */
export function plain(frame: Frame): Record<string, (number | string | null)[]> {
  const out: Record<string, (number | string | null)[]> = {};
  for (const [name, c] of frame.columns) out[name] = Array.from(c.values as ArrayLike<number | string | null>);
  return out;
}

export const kinds = (frame: Frame): Record<string, Column['kind']> => Object.fromEntries([...frame.columns].map(([n, c]) => [n, c.kind]));
