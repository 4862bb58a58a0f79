import fastifyStatic from '@fastify/static';
import { statSync } from 'node:fs';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyReply } from 'fastify';
import type { App } from './app.js';
import { isMlflowPath, sendNotFound } from './errors.js';

/** Where `npm run build` puts the web UI: dist/ui, beside dist/server. From source (src/ui) it is missing. */
export const defaultUiRoot = (): string => fileURLToPath(new URL('../ui/', import.meta.url));

/** Paths the UI never answers, so unknown API routes keep their JSON 404. */
const isApiPath = (url: string): boolean =>
  isMlflowPath(url) || url.startsWith('/api/') || url === '/api' || url.startsWith('/health') || url.startsWith('/version');

const NOT_BUILT =
  'Slipway is running, but its web UI is not built.\n' +
  'Run `npm run build` (it builds the server and the UI into dist/ui), then start the server from dist.\n' +
  'The API is at /api/v1 (OpenAPI: /api/v1/openapi.json); MLflow clients use /api/2.0/mlflow.\n';

const isFile = (path: string): boolean => {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
};

/**
 * Serves the single-page UI from `root`: its files, and index.html for any other GET so client-side routes
 * (/runs/:id, /models/:name, ...) deep-link. API routes are registered as specific paths and win over this
 * wildcard. The page itself is public: it holds no data, and asks for a token when the API answers 401.
 * Without a built UI, `/` says how to build it.
 */
export async function registerUi(app: App, root: string | null): Promise<void> {
  const config = { public: true };
  if (!root || !isFile(join(root, 'index.html'))) {
    app.get('/', { config, schema: { hide: true } }, async (_req, reply) => reply.type('text/plain; charset=utf-8').send(NOT_BUILT));
    return;
  }
  await app.register(fastifyStatic, { root, serve: false });
  const index = (reply: FastifyReply) =>
    reply.header('cache-control', 'no-cache').sendFile('index.html', root, { cacheControl: false });

  app.get('/', { config, schema: { hide: true } }, async (_req, reply) => index(reply));
  app.get('/*', { config, schema: { hide: true } }, async (req, reply) => {
    const path = req.url.split('?')[0]!;
    if (isApiPath(path)) return sendNotFound(req, reply);
    let relative: string;
    try {
      relative = normalize(decodeURIComponent(path)).replace(/^[/\\]+/, '');
    } catch {
      return index(reply);
    }
    if (relative.split(sep).includes('..')) return index(reply);
    if (relative && isFile(join(root, relative))) {
      // Vite names built assets by content hash, so they never change under one name.
      const hashed = relative.startsWith(`assets${sep}`);
      return reply.sendFile(relative, root, hashed ? { maxAge: '365d', immutable: true } : { cacheControl: false });
    }
    // A missing file (a stale asset link) is a 404; anything else is a client-side route.
    if (extname(relative) && relative.startsWith(`assets${sep}`)) return reply.status(404).type('text/plain').send(`No file ${path}`);
    return index(reply);
  });
}
