import { describe, expect, it } from 'vitest';
import { SlipwayError } from '../core/errors.js';
import { CircuitBreaker, UNAVAILABLE_CODE, type BreakerState } from './breaker.js';

/** A breaker on a clock the test moves by hand. */
function setup(options: { failureThreshold?: number; coolDownMs?: number } = {}) {
  const clock = { t: 0 };
  const changes: string[] = [];
  const breaker = new CircuitBreaker({ name: 'model server http://m', now: () => clock.t, onStateChange: (to: BreakerState, from: BreakerState) => changes.push(`${from}→${to}`), ...options });
  return { clock, changes, breaker };
}
const ok = () => Promise.resolve('ok');
const boom = () => Promise.reject(new Error('boom'));

function refused(breaker: CircuitBreaker): SlipwayError {
  try {
    breaker.admit();
  } catch (e) {
    expect(e).toBeInstanceOf(SlipwayError);
    return e as SlipwayError;
  }
  throw new Error('expected the breaker to refuse');
}

describe('CircuitBreaker', () => {
  it('defaults to 5 consecutive failures and a 10 s cool-down', () => {
    const b = new CircuitBreaker();
    expect([b.failureThreshold, b.coolDownMs, b.state()]).toEqual([5, 10_000, 'closed']);
    expect(() => new CircuitBreaker({ failureThreshold: 0 })).toThrow(RangeError);
    expect(() => new CircuitBreaker({ coolDownMs: -1 })).toThrow(RangeError);
  });

  it('opens after N consecutive failures; a success in between resets the count', async () => {
    const { breaker, changes } = setup({ failureThreshold: 3 });
    await expect(breaker.run(boom)).rejects.toThrow('boom');
    await expect(breaker.run(boom)).rejects.toThrow('boom');
    await breaker.run(ok);
    expect(breaker.failures).toBe(0);
    await expect(breaker.run(boom)).rejects.toThrow('boom');
    await expect(breaker.run(boom)).rejects.toThrow('boom');
    expect(breaker.state()).toBe('closed');
    await expect(breaker.run(boom)).rejects.toThrow('boom');
    expect(breaker.state()).toBe('open');
    expect(changes).toEqual(['closed→open']);
  });

  it('fails fast while open, with a coded 5xx error and the time left, without running the call', async () => {
    const { breaker, clock } = setup({ failureThreshold: 1, coolDownMs: 1000 });
    await expect(breaker.run(boom)).rejects.toThrow('boom');
    clock.t = 400;
    let ran = false;
    const e = await breaker.run(async () => (ran = true)).catch((x: unknown) => x as SlipwayError);
    expect(ran).toBe(false);
    expect(e).toBeInstanceOf(SlipwayError);
    expect((e as SlipwayError).code).toBe(UNAVAILABLE_CODE);
    expect((e as SlipwayError).status).toBeGreaterThanOrEqual(500);
    expect((e as SlipwayError).message).toBe('model server http://m is unavailable: circuit breaker open after 1 consecutive failures; next attempt in 600 ms.');
    expect((e as SlipwayError).details).toEqual({ breaker: 'open', retryAfterMs: 600 });
  });

  it('half-open after the cool-down: one probe goes through, others fail fast; success closes', async () => {
    const { breaker, clock, changes } = setup({ failureThreshold: 2, coolDownMs: 1000 });
    await expect(breaker.run(boom)).rejects.toThrow();
    await expect(breaker.run(boom)).rejects.toThrow();
    clock.t = 999;
    expect(breaker.state()).toBe('open');
    clock.t = 1000;
    expect(breaker.state()).toBe('half-open');
    let release!: () => void;
    const probe = breaker.run(() => new Promise<string>((resolve) => (release = () => resolve('probed'))));
    expect(breaker.state()).toBe('half-open');
    const other = refused(breaker);
    expect(other.message).toMatch(/a probe call is under way/);
    expect(other.details).toEqual({ breaker: 'half-open', retryAfterMs: 0 });
    release();
    expect(await probe).toBe('probed');
    expect(breaker.state()).toBe('closed');
    expect(await breaker.run(ok)).toBe('ok');
    // Closed again with a fresh count: it takes the full threshold to open once more.
    await expect(breaker.run(boom)).rejects.toThrow();
    expect(breaker.state()).toBe('closed');
    expect(changes).toEqual(['closed→open', 'open→half-open', 'half-open→closed']);
  });

  it('a failed probe re-opens for a whole new cool-down', async () => {
    const { breaker, clock, changes } = setup({ failureThreshold: 1, coolDownMs: 1000 });
    await expect(breaker.run(boom)).rejects.toThrow();
    clock.t = 1500;
    await expect(breaker.run(boom)).rejects.toThrow('boom');
    expect(breaker.state()).toBe('open');
    clock.t = 2499;
    expect(refused(breaker).details).toEqual({ breaker: 'open', retryAfterMs: 1 });
    clock.t = 2500;
    expect(await breaker.run(ok)).toBe('ok');
    expect(changes).toEqual(['closed→open', 'open→half-open', 'half-open→open', 'open→half-open', 'half-open→closed']);
  });

  it('counts only the errors it is told to', async () => {
    const { breaker } = setup({ failureThreshold: 1 });
    const notMine = new Error('bad request');
    await expect(breaker.run(() => Promise.reject(notMine), (e) => e !== notMine)).rejects.toBe(notMine);
    expect(breaker.state()).toBe('closed');
    await expect(breaker.run(boom, (e) => e !== notMine)).rejects.toThrow('boom');
    expect(breaker.state()).toBe('open');
  });

  it('ignores outcomes of calls admitted before the last change of state', async () => {
    const { breaker, clock } = setup({ failureThreshold: 2, coolDownMs: 1000 });
    const slow = breaker.admit(); // admitted while closed, answers late
    const slow2 = breaker.admit();
    breaker.failure(breaker.admit());
    breaker.failure(breaker.admit());
    expect(breaker.state()).toBe('open');
    breaker.success(slow); // a late success does not close an open breaker
    expect(breaker.state()).toBe('open');
    clock.t = 1000;
    const probe = breaker.admit();
    expect(probe.probe).toBe(true);
    breaker.success(probe);
    expect(breaker.state()).toBe('closed');
    breaker.failure(slow2); // nor does a late failure count against the breaker the probe closed
    expect(breaker.failures).toBe(0);
  });

  it('with no cool-down, the next call after opening is the probe', async () => {
    const { breaker } = setup({ failureThreshold: 1, coolDownMs: 0 });
    await expect(breaker.run(boom)).rejects.toThrow();
    expect(breaker.state()).toBe('half-open');
    expect(await breaker.run(ok)).toBe('ok');
    expect(breaker.state()).toBe('closed');
  });
});
