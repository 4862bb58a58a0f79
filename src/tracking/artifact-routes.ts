import { Type } from 'typebox';
import { safeArtifactPath, safeArtifactPrefix } from '../artifacts/paths.js';
import { invalid } from '../core/errors.js';
import type { App, AppContext } from '../server/app.js';
import { acceptRawBodies, receiveArtifact, sendArtifact } from '../server/artifact-http.js';
import { proxiedArtifactPath } from './gc.js';
import { requireActiveRun, requireRunRow } from './runs.js';
import * as S from './schemas.js';

/** The store folder that holds a run's artifacts; only runs whose artifacts this server stores have one. */
export function runArtifactRoot(artifactUri: string): string {
  const root = proxiedArtifactPath(artifactUri);
  if (root === null) {
    throw invalid(`This run's artifacts live at ${artifactUri}, outside this server's artifact store; read them from there.`);
  }
  return root;
}

const join = (root: string, path: string) => (path ? `${root}/${path}` : root);
const tags = ['artifacts'];
const Params = Type.Object({ id: Type.String(), '*': Type.String() });

/** Native artifact routes: list, download and streamed upload of a run's files. */
export async function registerArtifactRoutes(app: App, ctx: AppContext): Promise<void> {
  const { db } = ctx.database;

  app.get(
    '/runs/:id/artifacts',
    { schema: { tags, params: Type.Object({ id: Type.String() }), querystring: Type.Object({ path: Type.Optional(Type.String()) }), response: { 200: S.ArtifactList } } },
    async (req) => {
      const run = await requireRunRow(db, req.params.id);
      const root = runArtifactRoot(run.artifact_uri);
      const prefix = safeArtifactPrefix(req.query.path ?? '');
      const entries = await ctx.artifacts.list(join(root, prefix));
      return { files: entries.map((e) => ({ path: e.path.slice(root.length + 1), isDir: e.isDir, size: e.size })) };
    },
  );

  app.get('/runs/:id/artifacts/*', { schema: { tags, params: Params } }, async (req, reply) => {
    const run = await requireRunRow(db, req.params.id);
    return sendArtifact(ctx.artifacts, join(runArtifactRoot(run.artifact_uri), safeArtifactPath(req.params['*'])), reply);
  });

  await app.register(async (plugin) => {
    const upload = plugin as App;
    acceptRawBodies(upload);
    upload.put('/runs/:id/artifacts/*', { schema: { tags, params: Params, response: { 200: Type.Object({ path: Type.String(), size: Type.Integer() }) } } }, async (req) => {
      const run = await requireActiveRun(db, req.params.id);
      const path = safeArtifactPath(req.params['*']);
      const { size } = await receiveArtifact(ctx, join(runArtifactRoot(run.artifact_uri), path), req);
      return { path, size };
    });
  });
}
