import { Type, type Static } from 'typebox';
import { isoOf } from '../core/clock.js';
import { SlipwayError } from '../core/errors.js';
import type { App, AppContext } from '../server/app.js';
import type { EvaluationReport } from './report.js';
import { renderHtml, renderMarkdown } from './scorecard/index.js';
import type { Evaluation as Record_, GatePolicy as Policy } from './service.js';

const tags = ['evaluation'];

export const EvaluationRequest = Type.Object(
  {
    model: Type.String({ minLength: 1 }),
    version: Type.Integer({ minimum: 1 }),
    dataset: Type.Optional(Type.String({ minLength: 1, description: 'NAME, NAME@VERSION or NAME@DIGEST; default: the gate policy\'s' })),
    against: Type.Optional(Type.Union([Type.String({ minLength: 1 }), Type.Null()], { description: 'champion alias; null: no comparison' })),
    againstVersion: Type.Optional(Type.Integer({ minimum: 1, description: 'compare with this version instead of an alias' })),
    policy: Type.Optional(Type.String({ maxLength: 1_000_000, description: 'a gate policy as YAML; default: the model\'s stored policy' })),
    gate: Type.Optional(Type.Boolean()),
    label: Type.Optional(Type.String({ minLength: 1 })),
    task: Type.Optional(Type.Union([Type.Literal('binary'), Type.Literal('multiclass'), Type.Literal('regression')])),
    positiveClass: Type.Optional(Type.String()),
    predictionColumn: Type.Optional(Type.String({ minLength: 1 })),
    scoreColumn: Type.Optional(Type.String({ minLength: 1 })),
    sliceColumns: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { maxItems: 100 })),
    sliceQuantiles: Type.Optional(Type.Record(Type.String(), Type.Integer({ minimum: 2, maximum: 100 }))),
    namedSlices: Type.Optional(Type.Record(Type.String(), Type.String({ minLength: 1 }))),
    sensitive: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { maxItems: 20 })),
    ignoreColumns: Type.Optional(Type.Array(Type.String())),
    resamples: Type.Optional(Type.Integer({ minimum: 100, maximum: 100_000 })),
    seed: Type.Optional(Type.Integer({ minimum: 0, maximum: 4_294_967_295 })),
    confidence: Type.Optional(Type.Union([0.8, 0.9, 0.95, 0.98, 0.99].map((c) => Type.Literal(c)))),
  },
  { additionalProperties: false },
);
export type EvaluationRequest = Static<typeof EvaluationRequest>;

const Progress = Type.Object({ phase: Type.String(), done: Type.Number(), total: Type.Number() });
export const Evaluation = Type.Object({
  id: Type.String(),
  status: Type.Union([Type.Literal('queued'), Type.Literal('running'), Type.Literal('completed'), Type.Literal('failed'), Type.Literal('cancelled')], { description: 'queued until a slot frees (--max-evaluations), then running' }),
  progress: Type.Union([Progress, Type.Null()]),
  error: Type.Union([Type.Object({ code: Type.String(), message: Type.String(), details: Type.Optional(Type.Unknown()) }), Type.Null()]),
  model: Type.String(),
  version: Type.Integer(),
  dataset: Type.Object({ name: Type.String(), version: Type.Integer(), digest: Type.String() }),
  against: Type.Union([Type.String(), Type.Null()]),
  championVersion: Type.Union([Type.Integer(), Type.Null()]),
  policyVersion: Type.Union([Type.Integer(), Type.Null()]),
  runId: Type.Union([Type.String(), Type.Null()]),
  gatePassed: Type.Union([Type.Boolean(), Type.Null()]),
  headline: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
  finishedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  createdBy: Type.String(),
  approvals: Type.Array(Type.Object({ approver: Type.String(), note: Type.String(), at: Type.String({ format: 'date-time' }) })),
  report: Type.Optional(Type.Unknown({ description: 'the full EvaluationReport (metrics, slices, comparison, gate)' })),
});
/** The report is typed here (its schema above is open) so clients get the full type. */
export type EvaluationJson = Omit<Static<typeof Evaluation>, 'report'> & { report?: EvaluationReport };

export const GatePolicy = Type.Object({
  model: Type.String(),
  version: Type.Integer(),
  spec: Type.Unknown({ description: 'the validated policy' }),
  source: Type.String({ description: 'the YAML as written' }),
  createdAt: Type.String({ format: 'date-time' }),
  createdBy: Type.String(),
});
export type GatePolicyJson = Static<typeof GatePolicy>;

const json = (e: Record_): EvaluationJson => ({
  ...e,
  createdAt: isoOf(e.createdAt)!,
  finishedAt: isoOf(e.finishedAt),
  approvals: e.approvals.map((a) => ({ ...a, at: isoOf(a.at)! })),
});
const policyJson = (p: Policy): GatePolicyJson => ({ ...p, createdAt: isoOf(p.createdAt)! });
const IdParam = Type.Object({ id: Type.String({ pattern: '^[0-9a-f]{32}$' }) });
const NameParam = Type.Object({ name: Type.String() });

