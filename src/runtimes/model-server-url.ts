/**
 * The one decision on which URLs the server may call as a model server. A version's `http(s)://` source is written
 * by any editor, so it is never used as given: it is parsed, checked against the hosts an admin listed, and the
 * URL that is called is rebuilt from its parts.
 */
import { invalid } from '../core/errors.js';

/** Where the allow-list is configured, for error messages (see src/cli/server.ts and src/core/config.ts). */
export const MODEL_SERVER_SETTING = '--model-server-hosts (env SLIPWAY_MODEL_SERVER_HOSTS)';

/** Whether a version source names a model server rather than files; such sources must pass `modelServerEndpoint`. */
export const isModelServerSource = (source: string): boolean => /^https?:/i.test(source);

const defaultPort = (protocol: string) => (protocol === 'https:' ? '443' : '80');

/** `host`, `host:port`, `[v6]`, `[v6]:port` or `*.domain[:port]`, lower-cased; port null when any port is allowed. */
function parseEntry(entry: string): { host: string; port: string | null } {
  const e = entry.trim().toLowerCase();
  const v6 = /^(\[[^\]]+\])(?::(\d+))?$/.exec(e);
  if (v6) return { host: v6[1]!, port: v6[2] ?? null };
  const colon = e.lastIndexOf(':');
  if (colon > 0 && e.indexOf(':') === colon && /^\d+$/.test(e.slice(colon + 1))) return { host: e.slice(0, colon), port: e.slice(colon + 1) };
  return { host: e, port: null };
}

function hostAllowed(url: URL, allowed: readonly string[]): boolean {
  const host = url.hostname.toLowerCase();
  const port = url.port || defaultPort(url.protocol);
  return allowed.some((entry) => {
    const e = parseEntry(entry);
    if (e.port !== null && e.port !== port) return false;
    if (e.host.startsWith('*.')) return host.endsWith(e.host.slice(1)) && host.length > e.host.length - 1;
    return e.host === host;
  });
}

/**
 * The `/invocations` URL the server may POST to for a model source, or INVALID_ARGUMENT saying why not: the source
 * must be an http(s) URL without credentials, query or fragment, whose host (and port) is in `allowedHosts`. The
 * returned URL is built from the parsed protocol, host, port and path alone.
 */
export function modelServerEndpoint(source: string, allowedHosts: readonly string[]): URL {
  let url: URL;
  try {
    url = new URL(source);
  } catch {
    throw invalid('The model source is not a URL; give an http(s) URL of a model server, such as http://models.internal:5001.');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalid(`A model server URL must be http or https, not ${url.protocol.replace(/:$/, '')}.`);
  if (url.username !== '' || url.password !== '') throw invalid('A model server URL must not carry a user name or password.');
  // `?` and `#` are refused even when empty: with them a caller could move the path the server appends.
  if (/[?#]/.test(source)) throw invalid('A model server URL must not have a query (?) or fragment (#); give its base URL or its /invocations URL.');
  if (!hostAllowed(url, allowedHosts)) {
    const listed = allowedHosts.length === 0 ? 'none are configured' : `configured: ${allowedHosts.join(', ')}`;
    throw invalid(`Model server ${url.host} is not an allowed model server host (${listed}). An admin lists it with ${MODEL_SERVER_SETTING}.`);
  }
  const path = url.pathname.replace(/\/+$/, '');
  const endpoint = new URL(`${url.protocol}//${url.host}`);
  endpoint.pathname = /\/invocations$/.test(path) ? path : `${path}/invocations`;
  return endpoint;
}
