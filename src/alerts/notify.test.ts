import { createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LOCAL_ACTOR } from '../core/actor.js';
import { SecretBox } from '../core/secrets.js';
import { testDialect, testStore, type TestStore } from '../../test/db.js';
import { AlertEngine, fingerprint, type SignalSample } from './engine.js';
import { checkChannelUrl } from './notify.js';
import { createChannel, getAlert, listDeliveries, saveRule } from './store.js';

/** Channel secrets are sealed at rest; these tests seal with a key of their own. */
const secrets = new SecretBox(randomBytes(32));

interface Received {
  headers: IncomingMessage['headers'];
  body: string;
}

/** A webhook receiver on 127.0.0.1:0 answering each request with the next status of `statuses` (then 200). */
async function receiver(statuses: number[] = []): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += String(c)));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.statusCode = statuses.shift() ?? 200;
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received, server };
}

/** A port nothing listens on. */
async function closedPort(): Promise<string> {
  const { url, server } = await receiver();
  await new Promise((r) => server.close(r));
  return url;
}

let store: TestStore;
let engine: AlertEngine;
const servers: Server[] = [];
const sample = (value: number, at = Date.now()): SignalSample => ({ signal: 'ops.error_rate', labels: { deployment: 'churn' }, value, at });

beforeEach(async () => {
  store = await testStore();
  engine = new AlertEngine(store.database.db, { secrets, dispatcher: { retries: 3, backoffMs: 20, timeoutMs: 2000, pollMs: 10 } });
});
afterEach(async () => {
  await engine.close();
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
  await store.cleanup();
});

async function ruleWith(channel: string, type: 'webhook' | 'slack', url: string, secret?: string) {
  await createChannel(store.database.db, LOCAL_ACTOR, { name: channel, type, url, ...(secret ? { secret } : {}) }, secrets);
  await saveRule(store.database.db, LOCAL_ACTOR, { name: 'errors', signal: 'ops.error_rate', op: '>', threshold: 0.05, severity: 'critical', description: 'Too many failed predictions', channels: [channel] }, 'create');
}

