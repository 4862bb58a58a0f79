import { invalid } from '../../core/errors.js';

/** An opaque page token for the row offset where the next page starts (base64 of `{"offset": n}`). */
export function encodePageToken(offset: number): string {
  return Buffer.from(JSON.stringify({ offset })).toString('base64');
}

/** The offset in a page token; 0 for no token. Throws `invalid` for anything `encodePageToken` did not make. */
export function decodePageToken(token: string | null | undefined): number {
  if (token === null || token === undefined || token === '') return 0;
  let offset: unknown;
  try {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(token)) throw new Error('not base64');
    offset = (JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { offset?: unknown } | null)?.offset;
  } catch {
    offset = undefined;
  }
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) {
    throw invalid(`Invalid page_token ${JSON.stringify(token)}: pass the next_page_token of the previous page unchanged.`, {
      pageToken: token,
    });
  }
  return offset;
}

/** One page of `rows`, fetched with one row more than `limit`: that extra row only tells whether a next page exists. */
export function pageOf<T>(rows: T[], offset: number, limit: number): { rows: T[]; nextPageToken: string | null } {
  const more = rows.length > limit;
  return { rows: more ? rows.slice(0, limit) : rows, nextPageToken: more ? encodePageToken(offset + limit) : null };
}
