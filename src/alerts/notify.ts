/**
 * Notifications. A state change writes one outbox row per channel in the same transaction as the change, so a
 * notification is never forgotten and a down receiver never holds up evaluation. The dispatcher sends due rows in
 * the background: a POST with a timeout, exponential backoff between attempts, every attempt in the delivery log,
 * and the row marked delivered or failed. Rows are claimed with a lease, so several processes can dispatch.
 */
import { createHmac } from 'node:crypto';
import type { Kysely } from 'kysely';
import { isoOf } from '../core/clock.js';
import { invalid } from '../core/errors.js';
import type { SecretBox } from '../core/secrets.js';
import type { AlertChannelRow, AlertNotificationRow, DB } from '../db/schema.js';
import { openChannel } from './channel-secrets.js';

export type ChannelType = 'webhook' | 'slack';
export const CHANNEL_TYPES: readonly ChannelType[] = ['webhook', 'slack'];

/** The webhook body; Slack's message is made from it. */
export interface AlertNotice {
  alert: {
    id: string;
    rule: string;
    signal: string;
    state: string;
    labels: Record<string, string>;
    value: number | null;
    op: string;
    threshold: number;
    severity: string;
    description: string | null;
    startsAt: string | null;
    endsAt?: string;
  };
  status: 'firing' | 'resolved';
  rule: string;
  labels: Record<string, string>;
  /** Notes from the latest sample: `where` (worst segments), `report` (a link). */
  annotations?: Record<string, string>;
  value: number | null;
  threshold: number;
  severity: string;
  startsAt: string | null;
  endsAt?: string;
  summary: string;
  /** Only on `slipway alerts channels test`. */
  test?: true;
}

/** Only http(s) URLs: anything else is a 400. */
export function checkChannelUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw invalid(`Invalid channel URL "${url}": give an absolute http:// or https:// URL.`, { field: 'url' });
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw invalid(`Channel URL must be http:// or https://, got ${u.protocol}//.`, { field: 'url' });
  return u.toString();
}

/** `sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">`: what a receiver recomputes to trust the body. */
export const signatureOf = (secret: string, timestamp: string, body: string): string => `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;

const labelText = (labels: Record<string, string>): string => {
  const parts = Object.entries(labels).map(([k, v]) => `${k}=${v}`);
  return parts.length > 0 ? parts.join(', ') : 'no labels';
};

export function summaryOf(n: { status: 'firing' | 'resolved'; rule: string; signal: string; labels: Record<string, string>; value: number | null; op: string; threshold: number; severity: string }): string {
  const v = n.value === null ? 'n/a' : String(Number(n.value.toPrecision(6)));
  return n.status === 'firing'
    ? `[${n.severity.toUpperCase()}] ${n.rule} firing: ${n.signal} = ${v} ${n.op} ${n.threshold} (${labelText(n.labels)})`
    : `[RESOLVED] ${n.rule}: ${n.signal} = ${v}, no longer ${n.op} ${n.threshold} (${labelText(n.labels)})`;
}

/** A Slack incoming-webhook message: a one-line `text` (notifications, fallbacks) and blocks to read. */
export function slackMessage(n: AlertNotice): { text: string; blocks: unknown[] } {
  const icon = n.status === 'resolved' ? ':white_check_mark:' : n.severity === 'critical' ? ':rotating_light:' : n.severity === 'warning' ? ':warning:' : ':information_source:';
  const fields = [
    { type: 'mrkdwn', text: `*Rule*\n${n.rule}` },
    { type: 'mrkdwn', text: `*Severity*\n${n.severity}` },
    { type: 'mrkdwn', text: `*Value*\n${n.value === null ? 'n/a' : Number(n.value.toPrecision(6))} (${n.alert.op} ${n.threshold})` },
    { type: 'mrkdwn', text: `*Labels*\n${labelText(n.labels)}` },
    ...(n.startsAt ? [{ type: 'mrkdwn', text: `*Since*\n${n.startsAt}` }] : []),
    ...(n.endsAt ? [{ type: 'mrkdwn', text: `*Resolved*\n${n.endsAt}` }] : []),
    ...(n.annotations?.where ? [{ type: 'mrkdwn', text: `*Where to look*\n${n.annotations.where}` }] : []),
  ];
  return {
    text: `${icon} ${n.summary}`,
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: `${n.status === 'resolved' ? 'Resolved' : 'Firing'}: ${n.rule}`.slice(0, 150) } },
      { type: 'section', text: { type: 'mrkdwn', text: `${icon} ${n.summary}` } },
      { type: 'section', fields },
      ...(n.alert.description ? [{ type: 'context', elements: [{ type: 'mrkdwn', text: n.alert.description.slice(0, 2000) }] }] : []),
      { type: 'context', elements: [{ type: 'mrkdwn', text: `Slipway alert \`${n.alert.id}\` · \`slipway alerts show ${n.alert.id}\`` }] },
    ],
  };
}

