import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { bootstrapAdmin, type AdminBootstrap } from '../access/bootstrap.js';
import { join } from 'node:path';
import { openArtifactStore, type ArtifactStore } from '../artifacts/store.js';
import { isLoopback, type ServerConfig } from '../core/config.js';
import type { TrustSettings } from '../core/trust.js';
import { openDatabase, type Database } from '../db/database.js';
import { ensureDefaultExperiment } from '../tracking/experiments.js';
import { buildApp, type App } from './app.js';

export interface RunningServer {
  app: App;
  url: string;
  database: Database;
  artifacts: ArtifactStore;
  /** Set when this start created an admin token with a random secret; shown once. */
  bootstrapToken: string | null;
  /** What this start did about the first admin and SLIPWAY_ADMIN_TOKEN (auth on), for the CLI to print. */
  bootstrap: AdminBootstrap;
  close(): Promise<void>;
}

/**
 * Opens the stores (running migrations), prepares the default experiment and, with auth on, settles the first
 * admin (`bootstrapAdmin`: SLIPWAY_ADMIN_TOKEN, or a random token printed once), then listens.
 */
export async function startServer(config: ServerConfig, env: NodeJS.ProcessEnv = process.env): Promise<RunningServer> {
  if (!config.auth && !isLoopback(config.host) && !config.insecure) {
    throw new Error(
      `Refusing to listen on ${config.host} without auth: anyone who can reach it could read and change everything. ` +
        'Start with --auth (and create tokens), bind 127.0.0.1, or pass --insecure if a proxy in front authenticates.',
    );
  }
  mkdirSync(config.home, { recursive: true });
  const database = await openDatabase(config.databaseUrl);
  let artifacts: ArtifactStore | undefined;
  try {
    artifacts = await openArtifactStore(config.artifactsUri);
    return await serve(config, env, database, artifacts);
  } catch (err) {
    await artifacts?.close?.();
    await database.close();
    throw err;
  }
}

async function serve(config: ServerConfig, env: NodeJS.ProcessEnv, database: Database, artifacts: ArtifactStore): Promise<RunningServer> {
  await ensureDefaultExperiment(database.db);
  const bootstrap: AdminBootstrap = config.auth ? await bootstrapAdmin(database.db, env.SLIPWAY_ADMIN_TOKEN?.trim() || undefined) : { action: 'none', token: null, message: '' };
  const app = await buildApp({
    spillDir: join(config.home, 'prediction-spill'),
    database,
    artifacts,
    auth: config.auth,
    logger: { level: config.logLevel },
    roles: config.roles,
    trust: { ...config.trust, secretKey: loadSecretKey(config.home, env) },
    monitorBucketMs: config.monitorBucketSeconds * 1000,
  });
  let address: string;
  try {
    address = await app.listen({ host: config.host, port: config.port });
  } catch (err) {
    await app.close();
    throw err;
  }
  return {
    app,
    url: address.replace('[::1]', '127.0.0.1'),
    database,
    artifacts,
    bootstrapToken: bootstrap.token,
    bootstrap,
    async close() {
      await app.close();
      await artifacts.close?.();
      await database.close();
    },
  };
}

/**
 * The key that encrypts secrets at rest: SLIPWAY_SECRET_KEY (32 bytes as base64 or hex; every replica sharing a
 * database needs the same one), else `<home>/secret.key`, created with owner-only permissions on first start.
 */
export function loadSecretKey(home: string, env: NodeJS.ProcessEnv = process.env): TrustSettings['secretKey'] {
  const configured = env.SLIPWAY_SECRET_KEY?.trim();
  if (configured) {
    const key = /^[0-9a-fA-F]{64}$/.test(configured) ? Buffer.from(configured, 'hex') : Buffer.from(configured, 'base64');
    if (key.length !== 32) throw new Error('SLIPWAY_SECRET_KEY must be 32 bytes, written as 64 hex digits or base64 (generate one with `openssl rand -base64 32`).');
    return key;
  }
  const file = join(home, 'secret.key');
  try {
    const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
    if (key.length !== 32) throw new Error(`${file} does not hold a 32-byte base64 key; restore it from a backup (secrets stored with it cannot be read without it).`);
    return key;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const key = randomBytes(32);
  writeFileSync(file, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  return key;
}
