import { expect } from 'vitest';
import { SlipwayApiError } from '../src/client/index.js';

/** Asserts that a client call fails with this status and code (and message, when given). */
export async function expectError(p: Promise<unknown>, status: number, code: string, message?: RegExp): Promise<void> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SlipwayApiError);
  expect((err as SlipwayApiError).status).toBe(status);
  expect((err as SlipwayApiError).code).toBe(code);
  if (message) expect((err as SlipwayApiError).message).toMatch(message);
}
