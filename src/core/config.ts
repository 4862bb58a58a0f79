import { resolve } from 'node:path';
import { DEFAULT_MAX_DATASET_BYTES, LOOPBACK_HOST_NAMES, listSetting, type TrustSettings } from './trust.js';

export const DEFAULT_PORT = 7380;
export const DEFAULT_HOST = '127.0.0.1';

/** Server settings: flags win over SLIPWAY_* environment variables, which win over these defaults. */
export interface ServerConfig {
  host: string;
  port: number;
  home: string;
  databaseUrl: string;
  artifactsUri: string;
  auth: boolean;
  insecure: boolean;
  logLevel: string;
  /** What this process serves: `api` (tracking, registry, evaluation, UI, deployment control) and/or `gateway`. */
  roles: ServerRole[];
  /** Width of the gateway's monitoring buckets in seconds; 0 turns sketching off. */
  monitorBucketSeconds: number;
  /** What the server answers and may reach; the secret key is read (or created) by the server at start. */
  trust: Omit<TrustSettings, 'secretKey'>;
}

export type ServerRole = 'api' | 'gateway';
export const SERVER_ROLES: readonly ServerRole[] = ['api', 'gateway'];

export interface ServerFlags {
  host?: string;
  port?: string | number;
  home?: string;
  databaseUrl?: string;
  artifacts?: string;
  auth?: boolean;
  insecure?: boolean;
  logLevel?: string;
  roles?: string;
  monitorBucket?: string | number;
  allowedHosts?: string;
  corsOrigins?: string;
  modelServerHosts?: string;
  dataRoots?: string;
  maxDatasetMb?: string | number;
  metricsPublic?: boolean;
  maxEvaluations?: string | number;
}

const truthy = (v: string | undefined): boolean | undefined =>
  v === undefined || v === '' ? undefined : ['1', 'true', 'yes', 'on'].includes(v.toLowerCase());

export function resolveServerConfig(flags: ServerFlags = {}, env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const home = resolve(flags.home ?? env.SLIPWAY_HOME ?? '.slipway');
  const port = Number(flags.port ?? env.SLIPWAY_PORT ?? DEFAULT_PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`Invalid port "${flags.port ?? env.SLIPWAY_PORT}": use 0-65535.`);
  return {
    host: flags.host ?? env.SLIPWAY_HOST ?? DEFAULT_HOST,
    port,
    home,
    databaseUrl: flags.databaseUrl ?? env.SLIPWAY_DATABASE_URL ?? `sqlite:${resolve(home, 'slipway.db')}`,
    artifactsUri: flags.artifacts ?? env.SLIPWAY_ARTIFACTS ?? resolve(home, 'artifacts'),
    auth: flags.auth ?? truthy(env.SLIPWAY_AUTH) ?? false,
    insecure: flags.insecure ?? truthy(env.SLIPWAY_INSECURE) ?? false,
    logLevel: flags.logLevel ?? env.SLIPWAY_LOG_LEVEL ?? 'info',
    roles: parseRoles(flags.roles ?? env.SLIPWAY_ROLES ?? 'api,gateway'),
    monitorBucketSeconds: parseBucket(flags.monitorBucket ?? env.SLIPWAY_MONITOR_BUCKET ?? 60),
    trust: resolveTrust(flags, env, home),
  };
}

function resolveTrust(flags: ServerFlags, env: NodeJS.ProcessEnv, home: string): Omit<TrustSettings, 'secretKey'> {
  const host = flags.host ?? env.SLIPWAY_HOST ?? DEFAULT_HOST;
  const allowedHosts = listSetting(flags.allowedHosts ?? env.SLIPWAY_ALLOWED_HOSTS) ?? [
    ...LOOPBACK_HOST_NAMES,
    ...(host === '0.0.0.0' || host === '::' || LOOPBACK_HOST_NAMES.includes(host) ? [] : [host]),
  ];
  const dataRoots = (listSetting(flags.dataRoots ?? env.SLIPWAY_DATA_ROOTS) ?? [resolve(home, 'data')]).map((r) => resolve(r));
  const maxMb = Number(flags.maxDatasetMb ?? env.SLIPWAY_MAX_DATASET_MB ?? DEFAULT_MAX_DATASET_BYTES / 1024 ** 2);
  if (!Number.isFinite(maxMb) || maxMb <= 0) throw new Error(`Invalid maximum dataset size "${flags.maxDatasetMb ?? env.SLIPWAY_MAX_DATASET_MB}": use megabytes above 0.`);
  const maxEvaluations = Number(flags.maxEvaluations ?? env.SLIPWAY_MAX_EVALUATIONS ?? 2);
  if (!Number.isInteger(maxEvaluations) || maxEvaluations < 1 || maxEvaluations > 64) {
    throw new Error(`Invalid evaluation concurrency "${flags.maxEvaluations ?? env.SLIPWAY_MAX_EVALUATIONS}": use a whole number from 1 to 64.`);
  }
  return {
    allowedHosts,
    corsOrigins: listSetting(flags.corsOrigins ?? env.SLIPWAY_CORS_ORIGINS) ?? [],
    modelServerHosts: listSetting(flags.modelServerHosts ?? env.SLIPWAY_MODEL_SERVER_HOSTS) ?? [],
    dataRoots,
    maxDatasetBytes: Math.round(maxMb * 1024 ** 2),
    metricsNeedToken: !(flags.metricsPublic ?? truthy(env.SLIPWAY_METRICS_PUBLIC) ?? false),
    maxConcurrentEvaluations: maxEvaluations,
  };
}

function parseBucket(v: string | number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 86_400) throw new Error(`Invalid monitoring bucket "${v}": use whole seconds from 1 to 86400, or 0 to turn sketching off.`);
  return n;
}

function parseRoles(text: string): ServerRole[] {
  const roles = text.split(',').map((r) => r.trim()).filter(Boolean);
  const unknown = roles.filter((r) => !(SERVER_ROLES as readonly string[]).includes(r));
  if (unknown.length > 0 || roles.length === 0) throw new Error(`Invalid roles "${text}": use a comma-separated list of ${SERVER_ROLES.join(', ')}.`);
  return [...new Set(roles)] as ServerRole[];
}

/** Auth may be off only while nothing but this machine can reach the server. */
export const isLoopback = (host: string): boolean =>
  host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
