/**
 * Alerting's stored objects: rules, alerts with their history, silences, channels and the delivery log. Every change
 * is audited in its own transaction.
 */
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { recordAudit } from '../access/audit.js';
import type { Actor } from '../core/actor.js';
import { isoOf, nowMs } from '../core/clock.js';
import { alreadyExists, invalid, invalidState, notFound } from '../core/errors.js';
import type { SecretBox } from '../core/secrets.js';
import type { AlertChannelRow, AlertRow, AlertRuleRow, AlertSilenceRow, DB } from '../db/schema.js';
import { openChannel, sealChannel } from './channel-secrets.js';
import type { ActionOutcome, AlertState } from './engine.js';
import { checkChannelUrl, CHANNEL_TYPES, type ChannelType } from './notify.js';
import { CHANNEL_NAME, checkRuleName, validateRule, type RuleSpec } from './rules.js';
import { listSignals } from './signals.js';

// ---------------------------------------------------------------- rules

export interface StoredRule extends RuleSpec {
  createdAt: string;
  updatedAt: string;
  createdBy: string;
}

const toRule = (r: AlertRuleRow): StoredRule => ({ ...(JSON.parse(r.spec) as RuleSpec), createdAt: isoOf(Number(r.created_at))!, updatedAt: isoOf(Number(r.updated_at))!, createdBy: r.created_by });

export async function listRules(db: Kysely<DB>): Promise<StoredRule[]> {
  return (await db.selectFrom('alert_rules').selectAll().orderBy('name').execute()).map(toRule);
}

export async function getRule(db: Kysely<DB>, name: string): Promise<StoredRule> {
  const r = await db.selectFrom('alert_rules').selectAll().where('name', '=', name).executeTakeFirst();
  if (!r) throw notFound(`No alert rule named "${name}". \`slipway alerts rules list\` shows the rules.`);
  return toRule(r);
}

async function checkChannelsExist(db: Kysely<DB>, channels: string[]): Promise<void> {
  if (channels.length === 0) return;
  const known = new Set((await db.selectFrom('alert_channels').select('name').where('name', 'in', channels).execute()).map((c) => c.name));
  const missing = channels.filter((c) => !known.has(c));
  if (missing.length > 0) throw invalid(`No notification channel named ${missing.map((m) => `"${m}"`).join(', ')}; add it first with \`slipway alerts channels add\`.`, { field: 'channels', missing });
}

/**
 * Stores a rule. `mode`: create refuses an existing name (409), replace needs one (404), upsert does either.
 * Alerts of a replaced rule keep their state and follow the new condition from the next sample.
 */
export async function saveRule(db: Kysely<DB>, actor: Actor, input: unknown, mode: 'create' | 'replace' | 'upsert'): Promise<{ rule: StoredRule; created: boolean }> {
  const spec = validateRule(input);
  await checkChannelsExist(db, spec.channels);
  const now = nowMs();
  return db.transaction().execute(async (trx) => {
    const existing = await trx.selectFrom('alert_rules').selectAll().where('name', '=', spec.name).executeTakeFirst();
    if (existing && mode === 'create') throw alreadyExists(`An alert rule named "${spec.name}" already exists; PUT /api/v1/alerts/rules/${spec.name} replaces it.`);
    if (!existing && mode === 'replace') throw notFound(`No alert rule named "${spec.name}".`);
    const row: AlertRuleRow = { name: spec.name, spec: JSON.stringify(spec), signal: spec.signal, enabled: spec.enabled ? 1 : 0, created_at: existing ? Number(existing.created_at) : now, updated_at: now, created_by: existing?.created_by ?? actor.name };
    if (existing) await trx.updateTable('alert_rules').set({ spec: row.spec, signal: row.signal, enabled: row.enabled, updated_at: now }).where('name', '=', spec.name).execute();
    else await trx.insertInto('alert_rules').values(row).execute();
    await recordAudit(trx, actor, { action: existing ? 'alert_rule.update' : 'alert_rule.create', targetType: 'alert_rule', targetId: spec.name, ...(existing ? { before: JSON.parse(existing.spec) } : {}), after: spec });
    return { rule: toRule(row), created: !existing };
  });
}

