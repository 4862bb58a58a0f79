/**
 * The gateway's HTTP surface. Data plane: the Open Inference Protocol v2 under /v2, KServe v1 under /v1, MLflow's
 * scoring format and plain records under /deployments/:name, with the prediction ids in the `x-prediction-id`
 * header and in the body. Control plane under /api/v1/deployments: create, roll out, promote, roll back, history,
 * restore; feedback labels; Prometheus /metrics.
 */
import { Type } from 'typebox';
import { isoOf, parseIsoTime } from '../core/clock.js';
import { SlipwayError } from '../core/errors.js';
import { infoOf } from '../runtimes/onnx/runtime.js';
import type { Frame } from '../runtimes/frame.js';
import type { Predictions } from '../runtimes/types.js';
import type { App, AppContext } from '../server/app.js';
import { abReport } from './ab.js';
import * as D from './deployments.js';
import { attachLabelsFlushingLog } from './feedback.js';
import type { Gateway, Served } from './gateway.js';
import * as P from './protocols/index.js';
import { shadowReport } from './shadow.js';

const tags = ['deployments'];
const NameParam = Type.Object({ name: Type.String() });
const Step = Type.Object({ weight: Type.Number({ exclusiveMinimum: 0, maximum: 1 }), durationSeconds: Type.Number({ minimum: 0, maximum: 604_800 }) }, { additionalProperties: false });
const Thresholds = Type.Partial(
  Type.Object({ maxErrorRateIncrease: Type.Number({ minimum: 0 }), maxLatencyRatio: Type.Number({ minimum: 1 }), maxPredictionShift: Type.Number({ minimum: 0, maximum: 1 }), minRequests: Type.Integer({ minimum: 1 }), latencySlackMs: Type.Number({ minimum: 0 }), maxAccuracyDrop: Type.Number({ minimum: 0, maximum: 1 }), minLabels: Type.Integer({ minimum: 1 }) }, { additionalProperties: false }),
);

/** An admin's written reason to let a version that has not passed the release gate answer traffic (audited). */
const OverrideField = Type.Optional(
  Type.Object({ reason: Type.String({ minLength: 1, maxLength: 2000, description: 'why the release gate is overridden, at least 10 characters' }) }, { additionalProperties: false, description: 'admin only' }),
);

