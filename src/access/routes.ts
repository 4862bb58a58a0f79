import { Type, type Static } from 'typebox';
import type { App, AppContext } from '../server/app.js';
import { listAudit } from './audit.js';
import { createToken, listTokens, revokeToken } from './tokens.js';

const Role = Type.Union([Type.Literal('viewer'), Type.Literal('editor'), Type.Literal('reviewer'), Type.Literal('admin')]);
export const TokenInfo = Type.Object({
  id: Type.String(),
  name: Type.String(),
  role: Role,
  prefix: Type.String({ description: 'The first characters of the secret, to recognise it.' }),
  createdAt: Type.String({ format: 'date-time' }),
  createdBy: Type.String(),
  lastUsedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  revokedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  expiresAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});
export const CreateTokenBody = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 100 }),
  role: Role,
  expiresAt: Type.Optional(Type.String({ format: 'date-time' })),
});
export const CreatedToken = Type.Object({ token: Type.String({ description: 'The secret, shown only this once.' }), info: TokenInfo });
export const AuditQuery = Type.Object({
  actor: Type.Optional(Type.String()),
  action: Type.Optional(Type.String()),
  targetType: Type.Optional(Type.String()),
  targetId: Type.Optional(Type.String()),
  since: Type.Optional(Type.String({ format: 'date-time' })),
  beforeId: Type.Optional(Type.Integer({ minimum: 1 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
});
export const AuditEntry = Type.Object({
  id: Type.Integer(),
  at: Type.String({ format: 'date-time' }),
  actor: Type.String(),
  action: Type.String(),
  targetType: Type.String(),
  targetId: Type.String(),
  before: Type.Unknown(),
  after: Type.Unknown(),
});
export type AuditEntryJson = Static<typeof AuditEntry>;
export type TokenInfoJson = Static<typeof TokenInfo>;

/** Tokens and the audit log: admin only. */
export async function registerAccessRoutes(app: App, ctx: AppContext): Promise<void> {
  const { db } = ctx.database;
  const admin = { role: 'admin' as const };
  const tags = ['access'];

  app.get('/tokens', { config: admin, schema: { tags, querystring: Type.Object({ all: Type.Optional(Type.Boolean()) }), response: { 200: Type.Object({ tokens: Type.Array(TokenInfo) }) } } }, async (req) => ({
    tokens: await listTokens(db, req.query.all ?? false),
  }));

  app.post('/tokens', { config: admin, schema: { tags, body: CreateTokenBody, response: { 201: CreatedToken } } }, async (req, reply) => {
    const created = await createToken(db, req.actor, {
      name: req.body.name,
      role: req.body.role,
      expiresAtMs: req.body.expiresAt ? Date.parse(req.body.expiresAt) : null,
    });
    return reply.status(201).send(created);
  });

  app.delete('/tokens/:idOrName', { config: admin, schema: { tags, params: Type.Object({ idOrName: Type.String() }), response: { 200: Type.Object({ token: TokenInfo }) } } }, async (req) => {
    const token = await revokeToken(db, req.actor, req.params.idOrName);
    ctx.verifier.forget();
    return { token };
  });

  app.get('/audit', { config: admin, schema: { tags, querystring: AuditQuery, response: { 200: Type.Object({ entries: Type.Array(AuditEntry) }) } } }, async (req) => {
    const q = req.query;
    return {
      entries: await listAudit(db, {
        actor: q.actor,
        action: q.action,
        targetType: q.targetType,
        targetId: q.targetId,
        sinceMs: q.since ? Date.parse(q.since) : undefined,
        beforeId: q.beforeId,
        limit: q.limit,
      }),
    };
  });
}
