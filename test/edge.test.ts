import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken } from '../src/access/tokens.js';
import { SYSTEM_ACTOR } from '../src/core/actor.js';
import { testDialect } from './db.js';
import { startTestServer, type TestServer } from './server.js';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A request with headers fetch will not let a caller set (Host), as a browser or a rebinding page would send. */
function raw(url: string, method: string, path: string, headers: Record<string, string>, body?: string | Buffer): Promise<Answer> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, method, path, headers: { ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}), ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const EVIL = 'http://evil.example';

describe(`the HTTP edge: hosts, origins, content types (${testDialect})`, () => {
  let server: TestServer;
  let own: string;
  beforeAll(async () => {
    server = await startTestServer();
    own = server.url;
  });
  afterAll(() => server.close());

  const experimentNamed = async (name: string) =>
    (await server.store.database.db.selectFrom('experiments').select('name').where('name', '=', name).executeTakeFirst()) !== undefined;

  it('answers only configured Host names, on native, MLflow and ajax paths', async () => {
    for (const path of ['/api/v1/experiments', '/api/2.0/mlflow/experiments/search?max_results=1', '/ajax-api/2.0/mlflow/experiments/search?max_results=1', '/metrics', '/health']) {
      const foreign = await raw(own, 'GET', path, { host: 'evil.example:80' });
      expect(foreign.status, path).toBe(403);
      expect(foreign.body).toMatch(/allowed-hosts|SLIPWAY_ALLOWED_HOSTS/);
    }
    const port = new URL(own).port;
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, 'LOCALHOST', `[::1]:${port}`]) {
      expect((await raw(own, 'GET', '/api/v1/experiments', { host })).status, host).toBe(200);
    }
    // A foreign Host cannot mutate either, even with a JSON body.
    const post = await raw(own, 'POST', '/api/2.0/mlflow/experiments/create', { host: 'evil.example', 'content-type': 'application/json' }, JSON.stringify({ name: 'rebound' }));
    expect(post.status).toBe(403);
    expect(await experimentNamed('rebound')).toBe(false);
  });

  it('refuses a cross-site text/plain form POST on MLflow and ajax paths, and creates nothing', async () => {
    for (const base of ['/api/2.0', '/ajax-api/2.0']) {
      const name = `csrf-${base.length}`;
      const res = await raw(own, 'POST', `${base}/mlflow/experiments/create`, { origin: EVIL, 'content-type': 'text/plain' }, JSON.stringify({ name }));
      expect(res.status, base).toBe(403);
      expect(JSON.parse(res.body)).toMatchObject({ error_code: 'PERMISSION_DENIED' });
      expect(JSON.parse(res.body).message).toMatch(/cors-origins|SLIPWAY_CORS_ORIGINS/);
      expect(await experimentNamed(name)).toBe(false);
    }
  });

  it('refuses cross-origin mutations whatever the content type, but not same-origin ones', async () => {
    const created = await raw(own, 'POST', '/api/2.0/mlflow/experiments/create', { origin: own, 'content-type': 'application/json' }, JSON.stringify({ name: 'same-origin' }));
    expect(created.status).toBe(200);
    const id = JSON.parse(created.body).experiment_id as string;
    const del = await raw(own, 'POST', '/api/2.0/mlflow/experiments/delete', { origin: EVIL, 'content-type': 'application/json' }, JSON.stringify({ experiment_id: id }));
    expect(del.status).toBe(403);
    const native = await raw(own, 'POST', '/api/v1/experiments', { origin: 'null', 'content-type': 'application/json' }, JSON.stringify({ name: 'from-null' }));
    expect(native.status).toBe(403);
    expect(JSON.parse(native.body)).toMatchObject({ error: { code: 'PERMISSION_DENIED' } });
    // Browsers that send no Origin still say where the request came from.
    const fetchSite = await raw(own, 'POST', '/api/v1/experiments', { 'sec-fetch-site': 'cross-site', 'content-type': 'application/json' }, JSON.stringify({ name: 'fetch-site' }));
    expect(fetchSite.status).toBe(403);
    expect(await experimentNamed('from-null')).toBe(false);
    expect(await experimentNamed('fetch-site')).toBe(false);
    // Reads stay open to links from elsewhere; CORS keeps their answers from foreign pages.
    const read = await raw(own, 'GET', '/api/v1/experiments', { origin: EVIL });
    expect(read.status).toBe(200);
    expect(read.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('takes raw artifact uploads of any content type from its own origin only', async () => {
    const path = '/api/2.0/mlflow-artifacts/artifacts/edge/notes.txt';
    expect((await raw(own, 'PUT', path, { origin: EVIL, 'content-type': 'text/plain' }, 'hello')).status).toBe(403);
    expect((await raw(own, 'PUT', path, { 'content-type': 'text/plain' }, 'hello')).status).toBe(200);
    expect((await raw(own, 'PUT', path, { origin: own, 'content-type': 'application/octet-stream' }, 'hello')).status).toBe(200);
  });

  it('reads JSON routes only from application/json bodies (415 says what to send)', async () => {
    const mlflow = await raw(own, 'POST', '/api/2.0/mlflow/experiments/create', { 'content-type': 'text/plain' }, JSON.stringify({ name: 'plain' }));
    expect(mlflow.status).toBe(415);
    expect(JSON.parse(mlflow.body).message).toMatch(/application\/json/);
    const form = await raw(own, 'POST', '/ajax-api/2.0/mlflow/experiments/create', { 'content-type': 'application/x-www-form-urlencoded' }, 'name=form');
    expect(form.status).toBe(415);
    const native = await raw(own, 'POST', '/api/v1/experiments', { 'content-type': 'text/plain' }, JSON.stringify({ name: 'plain-native' }));
    expect(native.status).toBe(415);
    expect(JSON.parse(native.body)).toMatchObject({ error: { code: 'UNSUPPORTED_MEDIA_TYPE' } });
    expect(await experimentNamed('plain')).toBe(false);
    expect(await experimentNamed('plain-native')).toBe(false);
    const ok = await raw(own, 'POST', '/api/2.0/mlflow/experiments/create', { 'content-type': 'application/json; charset=utf-8' }, JSON.stringify({ name: 'json' }));
    expect(ok.status).toBe(200);
    expect((await raw(own, 'GET', '/api/2.0/mlflow/experiments/get-by-name?experiment_name=json', {})).status).toBe(200);
  });
});

describe(`CORS for configured origins (${testDialect})`, () => {
  const APP = 'http://app.example:3000';
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ trust: { corsOrigins: [APP] } });
  });
  afterAll(() => server.close());

  it('answers preflights and mutations of listed origins only', async () => {
    const pre = await raw(server.url, 'OPTIONS', '/api/2.0/mlflow/experiments/create', { origin: APP, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,authorization' });
    expect(pre.status).toBe(204);
    expect(pre.headers['access-control-allow-origin']).toBe(APP);
    expect(String(pre.headers['access-control-allow-headers'])).toMatch(/authorization/i);
    const post = await raw(server.url, 'POST', '/api/2.0/mlflow/experiments/create', { origin: APP, 'content-type': 'application/json' }, JSON.stringify({ name: 'from-app' }));
    expect(post.status).toBe(200);
    expect(post.headers['access-control-allow-origin']).toBe(APP);
    const foreign = await raw(server.url, 'OPTIONS', '/api/2.0/mlflow/experiments/create', { origin: EVIL, 'access-control-request-method': 'POST' });
    expect(foreign.status).toBe(403);
    expect(foreign.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe(`configured host names (${testDialect})`, () => {
  let named: TestServer;
  let any: TestServer;
  beforeAll(async () => {
    named = await startTestServer({ trust: { allowedHosts: ['127.0.0.1', 'Slipway.Internal', '::1'] } });
    any = await startTestServer({ trust: { allowedHosts: ['*'] } });
  });
  afterAll(async () => {
    await named.close();
    await any.close();
  });

  it('answers listed names (any case, any port, trailing dot), bare IPv6 entries, and everything with *', async () => {
    for (const host of ['slipway.internal:8443', 'SLIPWAY.INTERNAL.', '[::1]:80', '127.0.0.1']) {
      expect((await raw(named.url, 'GET', '/api/v1/experiments', { host })).status, host).toBe(200);
    }
    for (const host of ['localhost', 'slipway.internal.evil.example', 'evil.example']) {
      expect((await raw(named.url, 'GET', '/api/v1/experiments', { host })).status, host).toBe(403);
    }
    expect((await raw(any.url, 'GET', '/api/v1/experiments', { host: 'evil.example' })).status).toBe(200);
    // `*` opens the Host check only (and with it DNS-rebinding protection): cross-origin writes are still refused.
    expect((await raw(any.url, 'POST', '/api/v1/experiments', { origin: EVIL, 'content-type': 'application/json' }, JSON.stringify({ name: 'x' }))).status).toBe(403);
  });
});

describe(`tokens: exact expiry, strict header (${testDialect})`, () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ auth: true });
  });
  afterAll(() => server.close());

  const get = (authorization: string) => raw(server.url, 'GET', '/api/v1/experiments', { authorization });

  it('refuses an expired token at once, even right after it was accepted', async () => {
    const expiresAtMs = Date.now() + 400;
    const { token } = await createToken(server.store.database.db, SYSTEM_ACTOR, { name: 'short-lived', role: 'viewer', expiresAtMs });
    expect((await get(`Bearer ${token}`)).status).toBe(200);
    await new Promise((r) => setTimeout(r, Math.max(0, expiresAtMs - Date.now()) + 20));
    expect((await get(`Bearer ${token}`)).status).toBe(401);
  });

  it('parses the Authorization header strictly', async () => {
    const token = server.adminToken!;
    expect((await get(`Bearer ${token}`)).status).toBe(200);
    expect((await get(`bearer ${token}`)).status).toBe(200);
    for (const bad of [`Bearer ${token} junk`, `Bearer  ${token}`, `Bearer ${token},x`, `Bearer\t${token}`]) {
      const res = await get(bad);
      expect(res.status, JSON.stringify(bad)).toBe(401);
      expect(res.body).not.toContain(token);
    }
    // MLflow clients with MLFLOW_TRACKING_USERNAME/PASSWORD send Basic auth: the password is the token.
    expect((await get(`Basic ${Buffer.from(`me:${token}`).toString('base64')}`)).status).toBe(200);
    expect((await get(`Basic ${Buffer.from(`me:${token}`).toString('base64')} junk`)).status).toBe(401);
  });

  it('keeps /metrics behind a viewer token when auth is on', async () => {
    expect((await raw(server.url, 'GET', '/metrics', {})).status).toBe(401);
    const viewer = await server.tokenFor('viewer');
    expect((await raw(server.url, 'GET', '/metrics', { authorization: `Bearer ${viewer}` })).status).toBe(200);
  });
});

describe(`--metrics-public (${testDialect})`, () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ auth: true, trust: { metricsNeedToken: false } });
  });
  afterAll(() => server.close());

  it('serves /metrics without a token when chosen', async () => {
    expect((await raw(server.url, 'GET', '/metrics', {})).status).toBe(200);
    expect((await raw(server.url, 'GET', '/api/v1/experiments', {})).status).toBe(401);
  });
});
