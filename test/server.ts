import { join } from 'node:path';
import { createToken } from '../src/access/tokens.js';
import { openArtifactStore } from '../src/artifacts/store.js';
import { SYSTEM_ACTOR, type Role } from '../src/core/actor.js';
import { defaultTrust, type TrustSettings } from '../src/core/trust.js';
import { buildApp, type App } from '../src/server/app.js';
import { ensureDefaultExperiment } from '../src/tracking/experiments.js';
import { testStore, type TestStore } from './db.js';

export interface TestServer {
  url: string;
  app: App;
  store: TestStore;
  /** An admin token when auth is on. */
  adminToken: string | null;
  tokenFor(role: Role, name?: string): Promise<string>;
  close(): Promise<void>;
}

/** Boots the whole app on a random loopback port against a fresh store of the dialect under test. */
export async function startTestServer(
  options: { auth?: boolean; uiRoot?: string | null; gatewayMemoryBytes?: number; monitorIntervalMs?: number; trust?: Partial<TrustSettings> } = {},
): Promise<TestServer> {
  const store = await testStore();
  const artifacts = await openArtifactStore(join(store.dir, 'artifacts'));
  await ensureDefaultExperiment(store.database.db);
  const app = await buildApp({ database: store.database, artifacts, auth: options.auth ?? false, uiRoot: options.uiRoot ?? null, spillDir: join(store.dir, 'spill'), rolloutIntervalMs: 100, monitorBucketMs: 1000, monitorIntervalMs: options.monitorIntervalMs ?? 3_600_000, trust: defaultTrust(options.trust), ...(options.gatewayMemoryBytes !== undefined ? { gatewayMemoryBytes: options.gatewayMemoryBytes } : {}) });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  let n = 0;
  const tokenFor = async (role: Role, name = `${role}-${++n}`) =>
    (await createToken(store.database.db, SYSTEM_ACTOR, { name, role })).token;
  return {
    url: `http://127.0.0.1:${port}`,
    app,
    store,
    adminToken: options.auth ? await tokenFor('admin', 'test-admin') : null,
    tokenFor,
    async close() {
      await app.close();
      await store.cleanup();
    },
  };
}
