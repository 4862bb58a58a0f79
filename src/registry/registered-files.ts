import { sql, type Kysely } from 'kysely';
import { invalidState } from '../core/errors.js';
import type { DB } from '../db/schema.js';

/** `a/b/c` → `a/b/c`, `a/b`, `a`: every store path a file at `path` lies under (or is). */
function selfAndAncestors(path: string): string[] {
  const parts = path.split('/');
  return parts.map((_, i) => parts.slice(0, parts.length - i).join('/'));
}

const likePrefix = (path: string) => `${path.replace(/[!%_]/g, '!$&')}/%`;

/**
 * The one rule for changing files in the artifact store: a live registered version's files are immutable. A write
 * of a file at `path` is refused when `path` is, or lies under, a version's files; a delete also when a version's
 * files lie under `path`. Refused with INVALID_STATE (409) naming the version. Versions keep their files until deleted.
 */
export async function refuseChangeToRegisteredFiles(db: Kysely<DB>, path: string, change: 'write' | 'delete'): Promise<void> {
  const target = path.replace(/\/+$/, '');
  if (target === '') return;
  const hit = await db
    .selectFrom('model_versions')
    .select(['name', 'version', 'store_path'])
    .where('deleted_at', 'is', null)
    .where((eb) => {
      const under = eb('store_path', 'in', selfAndAncestors(target));
      return change === 'delete' ? eb.or([under, sql<boolean>`store_path like ${likePrefix(target)} escape '!'`]) : under;
    })
    .orderBy('name')
    .orderBy('version')
    .executeTakeFirst();
  if (!hit) return;
  throw invalidState(
    `${target} ${change === 'delete' ? 'holds' : 'is part of'} the files of registered model version ${hit.name} v${Number(hit.version)}, which cannot change after registration. Log new files under another path (or in a new run) and register them as a new version.`,
    { model: hit.name, version: Number(hit.version) },
  );
}
