import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SlipwayError } from '../core/errors.js';
import { CircuitBreaker } from './breaker.js';
import type { Column, Frame } from './frame.js';
import { breakerStateOf, decodePredictions, MAX_ANSWER_BYTES, openHttpRuntime } from './http.js';

const num = (values: number[]): Column => ({ kind: 'number', values: Float64Array.from(values) });
const str = (values: (string | null)[]): Column => ({ kind: 'string', values });
const frameOf = (cols: Record<string, Column>): Frame => {
  const columns = new Map(Object.entries(cols));
  return { rows: columns.values().next().value!.values.length, columns };
};

interface Split {
  dataframe_split: { columns: string[]; data: (number | string | null)[][] };
}
type Handler = (body: Split, req: IncomingMessage, res: ServerResponse) => void;

let server: Server;
let base: string;
let handler: Handler;
let requests: { url: string; body: Split }[];
/** Every test server listens on loopback; any port there is a model server these tests may call. */
const allowedHosts = ['127.0.0.1'];

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

/** A minimal MLflow-scoring server: the "model" sums the numeric cells of each row. */
const sumModel: Handler = (body, _req, res) => json(res, 200, { predictions: body.dataframe_split.data.map((row) => row.reduce<number>((s, v) => s + (typeof v === 'number' ? v : 0), 0)) });

beforeAll(async () => {
  server = createServer((req, res) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (text += c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/invocations' || req.headers['content-type'] !== 'application/json') {
        json(res, 404, { error_code: 'ENDPOINT_NOT_FOUND', message: `${req.method} ${req.url}` });
        return;
      }
      const body = JSON.parse(text) as Split;
      requests.push({ url: req.url, body });
      handler(body, req, res);
    });
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  handler = sumModel;
  requests = [];
});

async function expectCode(p: Promise<unknown>, code: string, message: RegExp): Promise<SlipwayError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(SlipwayError);
    expect((e as SlipwayError).code).toBe(code);
    expect((e as Error).message).toMatch(message);
    return e as SlipwayError;
  }
  throw new Error('expected an error');
}

