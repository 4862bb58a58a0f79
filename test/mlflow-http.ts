import { afterAll, beforeAll, expect } from 'vitest';
import { startTestServer, type TestServer } from './server.js';

/** HTTP helpers shared by the MLflow REST API tests (test/mlflow-*.test.ts). */

export interface Reply {
  status: number;
  /** The reply parsed as JSON, or its text when it is not JSON. */
  body: any;
  text: string;
  headers: Headers;
}

/** Query parameters; an array value repeats the parameter. */
export type Query = Record<string, string | number | (string | number)[]>;

export interface RequestOptions {
  /**
   * How a string body is sent. 'json' (the default): like an object body, with an application/json content type
   * unless the headers name one. 'raw': with only the given headers (fetch's text/plain when they name no content
   * type), as an upload is. Either way a string body is sent as is and any other body as its JSON.
   */
  strings?: 'json' | 'raw';
  /** Abort the request after this many milliseconds; no limit when absent. */
  timeout?: number;
}

/**
 * Starts a test server before the tests of the enclosing file or describe block and closes it after them. Returns a
 * live view of that server: read its fields inside tests and hooks (hooks declared later run after it started).
 */
export function useTestServer(options: { auth?: boolean } = {}): TestServer {
  let started: TestServer | undefined;
  beforeAll(async () => {
    started = await startTestServer(options);
  });
  afterAll(async () => {
    await started?.close();
  });
  const current = (): TestServer => {
    if (!started) throw new Error('the test server is not started yet: use it inside tests and hooks');
    return started;
  };
  return {
    get url() {
      return current().url;
    },
    get app() {
      return current().app;
    },
    get store() {
      return current().store;
    },
    get adminToken() {
      return current().adminToken;
    },
    tokenFor: (role, name) => current().tokenFor(role, name),
    close: () => current().close(),
  };
}

/** One request to `server`; the reply body is parsed when it is JSON. */
export async function request(
  server: TestServer,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
  options: RequestOptions = {},
): Promise<Reply> {
  const h: Record<string, string> = { ...headers };
  const json = body !== undefined && (typeof body !== 'string' || options.strings !== 'raw');
  if (json && !Object.keys(h).some((k) => k.toLowerCase() === 'content-type')) h['content-type'] = 'application/json';
  const res = await fetch(server.url + path, {
    method,
    headers: h,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    signal: options.timeout === undefined ? undefined : AbortSignal.timeout(options.timeout),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, body: parsed, text, headers: res.headers };
}

/** The path of an MLflow REST endpoint under /api/2.0/mlflow. */
export const api = (path: string): string => `/api/2.0/mlflow/${path}`;

export interface MlflowHttp {
  /** A request to any path of the server. */
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Reply>;
  /** POST to an MLflow endpoint. */
  post(path: string, body?: unknown, headers?: Record<string, string>): Promise<Reply>;
  /** GET an MLflow endpoint with a query string; `base` is the API prefix (/api/2.0 or /ajax-api/2.0). */
  get(path: string, query?: Query, base?: string): Promise<Reply>;
}

/** Request helpers bound to `server` (a live view from useTestServer will do; it is read per request). */
export function mlflowHttp(server: TestServer, options: RequestOptions = {}): MlflowHttp {
  const call = (method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
    request(server, method, path, body, headers, options);
  return {
    call,
    post: (path, body, headers) => call('POST', api(path), body, headers),
    get(path, query = {}, base = '/api/2.0') {
      const qs = new URLSearchParams();
      for (const [k, v] of Object.entries(query)) for (const x of [v].flat()) qs.append(k, String(x));
      return call('GET', `${base}/mlflow/${path}?${qs}`);
    },
  };
}

function checkError(r: Reply, status: number, code: string, message: string | RegExp | undefined, messageIsString: boolean): void {
  expect(r.status, r.text).toBe(status);
  expect(r.body.error_code).toBe(code);
  if (messageIsString) expect(typeof r.body.message).toBe('string');
  if (message !== undefined) expect(r.body.message).toMatch(message);
}

/** The reply is an MLflow error: `status`, `error_code` `code`, and a message matching `message` if given. */
export function expectError(r: Reply, status: number, code: string, message?: string | RegExp): void {
  checkError(r, status, code, message, false);
}

/** expectError, and the reply has a string message even when no `message` is given to match. */
export function expectErrorWithMessage(r: Reply, status: number, code: string, message?: string | RegExp): void {
  checkError(r, status, code, message, true);
}

/** The reply is a 200; returns its body. */
export function expectOk(r: Reply): any {
  expect(r.status, r.text).toBe(200);
  return r.body;
}
