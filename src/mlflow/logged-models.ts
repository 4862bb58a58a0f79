import { Type } from 'typebox';
import { safeArtifactPath } from '../artifacts/paths.js';
import { invalid } from '../core/errors.js';
import type { App, AppContext } from '../server/app.js';
import { LIMITS } from '../tracking/limits.js';
import * as models from '../tracking/logged-models.js';
import { searchLoggedModels } from '../tracking/search.js';
import { listUnder, sendDownload, storeRootOf } from './artifacts.js';
import { Message, missing, routeOptions } from './request.js';
import { compact, loggedModelJson, pageJson } from './translate.js';

/** LoggedModelStatus by protobuf number (index). */
const STATUSES: readonly (models.LoggedModelStatus | 'LOGGED_MODEL_STATUS_UNSPECIFIED')[] = [
  'LOGGED_MODEL_STATUS_UNSPECIFIED',
  'LOGGED_MODEL_PENDING',
  'LOGGED_MODEL_READY',
  'LOGGED_MODEL_UPLOAD_FAILED',
];

const SEARCH_DEFAULT = 50;
/** MLflow's store falls back to 100 when max_results is 0. */
const SEARCH_ZERO_DEFAULT = 100;

const IdParams = Type.Object({ model_id: Type.String() });
const withId = (role?: 'viewer') => ({ ...routeOptions(role), schema: { hide: true, params: IdParams } });

/** The path's model_id; a body that names another model is a client bug, not something to guess around. */
function modelIdOf(pathId: string, m: Message): string {
  const bodyId = m.string('model_id');
  if (bodyId && bodyId !== pathId) throw invalid(`The model_id in the body ('${bodyId}') does not match the one in the path ('${pathId}').`);
  return pathId;
}

/** MLflow 3 logged models: create, get, finalize, delete, search, tags, params, artifact listing. */
export function registerLoggedModelRoutes(app: App, ctx: AppContext): void {
  const { db } = ctx.database;

  app.post('/logged-models', routeOptions(), async (req) => {
    const m = Message.of(req);
    const model = await models.createLoggedModel(db, req.actor, {
      experimentId: m.requiredExperimentId(),
      name: m.string('name') || undefined,
      modelType: m.string('model_type') || undefined,
      sourceRunId: m.string('source_run_id') || undefined,
      params: m.keyValues('params'),
      tags: m.keyValues('tags'),
    });
    return { model: loggedModelJson(model) };
  });

  app.post('/logged-models/search', routeOptions('viewer'), async (req) => {
    const m = Message.of(req);
    if (!m.has('experiment_ids')) throw missing('experiment_ids');
    const maxResults = m.int('max_results') ?? SEARCH_DEFAULT;
    if (maxResults < 0 || maxResults > LIMITS.searchMax) {
      throw invalid(`Invalid value ${maxResults} for parameter 'max_results' supplied: it must be between 1 and ${LIMITS.searchMax}.`);
    }
    const page = await searchLoggedModels(ctx.database, {
      experimentIds: m.strings('experiment_ids', { ids: true }),
      filter: m.string('filter') || undefined,
      datasets: m.messages('datasets').map((d) => ({ datasetName: d.requiredString('dataset_name'), datasetDigest: d.string('dataset_digest') || undefined })),
      orderBy: m.messages('order_by').map((o) => ({ fieldName: o.requiredString('field_name'), ascending: o.bool('ascending') ?? true })),
      maxResults: maxResults === 0 ? SEARCH_ZERO_DEFAULT : maxResults,
      pageToken: m.string('page_token') || undefined,
      allowOr: false,
    });
    return pageJson('models', page.items.map(loggedModelJson), page.nextPageToken);
  });

  app.get('/logged-models/:model_id', withId(), async (req) => {
    // allow_deleted is parsed for its validation only: the service has no way to read a deleted model.
    Message.of(req).bool('allow_deleted');
    return { model: loggedModelJson(await models.getLoggedModel(db, req.params.model_id)) };
  });

  app.patch('/logged-models/:model_id', withId(), async (req) => {
    const m = Message.of(req);
    const id = modelIdOf(req.params.model_id, m);
    const status = m.enumName('status', STATUSES);
    if (status === undefined) throw missing('status');
    return { model: loggedModelJson(await models.finalizeLoggedModel(db, req.actor, id, status)) };
  });

  app.delete('/logged-models/:model_id', withId(), async (req) => {
    await models.deleteLoggedModel(db, req.actor, modelIdOf(req.params.model_id, Message.of(req)));
    return {};
  });

  app.patch('/logged-models/:model_id/tags', withId(), async (req) => {
    const m = Message.of(req);
    await models.setLoggedModelTags(db, req.actor, modelIdOf(req.params.model_id, m), m.keyValues('tags'));
    return {};
  });

  app.delete(
    '/logged-models/:model_id/tags/:tag_key',
    { ...routeOptions(), schema: { hide: true, params: Type.Object({ model_id: Type.String(), tag_key: Type.String() }) } },
    async (req) => {
      await models.deleteLoggedModelTag(db, req.actor, req.params.model_id, req.params.tag_key);
      return {};
    },
  );

  app.post('/logged-models/:model_id/params', withId(), async (req) => {
    const m = Message.of(req);
    await models.logLoggedModelParams(db, req.actor, modelIdOf(req.params.model_id, m), m.keyValues('params'));
    return {};
  });

  app.get('/logged-models/:model_id/artifacts/directories', withId(), async (req) => {
    const model = await models.getLoggedModel(db, req.params.model_id);
    const root = storeRootOf(model.artifactUri, `logged model ${model.modelId}`);
    const files = await listUnder(ctx.artifacts, root, Message.of(req).string('artifact_directory_path'));
    return compact({ root_uri: model.artifactUri, files });
  });
}

/** The MLflow UI's download of one file of a logged model; MLflow serves it under /ajax-api/2.0/mlflow only. */
export function registerLoggedModelFileRoute(app: App, ctx: AppContext): void {
  app.get('/logged-models/:model_id/artifacts/files', withId(), async (req, reply) => {
    const model = await models.getLoggedModel(ctx.database.db, req.params.model_id);
    const file = Message.of(req).string('artifact_file_path');
    if (!file) throw missing('artifact_file_path');
    const root = storeRootOf(model.artifactUri, `logged model ${model.modelId}`);
    return sendDownload(ctx.artifacts, `${root}/${safeArtifactPath(file)}`, reply);
  });
}
