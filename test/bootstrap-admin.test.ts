import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { revokeToken } from '../src/access/tokens.js';
import { SYSTEM_ACTOR } from '../src/core/actor.js';
import { resolveServerConfig, type ServerConfig } from '../src/core/config.js';
import { startServer, type RunningServer } from '../src/server/start.js';
import { testDialect, testPgUrl, testStore, type TestStore } from './db.js';

const ADMIN_SECRET = 'bootstrap-admin-secret-0123456789';

describe(`starting with SLIPWAY_ADMIN_TOKEN (${testDialect})`, () => {
  let store: TestStore;
  let config: ServerConfig;
  const running: RunningServer[] = [];

  beforeEach(async () => {
    // The store only prepares the place (a temp folder, a PostgreSQL schema); each start opens it itself.
    store = await testStore();
    await store.database.close();
    const databaseUrl = store.pgSchema ? `${testPgUrl}?options=${encodeURIComponent(`-c search_path=${store.pgSchema}`)}` : store.url;
    config = resolveServerConfig({ home: store.dir, port: 0, auth: true, databaseUrl, logLevel: 'silent' }, {});
  });
  afterEach(async () => {
    for (const r of running.splice(0)) await r.close();
    await store.cleanup().catch(() => {});
  });

  const start = async (env: NodeJS.ProcessEnv) => {
    const r = await startServer(config, env);
    running.push(r);
    return r;
  };
  const stop = async (r: RunningServer) => {
    running.splice(running.indexOf(r), 1);
    await r.close();
  };
  const status = async (r: RunningServer, token: string) => (await fetch(`${r.url}/api/v1/tokens`, { headers: { authorization: `Bearer ${token}` } })).status;

  it('creates the admin from the variable, then reuses it on the next start', async () => {
    const first = await start({ SLIPWAY_ADMIN_TOKEN: ADMIN_SECRET });
    expect(first.bootstrap).toMatchObject({ action: 'created-from-env', token: null });
    expect(await status(first, ADMIN_SECRET)).toBe(200);
    await stop(first);
    const second = await start({ SLIPWAY_ADMIN_TOKEN: ADMIN_SECRET });
    expect(second.bootstrap).toMatchObject({ action: 'reused', token: null });
    expect(second.bootstrap.message).toMatch(/SLIPWAY_ADMIN_TOKEN/);
    expect(await status(second, ADMIN_SECRET)).toBe(200);
  });

  it('starts after the bootstrap admin was revoked, does not bring it back, and prints a new admin once', async () => {
    const first = await start({ SLIPWAY_ADMIN_TOKEN: ADMIN_SECRET });
    const [admin] = await first.database.db.selectFrom('api_tokens').select('name').execute();
    await revokeToken(first.database.db, SYSTEM_ACTOR, admin!.name);
    await stop(first);

    const second = await start({ SLIPWAY_ADMIN_TOKEN: ADMIN_SECRET });
    expect(second.bootstrap.action).toBe('revoked-in-env');
    expect(second.bootstrap.message).toMatch(/SLIPWAY_ADMIN_TOKEN.*revoked/);
    expect(second.bootstrap.message).toMatch(/new admin token/);
    const fresh = second.bootstrap.token!;
    expect(fresh).toMatch(/^slw_/);
    expect(second.bootstrapToken).toBe(fresh);
    expect(await status(second, ADMIN_SECRET)).toBe(401);
    expect(await status(second, fresh)).toBe(200);
    await stop(second);

    // Once an active admin exists, the stale variable is reported and nothing else is created.
    const third = await start({ SLIPWAY_ADMIN_TOKEN: ADMIN_SECRET });
    expect(third.bootstrap).toMatchObject({ action: 'revoked-in-env', token: null });
    expect(third.bootstrap.message).toMatch(/revoked/);
    expect(await status(third, ADMIN_SECRET)).toBe(401);
    expect(await status(third, fresh)).toBe(200);
    const admins = await third.database.db.selectFrom('api_tokens').select('name').where('role', '=', 'admin').where('revoked_at', 'is', null).execute();
    expect(admins).toHaveLength(1);
  });

  it('without the variable, creates a random first admin once and nothing on later starts', async () => {
    const first = await start({});
    expect(first.bootstrap.action).toBe('created-random');
    expect(first.bootstrap.token).toMatch(/^slw_/);
    await stop(first);
    const second = await start({});
    expect(second.bootstrap).toMatchObject({ action: 'none', token: null });
  });
});