/** Deletes a rule; its pending alerts become inactive and its firing ones resolved (recorded, not notified). */
export async function deleteRule(db: Kysely<DB>, actor: Actor, name: string): Promise<void> {
  const now = nowMs();
  await db.transaction().execute(async (trx) => {
    const existing = await trx.selectFrom('alert_rules').selectAll().where('name', '=', name).executeTakeFirst();
    if (!existing) throw notFound(`No alert rule named "${name}".`);
    await trx.deleteFrom('alert_rules').where('name', '=', name).execute();
    const open = await trx.selectFrom('alerts').selectAll().where('rule', '=', name).where('state', 'in', ['pending', 'firing']).execute();
    for (const a of open) {
      const to: AlertState = a.state === 'firing' ? 'resolved' : 'inactive';
      await trx.updateTable('alerts').set({ state: to, state_since: now, breaches: 0, breach_since: null, updated_at: now, ...(to === 'resolved' ? { resolved_at: now } : {}) }).where('id', '=', a.id).execute();
      await trx.insertInto('alert_events').values({ alert_id: a.id, rule: name, from_state: a.state, to_state: to, value: a.value, at: now, recorded_at: now, silenced: 0, note: 'rule deleted' }).execute();
    }
    await recordAudit(trx, actor, { action: 'alert_rule.delete', targetType: 'alert_rule', targetId: name, before: JSON.parse(existing.spec) });
  });
}

// ---------------------------------------------------------------- alerts

export interface AlertInfo {
  id: string;
  rule: string;
  labels: Record<string, string>;
  state: AlertState;
  severity: string;
  value: number | null;
  threshold: number;
  /** Consecutive breaching samples so far. */
  breaches: number;
  /** When the current state began (sample time). */
  since: string;
  startedAt: string | null;
  resolvedAt: string | null;
  lastSampleAt: string;
  /** Whether a silence matched when it last started firing. */
  silenced: boolean;
  action: (Omit<ActionOutcome, 'at'> & { at: string | null; pending?: boolean }) | null;
  /** Notes from the latest sample: `where` (the segments the problem concentrates in), `report`. */
  annotations: Record<string, string>;
  updatedAt: string;
}

export interface AlertEvent {
  id: number;
  from: string;
  to: string;
  value: number | null;
  at: string;
  recordedAt: string;
  silenced: boolean;
  note: string | null;
}

function toAlert(r: AlertRow): AlertInfo {
  let action: AlertInfo['action'] = null;
  if (r.action) {
    const a = JSON.parse(r.action) as Partial<ActionOutcome> & { deployment: string | null };
    action = r.action_state === 'done' ? { type: 'rollback', deployment: a.deployment ?? null, at: isoOf(a.at ?? null), ok: a.ok ?? false, message: a.message ?? '' } : { type: 'rollback', deployment: a.deployment ?? null, at: null, ok: false, message: r.action_state === 'running' ? 'running' : 'pending', pending: true };
  }
  return {
    id: r.id,
    rule: r.rule,
    labels: JSON.parse(r.labels) as Record<string, string>,
    state: r.state,
    severity: r.severity,
    value: r.value === null ? null : Number(r.value),
    threshold: Number(r.threshold),
    breaches: Number(r.breaches),
    since: isoOf(Number(r.state_since))!,
    startedAt: isoOf(r.started_at === null ? null : Number(r.started_at)),
    resolvedAt: isoOf(r.resolved_at === null ? null : Number(r.resolved_at)),
    lastSampleAt: isoOf(Number(r.last_sample_at))!,
    silenced: Number(r.silenced) === 1,
    action,
    annotations: r.annotations ? (JSON.parse(r.annotations) as Record<string, string>) : {},
    updatedAt: isoOf(Number(r.updated_at))!,
  };
}

export interface AlertQuery {
  state?: AlertState[];
  severity?: string[];
  rule?: string;
  limit?: number;
}

/** Alerts, most recently changed first; by default every one but the inactive. */
export async function listAlerts(db: Kysely<DB>, q: AlertQuery = {}): Promise<AlertInfo[]> {
  let query = db.selectFrom('alerts').selectAll();
  query = q.state && q.state.length > 0 ? query.where('state', 'in', q.state) : query.where('state', '!=', 'inactive');
  if (q.severity && q.severity.length > 0) query = query.where('severity', 'in', q.severity);
  if (q.rule) query = query.where('rule', '=', q.rule);
  const rows = await query.orderBy('updated_at', 'desc').orderBy('id').limit(q.limit ?? 500).execute();
  return rows.map(toAlert);
}

