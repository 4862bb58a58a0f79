import type { FastifyInstance } from 'fastify';

/**
 * What request bodies the server reads, decided here for every route. JSON routes read only
 * `Content-Type: application/json`: a browser can send `text/plain` or a form cross-site without a preflight,
 * so accepting those as JSON would let any web page write to the API. Anything else answers 415, which the
 * error mapping turns into "send JSON with Content-Type: application/json". Raw uploads (artifact files) take
 * any type; they are mutating requests, so the origin guard still applies to them.
 */
export const JSON_MEDIA_TYPE = 'application/json';

/** The app-wide default: Fastify's JSON parser only (it also registers `text/plain`, which is dropped). */
export function registerJsonBodies(app: FastifyInstance): void {
  app.removeContentTypeParser('text/plain');
}

/** JSON bodies read with `parse` instead of the default parser (MLflow's lenient reading: empty body as {}). */
export function acceptJsonBodies(app: FastifyInstance, parse: (text: string) => unknown): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(JSON_MEDIA_TYPE, { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, parse(body as string));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
}

/** Bodies of any content type as raw streams, so uploads flow to the store without being buffered. */
export function acceptRawBodies(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null));
}