const CreateBody = Type.Object(
  {
    name: Type.String(),
    override: OverrideField,
    model: Type.String({ minLength: 1 }),
    alias: Type.Optional(Type.String({ minLength: 1 })),
    version: Type.Optional(Type.Integer({ minimum: 1 })),
    samplingRate: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    steps: Type.Optional(Type.Array(Step, { minItems: 1, maxItems: 20 })),
    thresholds: Type.Optional(Thresholds),
    stickyHeader: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    runtime: Type.Optional(
      Type.Object(
        {
          threads: Type.Integer({ minimum: 0, maximum: 16, description: 'worker threads running each ONNX session; 0 runs it on the event loop' }),
          batching: Type.Union([Type.Object({ maxBatchRows: Type.Integer({ minimum: 1, maximum: 10_000 }), maxDelayMs: Type.Number({ minimum: 0, maximum: 100 }) }, { additionalProperties: false }), Type.Null()]),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
const RolloutBody = Type.Object(
  {
    mode: Type.Union([Type.Literal('canary'), Type.Literal('shadow'), Type.Literal('ab')]),
    version: Type.Integer({ minimum: 1 }),
    weight: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    steps: Type.Optional(Type.Array(Step, { minItems: 1, maxItems: 20 })),
    thresholds: Type.Optional(Thresholds),
    stickyHeader: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    reason: Type.Optional(Type.String({ maxLength: 2000 })),
    override: OverrideField,
  },
  { additionalProperties: false },
);
const Reason = Type.Object({ reason: Type.Optional(Type.String({ maxLength: 2000 })), override: OverrideField }, { additionalProperties: false });

const json = (d: D.Deployment) => ({ ...d, createdAt: isoOf(d.createdAt)!, updatedAt: isoOf(d.updatedAt)! });

/** What the log keeps of one predicted row: its inputs by column, and the model's answer. */
function payloadOf(frame: Frame) {
  return (row: number, p: Predictions) => {
    const inputs: Record<string, unknown> = {};
    for (const [name, c] of frame.columns) {
      const v = c.values[row];
      inputs[name] = typeof v === 'number' && Number.isNaN(v) ? null : v;
    }
    const outputs: Record<string, unknown> = {};
    if (p.value) outputs.value = p.value[row];
    if (p.labelIndex && p.classes) {
      outputs.label = p.classes[p.labelIndex[row]!] ?? null;
      if (p.proba) {
        const C = p.classes.length;
        outputs.probabilities = Object.fromEntries(p.classes.map((c, k) => [c, p.proba![row * C + k]]));
      }
    }
    return { inputs, outputs };
  };
}

/** Control plane, under /api/v1: every change is applied to this gateway at once (others see it at their next poll). */
function registerDeploymentRoutes(api: App, ctx: AppContext, local: Gateway | null): void {
  // Without a gateway in this process (an api-only server), changes reach the gateways at their next poll, and
  // there is no in-memory log to flush.
  const gateway = local ?? { apply: async () => {}, refresh: async () => {}, log: { flush: async () => {} } };
  const { db } = ctx.database;
  const changed = async (d: D.Deployment) => {
    await gateway.apply(d);
    return { deployment: json(d) };
  };
  api.post('/deployments', { schema: { tags, body: CreateBody } }, async (req, reply) => {
    const { override, ...input } = req.body;
    const d = await D.createDeployment(db, ctx.release, req.actor, input, override);
    return reply.status(201).send(await changed(d));
  });
  api.get('/deployments', { schema: { tags } }, async () => ({ deployments: (await D.listDeployments(db)).map(json) }));
  api.get('/deployments/:name', { schema: { tags, params: NameParam } }, async (req) => ({ deployment: json(await D.getDeployment(db, req.params.name)) }));
  api.delete('/deployments/:name', { schema: { tags, params: NameParam } }, async (req, reply) => {
    await D.deleteDeployment(db, req.actor, req.params.name);
    await gateway.refresh();
    return reply.status(204).send();
  });
  api.post('/deployments/:name/rollout', { schema: { tags, params: NameParam, body: RolloutBody } }, async (req) => {
    const { reason, override, ...input } = req.body;
    return changed(await D.startRollout(db, ctx.release, req.actor, req.params.name, input, reason, override));
  });
  api.post('/deployments/:name/promote', { schema: { tags, params: NameParam, body: Reason } }, async (req) => changed(await D.promoteCandidate(db, ctx.release, req.actor, req.params.name, req.body.reason, req.body.override)));
  api.post('/deployments/:name/rollback', { schema: { tags, params: NameParam, body: Reason } }, async (req) =>
    changed(await D.rollback(db, ctx.release, req.actor, req.params.name, req.body.reason ?? `rolled back by ${req.actor.name}`, req.body.override)),
  );
  api.get('/deployments/:name/history', { schema: { tags, params: NameParam } }, async (req) => ({
    revisions: (await D.listRevisions(db, req.params.name)).map((r) => ({ ...r, at: isoOf(r.at)! })),
  }));
  api.post('/deployments/:name/restore', { schema: { tags, params: NameParam, body: Type.Object({ revision: Type.Integer({ minimum: 1 }), override: OverrideField }, { additionalProperties: false }) } }, async (req) =>
    changed(await D.restoreRevision(db, ctx.release, req.actor, req.params.name, req.body.revision, req.body.override)),
  );
  // ---- experiment reports: shadow comparison and A/B analysis (see shadow.ts, ab.ts) ----
  const timeOf = parseIsoTime;
  const Window = { since: Type.Optional(Type.String({ minLength: 1 })), until: Type.Optional(Type.String({ minLength: 1 })) };
  api.get('/deployments/:name/shadow-report', { schema: { tags, params: NameParam, querystring: Type.Object({ ...Window, tolerance: Type.Optional(Type.Number({ minimum: 0 })) }) } }, async (req) => {
    const { since, until, tolerance } = req.query;
    await gateway.log.flush().catch(() => {}); // predictions still queued in memory count too
    return { report: await shadowReport(db, req.params.name, { since: timeOf(since, 'since'), until: timeOf(until, 'until'), tolerance }) };
  });
  api.get(
    '/deployments/:name/ab-report',
    {
      schema: {
        tags,
        params: NameParam,
        querystring: Type.Object({
          ...Window,
          metric: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
          alpha: Type.Optional(Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1 })),
          tau2: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
          minPerArm: Type.Optional(Type.Integer({ minimum: 2 })),
          direction: Type.Optional(Type.Union([Type.Literal('higher'), Type.Literal('lower')])),
        }),
      },
    },
    async (req) => {
      const { since, until, metric, alpha, tau2, minPerArm, direction } = req.query;
      await gateway.log.flush().catch(() => {});
      return { report: await abReport(db, req.params.name, { since: timeOf(since, 'since'), until: timeOf(until, 'until'), metric, alpha, tau2, minPerArm, higherIsBetter: direction !== 'lower' }) };
    },
  );
  api.post(
    '/feedback',
    { schema: { tags, body: Type.Object({ items: Type.Array(Type.Object({ predictionId: Type.String({ minLength: 1, maxLength: 64 }), label: Type.Unknown() }, { additionalProperties: false }), { minItems: 1, maxItems: 1000 }) }, { additionalProperties: false }) } },
    async (req) => {
      // Predictions may still sit in the log's queue: the unknown ids are retried once after a flush.
      const result = await attachLabelsFlushingLog(db, gateway.log, req.body.items);
      if (result.unknown.length > 0 && result.updated === 0) throw new SlipwayError('NOT_FOUND', `No prediction with id ${result.unknown.slice(0, 5).join(', ')}${result.unknown.length > 5 ? ` (and ${result.unknown.length - 5} more)` : ''}.`, { unknown: result.unknown });
      return result;
    },
  );
}

/** The control plane, under /api/v1; `gateway` is this process's gateway, or null when it runs none. */
export async function registerDeploymentControl(app: App, ctx: AppContext, gateway: Gateway | null): Promise<void> {
  await app.register(async (api) => registerDeploymentRoutes(api as App, ctx, gateway), { prefix: '/api/v1' });
}

/**
 * The data plane at the protocols' own paths, and /metrics. `/metrics` names deployments, models and versions:
 * with auth on it needs a viewer token unless the operator chose `--metrics-public` (`metricsNeedToken` false).
 */
export async function registerServingRoutes(app: App, gateway: Gateway, access: { metricsNeedToken: boolean }): Promise<void> {
  // ---- data plane ----
  const reader = { config: { role: 'viewer' as const } };
  const open = { config: { public: true } };
  const keyOf = (d: D.Deployment, headers: Record<string, unknown>): string | null => {
    const v = headers[d.stickyHeader];
    return typeof v === 'string' && v !== '' ? v : null;
  };
  /** Serves a request: picks the version, decodes with it, predicts, logs, and sets the id header. */
  const infer = async (name: string, headers: Record<string, unknown>, reply: { header(k: string, v: string): unknown }, decode: (s: Served) => P.Decoded, pinned?: string) => {
    const d = gateway.deployment(name);
    const key = keyOf(d, headers);
    const served = await gateway.serve(name, key, pinned === undefined ? undefined : Number(pinned));
    try {
      let decoded: P.Decoded;
      try {
        decoded = decode(served);
      } catch (err) {
        const details = err instanceof SlipwayError ? (err.details as { missing?: unknown; unused?: unknown } | undefined) : undefined;
        if (Array.isArray(details?.missing)) gateway.refused(served, details.missing as string[], Array.isArray(details.unused) ? (details.unused as string[]) : []);
        throw err;
      }
      const answer = await gateway.predict(served, decoded.frame, key, payloadOf(decoded.frame));
      reply.header('x-prediction-id', answer.ids.join(','));
      reply.header('x-model-version', String(answer.version));
      return { served, decoded, answer };
    } finally {
      served.release();
    }
  };

  app.get('/v2/health/live', open, async () => ({ live: true }));
  app.get('/v2/health/ready', open, async () => ({ ready: true }));
  app.get('/v2', open, async () => ({ name: 'slipway', version: '2', extensions: [] }));
  const metadata = async (name: string) => {
    const d = gateway.deployment(name);
    const rt = await gateway.model(d.model, d.stable, d.runtime);
    const versions = [d.stable, d.candidate].filter((v): v is number => v !== null).map(String);
    return P.v2Metadata(name, versions, rt.kind === 'onnx' ? 'onnxruntime_onnx' : 'http', rt.inputs, infoOf(rt));
  };
  app.get('/v2/models/:name', reader, async (req) => metadata((req.params as { name: string }).name));
  app.get('/v2/models/:name/versions/:version', reader, async (req) => metadata((req.params as { name: string }).name));
  const ready = async (name: string) => {
    const d = gateway.deployment(name);
    await gateway.model(d.model, d.stable, d.runtime);
    return { name, ready: true };
  };
  app.get('/v2/models/:name/ready', reader, async (req) => ready((req.params as { name: string }).name));
  app.get('/v2/models/:name/versions/:version/ready', reader, async (req) => ready((req.params as { name: string }).name));
  const v2 = async (req: { params: unknown; headers: Record<string, unknown>; body: unknown }, reply: { header(k: string, v: string): unknown }) => {
    const { name, version } = req.params as { name: string; version?: string };
    const { served, decoded, answer } = await infer(name, req.headers, reply, (s) => P.decodeV2(req.body, s.runtime.inputs, infoOf(s.runtime)), version);
    return P.encodeV2(answer.predictions, { modelName: name, modelVersion: String(served.version), ...(decoded.id !== undefined ? { id: decoded.id } : {}), predictionIds: answer.ids, ...(decoded.outputs ? { outputs: decoded.outputs } : {}) });
  };
  app.post('/v2/models/:name/infer', reader, v2);
  app.post('/v2/models/:name/versions/:version/infer', reader, v2);

  // KServe v1: POST /v1/models/<name>:predict (a colon inside the segment, so the verb is split off here).
  app.post('/v1/models/:nameAndVerb', reader, async (req, reply) => {
    const { nameAndVerb } = req.params as { nameAndVerb: string };
    const at = nameAndVerb.lastIndexOf(':');
    if (at < 0 || nameAndVerb.slice(at + 1) !== 'predict') throw new SlipwayError('NOT_FOUND', `Unknown KServe v1 route /v1/models/${nameAndVerb}; use /v1/models/<name>:predict.`);
    const { answer } = await infer(nameAndVerb.slice(0, at), req.headers, reply, (s) => P.decodeV1(req.body, s.runtime.inputs));
    return P.encodeV1(answer.predictions, answer.ids);
  });

  app.post('/deployments/:name/invocations', reader, async (req, reply) => {
    const { answer } = await infer((req.params as { name: string }).name, req.headers, reply, (s) => P.decodeMlflow(req.body, s.runtime.inputs));
    return P.encodeMlflow(answer.predictions);
  });
  app.post('/deployments/:name/predict', reader, async (req, reply) => {
    const { answer } = await infer((req.params as { name: string }).name, req.headers, reply, (s) => P.decodeRecords(req.body, s.runtime.inputs));
    return P.encodeRecords(answer.predictions, answer.ids);
  });

  app.get('/metrics', { config: access.metricsNeedToken ? { role: 'viewer' } : { public: true }, schema: { hide: true } }, async (_req, reply) => reply.type(gateway.metrics.contentType).send(await gateway.metrics.text()));

}
