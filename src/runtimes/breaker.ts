/**
 * A circuit breaker for calls to something remote (a model server): after `failureThreshold` consecutive failed
 * calls it opens, and for `coolDownMs` every call fails at once without touching the remote side. Then it is
 * half-open: the next call goes through as a probe while any other fails fast; the probe's success closes the
 * breaker, its failure opens it for another cool-down.
 *
 * Consecutive failures rather than a failure rate over a window: a model server is either reachable or not, so a
 * run of failures is the signal; a rate would need a minimum volume to mean anything and would be slow to trip on
 * little traffic, which is exactly when failing fast matters least but a dead server should still be noticed.
 * Any success resets the count.
 *
 * A "call" is whatever the caller wraps, retries included: a call that failed after exhausting its retries counts
 * once. Outcomes of calls admitted before the breaker last changed state are ignored (a slow call admitted while
 * closed cannot re-open a breaker a probe has just closed, nor count twice).
 */
import { SlipwayError, type ErrorCode } from '../core/errors.js';

export type BreakerState = 'closed' | 'open' | 'half-open';

/**
 * The code of errors that mean "the remote side is unavailable": a failed call, or one refused by an open breaker
 * (503, which the gateway's metrics and the canary analysis count as errors).
 */
export const UNAVAILABLE_CODE: ErrorCode = 'UNAVAILABLE';

export interface BreakerOptions {
  /** Consecutive failed calls that open the breaker; default 5. */
  failureThreshold?: number;
  /** How long it stays open before letting a probe through; default 10 s. */
  coolDownMs?: number;
  /** What is protected, for error messages (e.g. "model server http://host/invocations"). */
  name?: string;
  /** Milliseconds; default Date.now (tests inject their own). */
  now?: () => number;
  /** Told of every change: closed → open, open → half-open (when a probe is let through), half-open → closed or open. */
  onStateChange?: (to: BreakerState, from: BreakerState) => void;
}

/** Proof of admission: which state generation the call was admitted in, and whether it is the half-open probe. */
export interface BreakerTicket {
  readonly generation: number;
  readonly probe: boolean;
}

export class CircuitBreaker {
  readonly failureThreshold: number;
  readonly coolDownMs: number;
  readonly #name: string;
  readonly #now: () => number;
  readonly #onStateChange: ((to: BreakerState, from: BreakerState) => void) | undefined;
  #state: 'closed' | 'open' | 'probing' = 'closed';
  #failures = 0;
  #openedAt = 0;
  #generation = 0;

  constructor(options: BreakerOptions = {}) {
    this.failureThreshold = options.failureThreshold ?? 5;
    this.coolDownMs = options.coolDownMs ?? 10_000;
    if (!Number.isInteger(this.failureThreshold) || this.failureThreshold < 1) throw new RangeError('failureThreshold must be a positive integer');
    if (!(this.coolDownMs >= 0)) throw new RangeError('coolDownMs must not be negative');
    this.#name = options.name ?? 'upstream';
    this.#now = options.now ?? Date.now;
    this.#onStateChange = options.onStateChange;
  }

  /** As reported to metrics: 'half-open' once the cool-down is over (the next call probes) and while a probe runs. */
  state(): BreakerState {
    if (this.#state === 'closed') return 'closed';
    if (this.#state === 'probing') return 'half-open';
    return this.#now() - this.#openedAt >= this.coolDownMs ? 'half-open' : 'open';
  }

  /** Consecutive failures counted so far while closed. */
  get failures(): number {
    return this.#failures;
  }

  /** Lets a call through, or throws the fail-fast error when open (or half-open with its probe already running). */
  admit(): BreakerTicket {
    if (this.#state === 'closed') return { generation: this.#generation, probe: false };
    const waited = this.#now() - this.#openedAt;
    if (this.#state === 'open' && waited >= this.coolDownMs) {
      this.#move('probing');
      return { generation: this.#generation, probe: true };
    }
    const retryAfterMs = this.#state === 'open' ? this.coolDownMs - waited : 0;
    throw new SlipwayError(
      UNAVAILABLE_CODE,
      `${this.#name} is unavailable: circuit breaker open after ${this.failureThreshold} consecutive failures${this.#state === 'probing' ? ', a probe call is under way' : `; next attempt in ${Math.ceil(retryAfterMs)} ms`}.`,
      { breaker: this.state(), retryAfterMs: Math.max(0, Math.ceil(retryAfterMs)) },
    );
  }

  /** The admitted call succeeded (or got any answer that shows the remote side is up). */
  success(ticket: BreakerTicket): void {
    if (ticket.generation !== this.#generation) return;
    if (ticket.probe) this.#move('closed');
    else this.#failures = 0;
  }

  /** The admitted call failed in a way that counts: unreachable, timed out, a 5xx after retries. */
  failure(ticket: BreakerTicket): void {
    if (ticket.generation !== this.#generation) return;
    if (ticket.probe) {
      this.#move('open');
      return;
    }
    if (this.#state !== 'closed') return;
    if (++this.#failures >= this.failureThreshold) this.#move('open');
  }

  /** Runs one call through the breaker; `isFailure` says which errors count (default: all). */
  async run<T>(call: (ticket: BreakerTicket) => Promise<T>, isFailure: (e: unknown) => boolean = () => true): Promise<T> {
    const ticket = this.admit();
    let result: T;
    try {
      result = await call(ticket);
    } catch (e) {
      if (isFailure(e)) this.failure(ticket);
      else this.success(ticket);
      throw e;
    }
    this.success(ticket);
    return result;
  }

  #move(to: 'closed' | 'open' | 'probing'): void {
    const from = this.#state;
    this.#state = to;
    this.#generation++;
    this.#failures = 0;
    if (to === 'open') this.#openedAt = this.#now();
    const named = (s: typeof to): BreakerState => (s === 'probing' ? 'half-open' : s);
    if (to !== from) this.#onStateChange?.(named(to), named(from));
  }
}
