import { createHash, randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { ROLES, type Actor, type Role } from '../core/actor.js';
import { isoOf, nowMs } from '../core/clock.js';
import { alreadyExists, invalid, notFound } from '../core/errors.js';
import { randomToken } from '../core/ids.js';
import type { DB } from '../db/schema.js';
import { recordAudit } from './audit.js';

/** Tokens carry 256 random bits, so a fast hash is enough: there is nothing to brute-force. */
const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');
const TOKEN_PREFIX = 'slw_';
/** What a chosen secret may be: a token68 the strict Authorization parser reads back. */
const TOKEN_SECRET = /^[A-Za-z0-9._~+/-]{16,}=*$/;

export interface TokenInfo {
  id: string;
  name: string;
  role: Role;
  prefix: string;
  createdAt: string;
  createdBy: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
  expiresAt: string | null;
}

const toInfo = (r: DB['api_tokens']): TokenInfo => ({
  id: r.token_id,
  name: r.name,
  role: r.role as Role,
  prefix: r.prefix,
  createdAt: isoOf(r.created_at)!,
  createdBy: r.created_by,
  lastUsedAt: isoOf(r.last_used_at),
  revokedAt: isoOf(r.revoked_at),
  expiresAt: isoOf(r.expires_at),
});

export interface CreateTokenInput {
  name: string;
  role: Role;
  expiresAtMs?: number | null;
  /** Use this secret instead of a random one (bootstrap from SLIPWAY_ADMIN_TOKEN). */
  secret?: string;
}

/** Creates a token and returns its secret, which is shown this once and never stored. */
export async function createToken(
  db: Kysely<DB>,
  actor: Actor,
  input: CreateTokenInput,
): Promise<{ token: string; info: TokenInfo }> {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.@-]{0,99}$/.test(input.name)) {
    throw invalid('Token name must be 1-100 characters: letters, digits, and _ . @ - (not first).');
  }
  if (!ROLES.includes(input.role)) throw invalid(`Role must be one of ${ROLES.join(', ')}.`);
  if (input.secret !== undefined && !TOKEN_SECRET.test(input.secret)) {
    throw invalid('A token secret must be at least 16 characters of letters, digits and . _ ~ + / - (it travels as "Bearer <token>").');
  }
  const token = input.secret ?? `${TOKEN_PREFIX}${randomToken()}`;
  const row: DB['api_tokens'] = {
    token_id: randomUUID(),
    name: input.name,
    role: input.role,
    token_hash: hashToken(token),
    prefix: token.slice(0, 8),
    created_at: nowMs(),
    created_by: actor.name,
    last_used_at: null,
    revoked_at: null,
    expires_at: input.expiresAtMs ?? null,
  };
  return db.transaction().execute(async (trx) => {
    const existing = await trx.selectFrom('api_tokens').select('token_id').where('name', '=', input.name).executeTakeFirst();
    if (existing) throw alreadyExists(`A token named "${input.name}" already exists; pick another name or revoke it first.`);
    await trx.insertInto('api_tokens').values(row).execute();
    const info = toInfo(row);
    await recordAudit(trx, actor, { action: 'token.create', targetType: 'token', targetId: row.token_id, after: info });
    return { token, info };
  });
}

export async function listTokens(db: Kysely<DB>, includeRevoked = false): Promise<TokenInfo[]> {
  let q = db.selectFrom('api_tokens').selectAll();
  if (!includeRevoked) q = q.where('revoked_at', 'is', null);
  return (await q.orderBy('created_at').execute()).map(toInfo);
}

/** Revokes by id or by name. */
export async function revokeToken(db: Kysely<DB>, actor: Actor, idOrName: string): Promise<TokenInfo> {
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .selectFrom('api_tokens')
      .selectAll()
      .where((eb) => eb.or([eb('token_id', '=', idOrName), eb('name', '=', idOrName)]))
      .executeTakeFirst();
    if (!row) throw notFound(`No token with id or name "${idOrName}". List them with \`slipway tokens list\`.`);
    if (row.revoked_at !== null) return toInfo(row);
    const revoked = { ...row, revoked_at: nowMs() };
    await trx.updateTable('api_tokens').set({ revoked_at: revoked.revoked_at }).where('token_id', '=', row.token_id).execute();
    await recordAudit(trx, actor, {
      action: 'token.revoke',
      targetType: 'token',
      targetId: row.token_id,
      before: toInfo(row),
      after: toInfo(revoked),
    });
    return toInfo(revoked);
  });
}

/** Admin tokens that still work: not revoked and not expired. */
export async function countActiveAdmins(db: Kysely<DB>): Promise<number> {
  const now = nowMs();
  const r = await db
    .selectFrom('api_tokens')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('revoked_at', 'is', null)
    .where('role', '=', 'admin')
    .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

/** The token whose secret this is, revoked and expired ones included, or null. */
export async function findTokenBySecret(db: Kysely<DB>, secret: string): Promise<(TokenInfo & { active: boolean }) | null> {
  const row = await db.selectFrom('api_tokens').selectAll().where('token_hash', '=', hashToken(secret)).executeTakeFirst();
  if (!row) return null;
  const active = row.revoked_at === null && (row.expires_at === null || Number(row.expires_at) > nowMs());
  return { ...toInfo(row), active };
}

/**
 * Resolves a bearer secret to the acting identity, or null when unknown, revoked or expired.
 * Verified tokens are cached briefly, so the hot logging path does not hit the database on every request;
 * a revocation through this process takes effect at once (`forget`), through another replica within `cacheMs`;
 * an expiry takes effect exactly at `expires_at`.
 */
export class TokenVerifier {
  private cache = new Map<string, { actor: Actor | null; until: number }>();

  constructor(
    private readonly db: Kysely<DB>,
    private readonly cacheMs = 5_000,
  ) {}

  async verify(secret: string): Promise<Actor | null> {
    const hash = hashToken(secret);
    const now = nowMs();
    const hit = this.cache.get(hash);
    if (hit && hit.until > now) return hit.actor;
    this.cache.delete(hash);
    const row = await this.db.selectFrom('api_tokens').selectAll().where('token_hash', '=', hash).executeTakeFirst();
    let actor: Actor | null = null;
    let until = now + this.cacheMs;
    if (row && row.revoked_at === null && (row.expires_at === null || row.expires_at > now)) {
      // An expiring token is cached no longer than it lives: expiry is exact, not "within cacheMs".
      if (row.expires_at !== null) until = Math.min(until, Number(row.expires_at));
      actor = { name: row.name, role: row.role as Role, tokenId: row.token_id };
      if (row.last_used_at === null || now - row.last_used_at > 60_000) {
        await this.db.updateTable('api_tokens').set({ last_used_at: now }).where('token_id', '=', row.token_id).execute();
      }
    }
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(hash, { actor, until });
    return actor;
  }

  forget(): void {
    this.cache.clear();
  }
}
