/**
 * Monitoring API under /api/v1: monitors (create, list, show, update, delete), their results per window, a window's
 * drift report (HTML, Markdown or JSON), and "run now" for windows that closed since the last tick.
 */
import { Type, type Static } from 'typebox';
import type { Kysely } from 'kysely';
import type { ArtifactStore } from '../artifacts/store.js';
import { isoOf, parseIsoTime } from '../core/clock.js';
import { invalid, notFound } from '../core/errors.js';
import type { DB } from '../db/schema.js';
import { openVersionRuntime } from '../registry/runtime.js';
import { getModelVersion } from '../registry/versions.js';
import { signatureColumns } from '../runtimes/onnx/runtime.js';
import type { App } from '../server/app.js';
import { getDeployment } from '../serving/deployments.js';
import type { WindowResult } from './evaluate.js';
import { buildSpec, createMonitor, deleteMonitor, getMonitor, listMonitors, updateMonitor, type Monitor, type MonitorInput } from './monitors.js';
import { renderDriftHtml, renderDriftMarkdown, type DriftReport } from './report.js';
import { listResults, type MonitorScheduler } from './scheduler.js';
import { PREDICTION_COLUMN, SCORE_COLUMN } from './sketcher.js';

const tags = ['monitoring'];
const NameParam = Type.Object({ name: Type.String() });
const Duration = Type.Union([Type.String({ minLength: 1, maxLength: 20 }), Type.Number({ exclusiveMinimum: 0 })]);
const monitorFields = {
    deployment: Type.String({ minLength: 1 }),
    window: Type.Optional(Duration),
    step: Type.Optional(Duration),
    reference: Type.Optional(
      Type.Union([
        Type.Literal('training'),
        Type.Object({ dataset: Type.Optional(Type.String({ minLength: 1 })), from: Type.Optional(Type.String()), to: Type.Optional(Type.String()) }, { additionalProperties: false }),
      ]),
    ),
    features: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1, maxItems: 1000 })),
    drift: Type.Optional(
      Type.Object(
        {
          methods: Type.Optional(Type.Record(Type.String(), Type.String())),
          thresholds: Type.Optional(Type.Record(Type.String(), Type.Number({ minimum: 0 }))),
          driftShare: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
          correction: Type.Optional(Type.Union([Type.Literal('none'), Type.Literal('bh')])),
          minRows: Type.Optional(Type.Integer({ minimum: 1 })),
        },
        { additionalProperties: false },
      ),
    ),
    quality: Type.Optional(
      Type.Object(
        { missingIncrease: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })), outOfRange: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })), newCategory: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })), typeMismatch: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })), nonFinite: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })) },
        { additionalProperties: false },
      ),
    ),
    performance: Type.Optional(Type.Object({ label: Type.Optional(Type.String({ minLength: 1 })), baselineWindows: Type.Optional(Type.Integer({ minimum: 2, maximum: 1000 })) }, { additionalProperties: false })),
};
const MonitorBody = Type.Object(monitorFields, { additionalProperties: false });
const CreateMonitorBody = Type.Object({ name: Type.String(), ...monitorFields }, { additionalProperties: false });
type MonitorBody = Static<typeof MonitorBody>;

const json = (m: Monitor) => ({ name: m.name, ...m.spec, evaluatedUntil: isoOf(m.evaluatedUntil), createdAt: isoOf(m.createdAt)!, updatedAt: isoOf(m.updatedAt)!, createdBy: m.createdBy });

/** What a monitor may name: the served model's inputs, and its outputs. */
async function knownColumns(db: Kysely<DB>, store: ArtifactStore, modelServerHosts: readonly string[], deployment: string): Promise<string[]> {
  const d = await getDeployment(db, deployment);
  const v = await getModelVersion(db, d.model, d.stable);
  let inputs = signatureColumns(v.signature);
  if (!inputs) {
    const rt = await openVersionRuntime(db, store, v, { purpose: 'serve', modelServerHosts }).catch(() => null);
    inputs = rt ? rt.inputs.map((i) => i.name) : null;
    await rt?.close();
  }
  if (!inputs || inputs.length === 0) throw invalid(`Cannot tell which features ${v.name} v${v.version} reads (no signature, and it cannot be opened here), so the monitor's features cannot be checked. Register the version with a signature.`);
  return [...inputs, PREDICTION_COLUMN, SCORE_COLUMN];
}

