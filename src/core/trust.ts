import { randomBytes } from 'node:crypto';

/**
 * What the server may reach on a caller's behalf and whom it answers: the one place these settings are declared.
 * Every caller below admin is untrusted; each check that enforces a field here names it in its error message, so
 * an operator knows which setting to change. SECURITY.md describes each field and the tests that hold it.
 */
export interface TrustSettings {
  /**
   * Host header names the server answers (DNS rebinding). Entries are host names without port; `*` answers any,
   * which gives up the protection against DNS rebinding.
   * Default: loopback names plus the address the server listens on.
   */
  allowedHosts: string[];
  /** Browser origins (`scheme://host[:port]`) allowed to call mutating endpoints cross-origin. Default: none. */
  corsOrigins: string[];
  /**
   * Model servers that `http(s)://` model sources may point at, as `host` or `host:port` (`*.example.com` matches
   * subdomains). Default: none, so a URL model source is refused until an admin lists its host.
   */
  modelServerHosts: string[];
  /** Absolute folders that `file://` dataset sources may be read from (besides the artifact store). */
  dataRoots: string[];
  /** Largest dataset file the server reads, in bytes. */
  maxDatasetBytes: number;
  /** 32-byte key that encrypts secrets at rest (alert-channel secrets, webhook signing keys). */
  secretKey: Buffer;
  /** With auth on, whether `/metrics` needs a token (viewer role or above). */
  metricsNeedToken: boolean;
  /** Evaluations that may run at once in this process; more wait in a queue. */
  maxConcurrentEvaluations: number;
}

export const DEFAULT_MAX_DATASET_BYTES = 2 * 1024 ** 3;
export const LOOPBACK_HOST_NAMES = ['localhost', '127.0.0.1', '::1', '[::1]'];

/**
 * Settings for a server (or test) that did not configure trust: loopback hosts only, no model servers, no data
 * roots beyond the artifact store, and a fresh random secret key (secrets stored with it do not survive a restart
 * with another key, which is why a real server keeps its key in its home folder).
 */
export function defaultTrust(overrides: Partial<TrustSettings> = {}): TrustSettings {
  return {
    allowedHosts: [...LOOPBACK_HOST_NAMES],
    corsOrigins: [],
    modelServerHosts: [],
    dataRoots: [],
    maxDatasetBytes: DEFAULT_MAX_DATASET_BYTES,
    secretKey: overrides.secretKey ?? randomKey(),
    metricsNeedToken: true,
    maxConcurrentEvaluations: 2,
    ...overrides,
  };
}

const randomKey = (): Buffer => randomBytes(32);

/** Splits a comma-separated list setting, dropping blanks. */
export const listSetting = (text: string | undefined): string[] | undefined =>
  text === undefined ? undefined : text.split(',').map((s) => s.trim()).filter(Boolean);
