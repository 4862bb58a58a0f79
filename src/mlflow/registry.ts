import type { FastifyRequest } from 'fastify';
import { invalid } from '../core/errors.js';
import * as aliases from '../registry/aliases.js';
import * as models from '../registry/models.js';
import { searchModelVersions, searchRegisteredModels } from '../registry/search.js';
import * as versions from '../registry/versions.js';
import type { App, AppContext } from '../server/app.js';
import { missing, Message, routeOptions } from './request.js';
import { modelVersionJson, registeredModelJson } from './registry-json.js';
import { pageJson } from './translate.js';

/**
 * A DELETE's fields: MLflow's Python client sends them as a JSON body, other clients in the query string; the
 * body wins when it has any.
 */
function messageOf(req: FastifyRequest): Message {
  if (req.method !== 'DELETE') return Message.of(req);
  const body = (req.body ?? {}) as Record<string, unknown>;
  if (Object.keys(body).length > 0) return new Message(body, false);
  return new Message((req.query ?? {}) as Record<string, unknown>, true);
}

const requiredVersion = (m: Message): number => m.requiredInt('version');

function requiredValue(m: Message, field: string): string {
  const v = m.string(field);
  if (v === undefined) throw missing(m.name(field));
  return v;
}

/** MLflow's model registry REST API (model_registry.proto): registered models, versions, tags, stages, aliases. */
export function registerRegistryRoutes(app: App, ctx: AppContext): void {
  const { db } = ctx.database;

  app.post('/registered-models/create', routeOptions(), async (req) => {
    const m = messageOf(req);
    const model = await models.createRegisteredModel(db, req.actor, {
      name: m.requiredString('name'),
      description: m.string('description'),
      tags: m.keyValues('tags', { requireKey: true }),
    });
    return { registered_model: registeredModelJson(model) };
  });

  app.get('/registered-models/get', routeOptions(), async (req) => ({
    registered_model: registeredModelJson(await models.getRegisteredModel(db, Message.of(req).requiredString('name'))),
  }));

  app.post('/registered-models/rename', routeOptions(), async (req) => {
    const m = messageOf(req);
    const model = await models.renameRegisteredModel(db, req.actor, m.requiredString('name'), m.requiredString('new_name'), { guard: ctx.identityGuard, followers: ctx.renameFollowers });
    return { registered_model: registeredModelJson(model) };
  });

  app.patch('/registered-models/update', routeOptions(), async (req) => {
    const m = messageOf(req);
    const model = await models.updateRegisteredModel(db, req.actor, m.requiredString('name'), m.string('description'));
    return { registered_model: registeredModelJson(model) };
  });

  app.delete('/registered-models/delete', routeOptions(), async (req) => {
    await models.deleteRegisteredModel(db, req.actor, messageOf(req).requiredString('name'), ctx.identityGuard);
    return {};
  });

  const searchModels = async (req: FastifyRequest) => {
    const m = Message.of(req);
    const page = await searchRegisteredModels(ctx.database, {
      filter: m.string('filter') || undefined,
      orderBy: m.strings('order_by'),
      maxResults: m.int('max_results'),
      pageToken: m.string('page_token') || undefined,
    });
    return pageJson('registered_models', page.items.map(registeredModelJson), page.nextPageToken);
  };
  app.get('/registered-models/search', routeOptions('viewer'), searchModels);
  app.post('/registered-models/search', routeOptions('viewer'), searchModels);

  const latest = async (req: FastifyRequest) => {
    const m = Message.of(req);
    const list = await versions.getLatestVersions(db, m.requiredString('name'), m.strings('stages'));
    return { model_versions: list.map(modelVersionJson) };
  };
  app.post('/registered-models/get-latest-versions', routeOptions('viewer'), latest);
  app.get('/registered-models/get-latest-versions', routeOptions('viewer'), latest);

  app.post('/registered-models/set-tag', routeOptions(), async (req) => {
    const m = messageOf(req);
    await models.setRegisteredModelTag(db, req.actor, m.requiredString('name'), { key: m.requiredString('key'), value: requiredValue(m, 'value') });
    return {};
  });

  app.delete('/registered-models/delete-tag', routeOptions(), async (req) => {
    const m = messageOf(req);
    await models.deleteRegisteredModelTag(db, req.actor, m.requiredString('name'), m.requiredString('key'));
    return {};
  });

  app.post('/registered-models/alias', routeOptions(), async (req) => {
    const m = messageOf(req);
    await aliases.setAlias(db, req.actor, m.requiredString('name'), m.requiredString('alias'), requiredVersion(m), { guard: ctx.promotionGuard });
    return {};
  });

  app.delete('/registered-models/alias', routeOptions(), async (req) => {
    const m = messageOf(req);
    await aliases.deleteAlias(db, req.actor, m.requiredString('name'), m.requiredString('alias'));
    return {};
  });

  app.get('/registered-models/alias', routeOptions(), async (req) => {
    const m = Message.of(req);
    const found = await aliases.findVersionByAlias(db, m.requiredString('name'), m.requiredString('alias'));
    // MLflow's store raises INVALID_PARAMETER_VALUE (400) for a missing alias, and its clients expect that code.
    if (!found.version) throw invalid(`Registered model alias ${found.alias} not found.`);
    return { model_version: modelVersionJson(found.version) };
  });

  app.post('/model-versions/create', routeOptions(), async (req) => {
    const m = messageOf(req);
    const { version } = await versions.registerModelVersion(db, ctx.artifacts, req.actor, {
      name: m.requiredString('name'),
      source: m.requiredString('source'),
      runId: m.string('run_id') || undefined,
      runLink: m.string('run_link') || undefined,
      description: m.string('description'),
      tags: m.keyValues('tags', { requireKey: true }),
      modelId: m.string('model_id') || undefined,
    }, ctx.trust);
    return { model_version: modelVersionJson(version) };
  });

  app.get('/model-versions/get', routeOptions(), async (req) => {
    const m = Message.of(req);
    return { model_version: modelVersionJson(await versions.getModelVersion(db, m.requiredString('name'), requiredVersion(m))) };
  });

  app.patch('/model-versions/update', routeOptions(), async (req) => {
    const m = messageOf(req);
    const version = await versions.updateModelVersion(db, req.actor, m.requiredString('name'), requiredVersion(m), m.string('description'));
    return { model_version: modelVersionJson(version) };
  });

  app.delete('/model-versions/delete', routeOptions(), async (req) => {
    const m = messageOf(req);
    await versions.deleteModelVersion(db, req.actor, m.requiredString('name'), requiredVersion(m));
    return {};
  });

  const searchVersions = async (req: FastifyRequest) => {
    const m = Message.of(req);
    const page = await searchModelVersions(ctx.database, {
      filter: m.string('filter') || undefined,
      orderBy: m.strings('order_by'),
      maxResults: m.int('max_results'),
      pageToken: m.string('page_token') || undefined,
    });
    return pageJson('model_versions', page.items.map(modelVersionJson), page.nextPageToken);
  };
  app.get('/model-versions/search', routeOptions('viewer'), searchVersions);
  app.post('/model-versions/search', routeOptions('viewer'), searchVersions);

  app.get('/model-versions/get-download-uri', routeOptions(), async (req) => {
    const m = Message.of(req);
    return { artifact_uri: await versions.getModelVersionDownloadUri(db, m.requiredString('name'), requiredVersion(m)) };
  });

  app.post('/model-versions/transition-stage', routeOptions(), async (req) => {
    const m = messageOf(req);
    const name = m.requiredString('name');
    const version = requiredVersion(m);
    const stage = m.requiredString('stage');
    const archive = m.bool('archive_existing_versions');
    if (archive === undefined) throw missing(m.name('archive_existing_versions'));
    return { model_version: modelVersionJson(await versions.transitionModelVersionStage(db, req.actor, name, version, stage, archive, ctx.promotionGuard)) };
  });

  app.post('/model-versions/set-tag', routeOptions(), async (req) => {
    const m = messageOf(req);
    const name = m.requiredString('name');
    const version = requiredVersion(m);
    await versions.setModelVersionTag(db, req.actor, name, version, { key: m.requiredString('key'), value: requiredValue(m, 'value') });
    return {};
  });

  app.delete('/model-versions/delete-tag', routeOptions(), async (req) => {
    const m = messageOf(req);
    const name = m.requiredString('name');
    const version = requiredVersion(m);
    await versions.deleteModelVersionTag(db, req.actor, name, version, m.requiredString('key'));
    return {};
  });

}