export interface AttemptResult {
  ok: boolean;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
}

/** One POST of a notice to a channel. Never throws. */
export async function sendNotice(channel: Pick<AlertChannelRow, 'type' | 'url' | 'secret'>, notice: AlertNotice, timeoutMs: number): Promise<AttemptResult> {
  const started = performance.now();
  const body = JSON.stringify(channel.type === 'slack' ? slackMessage(notice) : notice);
  const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'slipway-alerts' };
  if (channel.type === 'webhook') {
    const timestamp = String(Math.floor(Date.now() / 1000));
    headers['x-slipway-timestamp'] = timestamp;
    if (channel.secret) headers['x-slipway-signature'] = signatureOf(channel.secret, timestamp, body);
  }
  try {
    const res = await fetch(channel.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' });
    await res.arrayBuffer().catch(() => undefined);
    const ok = res.status >= 200 && res.status < 300;
    return { ok, statusCode: res.status, error: ok ? null : `HTTP ${res.status}`, durationMs: performance.now() - started };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    const message = e.name === 'TimeoutError' ? `timed out after ${timeoutMs} ms` : (e.cause?.code ?? e.cause?.message ?? e.message);
    return { ok: false, statusCode: null, error: String(message).slice(0, 500), durationMs: performance.now() - started };
  }
}

export interface DispatcherOptions {
  /** Attempts after the first (default 5: six in all). */
  retries?: number;
  /** Wait before the first retry; doubled each time (default 1000 ms). */
  backoffMs?: number;
  /** Per attempt (default 5000 ms). */
  timeoutMs?: number;
  /** How often due rows are looked for (default 1000 ms). */
  pollMs?: number;
}

const MAX_BACKOFF_MS = 3_600_000;

export class Dispatcher {
  readonly retries: number;
  readonly backoffMs: number;
  readonly timeoutMs: number;
  readonly pollMs: number;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;
  private again = false;
  private closed = false;
  /** The last error of a background pass (the store was down, ...): the next pass retries. */
  lastError: unknown = null;

  constructor(
    private readonly db: Kysely<DB>,
    /** Opens the channels' sealed URLs and keys, only to send. */
    private readonly secrets: SecretBox,
    options: DispatcherOptions = {},
    private readonly now: () => number = Date.now,
    /** Runs with every background pass (the engine retries actions left pending). */
    private readonly onPoll: () => Promise<void> = async () => {},
  ) {
    this.retries = options.retries ?? 5;
    this.backoffMs = options.backoffMs ?? 1000;
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.pollMs = options.pollMs ?? 1000;
  }

  start(): void {
    if (this.timer || this.closed) return;
    this.timer = setInterval(() => this.kick(), this.pollMs);
    this.timer.unref();
    this.kick();
  }

  get started(): boolean {
    return this.timer !== null;
  }

  /** Runs a pass now (or right after the one running). Never throws. */
  kick(): void {
    if (this.closed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    void this.pass().catch((e: unknown) => (this.lastError = e));
  }

  private pass(): Promise<number> {
    this.running ??= (async () => {
      let sent = 0;
      try {
        do {
          this.again = false;
          await this.onPoll().catch((e: unknown) => (this.lastError = e));
          sent += await this.dispatchDue();
        } while (this.again && !this.closed);
      } finally {
        this.running = null;
      }
      return sent;
    })();
    return this.running;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => 0);
  }

  /** Sends every due row once; returns how many attempts were made. */
  async dispatchDue(limit = 50): Promise<number> {
    const now = this.now();
    // Per alert and channel, notifications go out in order: one waiting out its backoff holds back the later ones
    // (a "resolved" never overtakes its "firing").
    const pending = await this.db.selectFrom('alert_notifications').select(['id', 'alert_id', 'channel', 'next_attempt_at']).where('state', '=', 'pending').orderBy('id').limit(1000).execute();
    const first = new Set<string>();
    const dueIds: number[] = [];
    for (const p of pending) {
      const key = p.alert_id === null ? `#${p.id}` : `${p.alert_id}\n${p.channel}`;
      if (first.has(key)) continue;
      first.add(key);
      if (Number(p.next_attempt_at) <= now && dueIds.length < limit) dueIds.push(Number(p.id));
    }
    if (dueIds.length === 0) return 0;
    const due = await this.db.selectFrom('alert_notifications').selectAll().where('id', 'in', dueIds).where('state', '=', 'pending').orderBy('id').execute();
    const claimed: AlertNotificationRow[] = [];
    for (const row of due) {
      // A lease: another dispatcher seeing the row now finds it not due.
      const res = await this.db
        .updateTable('alert_notifications')
        .set({ next_attempt_at: now + this.timeoutMs + 5000 })
        .where('id', '=', row.id)
        .where('state', '=', 'pending')
        .where('next_attempt_at', '=', row.next_attempt_at)
        .executeTakeFirst();
      if (Number(res.numUpdatedRows) === 1) claimed.push(row as unknown as AlertNotificationRow);
    }
    await Promise.all(claimed.map((row) => this.attempt(row)));
    return claimed.length;
  }