export async function getAlert(db: Kysely<DB>, id: string): Promise<{ alert: AlertInfo; history: AlertEvent[] }> {
  const r = await db.selectFrom('alerts').selectAll().where('id', '=', id).executeTakeFirst();
  if (!r) throw notFound(`No alert with id "${id}". \`slipway alerts list\` shows the alerts.`);
  const events = await db.selectFrom('alert_events').selectAll().where('alert_id', '=', id).orderBy('id', 'desc').limit(1000).execute();
  return {
    alert: toAlert(r),
    history: events.map((e) => ({ id: Number(e.id), from: e.from_state, to: e.to_state, value: e.value === null ? null : Number(e.value), at: isoOf(Number(e.at))!, recordedAt: isoOf(Number(e.recorded_at))!, silenced: Number(e.silenced) === 1, note: e.note })),
  };
}

// ---------------------------------------------------------------- silences

export interface Silence {
  id: string;
  rule: string | null;
  labels: Record<string, string>;
  startsAt: string;
  endsAt: string;
  comment: string;
  createdBy: string;
  createdAt: string;
  expiredBy: string | null;
  active: boolean;
}

export interface SilenceInput {
  rule?: string;
  labels?: Record<string, string>;
  /** ISO 8601; default now. */
  startsAt?: string;
  /** ISO 8601; or give durationSeconds. */
  endsAt?: string;
  durationSeconds?: number;
  comment: string;
}

const toSilence = (s: AlertSilenceRow, now: number): Silence => ({
  id: s.id,
  rule: s.rule,
  labels: JSON.parse(s.labels) as Record<string, string>,
  startsAt: isoOf(Number(s.starts_at))!,
  endsAt: isoOf(Number(s.ends_at))!,
  comment: s.comment,
  createdBy: s.created_by,
  createdAt: isoOf(Number(s.created_at))!,
  expiredBy: s.expired_by,
  active: Number(s.starts_at) <= now && now < Number(s.ends_at),
});

const timeOf = (iso: string, field: string): number => {
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) throw invalid(`${field} must be an ISO 8601 time, got "${iso}".`, { field });
  return t;
};

const MAX_SILENCE_MS = 366 * 86_400_000;

export async function createSilence(db: Kysely<DB>, actor: Actor, input: SilenceInput): Promise<Silence> {
  const labels = input.labels ?? {};
  if (input.rule === undefined && Object.keys(labels).length === 0) throw invalid('A silence needs a rule and/or labels to match; silencing everything is not allowed.', { field: 'rule' });
  if (input.rule !== undefined) checkRuleName(input.rule, 'rule');
  const known = [...new Set(listSignals().flatMap((s) => s.labels))].sort();
  for (const [k, v] of Object.entries(labels)) {
    if (!known.includes(k)) throw invalid(`Unknown label "${k}" in the silence; signals carry ${known.join(', ')}.`, { field: `labels.${k}` });
    if (typeof v !== 'string' || v.length === 0) throw invalid(`Label "${k}" of the silence must be a non-empty string.`, { field: `labels.${k}` });
  }
  if (typeof input.comment !== 'string' || input.comment.trim() === '') throw invalid('A silence needs a comment saying why.', { field: 'comment' });
  const now = nowMs();
  const startsAt = input.startsAt !== undefined ? timeOf(input.startsAt, 'startsAt') : now;
  if ((input.endsAt === undefined) === (input.durationSeconds === undefined)) throw invalid('Give endsAt or durationSeconds (one of them).', { field: 'endsAt' });
  const endsAt = input.endsAt !== undefined ? timeOf(input.endsAt, 'endsAt') : startsAt + input.durationSeconds! * 1000;
  if (!(endsAt > startsAt)) throw invalid('A silence must end after it starts.', { field: 'endsAt' });
  if (endsAt <= now) throw invalid('That silence would already be over.', { field: 'endsAt' });
  if (endsAt - startsAt > MAX_SILENCE_MS) throw invalid('A silence lasts at most a year.', { field: 'endsAt' });
  const row: AlertSilenceRow = { id: randomBytes(8).toString('hex'), rule: input.rule ?? null, labels: JSON.stringify(labels), starts_at: startsAt, ends_at: endsAt, comment: input.comment.trim(), created_by: actor.name, created_at: now, expired_by: null };
  return db.transaction().execute(async (trx) => {
    await trx.insertInto('alert_silences').values(row).execute();
    const silence = toSilence(row, now);
    await recordAudit(trx, actor, { action: 'alert_silence.create', targetType: 'alert_silence', targetId: row.id, after: silence });
    return silence;
  });
}

