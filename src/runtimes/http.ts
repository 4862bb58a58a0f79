/**
 * A model served over HTTP by an MLflow-scoring compatible server (`mlflow models serve`, MLServer, a Slipway
 * gateway, …): `POST {url}/invocations` with `{"dataframe_split": {"columns": [...], "data": [[...], ...]}}`,
 * answered with `{"predictions": [...]}` (a bare JSON array is accepted too).
 *
 * How predictions are read, decided by the first non-null prediction and required of every row:
 *  - a number: a regression value — unless `classes` were given, then it is a class label (matched as a string,
 *    so `1` and `"1"` are the same class);
 *  - a string: a class label;
 *  - an array of numbers: class probabilities, in `classes` order (or classes "0".."C-1" when not given); the label
 *    is the argmax;
 *  - an object: class → probability; classes are `classes` or the first object's keys, in order; label = argmax.
 * Without `classes`, labels seen as strings/numbers are numbered in order of first appearance *within the batch*,
 * so callers scoring several batches should pass `classes` (evaluation knows them from the dataset).
 * Missing values travel as JSON null (NaN cannot be written in JSON).
 *
 * Failures: a server that is unreachable, times out or answers 5xx fails the call with an `UNAVAILABLE_CODE` error
 * (a 5xx to the gateway's callers, counted as an error by the canary analysis), and counts towards the circuit
 * breaker in front of it (breaker.ts), which then fails calls fast until a probe gets through. A 4xx answer, a
 * redirect (never followed: it could point anywhere) or an answer that cannot be read is INVALID_STATE and shows the
 * server is up. Errors say what kind of answer came (status, "not JSON", …) and never quote it: whoever calls a
 * deployment, and the server log, must not become a window onto what the model server's host returns.
 */
import { invalid, invalidState, SlipwayError } from '../core/errors.js';
import { CircuitBreaker, UNAVAILABLE_CODE, type BreakerOptions, type BreakerState } from './breaker.js';
import type { Frame } from './frame.js';
import type { ModelRuntime, PredictOptions, Predictions, RuntimeInput } from './types.js';
import { modelServerEndpoint } from './model-server-url.js';
import { columnsFor } from './validate.js';

export interface HttpRuntimeOptions {
  /** Hosts (`host` or `host:port`) the server may call as model servers: `TrustSettings.modelServerHosts`. */
  allowedHosts: readonly string[];
  /** Per attempt; default 30 s. A timed-out attempt is never retried. */
  timeoutMs?: number;
  /** Extra attempts after a connection error or a 502/503; default 2. */
  retries?: number;
  /** Class labels in model order: predictions are then class labels or probabilities over these. */
  classes?: string[];
  /** Columns to send, in order; default every column of the frame. */
  inputs?: RuntimeInput[];
  /** First backoff delay, doubled each retry; default 200 ms. */
  backoffMs?: number;
  /**
   * The circuit breaker in front of the server (see breaker.ts): options for this runtime's own (default: 5
   * consecutive failed calls open it for 10 s), a breaker to share, or false for none.
   */
  breaker?: BreakerOptions | CircuitBreaker | false;
}

/**
 * Retried statuses: the request was not processed (a proxy found no server, or the server is not ready). 504 is not
 * among them: it means the model got the request and took too long, and trying again would only wait as long again
 * and add load to a server that is already slow — the same reason a timeout of ours is not retried.
 */
const RETRY_STATUS = new Set([502, 503]);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const isTimeout = (e: unknown) => e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError');

/**
 * fetch rejects with a TypeError ("fetch failed") whose cause carries the socket error for connection failures.
 * 'retry': the request never reached a model (refused, reset, DNS), safe and cheap to try again; 'timeout': a
 * connect timeout, which took its time already and is not retried; null: not a connection error.
 */
