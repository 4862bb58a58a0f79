import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertsClient } from '../src/alerts/client.js';
import { signatureOf } from '../src/alerts/notify.js';
import { openArtifactStore } from '../src/artifacts/store.js';
import { defaultTrust } from '../src/core/trust.js';
import { buildApp } from '../src/server/app.js';
import { testDialect } from './db.js';
import { startTestServer, type TestServer } from './server.js';

const SIGNING_KEY = 'whsec-signing-key-0123456789';
const SLACK_URL = 'https://hooks.slack.com/services/T000/B000/slackpathsecret';

describe(`secrets at rest (${testDialect})`, () => {
  const secretKey = randomBytes(32);
  let server: TestServer;
  let alerts: AlertsClient;
  let hook: Server;
  let hookUrl: string;
  const received: { headers: IncomingHttpHeaders; body: string }[] = [];

  beforeAll(async () => {
    server = await startTestServer({ trust: { secretKey } });
    alerts = new AlertsClient({ url: server.url });
    hook = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += String(c)));
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        res.end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
  });
  afterAll(async () => {
    await server.close();
    await new Promise((r) => hook.close(r));
  });

  const rawRow = (name: string) => server.store.database.db.selectFrom('alert_channels').selectAll().where('name', '=', name).executeTakeFirstOrThrow();

  it('stores signing keys and Slack URLs encrypted, never answers them, and still signs with the key', async () => {
    await alerts.createChannel({ name: 'signed', type: 'webhook', url: hookUrl, secret: SIGNING_KEY });
    await alerts.createChannel({ name: 'team', type: 'slack', url: SLACK_URL });
    await alerts.createChannel({ name: 'pager', type: 'webhook', url: `${hookUrl}?token=querysecret` });
    const signed = await rawRow('signed');
    const team = await rawRow('team');
    expect(signed.secret).toMatch(/^enc:v1:/);
    expect(team.url).toMatch(/^enc:v1:/);
    expect(JSON.stringify([signed, team])).not.toContain(SIGNING_KEY);
    expect(JSON.stringify([signed, team])).not.toContain('slackpathsecret');

    const listed = JSON.stringify(await alerts.listChannels());
    expect(listed).not.toContain(SIGNING_KEY);
    expect(listed).not.toContain('slackpathsecret');
    expect(listed).not.toContain('enc:v1:');
    expect((await alerts.listChannels()).channels.find((c) => c.name === 'team')).toMatchObject({ url: 'https://hooks.slack.com/***', secret: null });
    expect((await alerts.listChannels()).channels.find((c) => c.name === 'signed')).toMatchObject({ url: hookUrl, secret: '***' });
    // A token in a webhook's query string is a credential too.
    expect((await alerts.listChannels()).channels.find((c) => c.name === 'pager')).toMatchObject({ url: `${hookUrl}?***` });
    expect(JSON.stringify(await rawRow('pager'))).not.toContain('querysecret');
    const audit = JSON.stringify(await server.store.database.db.selectFrom('audit_log').selectAll().execute());
    expect(audit).not.toContain('querysecret');
    expect(audit).not.toContain(SIGNING_KEY);
    expect(audit).not.toContain('slackpathsecret');

    const test = await alerts.testChannel('signed');
    expect(test.delivery.state).toBe('delivered');
    const last = received.at(-1)!;
    expect(last.headers['x-slipway-signature']).toBe(signatureOf(SIGNING_KEY, String(last.headers['x-slipway-timestamp']), last.body));
  });

  it('seals secrets written in plaintext by an older version when the server starts', async () => {
    await server.store.database.db
      .insertInto('alert_channels')
      .values({ name: 'legacy', type: 'webhook', url: hookUrl, secret: 'legacy-plain-key-42', created_at: Date.now(), created_by: 'old' })
      .execute();
    await server.store.database.db
      .insertInto('alert_channels')
      .values({ name: 'legacy-slack', type: 'slack', url: 'https://hooks.slack.com/services/T1/B1/oldslackpath', secret: null, created_at: Date.now(), created_by: 'old' })
      .execute();
    const artifacts = await openArtifactStore(join(server.store.dir, 'artifacts'));
    const again = await buildApp({ database: server.store.database, artifacts, auth: false, uiRoot: null, spillDir: join(server.store.dir, 'spill2'), monitorBucketMs: 0, trust: defaultTrust({ secretKey }) });
    await again.ready();
    try {
      expect((await rawRow('legacy')).secret).toMatch(/^enc:v1:/);
      expect((await rawRow('legacy-slack')).url).toMatch(/^enc:v1:/);
      const res = await again.inject({ method: 'POST', url: '/api/v1/alerts/channels/legacy/test', headers: { host: '127.0.0.1' } });
      expect(res.statusCode).toBe(200);
      const last = received.at(-1)!;
      expect(last.headers['x-slipway-signature']).toBe(signatureOf('legacy-plain-key-42', String(last.headers['x-slipway-timestamp']), last.body));
    } finally {
      await again.close();
    }
  });

  it('reports a secret it cannot decrypt (another key) as a failed delivery, not a crash', async () => {
    const artifacts = await openArtifactStore(join(server.store.dir, 'artifacts'));
    const other = await buildApp({ database: server.store.database, artifacts, auth: false, uiRoot: null, spillDir: join(server.store.dir, 'spill3'), monitorBucketMs: 0, trust: defaultTrust({ secretKey: randomBytes(32) }) });
    try {
      const res = await other.inject({ method: 'POST', url: '/api/v1/alerts/channels/signed/test', headers: { host: '127.0.0.1' } });
      expect(res.statusCode).toBe(200);
      const delivery = res.json().delivery;
      expect(delivery.state).toBe('failed');
      expect(delivery.lastError).toMatch(/SLIPWAY_SECRET_KEY|secret\.key/);
      const list = await other.inject({ method: 'GET', url: '/api/v1/alerts/channels', headers: { host: '127.0.0.1' } });
      expect(list.statusCode).toBe(200);
      expect(list.body).not.toContain('enc:v1:');
    } finally {
      await other.close();
    }
  });
});