/** Active and future silences, or with `all` the expired ones too; newest first. */
export async function listSilences(db: Kysely<DB>, all = false): Promise<Silence[]> {
  const now = nowMs();
  let q = db.selectFrom('alert_silences').selectAll();
  if (!all) q = q.where('ends_at', '>', now);
  return (await q.orderBy('created_at', 'desc').limit(1000).execute()).map((s) => toSilence(s, now));
}

/** Ends a silence now. */
export async function expireSilence(db: Kysely<DB>, actor: Actor, id: string): Promise<Silence> {
  const now = nowMs();
  return db.transaction().execute(async (trx) => {
    const s = await trx.selectFrom('alert_silences').selectAll().where('id', '=', id).executeTakeFirst();
    if (!s) throw notFound(`No silence with id "${id}".`);
    if (Number(s.ends_at) <= now) throw invalidState(`Silence ${id} already ended at ${isoOf(Number(s.ends_at))}.`);
    const endsAt = Math.max(now, Number(s.starts_at));
    await trx.updateTable('alert_silences').set({ ends_at: endsAt, expired_by: actor.name }).where('id', '=', id).execute();
    const after = toSilence({ ...s, ends_at: endsAt, expired_by: actor.name }, now + 1);
    await recordAudit(trx, actor, { action: 'alert_silence.expire', targetType: 'alert_silence', targetId: id, before: toSilence(s, now), after });
    return after;
  });
}

// ---------------------------------------------------------------- channels

export interface Channel {
  name: string;
  type: ChannelType;
  url: string;
  /** Never the secret itself. */
  secret: '***' | null;
  createdAt: string;
  createdBy: string;
}

/** Slack webhook URLs are secrets themselves: only their origin is shown. Never shows the signing key. */
const shownUrl = (c: AlertChannelRow, box: SecretBox): string => {
  let url: string;
  try {
    url = openChannel({ ...c, secret: null }, box).url;
  } catch {
    return '***';
  }
  // A Slack URL is itself the credential; a webhook's path is not, but a token may ride in its query or user info.
  const u = new URL(url);
  if (c.type === 'slack') return `${u.origin}/***`;
  return `${u.protocol}//${u.username || u.password ? '***@' : ''}${u.host}${u.pathname}${u.search ? '?***' : ''}`;
};

export const toChannel = (c: AlertChannelRow, box: SecretBox): Channel => ({ name: c.name, type: c.type, url: shownUrl(c, box), secret: c.secret ? '***' : null, createdAt: isoOf(Number(c.created_at))!, createdBy: c.created_by });

export interface ChannelInput {
  name: string;
  type: string;
  url: string;
  secret?: string;
}

export async function createChannel(db: Kysely<DB>, actor: Actor, input: ChannelInput, box: SecretBox): Promise<Channel> {
  if (!CHANNEL_NAME.test(input.name)) throw invalid(`Invalid channel name "${input.name}": use 1-100 letters, digits, dots, dashes and underscores.`, { field: 'name' });
  if (!(CHANNEL_TYPES as readonly string[]).includes(input.type)) throw invalid(`Channel type must be ${CHANNEL_TYPES.join(' or ')}, got "${input.type}".`, { field: 'type' });
  const url = checkChannelUrl(input.url);
  if (input.secret !== undefined && input.type !== 'webhook') throw invalid('Only webhook channels take a secret (Slack URLs carry their own).', { field: 'secret' });
  const row = sealChannel({ name: input.name, type: input.type as ChannelType, url, secret: input.secret ?? null, created_at: nowMs(), created_by: actor.name }, box);
  return db.transaction().execute(async (trx) => {
    const existing = await trx.selectFrom('alert_channels').select('name').where('name', '=', input.name).executeTakeFirst();
    if (existing) throw alreadyExists(`A channel named "${input.name}" already exists; delete it first to change it.`);
    await trx.insertInto('alert_channels').values(row).execute();
    const channel = toChannel(row, box);
    await recordAudit(trx, actor, { action: 'alert_channel.create', targetType: 'alert_channel', targetId: row.name, after: channel });
    return channel;
  });
}

