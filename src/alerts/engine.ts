/**
 * The alert engine: applies signal samples to the rules watching them and moves each alert instance (one per rule
 * and label set, identified by their fingerprint) through inactive → pending → firing → resolved, recording every
 * transition, writing the notifications of a transition to the outbox in the same transaction, and running a rule's
 * rollback action once when its alert starts firing.
 *
 * Choices:
 * - `value: null` (not enough data in the window) changes nothing: it neither breaches, nor ends a breach streak,
 *   nor resolves a firing alert, and is not recorded as the alert's latest sample. NaN and ±Infinity count as null.
 * - A sample no newer than the alert's latest applied sample is ignored: evaluating the same samples twice is a no-op
 *   (and late, out-of-order samples are dropped).
 * - Pending that stops breaching goes back to inactive, without notifying; a resolved alert that breaches again is
 *   the same alert (same id), pending or firing again, with both episodes in its history.
 * - A silenced alert changes state and records it (marked silenced) but sends nothing and runs no action; its
 *   resolution is only announced when its firing was.
 * - Samples of a batch are applied in time order, in one transaction. Actions run after it commits.
 */
import { createHash } from 'node:crypto';
import { PostgresAdapter, type Kysely, type Transaction } from 'kysely';
import { isoOf } from '../core/clock.js';
import type { SecretBox } from '../core/secrets.js';
import type { AlertRow, AlertSilenceRow, DB } from '../db/schema.js';
import { Dispatcher, summaryOf, type AlertNotice, type DispatcherOptions } from './notify.js';
import { breaches, matches, type RuleSpec } from './rules.js';
import type { SignalSample } from './signals.js';

export type { SignalSample } from './signals.js';

export type AlertState = AlertRow['state'];

export interface AlertTransition {
  alertId: string;
  rule: string;
  labels: Record<string, string>;
  from: AlertState;
  to: AlertState;
  value: number | null;
  /** The sample's time. */
  at: number;
  severity: string;
  silenced: boolean;
}

export interface ActionOutcome {
  type: 'rollback';
  deployment: string | null;
  at: number;
  ok: boolean;
  message: string;
}

export interface AlertEngineOptions {
  /** Opens notification channels' sealed URLs and keys (the server's secret key). */
  secrets: SecretBox;
  rollback?: (deployment: string, reason: string) => Promise<void>;
  now?: () => number;
  dispatcher?: DispatcherOptions;
}

/** The alert id: a fingerprint of the rule name and the label set (key order does not matter). */
export function fingerprint(rule: string, labels: Record<string, string>): string {
  const canonical = JSON.stringify(Object.keys(labels).sort().map((k) => [k, labels[k]]));
  return createHash('sha256').update(`${rule}\n${canonical}`).digest('hex').slice(0, 20);
}

export const silenceMatches = (s: Pick<AlertSilenceRow, 'rule' | 'labels'>, rule: string, labels: Record<string, string>): boolean =>
  (s.rule === null || s.rule === rule) && Object.entries(JSON.parse(s.labels) as Record<string, string>).every(([k, v]) => labels[k] === v);

export async function loadRules(db: Kysely<DB>, enabledOnly: boolean): Promise<RuleSpec[]> {
  let q = db.selectFrom('alert_rules').select('spec').orderBy('name');
  if (enabledOnly) q = q.where('enabled', '=', 1);
  return (await q.execute()).map((r) => JSON.parse(r.spec) as RuleSpec);
}

export class AlertEngine {
  readonly dispatcher: Dispatcher;
  private readonly now: () => number;
  private readonly rollback: ((deployment: string, reason: string) => Promise<void>) | undefined;
  private readonly postgres: boolean;
  private readonly actions = new Set<Promise<unknown>>();

  constructor(
    private readonly db: Kysely<DB>,
    options: AlertEngineOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.rollback = options.rollback;
    this.postgres = db.getExecutor().adapter instanceof PostgresAdapter;
    this.dispatcher = new Dispatcher(db, options.secrets, options.dispatcher, this.now, () => this.runPendingActions());
  }

