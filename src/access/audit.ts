import type { Kysely } from 'kysely';
import type { Actor } from '../core/actor.js';
import { nowMs, isoOf } from '../core/clock.js';
import type { DB } from '../db/schema.js';

export interface AuditChange {
  action: string;
  targetType: string;
  targetId: string;
  before?: unknown;
  after?: unknown;
}

/** Writes one audit entry. Call it with the transaction that makes the change, so both commit or neither. */
export async function recordAudit(trx: Kysely<DB>, actor: Actor, change: AuditChange): Promise<void> {
  await trx
    .insertInto('audit_log')
    .values({
      at: nowMs(),
      actor: actor.name,
      action: change.action,
      target_type: change.targetType,
      target_id: change.targetId,
      before: change.before === undefined ? null : JSON.stringify(change.before),
      after: change.after === undefined ? null : JSON.stringify(change.after),
    })
    .execute();
}

export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  action: string;
  targetType: string;
  targetId: string;
  before: unknown;
  after: unknown;
}

export interface AuditQuery {
  actor?: string;
  action?: string;
  targetType?: string;
  targetId?: string;
  /** Entries with id below this (for paging backwards). */
  beforeId?: number;
  sinceMs?: number;
  limit?: number;
}

/** Newest first. */
export async function listAudit(db: Kysely<DB>, q: AuditQuery): Promise<AuditEntry[]> {
  let query = db.selectFrom('audit_log').selectAll();
  if (q.actor) query = query.where('actor', '=', q.actor);
  if (q.action) query = query.where('action', '=', q.action);
  if (q.targetType) query = query.where('target_type', '=', q.targetType);
  if (q.targetId) query = query.where('target_id', '=', q.targetId);
  if (q.beforeId !== undefined) query = query.where('id', '<', q.beforeId);
  if (q.sinceMs !== undefined) query = query.where('at', '>=', q.sinceMs);
  const rows = await query.orderBy('id', 'desc').limit(q.limit ?? 100).execute();
  return rows.map((r) => ({
    id: r.id,
    at: isoOf(r.at)!,
    actor: r.actor,
    action: r.action,
    targetType: r.target_type,
    targetId: r.target_id,
    before: r.before === null ? null : JSON.parse(r.before),
    after: r.after === null ? null : JSON.parse(r.after),
  }));
}