function connectionError(e: unknown): 'retry' | 'timeout' | null {
  if (!(e instanceof TypeError)) return null;
  const cause = (e as { cause?: { code?: unknown } }).cause;
  if (isTimeout(cause) || cause?.code === 'UND_ERR_CONNECT_TIMEOUT') return 'timeout';
  const code = cause?.code;
  return typeof code !== 'string' || /^(ECONNREFUSED|ECONNRESET|EPIPE|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|UND_ERR_SOCKET)$/.test(code) ? 'retry' : null;
}

/** Errors that say the server is unavailable (unreachable, timed out, 5xx): the ones the breaker counts. */
const unavailable = new WeakSet<object>();
function down(message: string, details?: Record<string, unknown>): SlipwayError {
  const e = new SlipwayError(UNAVAILABLE_CODE, message, details);
  unavailable.add(e);
  return e;
}
const isUnavailable = (e: unknown) => typeof e === 'object' && e !== null && unavailable.has(e);

class HttpModelRuntime implements ModelRuntime {
  readonly kind = 'http' as const;
  readonly inputs: RuntimeInput[];
  readonly breaker: CircuitBreaker | null;
  readonly #endpoint: string;
  readonly #timeoutMs: number;
  readonly #retries: number;
  readonly #backoffMs: number;
  readonly #classes: string[] | undefined;

  constructor(endpoint: string, options: HttpRuntimeOptions) {
    this.#endpoint = endpoint;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#retries = Math.max(0, options.retries ?? 2);
    this.#backoffMs = options.backoffMs ?? 200;
    this.#classes = options.classes;
    this.inputs = options.inputs ?? [];
    const b = options.breaker;
    this.breaker = b === false ? null : b instanceof CircuitBreaker ? b : new CircuitBreaker({ name: `model server ${endpoint}`, ...b });
  }

