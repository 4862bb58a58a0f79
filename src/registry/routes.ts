import { Type } from 'typebox';
import { isoOf } from '../core/clock.js';
import type { App, AppContext } from '../server/app.js';
import { fromMap, toMap } from '../tracking/native.js';
import * as aliases from './aliases.js';
import { getLineage } from './lineage.js';
import * as models from './models.js';
import * as S from './schemas.js';
import { searchModelVersions, searchRegisteredModels } from './search.js';
import type { ModelVersion, RegisteredModel, StageMove } from './types.js';
import * as versions from './versions.js';

const NameParam = Type.Object({ name: Type.String() });
const AliasParams = Type.Object({ name: Type.String(), alias: Type.String() });
const VersionParams = Type.Object({ name: Type.String(), version: Type.Integer({ minimum: 1 }) });
const tags = ['registry'];

const nativeVersion = (v: ModelVersion): S.ModelVersion => ({
  name: v.name,
  version: v.version,
  source: v.source,
  runId: v.runId,
  runLink: v.runLink,
  modelId: v.modelId,
  status: v.status,
  statusMessage: v.statusMessage,
  description: v.description,
  stage: v.currentStage,
  userId: v.userId,
  contentDigest: v.contentDigest,
  size: v.size,
  signature: v.signature,
  flavor: v.flavor,
  tags: toMap(v.tags),
  aliases: v.aliases,
  createdAt: isoOf(v.creationTimestamp)!,
  updatedAt: isoOf(v.lastUpdatedTimestamp)!,
});

const nativeModel = (m: RegisteredModel): S.RegisteredModel => ({
  name: m.name,
  description: m.description,
  createdAt: isoOf(m.creationTimestamp)!,
  updatedAt: isoOf(m.lastUpdatedTimestamp)!,
  tags: toMap(m.tags),
  aliases: Object.fromEntries(m.aliases.map((a) => [a.alias, a.version])),
  latestVersions: m.latestVersions.map(nativeVersion),
});

const nativeMove = (h: StageMove): S.StageMove => ({ ...h, at: isoOf(h.at)! });

/** The native model registry API under /api/v1. Routes only parse, call the service and shape the reply. */
export async function registerRegistryRoutes(app: App, ctx: AppContext): Promise<void> {
  const { db } = ctx.database;

  const detail = async (name: string): Promise<S.RegisteredModelDetail> => ({
    ...nativeModel(await models.getRegisteredModel(db, name)),
    versions: (await versions.listModelVersions(db, name)).map(nativeVersion),
  });

  app.get('/models', { schema: { tags, querystring: S.SearchModelsQuery, response: { 200: S.ModelPage } } }, async (req) => {
    const q = req.query;
    const page = await searchRegisteredModels(ctx.database, {
      filter: q.filter,
      orderBy: q.orderBy === undefined ? undefined : ([] as string[]).concat(q.orderBy),
      maxResults: q.maxResults,
      pageToken: q.pageToken,
      allowOr: true,
    });
    return { models: page.items.map(nativeModel), nextPageToken: page.nextPageToken };
  });

  app.post('/models', { schema: { tags, body: S.CreateModelBody, response: { 201: Type.Object({ model: S.RegisteredModelDetail }) } } }, async (req, reply) => {
    const model = await models.createRegisteredModel(db, req.actor, { name: req.body.name, description: req.body.description, tags: fromMap(req.body.tags) });
    return reply.status(201).send({ model: await detail(model.name) });
  });

  app.get('/models/:name', { schema: { tags, params: NameParam, response: { 200: Type.Object({ model: S.RegisteredModelDetail }) } } }, async (req) => ({
    model: await detail(req.params.name),
  }));

  app.post('/models/:name/versions', { schema: { tags, params: NameParam, body: S.CreateVersionBody, response: { 201: S.RegisteredVersion } } }, async (req, reply) => {
    const b = req.body;
    const { version, sameContentAs } = await versions.registerModelVersion(db, ctx.artifacts, req.actor, {
      name: req.params.name,
      source: b.source,
      runId: b.runId,
      runLink: b.runLink,
      modelId: b.modelId,
      description: b.description,
      tags: fromMap(b.tags),
      contentDigest: b.contentDigest,
      size: b.size,
      signature: b.signature,
      flavor: b.flavor,
    }, ctx.trust);
    return reply.status(201).send({ version: nativeVersion(version), sameContentAs });
  });

  app.get('/models/:name/versions/:version', { schema: { tags, params: VersionParams, response: { 200: Type.Object({ version: S.ModelVersion }) } } }, async (req) => ({
    version: nativeVersion(await versions.getModelVersion(db, req.params.name, req.params.version)),
  }));

  app.put('/models/:name/aliases/:alias', { schema: { tags, params: AliasParams, body: S.SetAliasBody, response: { 200: Type.Object({ version: S.ModelVersion }) } } }, async (req) => {
    await aliases.setAlias(db, req.actor, req.params.name, req.params.alias, req.body.version, {
      guard: ctx.promotionGuard,
      ...(req.body.override ? { override: req.body.override } : {}),
    });
    return { version: nativeVersion(await aliases.getVersionByAlias(db, req.params.name, req.params.alias)) };
  });

  app.delete('/models/:name/aliases/:alias', { schema: { tags, params: AliasParams } }, async (req, reply) => {
    await aliases.deleteAlias(db, req.actor, req.params.name, req.params.alias);
    return reply.status(204).send();
  });

  app.get('/models/:name/aliases/:alias', { schema: { tags, params: AliasParams, response: { 200: Type.Object({ version: S.ModelVersion }) } } }, async (req) => ({
    version: nativeVersion(await aliases.getVersionByAlias(db, req.params.name, req.params.alias)),
  }));

  app.get('/models/:name/history', { schema: { tags, params: NameParam, querystring: S.HistoryQuery, response: { 200: Type.Object({ entries: Type.Array(S.StageMove) }) } } }, async (req) => ({
    entries: (await aliases.listStageHistory(db, req.params.name, req.query)).map(nativeMove),
  }));

  app.get(
    '/lineage',
    { schema: { tags, querystring: Type.Object({ ref: Type.String({ minLength: 1, description: 'models:/<name>@<alias>, models:/<name>/<version>, runs:/<id> or a run id' }) }), response: { 200: S.Lineage } } },
    async (req) => {
      const l = await getLineage(db, req.query.ref);
      return {
        ...l,
        modelVersion: l.modelVersion && nativeVersion(l.modelVersion),
        promotions: l.promotions.map(nativeMove),
        run: l.run && {
          id: l.run.runId,
          name: l.run.runName,
          experimentId: l.run.experimentId,
          userId: l.run.userId,
          status: l.run.status,
          startTime: isoOf(l.run.startTime)!,
          endTime: isoOf(l.run.endTime),
          parentRunId: l.run.parentRunId,
          params: toMap(l.run.params),
        },
      };
    },
  );

  app.get(
    '/runs/:id/model-versions',
    { schema: { tags, params: Type.Object({ id: Type.String({ pattern: '^[0-9a-f]{32}$' }) }), response: { 200: Type.Object({ versions: Type.Array(S.ModelVersion) }) } } },
    async (req) => ({
      versions: (await searchModelVersions(ctx.database, { filter: `run_id = '${req.params.id}'`, maxResults: 1000 })).items.map(nativeVersion),
    }),
  );
}
