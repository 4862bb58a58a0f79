import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../database.js';

/**
 * Release integrity: a registered model gets a stable id that survives renames, and what guards its releases (gate
 * policies, the evaluations that count as passing them) is keyed by that id, so renaming a model away and back can
 * no longer shed its policy. Policies of names no model has any more are kept, keyed to no model (`name:<name>`).
 */
export async function up(db: Kysely<any>, _dialect: Dialect): Promise<void> {
  await db.schema.alterTable('registered_models').addColumn('id', 'text').execute();
  for (const r of await db.selectFrom('registered_models').select('name').execute()) {
    await db.updateTable('registered_models').set({ id: randomUUID() }).where('name', '=', r.name).execute();
  }
  await db.schema.createIndex('registered_models_id').on('registered_models').column('id').unique().execute();

  // A new primary key needs a new table on SQLite; the same steps serve PostgreSQL.
  await db.schema
    .createTable('gate_policies_by_id')
    .addColumn('model_id', 'text', (c) => c.notNull())
    /** The model's name when this version was written (names change; the id does not). */
    .addColumn('model_name', 'text', (c) => c.notNull())
    .addColumn('version', 'bigint', (c) => c.notNull())
    .addColumn('spec', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('gate_policies_by_id_pk', ['model_id', 'version'])
    .execute();
  await sql`insert into gate_policies_by_id (model_id, model_name, version, spec, source, created_at, created_by)
    select coalesce((select m.id from registered_models m where m.name = p.model_name), 'name:' || p.model_name), p.model_name, p.version, p.spec, p.source, p.created_at, p.created_by
    from gate_policies p`.execute(db);
  await db.schema.dropTable('gate_policies').execute();
  await db.schema.alterTable('gate_policies_by_id').renameTo('gate_policies').execute();

  await db.schema.alterTable('evaluations').addColumn('model_id', 'text').execute();
  await sql`update evaluations set model_id = (select m.id from registered_models m where m.name = evaluations.model_name)`.execute(db);
  await db.schema.createIndex('evaluations_model_id').on('evaluations').columns(['model_id', 'model_version', 'created_at']).execute();
}