describe(`notifications (${testDialect})`, () => {
  it('signs webhook bodies with HMAC-SHA256 of "<timestamp>.<body>"', async () => {
    const r = await receiver();
    servers.push(r.server);
    await ruleWith('hook', 'webhook', r.url, 's3cret');
    const t0 = Date.now();
    await engine.evaluate([sample(0.2, t0)]);
    await engine.evaluate([sample(0.01, t0 + 1000)]);
    expect(await engine.dispatcher.drain(10_000)).toBe(true);
    expect(r.received).toHaveLength(2);
    for (const got of r.received) {
      const ts = got.headers['x-slipway-timestamp'] as string;
      expect(ts).toMatch(/^\d+$/);
      const expected = `sha256=${createHmac('sha256', 's3cret').update(`${ts}.${got.body}`).digest('hex')}`;
      expect(got.headers['x-slipway-signature']).toBe(expected);
      expect(got.headers['content-type']).toBe('application/json');
    }
    const firing = JSON.parse(r.received[0]!.body);
    expect(firing).toMatchObject({ status: 'firing', rule: 'errors', labels: { deployment: 'churn' }, value: 0.2, threshold: 0.05, severity: 'critical', startsAt: new Date(t0).toISOString() });
    expect(firing.alert).toMatchObject({ id: fingerprint('errors', { deployment: 'churn' }), state: 'firing', description: 'Too many failed predictions' });
    expect(firing.endsAt).toBeUndefined();
    expect(JSON.parse(r.received[1]!.body)).toMatchObject({ status: 'resolved', endsAt: new Date(t0 + 1000).toISOString() });
    // A tampered body does not verify.
    const ts = r.received[0]!.headers['x-slipway-timestamp'] as string;
    expect(`sha256=${createHmac('sha256', 's3cret').update(`${ts}.${r.received[0]!.body} `).digest('hex')}`).not.toBe(r.received[0]!.headers['x-slipway-signature']);
    const deliveries = await listDeliveries(store.database.db, { alert: fingerprint('errors', { deployment: 'churn' }) });
    expect(deliveries.map((d) => [d.status, d.state, d.attempts.length])).toEqual([
      ['resolved', 'delivered', 1],
      ['firing', 'delivered', 1],
    ]);
  });

  it('posts Slack incoming-webhook messages', async () => {
    const r = await receiver();
    servers.push(r.server);
    await ruleWith('slack', 'slack', r.url);
    await engine.evaluate([sample(0.2)]);
    await engine.dispatcher.drain(10_000);
    expect(r.received).toHaveLength(1);
    const msg = JSON.parse(r.received[0]!.body);
    expect(Object.keys(msg).sort()).toEqual(['blocks', 'text']);
    expect(msg.text).toMatch(/\[CRITICAL\] errors firing: ops\.error_rate = 0\.2 > 0\.05 \(deployment=churn\)/);
    expect(msg.blocks[0]).toMatchObject({ type: 'header', text: { type: 'plain_text', text: 'Firing: errors' } });
    expect(msg.blocks.some((b: { type: string }) => b.type === 'section')).toBe(true);
    expect(r.received[0]!.headers['x-slipway-signature']).toBeUndefined();
  });

  it('retries with backoff: 500, 500, then 200 is delivered on the third attempt, all three logged', async () => {
    const r = await receiver([500, 500]);
    servers.push(r.server);
    await ruleWith('hook', 'webhook', r.url);
    engine.start();
    await engine.evaluate([sample(0.3)]);
    await expect.poll(async () => (await listDeliveries(store.database.db))[0]?.state, { timeout: 10_000, interval: 20 }).toBe('delivered');
    const [d] = await listDeliveries(store.database.db);
    expect(d!.attempts.map((a) => [a.attempt, a.statusCode, a.ok])).toEqual([
      [1, 500, false],
      [2, 500, false],
      [3, 200, true],
    ]);
    expect(d!.attempts[0]!.error).toBe('HTTP 500');
    // Backoff: the second retry waited about twice as long as the first.
    const gaps = [1, 2].map((i) => Date.parse(d!.attempts[i]!.at) - Date.parse(d!.attempts[i - 1]!.at));
    expect(gaps[0]).toBeGreaterThanOrEqual(15);
    expect(gaps[1]).toBeGreaterThanOrEqual(35);
    expect(r.received).toHaveLength(3);
  });

  it('a receiver that is down: retried, then marked failed, without blocking evaluation or losing the state', async () => {
    const url = await closedPort();
    await ruleWith('down', 'webhook', url, 'k');
    engine.start();
    const started = Date.now();
    const t = await engine.evaluate([sample(0.3)]);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(t[0]).toMatchObject({ to: 'firing' });
    await expect.poll(async () => (await listDeliveries(store.database.db))[0]?.state, { timeout: 10_000, interval: 20 }).toBe('failed');
    const [d] = await listDeliveries(store.database.db);
    expect(d!.attempts).toHaveLength(4); // the first attempt and 3 retries
    expect(d!.attempts.every((a) => !a.ok && a.statusCode === null && a.error)).toBe(true);
    expect(d!.lastError).toMatch(/ECONNREFUSED|fetch failed/);
    const { alert, history } = await getAlert(store.database.db, fingerprint('errors', { deployment: 'churn' }));
    expect(alert.state).toBe('firing');
    expect(history[0]).toMatchObject({ from: 'inactive', to: 'firing' });
  });

  it('never lets a resolved notification overtake its firing one', async () => {
    // A backoff long enough that the firing one is surely still waiting when the resolved one is queued, however
    // slow the machine.
    await engine.close();
    engine = new AlertEngine(store.database.db, { secrets, dispatcher: { retries: 3, backoffMs: 1000, timeoutMs: 2000, pollMs: 10 } });
    const r = await receiver([503]);
    servers.push(r.server);
    await ruleWith('hook', 'webhook', r.url);
    const t0 = Date.now();
    await engine.evaluate([sample(0.3, t0)]);
    await engine.dispatcher.dispatchDue(); // firing: 503, waits out its backoff
    await engine.evaluate([sample(0.01, t0 + 1000)]);
    await engine.dispatcher.dispatchDue(); // resolved is held back behind it
    expect(r.received).toHaveLength(1);
    expect(await engine.dispatcher.drain(10_000)).toBe(true);
    expect(r.received.map((x) => JSON.parse(x.body).status)).toEqual(['firing', 'firing', 'resolved']);
  });

  it('accepts only http and https channel URLs', () => {
    expect(checkChannelUrl('https://hooks.slack.com/services/T/B/x')).toMatch(/^https:/);
    expect(() => checkChannelUrl('ftp://example.com/x')).toThrow(/http:\/\/ or https:\/\//);
    expect(() => checkChannelUrl('file:///etc/passwd')).toThrow(/http/);
    expect(() => checkChannelUrl('not a url')).toThrow(/Invalid channel URL/);
  });
});
