import type { Kysely } from 'kysely';
import type { Dialect } from '../database.js';

/**
 * Where a registered version's files are in the artifact store, so that writes under that path can be refused
 * (registry/registered-files.ts). Null for versions whose files are elsewhere; versions registered before this
 * migration get theirs at their first verified load (registry/model-files.ts).
 */
export async function up(db: Kysely<any>, _dialect: Dialect): Promise<void> {
  await db.schema.alterTable('model_versions').addColumn('store_path', 'text').execute();
  await db.schema.createIndex('model_versions_store_path').on('model_versions').column('store_path').execute();
}
