/**
 * Alerting's HTTP surface under /api/v1/alerts: rules, alerts with their history, silences, notification channels
 * (admin: they hold secrets), the delivery log, the signal catalog, and pushing samples from outside.
 */
import type { Kysely } from 'kysely';
import { Type } from 'typebox';
import { recordAudit } from '../access/audit.js';
import { SYSTEM_ACTOR } from '../core/actor.js';
import { invalid } from '../core/errors.js';
import { SecretBox } from '../core/secrets.js';
import type { DB } from '../db/schema.js';
import type { App, AppContext } from '../server/app.js';
import { rollback } from '../serving/deployments.js';
import type { Gateway } from '../serving/gateway.js';
import { AlertEngine, type AlertState } from './engine.js';
import { testNotice } from './notify.js';
import { checkRuleName, SEVERITIES } from './rules.js';
import { checkSample, listSignals, type SignalSample } from './signals.js';
import * as S from './store.js';

const tags = ['alerts'];
const admin = { role: 'admin' as const };
const NameParam = Type.Object({ name: Type.String({ minLength: 1, maxLength: 200 }) });
const IdParam = Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }) });
const Labels = Type.Record(Type.String(), Type.String({ maxLength: 500 }));

const RuleBody = Type.Object(
  {
    name: Type.String({ description: '1-100 of [A-Za-z0-9_.-], unique' }),
    signal: Type.String({ description: 'a signal of the catalog (GET /api/v1/alerts/signals)' }),
    match: Type.Optional(Labels),
    op: Type.String({ description: "one of > >= < <= == !=" }),
    threshold: Type.Number(),
    for: Type.Optional(Type.Union([Type.Object({ windows: Type.Optional(Type.Integer()), seconds: Type.Optional(Type.Number()) }, { additionalProperties: false }), Type.Null()])),
    severity: Type.Optional(Type.String({ description: 'info, warning (default) or critical' })),
    description: Type.Optional(Type.Union([Type.String({ maxLength: 2000 }), Type.Null()])),
    channels: Type.Optional(Type.Array(Type.String(), { maxItems: 20 })),
    action: Type.Optional(Type.Union([Type.Object({ type: Type.String(), deployment: Type.Optional(Type.String()) }, { additionalProperties: false }), Type.Null()])),
    enabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
const PutRuleBody = Type.Object({ ...RuleBody.properties, name: Type.Optional(Type.String()) }, { additionalProperties: false });

const SilenceBody = Type.Object(
  {
    rule: Type.Optional(Type.String()),
    labels: Type.Optional(Labels),
    startsAt: Type.Optional(Type.String({ description: 'ISO 8601; default now' })),
    endsAt: Type.Optional(Type.String({ description: 'ISO 8601' })),
    durationSeconds: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    comment: Type.String({ minLength: 1, maxLength: 2000 }),
  },
  { additionalProperties: false },
);

const ChannelBody = Type.Object(
  {
    name: Type.String(),
    type: Type.String({ description: 'webhook or slack' }),
    url: Type.String({ minLength: 1, maxLength: 2000 }),
    secret: Type.Optional(Type.String({ minLength: 1, maxLength: 500, description: 'webhook: the HMAC key of x-slipway-signature' })),
  },
  { additionalProperties: false },
);

const SampleBody = Type.Object(
  {
    samples: Type.Array(
      Type.Object(
        {
          signal: Type.String({ minLength: 1, maxLength: 200 }),
          labels: Type.Optional(Labels),
          value: Type.Union([Type.Number(), Type.Null()], { description: 'null: not enough data in the window' }),
          at: Type.Optional(Type.Union([Type.Integer({ minimum: 0 }), Type.String()], { description: 'epoch milliseconds or ISO 8601; default now' })),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 10_000 },
    ),
  },
  { additionalProperties: false },
);

const STATES: AlertState[] = ['inactive', 'pending', 'firing', 'resolved'];
/** `?state=firing,pending` or repeated: each value checked. */
function listParam<T extends string>(value: string | string[] | undefined, allowed: readonly T[], field: string): T[] | undefined {
  if (value === undefined) return undefined;
  const items = (Array.isArray(value) ? value : [value]).flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
  for (const v of items) if (!(allowed as readonly string[]).includes(v)) throw invalid(`${field} must be ${allowed.join(', ')}; got "${v}".`, { field });
  return items as T[];
}

/** The routes, under /api/v1. */
export async function registerAlertRoutes(app: App, db: Kysely<DB>, engine: AlertEngine, secrets: SecretBox): Promise<void> {
  app.get('/alerts/signals', { schema: { tags, description: 'The signal catalog: what rules can watch.' } }, async () => ({ signals: listSignals() }));

  // ---- rules ----
  app.get('/alerts/rules', { schema: { tags } }, async () => ({ rules: await S.listRules(db) }));
  app.post('/alerts/rules', { schema: { tags, body: RuleBody } }, async (req, reply) => reply.status(201).send({ rule: (await S.saveRule(db, req.actor, req.body, 'create')).rule }));
  app.get('/alerts/rules/:name', { schema: { tags, params: NameParam } }, async (req) => ({ rule: await S.getRule(db, req.params.name) }));
  app.put('/alerts/rules/:name', { schema: { tags, params: NameParam, body: PutRuleBody, description: 'Creates or replaces a rule (201 when created).' } }, async (req, reply) => {
    const name = checkRuleName(req.params.name);
    if (req.body.name !== undefined && req.body.name !== name) throw invalid(`The body names rule "${req.body.name}" but the path "${name}".`, { field: 'name' });
    const { rule, created } = await S.saveRule(db, req.actor, { ...req.body, name }, 'upsert');
    return reply.status(created ? 201 : 200).send({ rule });
  });
  app.delete('/alerts/rules/:name', { schema: { tags, params: NameParam } }, async (req, reply) => {
    await S.deleteRule(db, req.actor, req.params.name);
    return reply.status(204).send();
  });

  // ---- alerts ----
  app.get(
    '/alerts',
    {
      schema: {
        tags,
        querystring: Type.Object({
          state: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())], { description: 'inactive, pending, firing, resolved (comma-separated or repeated); default all but inactive' })),
          severity: Type.Optional(Type.Union([Type.String(), Type.Array(Type.String())])),
          rule: Type.Optional(Type.String()),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000 })),
        }),
      },
    },
    async (req) => ({
      alerts: await S.listAlerts(db, { state: listParam(req.query.state, STATES, 'state'), severity: listParam(req.query.severity, SEVERITIES, 'severity'), rule: req.query.rule, limit: req.query.limit }),
    }),
  );

  // ---- silences ----
  app.get('/alerts/silences', { schema: { tags, querystring: Type.Object({ all: Type.Optional(Type.Boolean({ description: 'include expired silences' })) }) } }, async (req) => ({ silences: await S.listSilences(db, req.query.all ?? false) }));
  app.post('/alerts/silences', { schema: { tags, body: SilenceBody } }, async (req, reply) => reply.status(201).send({ silence: await S.createSilence(db, req.actor, req.body) }));
  app.post('/alerts/silences/:id/expire', { schema: { tags, params: IdParam } }, async (req) => ({ silence: await S.expireSilence(db, req.actor, req.params.id) }));

  // ---- channels (admin) ----
  app.get('/alerts/channels', { config: admin, schema: { tags } }, async () => ({ channels: await S.listChannels(db, secrets) }));
  app.post('/alerts/channels', { config: admin, schema: { tags, body: ChannelBody } }, async (req, reply) => reply.status(201).send({ channel: await S.createChannel(db, req.actor, req.body, secrets) }));
  app.delete('/alerts/channels/:name', { config: admin, schema: { tags, params: NameParam } }, async (req, reply) => {
    await S.deleteChannel(db, req.actor, req.params.name, secrets);
    return reply.status(204).send();
  });
  app.post('/alerts/channels/:name/test', { config: admin, schema: { tags, params: NameParam, description: 'Sends a test notification once and reports the outcome (state delivered or failed).' } }, async (req) => {
    const channel = await S.getChannelRow(db, req.params.name);
    const { notificationId, result } = await engine.dispatcher.sendOnce(channel, testNotice(channel.name, Date.now()));
    await recordAudit(db, req.actor, { action: 'alert_channel.test', targetType: 'alert_channel', targetId: channel.name, after: { ok: result.ok, statusCode: result.statusCode, error: result.error } });
    const [delivery] = (await S.listDeliveries(db, { channel: channel.name, limit: 20 })).filter((d) => d.id === notificationId);
    return { delivery };
  });

  // ---- delivery log ----
  app.get(
    '/alerts/deliveries',
    { schema: { tags, querystring: Type.Object({ alert: Type.Optional(Type.String()), channel: Type.Optional(Type.String()), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })) }) } },
    async (req) => ({ deliveries: await S.listDeliveries(db, req.query) }),
  );

  // ---- samples from outside ----
  app.post('/alerts/samples', { config: { role: 'editor' }, schema: { tags, body: SampleBody, description: 'Applies signal samples to the rules now; answers the transitions they caused.' } }, async (req) => {
    const now = Date.now();
    const samples: SignalSample[] = req.body.samples.map((s, i) => {
      let at = now;
      if (typeof s.at === 'string') {
        at = Date.parse(s.at);
        if (!Number.isFinite(at)) throw invalid(`samples[${i}]: at must be epoch milliseconds or an ISO 8601 time, got "${s.at}".`, { field: `samples[${i}].at` });
      } else if (typeof s.at === 'number') at = s.at;
      return checkSample({ signal: s.signal, labels: s.labels ?? {}, value: s.value, at }, `samples[${i}]`);
    });
    return { transitions: await engine.evaluate(samples) };
  });

  // After the static /alerts/... paths (find-my-way prefers them anyway).
  app.get('/alerts/:id', { schema: { tags, params: IdParam } }, async (req) => S.getAlert(db, req.params.id));
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The alert engine of this process (api role): the monitoring scheduler feeds it samples. */
    alertEngine?: AlertEngine;
  }
}

/**
 * Builds this process's alert engine (its rollback action goes through the serving module and this process's
 * gateway, when it has one), starts its dispatcher, and registers the routes. The engine is `app.alertEngine`.
 */
export async function registerAlerting(app: App, ctx: AppContext, gateway: Gateway | null): Promise<AlertEngine> {
  const { db } = ctx.database;
  const secrets = new SecretBox(ctx.trust.secretKey);
  // Rows stored in clear by an older version are sealed before anything reads them.
  const sealed = await S.sealStoredChannels(db, secrets);
  if (sealed > 0) app.log.info({ channels: sealed }, 'encrypted notification channel secrets stored in clear');
  const engine = new AlertEngine(db, {
    secrets,
    rollback: async (deployment, reason) => {
      const d = await rollback(db, ctx.release, SYSTEM_ACTOR, deployment, reason);
      await gateway?.apply(d);
    },
  });
  engine.start();
  app.decorate('alertEngine', engine);
  app.addHook('onClose', async () => engine.close());
  await app.register(async (api) => registerAlertRoutes(api as App, db, engine, secrets), { prefix: '/api/v1' });
  return engine;
}