  /** Applies samples to every enabled rule whose signal and match fit; returns the transitions it made. Transactional per sample batch. */
  async evaluate(samples: SignalSample[]): Promise<AlertTransition[]> {
    const usable = samples
      .filter((s) => s.value !== null && typeof s.value === 'number' && Number.isFinite(s.value))
      .map((s, i) => ({ s, i }))
      .sort((a, b) => a.s.at - b.s.at || a.i - b.i)
      .map((x) => x.s);
    if (usable.length === 0) return [];
    const rules = (await loadRules(this.db, true)).filter((r) => usable.some((s) => s.signal === r.signal));
    if (rules.length === 0) return [];
    const now = this.now();
    const transitions: AlertTransition[] = [];
    const actionsDue: string[] = [];
    const notified = await this.db.transaction().execute(async (trx) => {
      const silences = await trx.selectFrom('alert_silences').selectAll().where('starts_at', '<=', now).where('ends_at', '>', now).execute();
      const channels = new Set((await trx.selectFrom('alert_channels').select('name').execute()).map((c) => c.name));
      const rows = new Map<string, AlertRow | null>();
      let outboxRows = 0;
      for (const sample of usable) {
        const labels = { ...sample.labels };
        for (const rule of rules) {
          if (rule.signal !== sample.signal || !matches(rule, labels)) continue;
          const id = fingerprint(rule.name, labels);
          if (!rows.has(id)) rows.set(id, await this.load(trx, id));
          const row = rows.get(id)!;
          if (row && sample.at <= row.last_sample_at) continue;
          const value = sample.value as number;
          const from: AlertState = row?.state ?? 'inactive';
          const breach = breaches(rule.op, value, rule.threshold);
          const streak = breach ? (row?.breaches ?? 0) + 1 : 0;
          const since = breach ? (row?.breaches ? (row.breach_since ?? sample.at) : sample.at) : null;
          let to: AlertState = from;
          if (breach) {
            if (from !== 'firing') {
              const met = streak >= rule.for.windows && sample.at - since! >= rule.for.seconds * 1000;
              to = met ? 'firing' : 'pending';
            }
          } else if (from === 'firing') to = 'resolved';
          else if (from === 'pending') to = 'inactive';

          const next: AlertRow = row
            ? { ...row }
            : { id, rule: rule.name, labels: JSON.stringify(labels), state: 'inactive', severity: rule.severity, value, threshold: rule.threshold, breaches: 0, breach_since: null, last_sample_at: sample.at, state_since: sample.at, started_at: null, resolved_at: null, silenced: 0, action_state: null, action: null, annotations: null, created_at: now, updated_at: now };
          Object.assign(next, { severity: rule.severity, threshold: rule.threshold, value, breaches: streak, breach_since: since, last_sample_at: sample.at, updated_at: now, annotations: sample.annotations ? JSON.stringify(sample.annotations) : null });
          if (to !== from) {
            const silenced = silences.some((s) => silenceMatches(s, rule.name, labels));
            next.state = to;
            next.state_since = sample.at;
            const announceResolved = to === 'resolved' && row?.silenced === 0;
            if (to === 'firing') {
              next.started_at = sample.at;
              next.resolved_at = null;
              next.silenced = silenced ? 1 : 0;
              next.action_state = null;
              next.action = null;
            }
            if (to === 'resolved') next.resolved_at = sample.at;
            if (to === 'pending' && from === 'resolved') next.silenced = 0;
            const event = await trx
              .insertInto('alert_events')
              .values({ alert_id: id, rule: rule.name, from_state: from, to_state: to, value, at: sample.at, recorded_at: now, silenced: silenced ? 1 : 0, note: silenced && (to === 'firing' || to === 'resolved') ? 'silenced: no notification' : null })
              .returning('id')
              .executeTakeFirstOrThrow();
            transitions.push({ alertId: id, rule: rule.name, labels, from, to, value, at: sample.at, severity: rule.severity, silenced });
            const notify = !silenced && (to === 'firing' || (from === 'firing' && announceResolved));
            if (notify) {
              const notice = noticeOf(rule, next, to === 'firing' ? 'firing' : 'resolved');
              for (const channel of rule.channels) {
                if (!channels.has(channel)) continue;
                await trx
                  .insertInto('alert_notifications')
                  .values({ alert_id: id, event_id: Number(event.id), channel, status: notice.status, payload: JSON.stringify(notice), state: 'pending', attempts: 0, next_attempt_at: now, last_error: null, created_at: now, finished_at: null })
                  .execute();
                outboxRows++;
              }
            }
            if (to === 'firing' && rule.action && !silenced) {
              const deployment = rule.action.deployment ?? labels.deployment ?? null;
              if (deployment) {
                next.action_state = 'pending';
                next.action = JSON.stringify({ type: 'rollback', deployment });
                actionsDue.push(id);
              } else {
                const outcome: ActionOutcome = { type: 'rollback', deployment: null, at: now, ok: false, message: 'no deployment to roll back: the sample has no deployment label and the rule names none' };
                next.action_state = 'done';
                next.action = JSON.stringify(outcome);
                await this.recordActionEvent(trx, next, outcome);
              }
            }
          }
          if (row) {
            const { id: _id, ...changes } = next;
            await trx.updateTable('alerts').set(changes).where('id', '=', id).execute();
          } else {
            await trx.insertInto('alerts').values(next).execute();
          }
          rows.set(id, next);
        }
      }
      return outboxRows;
    });
    if (notified > 0 && this.dispatcher.started) this.dispatcher.kick();
    for (const id of actionsDue) await this.runAction(id);
    return transitions;
  }

