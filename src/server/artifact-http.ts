import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ArtifactStore } from '../artifacts/store.js';
import { refuseChangeToRegisteredFiles } from '../registry/registered-files.js';
import type { App, AppContext } from './app.js';

const MIME: Record<string, string> = {
  json: 'application/json',
  txt: 'text/plain; charset=utf-8',
  log: 'text/plain; charset=utf-8',
  md: 'text/markdown; charset=utf-8',
  yaml: 'text/yaml; charset=utf-8',
  yml: 'text/yaml; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
  html: 'text/html; charset=utf-8',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  svg: 'image/svg+xml',
  pdf: 'application/pdf',
};

const mimeOf = (path: string): string => MIME[path.slice(path.lastIndexOf('.') + 1).toLowerCase()] ?? 'application/octet-stream';

export { acceptRawBodies } from './body.js';

type StoreContext = Pick<AppContext, 'database' | 'artifacts'>;

/** Streams the upload in `request` to the store path `path`, unless a registered version's files are there. */
export async function receiveArtifact(ctx: StoreContext, path: string, request: FastifyRequest): Promise<{ size: number }> {
  await refuseChangeToRegisteredFiles(ctx.database.db, path, 'write');
  return ctx.artifacts.put(path, request.raw);
}

/** Deletes a store file or folder, unless it is or holds a registered version's files. */
export async function deleteArtifact(ctx: StoreContext, path: string): Promise<void> {
  await refuseChangeToRegisteredFiles(ctx.database.db, path, 'delete');
  await ctx.artifacts.delete(path);
}

/** Streams a stored file to the client. Text files are not rendered inline by browsers to keep HTML inert. */
export async function sendArtifact(store: ArtifactStore, path: string, reply: FastifyReply): Promise<FastifyReply> {
  const { stream, size } = await store.get(path);
  const type = mimeOf(path);
  reply.header('content-length', size).header('x-content-type-options', 'nosniff');
  if (type.startsWith('text/html') || type === 'image/svg+xml') reply.header('content-security-policy', "default-src 'none'; sandbox");
  return reply.type(type).send(stream);
}
