import type { FastifyInstance } from 'fastify';
import { TokenVerifier } from '../access/tokens.js';
import { LOCAL_ACTOR, roleAllows, type Actor, type Role } from '../core/actor.js';
import { SlipwayError } from '../core/errors.js';
import type { Database } from '../db/database.js';

declare module 'fastify' {
  interface FastifyRequest {
    actor: Actor;
  }
  interface FastifyContextConfig {
    /** The least role a route needs; by default reads need viewer and writes editor. */
    role?: Role;
    /** Reachable without a token (health checks). */
    public?: boolean;
  }
}

/** RFC 6750's token68: what may follow "Bearer " (and "Basic "), with nothing before or after. */
const CREDENTIALS = /^(Bearer|Basic) ([A-Za-z0-9._~+/-]+=*)$/i;

/**
 * The token a request carries, or null when it carries none. The header is parsed strictly: one scheme, one
 * space, one token68 and nothing else, so `Bearer <token> junk` is refused rather than read as `<token>`.
 */
export function bearerSecret(header: string | undefined): string | null {
  if (header === undefined || header === '') return null;
  const m = CREDENTIALS.exec(header);
  if (!m) throw new SlipwayError('UNAUTHENTICATED', 'Malformed Authorization header: send exactly "Authorization: Bearer <token>", with nothing after the token.');
  const [, scheme, value] = m as unknown as [string, string, string];
  if (scheme.toLowerCase() === 'bearer') return value;
  // MLFLOW_TRACKING_USERNAME/PASSWORD clients send Basic auth: the password is the token.
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon >= 0 && colon < decoded.length - 1 ? decoded.slice(colon + 1) : null;
}

/** Authenticates every request (when auth is on) and checks the route's role. */
export function registerAuth(app: FastifyInstance, database: Database, authEnabled: boolean): TokenVerifier {
  const verifier = new TokenVerifier(database.db);
  app.decorateRequest('actor', null as unknown as Actor);
  app.addHook('onRequest', async (request) => {
    const config = request.routeOptions.config;
    if (config?.public) {
      request.actor = LOCAL_ACTOR;
      return;
    }
    if (!authEnabled) {
      request.actor = LOCAL_ACTOR;
    } else {
      const secret = bearerSecret(request.headers.authorization);
      if (!secret) {
        throw new SlipwayError('UNAUTHENTICATED', 'Authentication required: send "Authorization: Bearer <token>" (MLflow clients: set MLFLOW_TRACKING_TOKEN).');
      }
      const actor = await verifier.verify(secret);
      if (!actor) throw new SlipwayError('UNAUTHENTICATED', 'The token is unknown, revoked or expired. Ask an admin for a new one (`slipway tokens create`).');
      request.actor = actor;
    }
    const needs: Role = config?.role ?? (request.method === 'GET' || request.method === 'HEAD' ? 'viewer' : 'editor');
    if (!roleAllows(request.actor.role, needs)) {
      throw new SlipwayError('PERMISSION_DENIED', `This needs the ${needs} role; token "${request.actor.name}" has ${request.actor.role}.`);
    }
  });
  return verifier;
}