  private async load(trx: Transaction<DB>, id: string): Promise<AlertRow | null> {
    let q = trx.selectFrom('alerts').selectAll().where('id', '=', id);
    if (this.postgres) q = q.forUpdate();
    const r = await q.executeTakeFirst();
    return r ? { ...r, last_sample_at: Number(r.last_sample_at), breaches: Number(r.breaches) } : null;
  }

  private async recordActionEvent(trx: Kysely<DB>, alert: Pick<AlertRow, 'id' | 'rule' | 'state' | 'value'>, outcome: ActionOutcome): Promise<void> {
    await trx
      .insertInto('alert_events')
      .values({ alert_id: alert.id, rule: alert.rule, from_state: alert.state, to_state: alert.state, value: alert.value, at: outcome.at, recorded_at: outcome.at, silenced: 0, note: `action rollback${outcome.deployment ? ` of ${outcome.deployment}` : ''} ${outcome.ok ? 'succeeded' : 'failed'}: ${outcome.message}` })
      .execute();
  }

  /** Runs an alert's pending action, once (a claim on the row keeps other processes from running it too). */
  private async runAction(id: string): Promise<void> {
    const claimed = await this.db.updateTable('alerts').set({ action_state: 'running' }).where('id', '=', id).where('action_state', '=', 'pending').executeTakeFirst();
    if (Number(claimed.numUpdatedRows) !== 1) return;
    const alert = await this.db.selectFrom('alerts').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    const { deployment } = JSON.parse(alert.action ?? '{}') as { deployment: string };
    const labels = JSON.parse(alert.labels) as Record<string, string>;
    const reason = `alert ${alert.rule} firing (${alert.id}): value ${alert.value} vs threshold ${alert.threshold}${Object.keys(labels).length ? `, ${Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(' ')}` : ''}`;
    let ok = false;
    let message: string;
    if (!this.rollback) message = 'this process has no rollback handler';
    else {
      const run = this.rollback(deployment, reason);
      this.actions.add(run);
      try {
        await run;
        ok = true;
        message = `rolled back: ${reason}`;
      } catch (err) {
        message = (err as Error)?.message ?? String(err);
      } finally {
        this.actions.delete(run);
      }
    }
    const outcome: ActionOutcome = { type: 'rollback', deployment, at: this.now(), ok, message };
    await this.db.transaction().execute(async (trx) => {
      await trx.updateTable('alerts').set({ action_state: 'done', action: JSON.stringify(outcome) }).where('id', '=', id).execute();
      await this.recordActionEvent(trx, alert, outcome);
    });
  }

  /** Actions left pending (the process stopped between the state change and the action). */
  private async runPendingActions(): Promise<void> {
    const ids = await this.db.selectFrom('alerts').select('id').where('action_state', '=', 'pending').limit(20).execute();
    for (const { id } of ids) await this.runAction(id);
  }

  /** Starts the background dispatcher. */
  start(): void {
    this.dispatcher.start();
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
    await Promise.allSettled([...this.actions]);
  }
}

export function noticeOf(rule: RuleSpec, alert: Pick<AlertRow, 'id' | 'labels' | 'value' | 'started_at' | 'resolved_at' | 'state'> & { annotations?: string | null }, status: 'firing' | 'resolved'): AlertNotice {
  const labels = JSON.parse(alert.labels) as Record<string, string>;
  const annotations = alert.annotations ? (JSON.parse(alert.annotations) as Record<string, string>) : {};
  const startsAt = isoOf(alert.started_at);
  const endsAt = status === 'resolved' ? (isoOf(alert.resolved_at) ?? undefined) : undefined;
  return {
    alert: { id: alert.id, rule: rule.name, signal: rule.signal, state: alert.state, labels, value: alert.value, op: rule.op, threshold: rule.threshold, severity: rule.severity, description: rule.description, startsAt, ...(endsAt ? { endsAt } : {}) },
    status,
    rule: rule.name,
    labels,
    value: alert.value,
    threshold: rule.threshold,
    severity: rule.severity,
    startsAt,
    ...(endsAt ? { endsAt } : {}),
    annotations,
    summary: summaryOf({ status, rule: rule.name, signal: rule.signal, labels, value: alert.value, op: rule.op, threshold: rule.threshold, severity: rule.severity }) + (status === 'firing' && annotations.where ? ` Where to look: ${annotations.where}` : ''),
  };
}