/** The drift report of one stored window. */
export function windowReport(m: Monitor, r: WindowResult, history: WindowResult[]): DriftReport {
  // Since when each drifted column has drifted: the start of its current run of drifted windows.
  const since: Record<string, number> = {};
  for (const c of r.drift?.columns ?? []) {
    if (!c.drifted) continue;
    let start = r.windowStart;
    for (const h of history) {
      const hc = h.drift?.columns.find((x) => x.column === c.column);
      if (!hc?.drifted) break;
      start = h.windowStart;
    }
    since[c.column] = start;
  }
  const iso = (t: number) => new Date(t).toISOString().replace('T', ' ').slice(0, 16);
  const drift = r.drift ?? { verdict: 'insufficient_data' as const, insufficientReason: 'no traffic was summarised for this window', minRows: m.spec.drift.minRows, columns: [], driftedColumns: 0, driftedShare: 0, driftShareThreshold: m.spec.drift.driftShare, datasetDrift: false, correction: m.spec.drift.correction, referenceRows: 0, currentRows: 0 };
  return {
    title: `Drift report: ${m.name} (${m.spec.deployment})`,
    generatedAt: new Date().toISOString(),
    reference: { label: r.reference || 'reference', rows: drift.referenceRows },
    current: { label: `${iso(r.windowStart)} – ${iso(r.windowEnd)} UTC, v${r.version}`, rows: drift.currentRows },
    drift: { ...drift, columns: drift.columns.map((c) => (since[c.column] !== undefined && since[c.column]! < r.windowStart ? { ...c, change: `${c.change}; drifting since ${iso(since[c.column]!)} UTC` } : c)) },
    quality: r.quality ?? { columns: [], missingColumns: [], extraColumns: [], issues: [] },
    ...(r.importance && Object.keys(r.importance).length > 0 ? { importance: r.importance } : {}),
  };
}

export async function registerMonitorRoutes(api: App, db: Kysely<DB>, store: ArtifactStore, modelServerHosts: readonly string[], scheduler: MonitorScheduler, flush?: () => Promise<void>): Promise<void> {
  const timeOf = parseIsoTime;
  // Without a list of features, the monitor watches every input of the model and its outputs.
  const specOf = async (name: string, body: MonitorBody) => {
    const known = await knownColumns(db, store, modelServerHosts, body.deployment);
    return buildSpec({ ...(body as Omit<MonitorInput, 'name'>), name, features: body.features ?? known }, known);
  };

  api.post('/monitors', { schema: { tags, body: CreateMonitorBody } }, async (req, reply) => {
    const { name, ...body } = req.body;
    const m = await createMonitor(db, req.actor, name, await specOf(name, body));
    return reply.status(201).send({ monitor: json(m) });
  });
  api.get('/monitors', { schema: { tags, querystring: Type.Object({ deployment: Type.Optional(Type.String()) }) } }, async (req) => ({ monitors: (await listMonitors(db, req.query.deployment)).map(json) }));
  api.get('/monitors/:name', { schema: { tags, params: NameParam } }, async (req) => ({ monitor: json(await getMonitor(db, req.params.name)) }));
  api.put('/monitors/:name', { schema: { tags, params: NameParam, body: MonitorBody } }, async (req) => ({ monitor: json(await updateMonitor(db, req.actor, req.params.name, await specOf(req.params.name, req.body))) }));
  api.delete('/monitors/:name', { schema: { tags, params: NameParam } }, async (req, reply) => {
    await deleteMonitor(db, req.actor, req.params.name);
    return reply.status(204).send();
  });
  api.post(
    '/monitors/:name/run',
    { schema: { tags, params: NameParam, body: Type.Optional(Type.Object({ at: Type.Optional(Type.String({ description: 'evaluate the one window ending at this time (ISO 8601, or "now"); default: every scheduled window closed since the last run' })) }, { additionalProperties: false })) } },
    async (req) => {
      const m = await getMonitor(db, req.params.name);
      await flush?.();
      const at = req.body?.at;
      if (at === undefined) return { results: await scheduler.catchUp(m) };
      const end = at === 'now' ? Date.now() : timeOf(at, 'at')!;
      return { results: [await scheduler.evaluateAt(m, end)] };
    },
  );
  const Window = Type.Object({ since: Type.Optional(Type.String()), until: Type.Optional(Type.String()), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000 })) });
  api.get('/monitors/:name/results', { schema: { tags, params: NameParam, querystring: Window } }, async (req) => {
    await getMonitor(db, req.params.name);
    const { since, until, limit } = req.query;
    return { results: await listResults(db, req.params.name, { since: timeOf(since, 'since'), until: timeOf(until, 'until'), limit: limit ?? 200 }) };
  });
  api.get(
    '/monitors/:name/report',
    { schema: { tags, params: NameParam, querystring: Type.Object({ window: Type.Optional(Type.String({ description: 'end of the window (ISO 8601); default the latest' })), format: Type.Optional(Type.Union([Type.Literal('html'), Type.Literal('md'), Type.Literal('json')])) }) } },
    async (req, reply) => {
      const m = await getMonitor(db, req.params.name);
      const end = timeOf(req.query.window, 'window');
      const [r] = await listResults(db, m.name, { ...(end !== undefined ? { until: end } : {}), limit: 1 });
      if (!r || (end !== undefined && r.windowEnd !== end)) throw notFound(end === undefined ? `Monitor "${m.name}" has no results yet.` : `Monitor "${m.name}" has no window ending at ${req.query.window}.`);
      const report = windowReport(m, r, await listResults(db, m.name, { before: r.windowEnd, limit: 500 }));
      const format = req.query.format ?? 'json';
      if (format === 'html') return reply.type('text/html; charset=utf-8').send(renderDriftHtml(report));
      if (format === 'md') return reply.type('text/markdown; charset=utf-8').send(renderDriftMarkdown(report));
      return { report };
    },
  );
}
