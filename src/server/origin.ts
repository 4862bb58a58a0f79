import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { SlipwayError } from '../core/errors.js';
import type { TrustSettings } from '../core/trust.js';

/**
 * Which browser traffic the server answers at all. With auth off (the loopback default) any web page the user
 * visits could otherwise drive the API: by DNS rebinding (a foreign Host name resolving to 127.0.0.1) or by a
 * cross-site form POST. One hook decides, for every route, before authentication:
 *   1. the Host header names an allowed host (`allowedHosts`; the port is ignored; `*` allows any);
 *   2. a mutating request (POST, PUT, PATCH, DELETE) that a browser marks as coming from another origin
 *      (`Origin`, or `Sec-Fetch-Site` when there is no Origin) is refused unless that origin is in `corsOrigins`;
 *   3. CORS headers (and preflight answers) are given to `corsOrigins` only.
 * Reads from foreign origins are answered without CORS headers, so the browser keeps the answer from the page.
 */
export function registerOriginGuard(app: FastifyInstance, trust: Pick<TrustSettings, 'allowedHosts' | 'corsOrigins'>): void {
  const hosts = new Set(trust.allowedHosts.map(normalHost));
  const anyHost = hosts.has('*');
  const cors = new Set(trust.corsOrigins.map(normalOrigin).filter((o): o is string => o !== null));

  app.addHook('onRequest', async (request, reply) => {
    const host = request.headers.host;
    // HTTP/1.1 requires Host (Node refuses requests without it); browsers always send it, so a request
    // without one is not a rebinding page.
    if (host !== undefined && !anyHost && !hosts.has(hostNameOf(host))) {
      throw new SlipwayError(
        'PERMISSION_DENIED',
        `This server does not answer the host name "${hostNameOf(host).slice(0, 100)}". If that is its real name, add it with --allowed-hosts or SLIPWAY_ALLOWED_HOSTS.`,
      );
    }
    const origin = headerOf(request, 'origin');
    const listed = origin !== undefined && cors.has(normalOrigin(origin) ?? '');
    // Answers differ by Origin once some origins get CORS headers: shared caches must keep them apart.
    if (cors.size > 0) reply.header('vary', 'Origin');
    if (listed) reply.header('access-control-allow-origin', origin);
    if (request.method === 'OPTIONS' && origin !== undefined && headerOf(request, 'access-control-request-method') !== undefined) {
      return answerPreflight(request, reply, listed);
    }
    if (!MUTATING.has(request.method) || listed) return;
    if (origin !== undefined ? !sameOrigin(origin, host) : isCrossSiteFetch(request)) {
      throw new SlipwayError(
        'PERMISSION_DENIED',
        `Cross-origin ${request.method} refused: a web page from ${origin ?? 'another site'} may not change this server. ` +
          'If that page is yours, list its origin with --cors-origins or SLIPWAY_CORS_ORIGINS.',
      );
    }
  });
}

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function answerPreflight(request: FastifyRequest, reply: FastifyReply, listed: boolean): FastifyReply {
  if (!listed) {
    throw new SlipwayError('PERMISSION_DENIED', 'Cross-origin requests from this origin are not allowed. List it with --cors-origins or SLIPWAY_CORS_ORIGINS.');
  }
  return reply
    .status(204)
    .header('access-control-allow-methods', 'GET, HEAD, POST, PUT, PATCH, DELETE')
    .header('access-control-allow-headers', 'authorization, content-type')
    .header('access-control-max-age', '600')
    .send();
}

const headerOf = (request: FastifyRequest, name: string): string | undefined => {
  const v = request.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

/** `Sec-Fetch-Site` is set by the browser itself; a page cannot forge it. */
const isCrossSiteFetch = (request: FastifyRequest): boolean => {
  const site = headerOf(request, 'sec-fetch-site');
  return site === 'cross-site' || site === 'same-site';
};

/** The host name of a Host header, without port, lower case, without a trailing dot: `[::1]:80` → `[::1]`. */
export function hostNameOf(header: string): string {
  const h = header.trim().toLowerCase();
  const name = h.startsWith('[') ? h.slice(0, h.indexOf(']') + 1 || h.length) : h.replace(/:\d*$/, '');
  return name.replace(/\.$/, '');
}

const normalHost = (name: string): string => (name === '*' ? '*' : hostNameOf(name.includes(':') && !name.startsWith('[') && name.split(':').length > 2 ? `[${name}]` : name));

/** `scheme://host[:port]` with the default port dropped, or null when it is not an http(s) origin. */
function normalOrigin(origin: string): string | null {
  try {
    const u = new URL(origin);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.origin : null;
  } catch {
    return null;
  }
}

/**
 * Whether the browser origin is the server itself as the browser reached it (the Host header). The scheme is
 * the origin's own: behind a TLS proxy the server sees http while the page is https, and one port speaks one
 * protocol, so host and port decide.
 */
function sameOrigin(origin: string, host: string | undefined): boolean {
  if (host === undefined) return false;
  try {
    const o = new URL(origin);
    if (o.protocol !== 'http:' && o.protocol !== 'https:') return false;
    return o.host === new URL(`${o.protocol}//${host}`).host;
  } catch {
    return false;
  }
}