export async function listChannels(db: Kysely<DB>, box: SecretBox): Promise<Channel[]> {
  return (await db.selectFrom('alert_channels').selectAll().orderBy('name').execute()).map((c) => toChannel(c, box));
}

/** The stored row, secrets still sealed (`openChannel` opens them). */
export async function getChannelRow(db: Kysely<DB>, name: string): Promise<AlertChannelRow> {
  const c = await db.selectFrom('alert_channels').selectAll().where('name', '=', name).executeTakeFirst();
  if (!c) throw notFound(`No notification channel named "${name}". \`slipway alerts channels list\` shows them.`);
  return c;
}

/** Seals channel URLs and keys stored in clear by versions before secrets were encrypted; returns how many rows. */
export async function sealStoredChannels(db: Kysely<DB>, box: SecretBox): Promise<number> {
  let sealed = 0;
  for (const row of await db.selectFrom('alert_channels').selectAll().execute()) {
    const next = sealChannel(row, box);
    if (next.url === row.url && next.secret === row.secret) continue;
    // Compare-and-set on the stored values: a replica sealing the same row at once leaves one sealed value.
    const res = await db
      .updateTable('alert_channels')
      .set({ url: next.url, secret: next.secret })
      .where('name', '=', row.name)
      .where('url', '=', row.url)
      .where((eb) => (row.secret === null ? eb('secret', 'is', null) : eb('secret', '=', row.secret)))
      .executeTakeFirst();
    sealed += Number(res.numUpdatedRows);
  }
  return sealed;
}

/** Deletes a channel no rule uses; pending notifications to it then fail. */
export async function deleteChannel(db: Kysely<DB>, actor: Actor, name: string, box: SecretBox): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const c = await trx.selectFrom('alert_channels').selectAll().where('name', '=', name).executeTakeFirst();
    if (!c) throw notFound(`No notification channel named "${name}".`);
    const users = (await trx.selectFrom('alert_rules').select(['name', 'spec']).execute()).filter((r) => (JSON.parse(r.spec) as RuleSpec).channels.includes(name)).map((r) => r.name);
    if (users.length > 0) throw invalidState(`Channel "${name}" is used by rule${users.length > 1 ? 's' : ''} ${users.join(', ')}; remove it from them first.`, { rules: users });
    await trx.deleteFrom('alert_channels').where('name', '=', name).execute();
    await recordAudit(trx, actor, { action: 'alert_channel.delete', targetType: 'alert_channel', targetId: name, before: toChannel(c, box) });
  });
}

// ---------------------------------------------------------------- delivery log

export interface Delivery {
  id: number;
  alertId: string | null;
  channel: string;
  status: string;
  state: 'pending' | 'delivered' | 'failed';
  attempts: { attempt: number; at: string; statusCode: number | null; error: string | null; ok: boolean; durationMs: number }[];
  lastError: string | null;
  nextAttemptAt: string | null;
  createdAt: string;
  finishedAt: string | null;
}

export async function listDeliveries(db: Kysely<DB>, q: { alert?: string; channel?: string; limit?: number } = {}): Promise<Delivery[]> {
  let query = db.selectFrom('alert_notifications').selectAll();
  if (q.alert) query = query.where('alert_id', '=', q.alert);
  if (q.channel) query = query.where('channel', '=', q.channel);
  const rows = await query.orderBy('id', 'desc').limit(q.limit ?? 100).execute();
  const ids = rows.map((r) => Number(r.id));
  const attempts = ids.length > 0 ? await db.selectFrom('alert_deliveries').selectAll().where('notification_id', 'in', ids).orderBy('notification_id').orderBy('attempt').execute() : [];
  return rows.map((r) => ({
    id: Number(r.id),
    alertId: r.alert_id,
    channel: r.channel,
    status: r.status,
    state: r.state,
    attempts: attempts
      .filter((a) => Number(a.notification_id) === Number(r.id))
      .map((a) => ({ attempt: Number(a.attempt), at: isoOf(Number(a.at))!, statusCode: a.status_code === null ? null : Number(a.status_code), error: a.error, ok: Number(a.ok) === 1, durationMs: Math.round(Number(a.duration_ms) * 10) / 10 })),
    lastError: r.last_error,
    nextAttemptAt: r.state === 'pending' ? isoOf(Number(r.next_attempt_at)) : null,
    createdAt: isoOf(Number(r.created_at))!,
    finishedAt: isoOf(r.finished_at === null ? null : Number(r.finished_at)),
  }));
}
