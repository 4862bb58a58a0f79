import type { Kysely } from 'kysely';
import type { Dialect } from '../database.js';

/**
 * Serving: deployments (named endpoints over a registered model) with every change kept as a revision, and the
 * prediction log with feedback labels joined later by prediction id.
 */
export async function up(db: Kysely<any>, _dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('deployments')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('model_name', 'text', (c) => c.notNull())
    .addColumn('revision', 'bigint', (c) => c.notNull())
    /** JSON: the whole deployment state (target, traffic policy, stable and candidate versions, weights). */
    .addColumn('spec', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('deleted_at', 'bigint')
    .execute();

  await db.schema
    .createTable('deployment_revisions')
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('revision', 'bigint', (c) => c.notNull())
    .addColumn('spec', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('deployment_revisions_pk', ['name', 'revision'])
    .execute();

  await db.schema
    .createTable('predictions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('deployment', 'text', (c) => c.notNull())
    .addColumn('model_version', 'bigint', (c) => c.notNull())
    /** stable, candidate or shadow. */
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('latency_ms', 'real', (c) => c.notNull())
    .addColumn('status', 'integer', (c) => c.notNull())
    .addColumn('inputs', 'text')
    .addColumn('outputs', 'text')
    .addColumn('error', 'text')
    .addColumn('request_key', 'text')
    .addColumn('label', 'text')
    .addColumn('label_at', 'bigint')
    .execute();
  await db.schema.createIndex('predictions_deployment_at').on('predictions').columns(['deployment', 'at']).execute();
}
