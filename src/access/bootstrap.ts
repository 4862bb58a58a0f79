import type { Kysely } from 'kysely';
import { SYSTEM_ACTOR } from '../core/actor.js';
import { SlipwayError } from '../core/errors.js';
import type { DB } from '../db/schema.js';
import { countActiveAdmins, createToken, findTokenBySecret } from './tokens.js';

/** What a start with auth on did about the first admin, for the server to print. */
export interface AdminBootstrap {
  action: 'none' | 'created-from-env' | 'created-random' | 'reused' | 'revoked-in-env' | 'ignored-env';
  /** A new admin secret to print once (never the variable's own value), else null. */
  token: string | null;
  /** One line for the operator; never contains a secret. */
  message: string;
}

const FRESH_ADMIN = 'a new admin token was created (shown once below); store it, then unset SLIPWAY_ADMIN_TOKEN or set it to that token';

/**
 * Decides, at every start with auth on, what SLIPWAY_ADMIN_TOKEN (`secret`) means. Starting must always work:
 * - the secret names an active token: it is used as is;
 * - it names a revoked or expired token: that token stays dead (an admin revoked it on purpose); when no active
 *   admin remains, a new random admin token is created and returned once, so the operator is never locked out;
 * - it names no token and no active admin exists: the admin is created with that secret;
 * - it names no token but admins exist: the variable is ignored (it only ever creates the first admin);
 * - no variable and no active admin: a random admin token is created and returned once.
 */
export async function bootstrapAdmin(db: Kysely<DB>, secret: string | undefined): Promise<AdminBootstrap> {
  const admins = await countActiveAdmins(db);
  const createRandom = async () => (await createToken(db, SYSTEM_ACTOR, { name: `admin-${Date.now()}`, role: 'admin' })).token;
  if (!secret) {
    if (admins > 0) return { action: 'none', token: null, message: '' };
    return { action: 'created-random', token: await createRandom(), message: 'No admin token existed: created the first one (shown once below).' };
  }
  const known = await findTokenBySecret(db, secret);
  if (known?.active) {
    return { action: 'reused', token: null, message: `SLIPWAY_ADMIN_TOKEN is the existing ${known.role} token "${known.name}"; using it as is.` };
  }
  if (known) {
    const why = known.revokedAt ? `was revoked at ${known.revokedAt}` : `expired at ${known.expiresAt}`;
    const lead = `SLIPWAY_ADMIN_TOKEN names the token "${known.name}", which ${why}; it stays unusable`;
    if (admins > 0) return { action: 'revoked-in-env', token: null, message: `${lead}. Other admin tokens exist: ask an admin for a token, and unset SLIPWAY_ADMIN_TOKEN.` };
    return { action: 'revoked-in-env', token: await createRandom(), message: `${lead}, and no active admin was left, so ${FRESH_ADMIN}.` };
  }
  if (admins > 0) {
    return { action: 'ignored-env', token: null, message: 'SLIPWAY_ADMIN_TOKEN ignored: it only creates the first admin, and admin tokens already exist.' };
  }
  try {
    await createToken(db, SYSTEM_ACTOR, { name: `admin-${Date.now()}`, role: 'admin', secret });
  } catch (err) {
    // Another replica sharing the database created it from the same variable a moment ago.
    if ((await findTokenBySecret(db, secret))?.active) return { action: 'reused', token: null, message: 'SLIPWAY_ADMIN_TOKEN was created as the first admin by another replica; using it.' };
    if (err instanceof SlipwayError && err.code === 'INVALID_ARGUMENT') throw new Error(`SLIPWAY_ADMIN_TOKEN cannot be used: ${err.message}`);
    throw err;
  }
  return { action: 'created-from-env', token: null, message: 'Created the first admin token from SLIPWAY_ADMIN_TOKEN.' };
}