  /** Dispatches until nothing is pending (waiting out backoffs), or the time is up; returns whether all settled. */
  async drain(timeoutMs = 30_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      await this.dispatchDue();
      const next = await this.db.selectFrom('alert_notifications').select((eb) => eb.fn.min('next_attempt_at').as('t')).where('state', '=', 'pending').executeTakeFirst();
      if (next?.t === null || next?.t === undefined) return true;
      const wait = Math.max(5, Math.min(Number(next.t) - this.now(), deadline - Date.now()));
      await new Promise((r) => setTimeout(r, wait));
    }
    return false;
  }

  private async attempt(row: AlertNotificationRow): Promise<AttemptResult> {
    const id = Number(row.id);
    const channel = await this.db.selectFrom('alert_channels').selectAll().where('name', '=', row.channel).executeTakeFirst();
    const attempt = row.attempts + 1;
    const result: AttemptResult = channel ? await this.send(channel, JSON.parse(row.payload) as AlertNotice) : { ok: false, statusCode: null, error: `channel "${row.channel}" no longer exists`, durationMs: 0 };
    const at = this.now();
    const last = !channel || attempt >= this.retries + 1;
    await this.db.transaction().execute(async (trx) => {
      await trx.insertInto('alert_deliveries').values({ notification_id: id, attempt, at, status_code: result.statusCode, error: result.error, ok: result.ok ? 1 : 0, duration_ms: result.durationMs }).execute();
      await trx
        .updateTable('alert_notifications')
        .set(
          result.ok
            ? { state: 'delivered', attempts: attempt, last_error: null, finished_at: at }
            : last
              ? { state: 'failed', attempts: attempt, last_error: result.error, finished_at: at }
              : { attempts: attempt, last_error: result.error, next_attempt_at: at + Math.min(MAX_BACKOFF_MS, this.backoffMs * 2 ** (attempt - 1)) },
        )
        .where('id', '=', id)
        .execute();
    });
    return result;
  }

  /** Opens the stored channel's secrets and sends; a secret this key cannot open is a failed attempt, not a crash. */
  private async send(stored: AlertChannelRow, notice: AlertNotice): Promise<AttemptResult> {
    let channel: AlertChannelRow;
    try {
      channel = openChannel(stored, this.secrets);
    } catch (err) {
      return { ok: false, statusCode: null, error: (err as Error).message, durationMs: 0 };
    }
    return sendNotice(channel, notice, this.timeoutMs);
  }

  /** Sends one notice now, once, and records it (a channel test); `channel` is the stored row. */
  async sendOnce(channel: AlertChannelRow, notice: AlertNotice): Promise<{ notificationId: number; result: AttemptResult }> {
    const now = this.now();
    const inserted = await this.db
      .insertInto('alert_notifications')
      .values({ alert_id: null, event_id: null, channel: channel.name, status: 'test', payload: JSON.stringify(notice), state: 'pending', attempts: 0, next_attempt_at: now + this.timeoutMs + 5000, last_error: null, created_at: now, finished_at: null })
      .returning('id')
      .executeTakeFirstOrThrow();
    const notificationId = Number(inserted.id);
    // One attempt only: a test reports what happened instead of retrying.
    const result = await this.send(channel, notice);
    const at = this.now();
    await this.db.transaction().execute(async (trx) => {
      await trx.insertInto('alert_deliveries').values({ notification_id: notificationId, attempt: 1, at, status_code: result.statusCode, error: result.error, ok: result.ok ? 1 : 0, duration_ms: result.durationMs }).execute();
      await trx.updateTable('alert_notifications').set({ state: result.ok ? 'delivered' : 'failed', attempts: 1, last_error: result.error, finished_at: at }).where('id', '=', notificationId).execute();
    });
    return { notificationId, result };
  }
}

/** A test notice for a channel. */
export function testNotice(channelName: string, now: number): AlertNotice {
  const labels = { channel: channelName };
  const base = { status: 'firing' as const, rule: 'slipway-test', signal: 'test', labels, value: 1, op: '>', threshold: 0, severity: 'info' };
  const summary = `Test notification from Slipway to channel "${channelName}": if you read this, alerts reach you.`;
  return {
    alert: { id: 'test', rule: base.rule, signal: base.signal, state: 'firing', labels, value: 1, op: '>', threshold: 0, severity: 'info', description: null, startsAt: isoOf(now) },
    status: 'firing',
    rule: base.rule,
    labels,
    value: 1,
    threshold: 0,
    severity: 'info',
    startsAt: isoOf(now),
    summary,
    test: true,
  };
}
