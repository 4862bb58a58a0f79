import type { FastifyInstance, FastifyRequest } from 'fastify';
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

function bearerSecret(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (!header) return null;
  const [scheme, value] = header.split(' ', 2);
  if (scheme?.toLowerCase() === 'bearer' && value) return value.trim();
  // MLFLOW_TRACKING_USERNAME/PASSWORD clients send Basic auth: the password is the token.
  if (scheme?.toLowerCase() === 'basic' && value) {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon >= 0 ? decoded.slice(colon + 1) : null;
  }
  return null;
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
      const secret = bearerSecret(request);
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
