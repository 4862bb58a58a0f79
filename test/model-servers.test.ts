/**
 * What an `http(s)://` model source can make the server reach: only model servers an admin listed in
 * `modelServerHosts`, at a URL the server rebuilds itself, without following redirects, and without echoing what the
 * upstream answered back to callers.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlipwayClient } from '../src/client/index.js';
import { LOCAL_ACTOR } from '../src/core/actor.js';
import { createModelVersion } from '../src/registry/versions.js';
import { expectError } from './api-errors.js';
import { postJson } from './eval-fixtures.js';
import { testDialect } from './db.js';
import { startTestServer, type TestServer } from './server.js';

interface Upstream {
  server: Server;
  port: number;
  hits: string[];
}

/** A loopback HTTP server that records every request and answers as `answer` says. */
async function upstream(answer: (res: import('node:http').ServerResponse) => void): Promise<Upstream> {
  const u = { hits: [] as string[] } as Upstream;
  u.server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      u.hits.push(`${req.method} ${req.url}`);
      answer(res);
    });
  });
  await new Promise<void>((ok) => u.server.listen(0, '127.0.0.1', ok));
  u.port = (u.server.address() as AddressInfo).port;
  return u;
}

const SECRET = 'alert-channel-secret-d41d8cd98f00b204';

describe(`model servers a version may call (${testDialect})`, () => {
  let server: TestServer;
  let client: SlipwayClient;
  let target: Upstream;
  let redirector: Upstream;
  let failing: Upstream;
  let answering: Upstream;

  beforeAll(async () => {
    target = await upstream((res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ predictions: [SECRET] })));
    redirector = await upstream((res) => res.writeHead(302, { location: `http://127.0.0.1:${target.port}/invocations` }).end());
    failing = await upstream((res) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`database password: ${SECRET}`));
    answering = await upstream((res) => res.writeHead(200, { 'content-type': 'text/html' }).end(`<html>${SECRET}</html>`));
    // The target is deliberately not listed: reaching it is what a redirect must not achieve.
    const hosts = [redirector, failing, answering].map((u) => `127.0.0.1:${u.port}`);
    server = await startTestServer({ trust: { modelServerHosts: hosts } });
    client = new SlipwayClient({ url: server.url });
    await client.createModel({ name: 'remote' });
  });
  afterAll(async () => {
    await server?.close();
    for (const u of [target, redirector, failing, answering]) {
      u?.server.closeAllConnections();
      await new Promise((ok) => u?.server.close(ok));
    }
  });

  it('refuses at registration a model server outside the allow-list, naming the setting', async () => {
    await expectError(client.createModelVersion('remote', { source: `http://127.0.0.1:${target.port}/invocations` }), 400, 'INVALID_ARGUMENT', /--model-server-hosts.*SLIPWAY_MODEL_SERVER_HOSTS|SLIPWAY_MODEL_SERVER_HOSTS.*--model-server-hosts/);
    await expectError(client.createModelVersion('remote', { source: `http://localhost:${redirector.port}/invocations` }), 400, 'INVALID_ARGUMENT', /localhost/);
    expect(target.hits).toEqual([]);
  });

  it('refuses a query, a fragment or credentials that would bend the URL the server builds', async () => {
    const base = `http://127.0.0.1:${failing.port}`;
    for (const source of [`${base}/admin?`, `${base}/admin?x=/invocations`, `${base}/admin#/invocations`, `http://user:pw@127.0.0.1:${failing.port}/invocations`]) {
      await expectError(client.createModelVersion('remote', { source }), 400, 'INVALID_ARGUMENT');
    }
    expect(failing.hits).toEqual([]);
  });

  it('checks the allow-list at every call, not only at registration', async () => {
    // As a version registered before its host was taken off the list: straight into the registry.
    const v = await createModelVersion(server.store.database.db, LOCAL_ACTOR, { name: 'remote', source: `http://127.0.0.1:${target.port}/invocations`, tags: [{ key: 'slipway.classes', value: 'a,b' }] });
    await client.createDeployment({ name: 'unlisted', model: 'remote', version: v.version });
    const r = await postJson(`${server.url}/deployments/unlisted/predict`, { records: [{ x: 1 }] });
    expect(r.status).toBe(400);
    expect(r.body.error.message).toMatch(/not an allowed model server host/);
    expect(target.hits).toEqual([]);
  });

  it('does not follow a redirect from a listed model server', async () => {
    const { version } = await client.createModelVersion('remote', { source: `http://127.0.0.1:${redirector.port}`, tags: { 'slipway.classes': 'a,b' } });
    await client.createDeployment({ name: 'redirected', model: 'remote', version: version.version });
    const r = await postJson(`${server.url}/deployments/redirected/predict`, { records: [{ x: 1 }] });
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(r.body.error.message).toMatch(/HTTP 302/);
    expect(redirector.hits).toEqual(['POST /invocations']);
    expect(target.hits).toEqual([]);
  });

  it('never echoes what a model server answered to callers', async () => {
    const broken = await client.createModelVersion('remote', { source: `http://127.0.0.1:${failing.port}/invocations`, tags: { 'slipway.classes': 'a,b' } });
    const html = await client.createModelVersion('remote', { source: `http://127.0.0.1:${answering.port}/`, tags: { 'slipway.classes': 'a,b' } });
    await client.createDeployment({ name: 'broken', model: 'remote', version: broken.version.version });
    await client.createDeployment({ name: 'html', model: 'remote', version: html.version.version });
    const a = await postJson(`${server.url}/deployments/broken/predict`, { records: [{ x: 1 }] });
    expect(a.status).toBeGreaterThanOrEqual(500);
    expect(a.body.error.message).toMatch(/answered HTTP 500/);
    const b = await postJson(`${server.url}/deployments/html/predict`, { records: [{ x: 1 }] });
    expect(b.status).toBeGreaterThanOrEqual(400);
    expect(b.body.error.message).toMatch(/not JSON/);
    for (const body of [a.body, b.body]) expect(JSON.stringify(body)).not.toContain(SECRET);
  });
});