/** Evaluations, gate policies and sign-offs under /api/v1. */
export async function registerEvaluationRoutes(app: App, ctx: AppContext): Promise<void> {
  const service = ctx.evaluations;

  app.post(
    '/evaluations',
    {
      schema: {
        tags,
        description: 'Starts an evaluation (202, running). With ?wait=true answers when it is done; a failed evaluation is then answered with its error.',
        querystring: Type.Object({ wait: Type.Optional(Type.Boolean()) }),
        body: EvaluationRequest,
        response: { 200: Type.Object({ evaluation: Evaluation }), 202: Type.Object({ evaluation: Evaluation }) },
      },
    },
    async (req, reply) => {
      const started = await service.start(req.actor, req.body);
      if (!req.query.wait) return reply.status(202).send({ evaluation: json(started) });
      const done = await service.wait(started.id);
      if ((done.status === 'failed' || done.status === 'cancelled') && done.error) {
        const code = done.error.code as SlipwayError['code'];
        throw new SlipwayError(code === 'INTERNAL' ? 'INTERNAL' : code, done.error.message, { ...(done.error.details ?? {}), evaluationId: done.id });
      }
      return reply.status(200).send({ evaluation: json(done) });
    },
  );

  app.get('/evaluations/:id', { schema: { tags, params: IdParam, response: { 200: Type.Object({ evaluation: Evaluation }) } } }, async (req) => ({
    evaluation: json(await service.get(req.params.id)),
  }));

  const scorecard = async (id: string): Promise<EvaluationReport> => {
    const e = await service.get(id);
    if (!e.report) throw new SlipwayError('INVALID_STATE', `Evaluation ${id} is ${e.status}; its scorecard exists once it has completed.`);
    return e.report;
  };
  app.get('/evaluations/:id/scorecard.html', { schema: { tags, params: IdParam } }, async (req, reply) =>
    reply.type('text/html; charset=utf-8').send(renderHtml(await scorecard(req.params.id))),
  );
  app.get('/evaluations/:id/scorecard.md', { schema: { tags, params: IdParam } }, async (req, reply) =>
    reply.type('text/markdown; charset=utf-8').send(renderMarkdown(await scorecard(req.params.id))),
  );

  app.post(
    '/evaluations/:id/cancel',
    { schema: { tags, description: 'Cancels a queued or running evaluation; it ends with status "cancelled" and no gate result.', params: IdParam, response: { 200: Type.Object({ evaluation: Evaluation }) } } },
    async (req) => ({ evaluation: json(await service.cancel(req.actor, req.params.id)) }),
  );

  app.post(
    '/evaluations/:id/approve',
    { config: { role: 'reviewer' }, schema: { tags, params: IdParam, body: Type.Object({ note: Type.String({ maxLength: 2000 }) }, { additionalProperties: false }), response: { 200: Type.Object({ evaluation: Evaluation }) } } },
    async (req) => ({ evaluation: json(await service.approve(req.actor, req.params.id, req.body.note)) }),
  );

  app.get(
    '/models/:name/evaluations',
    { schema: { tags, params: NameParam, querystring: Type.Object({ version: Type.Optional(Type.Integer({ minimum: 1 })), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })) }), response: { 200: Type.Object({ evaluations: Type.Array(Evaluation) }) } } },
    async (req) => ({ evaluations: (await service.list(req.params.name, req.query.version, req.query.limit)).map(json) }),
  );

  app.put(
    '/models/:name/policy',
    { schema: { tags, params: NameParam, body: Type.Object({ source: Type.String({ minLength: 1, maxLength: 1_000_000, description: 'the policy as YAML' }) }, { additionalProperties: false }), response: { 201: Type.Object({ policy: GatePolicy }) } } },
    async (req, reply) => reply.status(201).send({ policy: policyJson(await service.setPolicy(req.actor, req.params.name, req.body.source)) }),
  );

  app.get(
    '/models/:name/policy',
    { schema: { tags, params: NameParam, querystring: Type.Object({ version: Type.Optional(Type.Integer({ minimum: 1 })) }), response: { 200: Type.Object({ policy: GatePolicy }) } } },
    async (req) => {
      const p = await service.getPolicy(req.params.name, req.query.version);
      if (!p) throw new SlipwayError('NOT_FOUND', `Model "${req.params.name}" has no gate policy; set one with \`slipway eval policy set ${req.params.name} policy.yaml\`.`);
      return { policy: policyJson(p) };
    },
  );

  app.get('/models/:name/policies', { schema: { tags, params: NameParam, response: { 200: Type.Object({ policies: Type.Array(GatePolicy) }) } } }, async (req) => ({
    policies: (await service.listPolicies(req.params.name)).map(policyJson),
  }));
}
