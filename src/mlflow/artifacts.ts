import type { FastifyReply } from 'fastify';
import { Type } from 'typebox';
import { safeArtifactPath, safeArtifactPrefix } from '../artifacts/paths.js';
import type { ArtifactStore } from '../artifacts/store.js';
import { invalid } from '../core/errors.js';
import type { App, AppContext } from '../server/app.js';
import { acceptRawBodies, deleteArtifact, receiveArtifact, sendArtifact } from '../server/artifact-http.js';
import { proxiedArtifactPath } from '../tracking/gc.js';
import { requireRunRow } from '../tracking/runs.js';
import { Message, missing, routeOptions } from './request.js';
import { compact, fileInfoJson } from './translate.js';

/** The folder of this server's store behind an `mlflow-artifacts:/...` URI; other URIs are outside its reach. */
export function storeRootOf(uri: string, owner: string): string {
  const root = proxiedArtifactPath(uri);
  if (root === null) {
    throw invalid(`The artifacts of ${owner} live at ${uri}, outside this server's artifact store; read them from there.`);
  }
  return root;
}

const join = (root: string, path: string) => (root && path ? `${root}/${path}` : root || path);
const basename = (path: string) => path.slice(path.lastIndexOf('/') + 1);

/** The children of `prefix` under `root`, as FileInfo with paths relative to `root` (the prefix included). */
export async function listUnder(store: ArtifactStore, root: string, prefix: string | undefined): Promise<Record<string, unknown>[]> {
  const dir = safeArtifactPrefix(prefix ?? '');
  const entries = await store.list(join(root, dir));
  return entries.map((e) => fileInfoJson(root ? e.path.slice(root.length + 1) : e.path, e));
}

/** Sends a stored file as an attachment, as MLflow's artifact downloads do. */
export async function sendDownload(store: ArtifactStore, path: string, reply: FastifyReply): Promise<FastifyReply> {
  const name = basename(path);
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  reply.header('content-disposition', `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`);
  return sendArtifact(store, path, reply);
}

/** `GET artifacts/list`: one folder of a run's artifacts. Registered under /api/2.0/mlflow and /ajax-api/2.0/mlflow. */
export function registerRunArtifactRoutes(app: App, ctx: AppContext): void {
  app.get('/artifacts/list', routeOptions(), async (req) => {
    const m = Message.of(req);
    const run = await requireRunRow(ctx.database.db, m.runId());
    const files = await listUnder(ctx.artifacts, storeRootOf(run.artifact_uri, `run ${run.run_uuid}`), m.string('path'));
    return compact({ root_uri: run.artifact_uri, files });
  });
}

/** `GET /get-artifact?run_id=&path=`: downloads one file of a run (the MLflow UI's link). */
export function registerGetArtifactRoute(app: App, ctx: AppContext): void {
  app.get('/get-artifact', routeOptions(), async (req, reply) => {
    const m = Message.of(req);
    const run = await requireRunRow(ctx.database.db, m.runId());
    const path = safeArtifactPath(m.requiredString('path'));
    return sendDownload(ctx.artifacts, join(storeRootOf(run.artifact_uri, `run ${run.run_uuid}`), path), reply);
  });
}

const PathParams = Type.Object({ '*': Type.String() });

/**
 * The mlflow-artifacts service (`mlflow server --serve-artifacts`): download, upload, list and delete by store path
 * (`1/<run_id>/artifacts/model/MLmodel`). Registered under /api/2.0/mlflow-artifacts and /ajax-api/2.0/mlflow-artifacts.
 */
export async function registerArtifactService(app: App, ctx: AppContext): Promise<void> {
  const store = ctx.artifacts;

  app.get('/artifacts', routeOptions(), async (req) => {
    const dir = safeArtifactPrefix(Message.of(req).string('path') ?? '');
    const entries = await store.list(dir);
    return compact({ files: entries.map((e) => fileInfoJson(basename(e.path), e)) });
  });

  app.get('/artifacts/*', { ...routeOptions(), schema: { hide: true, params: PathParams } }, async (req, reply) =>
    sendDownload(store, safeArtifactPath(req.params['*']), reply),
  );

  app.delete('/artifacts/*', { ...routeOptions(), schema: { hide: true, params: PathParams } }, async (req) => {
    const path = safeArtifactPrefix(req.params['*']);
    if (path === '') throw invalid('Give the path of the artifact or folder to delete; the store root cannot be deleted.');
    await deleteArtifact(ctx, path);
    return {};
  });

  await app.register(async (plugin) => {
    const upload = plugin as App;
    acceptRawBodies(upload);
    upload.put('/artifacts/*', { ...routeOptions(), schema: { hide: true, params: PathParams } }, async (req) => {
      const path = req.params['*'];
      if (path === '') throw missing('artifact_path');
      await receiveArtifact(ctx, safeArtifactPath(path), req);
      return {};
    });
  });
}
