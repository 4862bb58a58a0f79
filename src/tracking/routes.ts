import { Type } from 'typebox';
import { invalid } from '../core/errors.js';
import type { App, AppContext } from '../server/app.js';
import { registerArtifactRoutes } from './artifact-routes.js';
import { registerDatasetRoutes } from './datasets/routes.js';
import * as experiments from './experiments.js';
import { collectGarbage } from './gc.js';
import { getMetricHistory } from './history.js';
import { logBatch } from './ingest.js';
import { logInputs } from './inputs.js';
import { metricValueJson, parseMetricValue } from './limits.js';
import { fromMap, nativeExperiment, nativeRun, parseTime, viewTypeOf } from './native.js';
import * as runs from './runs.js';
import * as S from './schemas.js';
import { searchExperiments, searchRuns } from './search.js';
import { TAG } from './types.js';
import { isoOf, nowMs } from '../core/clock.js';

const IdParam = Type.Object({ id: Type.String() });
const IdKeyParams = Type.Object({ id: Type.String(), key: Type.String() });
const tags = ['tracking'];

/** The native tracking API under /api/v1. Routes only parse, call the service and shape the reply. */
export async function registerTrackingRoutes(app: App, ctx: AppContext): Promise<void> {
  const { db } = ctx.database;

  app.get('/experiments', { schema: { tags, querystring: S.SearchExperimentsQuery, response: { 200: S.ExperimentPage } } }, async (req) => {
    const q = req.query;
    const page = await searchExperiments(ctx.database, {
      filter: q.filter,
      orderBy: q.orderBy === undefined ? undefined : ([] as string[]).concat(q.orderBy),
      viewType: viewTypeOf(q.view),
      maxResults: q.maxResults,
      pageToken: q.pageToken,
      allowOr: true,
    });
    return { experiments: page.items.map(nativeExperiment), nextPageToken: page.nextPageToken };
  });

  app.post('/experiments', { schema: { tags, body: S.CreateExperimentBody, response: { 201: Type.Object({ experiment: S.Experiment }) } } }, async (req, reply) => {
    const id = await experiments.createExperiment(db, req.actor, {
      name: req.body.name,
      artifactLocation: req.body.artifactLocation,
      tags: fromMap(req.body.tags),
    });
    return reply.status(201).send({ experiment: nativeExperiment(await experiments.getExperiment(db, id)) });
  });

  app.get('/experiments/:id', { schema: { tags, params: IdParam, response: { 200: Type.Object({ experiment: S.Experiment }) } } }, async (req) => ({
    experiment: nativeExperiment(await experiments.getExperiment(db, req.params.id)),
  }));

  app.get('/experiments/by-name/:name', { schema: { tags, params: Type.Object({ name: Type.String() }), response: { 200: Type.Object({ experiment: S.Experiment }) } } }, async (req) => ({
    experiment: nativeExperiment(await experiments.getExperimentByName(db, req.params.name)),
  }));

  app.patch('/experiments/:id', { schema: { tags, params: IdParam, body: S.UpdateExperimentBody, response: { 200: Type.Object({ experiment: S.Experiment }) } } }, async (req) => {
    await experiments.renameExperiment(db, req.actor, req.params.id, req.body.name);
    return { experiment: nativeExperiment(await experiments.getExperiment(db, req.params.id)) };
  });

  app.delete('/experiments/:id', { schema: { tags, params: IdParam } }, async (req, reply) => {
    await experiments.deleteExperiment(db, req.actor, req.params.id);
    return reply.status(204).send();
  });

  app.post('/experiments/:id/restore', { schema: { tags, params: IdParam, response: { 200: Type.Object({ experiment: S.Experiment }) } } }, async (req) => {
    await experiments.restoreExperiment(db, req.actor, req.params.id);
    return { experiment: nativeExperiment(await experiments.getExperiment(db, req.params.id)) };
  });

  app.put('/experiments/:id/tags/:key', { schema: { tags, params: IdKeyParams, body: S.TagValueBody } }, async (req, reply) => {
    await experiments.setExperimentTag(db, req.actor, req.params.id, { key: req.params.key, value: req.body.value });
    return reply.status(204).send();
  });

  app.delete('/experiments/:id/tags/:key', { schema: { tags, params: IdKeyParams } }, async (req, reply) => {
    await experiments.deleteExperimentTag(db, req.actor, req.params.id, req.params.key);
    return reply.status(204).send();
  });

  app.post('/runs', { schema: { tags, body: S.CreateRunBody, response: { 201: Type.Object({ run: S.Run }) } } }, async (req, reply) => {
    const b = req.body;
    const runTags = fromMap(b.tags);
    if (b.parentRunId) runTags.push({ key: TAG.parentRunId, value: b.parentRunId });
    const run = await runs.createRun(db, req.actor, {
      experimentId: b.experimentId,
      runName: b.name,
      startTime: parseTime(b.startTime, 'startTime'),
      tags: runTags,
    });
    return reply.status(201).send({ run: nativeRun(run) });
  });

  app.get('/runs/:id', { schema: { tags, params: IdParam, response: { 200: Type.Object({ run: S.Run }) } } }, async (req) => ({
    run: nativeRun(await runs.getRun(db, req.params.id)),
  }));

  app.patch('/runs/:id', { schema: { tags, params: IdParam, body: S.UpdateRunBody, response: { 200: Type.Object({ run: S.Run }) } } }, async (req) => {
    const b = req.body;
    const ending = b.status !== undefined && b.status !== 'RUNNING' && b.status !== 'SCHEDULED';
    await runs.updateRun(db, req.actor, req.params.id, {
      status: b.status,
      endTime: b.endTime === null ? null : (parseTime(b.endTime, 'endTime') ?? (ending ? nowMs() : undefined)),
      runName: b.name,
    });
    return { run: nativeRun(await runs.getRun(db, req.params.id)) };
  });

  app.delete('/runs/:id', { schema: { tags, params: IdParam } }, async (req, reply) => {
    await runs.deleteRun(db, req.actor, req.params.id);
    return reply.status(204).send();
  });

  app.post('/runs/:id/restore', { schema: { tags, params: IdParam, response: { 200: Type.Object({ run: S.Run }) } } }, async (req) => {
    await runs.restoreRun(db, req.actor, req.params.id);
    return { run: nativeRun(await runs.getRun(db, req.params.id)) };
  });

  app.post('/runs/search', { config: { role: 'viewer' }, schema: { tags, body: S.SearchRunsBody, response: { 200: S.RunPage } } }, async (req) => {
    const b = req.body;
    const page = await searchRuns(ctx.database, {
      experimentIds: b.experimentIds,
      filter: b.filter,
      orderBy: b.orderBy,
      viewType: viewTypeOf(b.view),
      maxResults: b.maxResults,
      pageToken: b.pageToken,
      allowOr: true,
    });
    return { runs: page.items.map(nativeRun), nextPageToken: page.nextPageToken };
  });

  app.post('/runs/:id/log', { schema: { tags, params: IdParam, body: S.LogBody } }, async (req, reply) => {
    const now = nowMs();
    await logBatch(ctx.database, req.actor, req.params.id, {
      metrics: (req.body.metrics ?? []).map((m) => ({
        key: m.key,
        value: parseMetricValue(m.value, m.key),
        step: m.step ?? 0,
        timestamp: parseTime(m.timestamp, `timestamp of metric '${m.key}'`) ?? now,
      })),
      params: fromMap(req.body.params),
      tags: fromMap(req.body.tags),
    });
    return reply.status(204).send();
  });

  app.put('/runs/:id/tags/:key', { schema: { tags, params: IdKeyParams, body: S.TagValueBody } }, async (req, reply) => {
    await runs.setRunTag(db, req.actor, req.params.id, { key: req.params.key, value: req.body.value });
    return reply.status(204).send();
  });

  app.delete('/runs/:id/tags/:key', { schema: { tags, params: IdKeyParams } }, async (req, reply) => {
    await runs.deleteRunTag(db, req.actor, req.params.id, req.params.key);
    return reply.status(204).send();
  });

  app.get(
    '/runs/:id/metrics/:key/history',
    {
      schema: {
        tags,
        params: IdKeyParams,
        querystring: Type.Object({ maxResults: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })), pageToken: Type.Optional(Type.String()) }),
        response: { 200: S.HistoryPage },
      },
    },
    async (req) => {
      const page = await getMetricHistory(db, req.params.id, req.params.key, req.query);
      return {
        metrics: page.metrics.map((m) => ({ value: metricValueJson(m.value) as number, step: m.step, timestamp: isoOf(m.timestamp)! })),
        nextPageToken: page.nextPageToken,
      };
    },
  );

  app.post('/runs/:id/inputs', { schema: { tags, params: IdParam, body: S.LogInputsBody } }, async (req, reply) => {
    await logInputs(db, req.actor, req.params.id, {
      datasets: req.body.datasets.map(({ tags: t, ...dataset }) => ({ dataset, tags: fromMap(t) })),
    });
    return reply.status(204).send();
  });

  await registerArtifactRoutes(app, ctx);
  await registerDatasetRoutes(app, ctx);

  app.post('/admin/gc', { config: { role: 'admin' }, schema: { tags: ['admin'], body: S.GcBody, response: { 200: S.GcResult } } }, async (req) => {
    const b = req.body;
    if (b.runIds?.some((id) => !/^[0-9a-f]{32}$/.test(id))) throw invalid('runIds must be run ids (32 hex characters).');
    return collectGarbage(db, req.actor, ctx.artifacts, {
      olderThanMs: b.olderThanDays === undefined ? undefined : b.olderThanDays * 86_400_000,
      experimentIds: b.experimentIds?.map((id) => String(experiments.parseExperimentId(id))),
      runIds: b.runIds,
      dryRun: b.dryRun,
    });
  });
}