describe('openHttpRuntime', () => {
  it('posts a dataframe_split (NaN and missing text as null) and reads numbers as regression values', async () => {
    const rt = await openHttpRuntime(base, { allowedHosts });
    expect(rt.kind).toBe('http');
    expect(rt.inputs).toEqual([]);
    const p = await rt.predict(frameOf({ a: num([1, 2, NaN]), b: num([10, 20, 30]), c: str(['x', null, 'z']) }));
    expect(requests[0]!.body).toEqual({
      dataframe_split: {
        columns: ['a', 'b', 'c'],
        data: [
          [1, 10, 'x'],
          [2, 20, null],
          [null, 30, 'z'],
        ],
      },
    });
    expect(p).toEqual({ rows: 3, value: Float64Array.from([11, 22, 30]) });
    await rt.close();
  });

  it('accepts a URL that already ends with /invocations, or has a trailing slash', async () => {
    for (const url of [`${base}/invocations`, `${base}/`]) {
      const p = await (await openHttpRuntime(url, { allowedHosts })).predict(frameOf({ a: num([1]) }));
      expect(Array.from(p.value!)).toEqual([1]);
    }
    expect(requests.map((r) => r.url)).toEqual(['/invocations', '/invocations']);
  });

  it('sends only the declared inputs, in order, and names missing ones', async () => {
    const rt = await openHttpRuntime(base, { allowedHosts, inputs: [{ name: 'b', type: 'number' }, { name: 'a', type: 'number' }] });
    await rt.predict(frameOf({ a: num([1]), extra: num([100]), b: num([2]) }));
    expect(requests[0]!.body.dataframe_split).toEqual({ columns: ['b', 'a'], data: [[2, 1]] });
    await expectCode(rt.predict(frameOf({ a: num([1]), B: num([2]) })), 'INVALID_ARGUMENT', /lacks the column the model reads: b; columns the model does not read \(renamed\?\): B/);
  });

  it('reads string predictions as class labels, in the given class order', async () => {
    handler = (body, _req, res) => json(res, 200, { predictions: body.dataframe_split.data.map((row) => ((row[0] as number) > 0 ? 'pos' : 'neg')) });
    const rt = await openHttpRuntime(base, { allowedHosts, classes: ['neg', 'pos'] });
    const p = await rt.predict(frameOf({ a: num([1, -1, 2]) }));
    expect(p.classes).toEqual(['neg', 'pos']);
    expect(Array.from(p.labelIndex!)).toEqual([1, 0, 1]);
    expect(p.proba).toBeUndefined();
  });

  it('reads numbers as class labels when classes are given', async () => {
    handler = (body, _req, res) => json(res, 200, { predictions: body.dataframe_split.data.map((row) => ((row[0] as number) > 0 ? 1 : 0)) });
    const p = await (await openHttpRuntime(base, { allowedHosts, classes: ['0', '1'] })).predict(frameOf({ a: num([1, -1]) }));
    expect(Array.from(p.labelIndex!)).toEqual([1, 0]);
  });

  it('reads arrays as probabilities and objects as class → probability', async () => {
    handler = (body, _req, res) => json(res, 200, { predictions: body.dataframe_split.data.map(() => [0.2, 0.7, 0.1]) });
    let p = await (await openHttpRuntime(base, { allowedHosts, classes: ['a', 'b', 'c'] })).predict(frameOf({ x: num([1, 2]) }));
    expect(p.classes).toEqual(['a', 'b', 'c']);
    expect(Array.from(p.labelIndex!)).toEqual([1, 1]);
    expect(Array.from(p.proba!)).toEqual([0.2, 0.7, 0.1, 0.2, 0.7, 0.1]);

    handler = (body, _req, res) => json(res, 200, { predictions: body.dataframe_split.data.map(() => ({ no: 0.9, yes: 0.1 })) });
    p = await (await openHttpRuntime(base, { allowedHosts })).predict(frameOf({ x: num([1]) }));
    expect(p.classes).toEqual(['no', 'yes']);
    expect(Array.from(p.labelIndex!)).toEqual([0]);
    p = await (await openHttpRuntime(base, { allowedHosts, classes: ['yes', 'no'] })).predict(frameOf({ x: num([1]) }));
    expect(Array.from(p.proba!)).toEqual([0.1, 0.9]);
    expect(Array.from(p.labelIndex!)).toEqual([1]);
  });

  it('retries 503 with backoff, then succeeds', async () => {
    let calls = 0;
    handler = (body, req, res) => (++calls < 3 ? json(res, 503, { message: 'loading' }) : sumModel(body, req, res));
    const p = await (await openHttpRuntime(base, { allowedHosts, retries: 2, backoffMs: 5 })).predict(frameOf({ a: num([4]) }));
    expect(calls).toBe(3);
    expect(Array.from(p.value!)).toEqual([4]);
  });

  it('gives up after the retries with the status, never the body', async () => {
    let calls = 0;
    handler = (_b, _req, res) => {
      calls++;
      json(res, 502, { message: 'bad gateway' });
    };
    const e = await expectCode((await openHttpRuntime(base, { allowedHosts, retries: 1, backoffMs: 5 })).predict(frameOf({ a: num([1]) })), 'UNAVAILABLE', /answered HTTP 502$/);
    expect(e.details).toEqual({ status: 502, upstream: 'server_error' });
    expect(e.message).not.toContain('bad gateway');
    expect(calls).toBe(2);
  });

  it('does not retry other errors, and quotes nothing of the body', async () => {
    let calls = 0;
    handler = (_b, _req, res) => {
      calls++;
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('x'.repeat(1000));
    };
    const e = await expectCode((await openHttpRuntime(base, { allowedHosts, backoffMs: 5 })).predict(frameOf({ a: num([1]) })), 'UNAVAILABLE', /answered HTTP 500$/);
    expect(JSON.stringify({ message: e.message, details: e.details })).not.toContain('xx');
    expect(calls).toBe(1);
  });

  it('times out a slow server', async () => {
    handler = (body, req, res) => setTimeout(() => sumModel(body, req, res), 1000);
    await expectCode((await openHttpRuntime(base, { allowedHosts, timeoutMs: 100 })).predict(frameOf({ a: num([1]) })), 'UNAVAILABLE', /did not answer within 100 ms/);
  });

  it('retries connection errors, then reports the server unreachable', async () => {
    const closed = createServer();
    closed.listen(0, '127.0.0.1');
    await new Promise((resolve) => closed.once('listening', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const started = Date.now();
    await expectCode((await openHttpRuntime(`http://127.0.0.1:${port}`, { allowedHosts, retries: 2, backoffMs: 20 })).predict(frameOf({ a: num([1]) })), 'UNAVAILABLE', /unreachable \(ECONNREFUSED\)/);
    expect(Date.now() - started).toBeGreaterThanOrEqual(55); // 20 + 40 ms of backoff
  });

  it('does not retry a timeout, nor a 504 (the model got the request and was slow)', async () => {
    let calls = 0;
    handler = (body, req, res) => {
      calls++;
      setTimeout(() => sumModel(body, req, res), 300);
    };
    await expectCode((await openHttpRuntime(base, { allowedHosts, timeoutMs: 50, retries: 3, backoffMs: 5 })).predict(frameOf({ a: num([1]) })), 'UNAVAILABLE', /did not answer within 50 ms/);
    expect(calls).toBe(1);
    calls = 0;
    handler = (_b, _req, res) => {
      calls++;
      json(res, 504, { message: 'upstream timed out' });
    };
    const e = await expectCode((await openHttpRuntime(base, { allowedHosts, retries: 3, backoffMs: 5 })).predict(frameOf({ a: num([1]) })), 'UNAVAILABLE', /answered HTTP 504/);
    expect(e.details).toMatchObject({ status: 504 });
    expect(calls).toBe(1);
  });

  it('keeps 4xx answers apart from failures: INVALID_STATE, not retried, not counted by the breaker', async () => {
    let calls = 0;
    handler = (_b, _req, res) => {
      calls++;
      json(res, 400, { message: 'bad column' });
    };
    const rt = await openHttpRuntime(base, { allowedHosts, retries: 2, backoffMs: 5, breaker: { failureThreshold: 1 } });
    for (let i = 0; i < 3; i++) await expectCode(rt.predict(frameOf({ a: num([1]) })), 'INVALID_STATE', /answered HTTP 400$/);
    expect(calls).toBe(3);
    expect(breakerStateOf(rt)).toBe('closed');
  });

  it('counts a call that exhausted its retries once, then fails fast without contacting the server, and recovers through a probe', async () => {
    let calls = 0;
    let healthy = false;
    handler = (body, req, res) => {
      calls++;
      if (healthy) sumModel(body, req, res);
      else json(res, 503, { message: 'down' });
    };
    let t = 0;
    const changes: string[] = [];
    const rt = await openHttpRuntime(base, { allowedHosts, retries: 2, backoffMs: 1, breaker: { failureThreshold: 3, coolDownMs: 1000, now: () => t, onStateChange: (to, from) => changes.push(`${from}→${to}`) } });
    for (let i = 0; i < 2; i++) await expectCode(rt.predict(frameOf({ a: num([1]) })), 'UNAVAILABLE', /answered HTTP 503/);
    expect(calls).toBe(6); // 2 calls × 3 attempts
    expect(breakerStateOf(rt)).toBe('closed'); // 6 failed attempts, but only 2 failed calls
    await expectCode(rt.predict(frameOf({ a: num([1]) })), 'UNAVAILABLE', /answered HTTP 503/);
    expect(breakerStateOf(rt)).toBe('open');
    calls = 0;
    const fast = await expectCode(rt.predict(frameOf({ a: num([1]) })), 'UNAVAILABLE', /circuit breaker open after 3 consecutive failures; next attempt in 1000 ms/);
    expect(fast.details).toMatchObject({ breaker: 'open', retryAfterMs: 1000 });
    expect(fast.status).toBeGreaterThanOrEqual(500);
    expect(calls).toBe(0);

    t = 1000; // cool-down over: one probe, which fails (after its retries) and re-opens
    expect(breakerStateOf(rt)).toBe('half-open');
    await expectCode(rt.predict(frameOf({ a: num([1]) })), 'UNAVAILABLE', /answered HTTP 503/);
    expect(calls).toBe(3);
    expect(breakerStateOf(rt)).toBe('open');
    t = 2000;
    healthy = true;
    const p = await rt.predict(frameOf({ a: num([5]) }));
    expect(Array.from(p.value!)).toEqual([5]);
    expect(breakerStateOf(rt)).toBe('closed');
    expect(changes).toEqual(['closed→open', 'open→half-open', 'half-open→open', 'open→half-open', 'half-open→closed']);
  });

  it('stops retrying once the breaker has opened on other calls', async () => {
    const closed = createServer();
    closed.listen(0, '127.0.0.1');
    await new Promise((resolve) => closed.once('listening', resolve));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise((resolve) => closed.close(resolve));
    const breaker = new CircuitBreaker({ failureThreshold: 1, coolDownMs: 60_000 });
    const patient = await openHttpRuntime(url, { allowedHosts, retries: 3, backoffMs: 100, breaker }); // alone: 100 + 200 + 400 ms of backoff
    const started = Date.now();
    const slow = patient.predict(frameOf({ a: num([1]) }));
    await expectCode((await openHttpRuntime(url, { allowedHosts, retries: 0, breaker })).predict(frameOf({ a: num([1]) })), 'UNAVAILABLE', /unreachable \(ECONNREFUSED\)/);
    expect(breaker.state()).toBe('open');
    await expectCode(slow, 'UNAVAILABLE', /unreachable \(ECONNREFUSED\)/);
    expect(Date.now() - started).toBeLessThan(400); // gave up at its first retry
    await expectCode(patient.predict(frameOf({ a: num([1]) })), 'UNAVAILABLE', /circuit breaker open/);
  });

  it('rejects answers that do not fit the batch', async () => {
    handler = (_b, _req, res) => json(res, 200, { predictions: [1] });
    await expectCode((await openHttpRuntime(base, { allowedHosts })).predict(frameOf({ a: num([1, 2]) })), 'INVALID_STATE', /1 predictions for 2 rows/);
    handler = (_b, _req, res) => json(res, 200, { result: [1] });
    await expectCode((await openHttpRuntime(base, { allowedHosts })).predict(frameOf({ a: num([1]) })), 'INVALID_STATE', /without a "predictions" array/);
    handler = (_b, _req, res) => json(res, 200, { predictions: ['maybe'] });
    await expectCode((await openHttpRuntime(base, { allowedHosts, classes: ['no', 'yes'] })).predict(frameOf({ a: num([1]) })), 'INVALID_STATE', /predicted a class that is not one of no, yes \(row 0\)/);
  });

  it('stops reading an answer past the size cap, whatever the server keeps sending', async () => {
    let sent = 0;
    handler = (_b, _req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"predictions": [');
      const chunk = Buffer.alloc(1024 * 1024, '1,');
      // Endless, until the client hangs up: only the cap can end this request.
      const more = () => {
        while (!res.destroyed && res.write(chunk)) sent += chunk.length;
        if (!res.destroyed) res.once('drain', more);
      };
      res.on('close', () => res.removeAllListeners('drain'));
      more();
    };
    await expectCode((await openHttpRuntime(base, { allowedHosts })).predict(frameOf({ a: num([1]) })), 'INVALID_STATE', /answered more than 64 MiB for one batch/);
    expect(sent).toBeLessThan(MAX_ANSWER_BYTES * 2);
  });

  it('stops a call in flight when the caller cancels, without counting it against the server', async () => {
    let seen = 0;
    handler = () => void seen++; // never answers
    const breaker = new CircuitBreaker({ name: 'cancel', failureThreshold: 1 });
    const rt = await openHttpRuntime(base, { allowedHosts, timeoutMs: 30_000, breaker });
    const cancel = new AbortController();
    setTimeout(() => cancel.abort(new Error('evaluation cancelled')), 100);
    const started = Date.now();
    await expect(rt.predict(frameOf({ a: num([1]) }), { signal: cancel.signal })).rejects.toThrow('evaluation cancelled');
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(seen).toBe(1);
    expect(breakerStateOf(rt)).toBe('closed');
  });

  it('rejects bad URLs', async () => {
    await expect(openHttpRuntime('not a url', { allowedHosts })).rejects.toThrow(/not a URL/);
    await expect(openHttpRuntime('ftp://host/model', { allowedHosts })).rejects.toThrow(/must be http/);
  });

  it('calls only listed hosts, at a URL rebuilt from its parts, and never follows a redirect', async () => {
    const port = new URL(base).port;
    await expect(openHttpRuntime(base, { allowedHosts: [] })).rejects.toThrow(/not an allowed model server host \(none are configured\).*--model-server-hosts/);
    await expect(openHttpRuntime(base, { allowedHosts: ['127.0.0.1:1'] })).rejects.toThrow(/not an allowed/);
    await expect(openHttpRuntime(`${base}/x?y=/invocations`, { allowedHosts })).rejects.toThrow(/query/);
    await expect(openHttpRuntime(`${base}/x#/invocations`, { allowedHosts })).rejects.toThrow(/fragment/);
    await expect(openHttpRuntime(`http://a:b@127.0.0.1:${port}`, { allowedHosts })).rejects.toThrow(/user name or password/);
    const p = await (await openHttpRuntime(`HTTP://127.0.0.1:${port}//`, { allowedHosts: [`127.0.0.1:${port}`] })).predict(frameOf({ a: num([2]) }));
    expect(Array.from(p.value!)).toEqual([2]);
    handler = (_b, _req, res) => {
      res.writeHead(307, { location: `${base}/invocations` });
      res.end('moved');
    };
    const e = await expectCode((await openHttpRuntime(base, { allowedHosts, retries: 2 })).predict(frameOf({ a: num([1]) })), 'INVALID_STATE', /answered HTTP 307, a redirect, which is not followed/);
    expect(e.details).toEqual({ status: 307, upstream: 'redirect' });
    expect(requests).toHaveLength(2);
  });
});

describe('decodePredictions', () => {
  it('accepts nulls: NaN values, -1 labels, NaN probabilities', () => {
    expect(Array.from(decodePredictions([1, null, 3]).value!)).toEqual([1, NaN, 3]);
    expect(Array.from(decodePredictions(['a', null, 'b']).labelIndex!)).toEqual([0, -1, 1]);
    const p = decodePredictions([[0.5, 0.5], null]);
    expect(Array.from(p.proba!)).toEqual([0.5, 0.5, NaN, NaN]);
    expect(Array.from(p.labelIndex!)).toEqual([0, -1]);
  });

  it('numbers labels in order of first appearance without classes', () => {
    const p = decodePredictions(['b', 'a', 'b', 7]);
    expect(p.classes).toEqual(['b', 'a', '7']);
    expect(Array.from(p.labelIndex!)).toEqual([0, 1, 0, 2]);
  });

  it('rejects rows unlike the first', () => {
    expect(() => decodePredictions([1, 'a'])).toThrow(/prediction 1 is not a number/);
    expect(() => decodePredictions([[0.1, 0.9], [1]])).toThrow(/prediction 1 is not 2 probabilities/);
  });
});