  #body(frame: Frame): string {
    const names = this.inputs.length > 0 ? this.inputs.map((i) => i.name) : [...frame.columns.keys()];
    const cols = this.inputs.length > 0 ? columnsFor(frame, this.inputs) : [...frame.columns.values()];
    const data: (number | string | null)[][] = new Array(frame.rows);
    for (let r = 0; r < frame.rows; r++) {
      const row: (number | string | null)[] = new Array(cols.length);
      for (let c = 0; c < cols.length; c++) {
        const col = cols[c]!;
        if (col.kind === 'number') {
          const v = col.values[r]!;
          row[c] = Number.isFinite(v) ? v : null;
        } else row[c] = col.values[r] ?? null;
      }
      data[r] = row;
    }
    return JSON.stringify({ dataframe_split: { columns: names, data } });
  }

  /** Another attempt is worth it: attempts are left and the breaker has not opened meanwhile (other calls failed). */
  #mayRetry(attempt: number): boolean {
    return attempt < this.#retries && this.breaker?.state() !== 'open';
  }

  /**
   * POSTs with retries. Retrying is safe: scoring a batch has no side effects on a model server, so a POST to
   * /invocations is idempotent even though POSTs in general are not. Only connection errors and 502/503 (a proxy or
   * a server not ready) are retried; a timeout or any other status is final. The whole exchange, retries included,
   * is one call for the breaker: it counts once, as a failure only when the server is unavailable (unreachable,
   * timed out, 5xx); any other answer shows the server is up.
   */
  #post(body: string, signal?: AbortSignal): Promise<unknown> {
    return this.breaker ? this.breaker.run(() => this.#attempts(body, signal), isUnavailable) : this.#attempts(body, signal);
  }

  async #attempts(body: string, cancel?: AbortSignal): Promise<unknown> {
    const timedOut = () => down(`model server ${this.#endpoint} did not answer within ${this.#timeoutMs} ms`, { upstream: 'timeout' });
    for (let attempt = 0; ; attempt++) {
      let res: Response;
      try {
        res = await fetch(this.#endpoint, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json' },
          body,
          redirect: 'manual',
          signal: cancel ? AbortSignal.any([cancel, AbortSignal.timeout(this.#timeoutMs)]) : AbortSignal.timeout(this.#timeoutMs),
        });
      } catch (e) {
        // The caller gave up (a cancelled evaluation): its reason, not the server's fault.
        cancel?.throwIfAborted();
        if (isTimeout(e)) throw timedOut();
        if (connectionError(e) === 'retry' && this.#mayRetry(attempt)) {
          await sleep(this.#backoffMs * 2 ** attempt);
          continue;
        }
        const cause = (e as { cause?: { code?: string; message?: string } }).cause;
        throw down(`model server ${this.#endpoint} unreachable${typeof cause?.code === 'string' ? ` (${cause.code})` : ''}`, { upstream: 'unreachable' });
      }
      if (RETRY_STATUS.has(res.status) && this.#mayRetry(attempt)) {
        await res.body?.cancel();
        await sleep(this.#backoffMs * 2 ** attempt);
        continue;
      }
      if (!res.ok) await res.body?.cancel().catch(() => {});
      let text = '';
      try {
        if (res.ok) text = await readCapped(res, MAX_ANSWER_BYTES);
      } catch (e) {
        cancel?.throwIfAborted();
        if (isTimeout(e)) throw timedOut();
        if (e instanceof AnswerTooLarge) throw invalidState(`model server ${this.#endpoint} answered more than ${MAX_ANSWER_BYTES / 1024 ** 2} MiB for one batch`, { upstream: 'too_large' });
        throw down(`model server ${this.#endpoint}: reading the answer failed`, { upstream: 'unreachable' });
      }
      if (res.status >= 300 && res.status < 400) {
        throw invalidState(`model server ${this.#endpoint} answered HTTP ${res.status}, a redirect, which is not followed; register the URL it redirects to.`, { status: res.status, upstream: 'redirect' });
      }
      if (!res.ok) {
        const message = `model server ${this.#endpoint} answered HTTP ${res.status}`;
        // A 5xx is the server failing; a 4xx is the request (the server is up and refused it).
        throw res.status >= 500 ? down(message, { status: res.status, upstream: 'server_error' }) : invalidState(message, { status: res.status, upstream: 'client_error' });
      }
      try {
        return JSON.parse(text) as unknown;
      } catch {
        throw invalidState(`model server ${this.#endpoint} answered HTTP ${res.status} with something that is not JSON`, { status: res.status, upstream: 'not_json' });
      }
    }
  }

  async predict(frame: Frame, options: PredictOptions = {}): Promise<Predictions> {
    const answer = await this.#post(this.#body(frame), options.signal);
    const predictions = Array.isArray(answer) ? answer : (answer as { predictions?: unknown } | null)?.predictions;
    if (!Array.isArray(predictions)) throw invalidState(`model server ${this.#endpoint} answered without a "predictions" array`);
    if (predictions.length !== frame.rows) {
      throw invalidState(`model server ${this.#endpoint} returned ${predictions.length} predictions for ${frame.rows} rows`);
    }
    return decodePredictions(predictions, this.#classes);
  }

  async close(): Promise<void> {}
}

/** The most a model server may answer for one batch: far above any batch's predictions, far below memory. */
export const MAX_ANSWER_BYTES = 64 * 1024 ** 2;

class AnswerTooLarge extends Error {}

/** The body as text, refused (and the connection dropped) once it passes `max` bytes. */
async function readCapped(res: Response, max: number): Promise<string> {
  if (!res.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > max) throw new AnswerTooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const bad = (r: number, what: string) => invalidState(`prediction ${r} is not ${what} like the first one`);

/** Reads a `predictions` array per the rules in the header comment. */
export function decodePredictions(predictions: unknown[], classes?: string[]): Predictions {
  const rows = predictions.length;
  const first = predictions.find((p) => p !== null && p !== undefined);
  if (first === undefined) {
    // Nothing but nulls (or no rows): a regression of missing values, or unknown labels.
    if (classes) return { rows, classes, labelIndex: new Int32Array(rows).fill(-1) };
    return { rows, value: new Float64Array(rows).fill(NaN) };
  }

  if (typeof first === 'number' && !classes) {
    const value = new Float64Array(rows);
    for (let r = 0; r < rows; r++) {
      const p = predictions[r];
      if (p === null || p === undefined) value[r] = NaN;
      else if (typeof p === 'number') value[r] = p;
      else throw bad(r, 'a number');
    }
    return { rows, value };
  }

  if (typeof first === 'number' || typeof first === 'string') {
    const known = classes ? [...classes] : [];
    const index = new Map(known.map((c, i) => [c, i]));
    const labelIndex = new Int32Array(rows);
    for (let r = 0; r < rows; r++) {
      const p = predictions[r];
      if (p === null || p === undefined) {
        labelIndex[r] = -1;
        continue;
      }
      if (typeof p !== 'number' && typeof p !== 'string') throw bad(r, 'a class label');
      const key = String(p);
      let i = index.get(key);
      if (i === undefined) {
        if (classes) throw invalidState(`the model server predicted a class that is not one of ${classes.join(', ')} (row ${r})`);
        i = known.length;
        known.push(key);
        index.set(key, i);
      }
      labelIndex[r] = i;
    }
    return { rows, classes: known, labelIndex };
  }

  let names: string[];
  let read: (p: unknown, r: number, out: Float64Array, o: number) => void;
  if (Array.isArray(first)) {
    const C = first.length;
    names = classes ?? Array.from({ length: C }, (_, i) => String(i));
    if (names.length !== C) throw invalidState(`the model server gave ${C} probabilities per row for ${names.length} classes`);
    read = (p, r, out, o) => {
      if (!Array.isArray(p) || p.length !== C) throw bad(r, `${C} probabilities`);
      for (let k = 0; k < C; k++) {
        const v = p[k] as unknown;
        out[o + k] = typeof v === 'number' ? v : NaN;
      }
    };
  } else if (typeof first === 'object') {
    names = classes ?? Object.keys(first);
    read = (p, r, out, o) => {
      if (p === null || typeof p !== 'object' || Array.isArray(p)) throw bad(r, 'an object of class probabilities');
      const m = p as Record<string, unknown>;
      for (let k = 0; k < names.length; k++) {
        const v = m[names[k]!];
        out[o + k] = typeof v === 'number' ? v : NaN;
      }
    };
  } else {
    throw invalidState(`the model server returned predictions of an unsupported kind (${typeof first})`);
  }
  const C = names.length;
  const proba = new Float64Array(rows * C);
  const labelIndex = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    const p = predictions[r];
    const o = r * C;
    if (p === null || p === undefined) {
      proba.fill(NaN, o, o + C);
      labelIndex[r] = -1;
      continue;
    }
    read(p, r, proba, o);
    let best = -1;
    let max = -Infinity;
    for (let k = 0; k < C; k++) {
      if (proba[o + k]! > max) {
        max = proba[o + k]!;
        best = k;
      }
    }
    labelIndex[r] = best;
  }
  return { rows, classes: names, labelIndex, proba };
}

/** The state of an HTTP runtime's circuit breaker (null for other runtimes, or without one), e.g. for metrics. */
export function breakerStateOf(runtime: ModelRuntime): BreakerState | null {
  return runtime instanceof HttpModelRuntime ? (runtime.breaker?.state() ?? null) : null;
}

/**
 * A runtime for a model server; nothing is contacted until the first `predict`. The URL must pass
 * `modelServerEndpoint` against `options.allowedHosts`; the runtime only ever calls the URL that returns.
 */
export async function openHttpRuntime(url: string, options: HttpRuntimeOptions): Promise<ModelRuntime> {
  const endpoint = modelServerEndpoint(url, options.allowedHosts).href;
  if (options.timeoutMs !== undefined && !(options.timeoutMs > 0)) throw invalid('timeoutMs must be positive');
  return new HttpModelRuntime(endpoint, options);
}
