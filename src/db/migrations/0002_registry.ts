import type { Kysely } from 'kysely';
import type { Dialect } from '../database.js';

/** The model registry: registered models, their versions, tags, aliases and the history of alias and stage moves. */
export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('registered_models')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('description', 'text')
    .addColumn('creation_timestamp', 'bigint', (c) => c.notNull())
    .addColumn('last_updated_timestamp', 'bigint', (c) => c.notNull())
    // The highest version number ever given: incrementing it with UPDATE ... RETURNING numbers concurrent creates
    // without gaps or duplicates (the row lock serializes them), and numbers of deleted versions are never reused.
    .addColumn('last_version', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute();

  await db.schema
    .createTable('registered_model_tags')
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('registered_model_tags_pk', ['name', 'key'])
    .execute();

  // `id` is a surrogate key so version tags need one column to point at their version (the search compiler joins
  // key/value tables on a single column) and stay attached when the model is renamed.
  await db.schema
    .createTable('model_versions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('version', 'bigint', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('run_id', 'text')
    .addColumn('run_link', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('status_message', 'text')
    .addColumn('description', 'text')
    .addColumn('current_stage', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text')
    .addColumn('creation_timestamp', 'bigint', (c) => c.notNull())
    .addColumn('last_updated_timestamp', 'bigint', (c) => c.notNull())
    .addColumn('model_id', 'text')
    .addColumn('content_digest', 'text')
    .addColumn('size', 'bigint')
    .addColumn('signature', 'text')
    .addColumn('flavor', 'text')
    // Deleted versions keep their row (and number) as MLflow does, hidden from every read.
    .addColumn('deleted_at', 'bigint')
    .addUniqueConstraint('model_versions_name_version', ['name', 'version'])
    .execute();
  await db.schema.createIndex('model_versions_run').on('model_versions').column('run_id').execute();

  await db.schema
    .createTable('model_version_tags')
    .addColumn('version_id', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('model_version_tags_pk', ['version_id', 'key'])
    .execute();

  await db.schema
    .createTable('registered_model_aliases')
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('alias', 'text', (c) => c.notNull())
    .addColumn('version', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('registered_model_aliases_pk', ['name', 'alias'])
    .execute();

  const historyId = (t: any) =>
    dialect === 'postgres'
      ? t.addColumn('id', 'bigint', (c: any) => c.primaryKey().generatedByDefaultAsIdentity())
      : t.addColumn('id', 'integer', (c: any) => c.primaryKey().autoIncrement());
  await historyId(db.schema.createTable('model_stage_history'))
    .addColumn('name', 'text', (c: any) => c.notNull())
    .addColumn('version', 'bigint', (c: any) => c.notNull())
    .addColumn('kind', 'text', (c: any) => c.notNull())
    .addColumn('key', 'text', (c: any) => c.notNull())
    .addColumn('from_value', 'text')
    .addColumn('to_value', 'text')
    .addColumn('actor', 'text', (c: any) => c.notNull())
    .addColumn('at', 'bigint', (c: any) => c.notNull())
    .execute();
  await db.schema.createIndex('model_stage_history_name').on('model_stage_history').columns(['name', 'id']).execute();
}
