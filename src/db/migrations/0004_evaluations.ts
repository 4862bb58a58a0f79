import type { Kysely } from 'kysely';
import type { Dialect } from '../database.js';

/**
 * Evaluations (a model version scored on a dataset version, compared with a champion, judged by a gate), the
 * versioned gate policies of each registered model, and reviewers' sign-offs.
 */
export async function up(db: Kysely<any>, _dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('gate_policies')
    .addColumn('model_name', 'text', (c) => c.notNull())
    .addColumn('version', 'bigint', (c) => c.notNull())
    .addColumn('spec', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('gate_policies_pk', ['model_name', 'version'])
    .execute();

  await db.schema
    .createTable('evaluations')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('model_name', 'text', (c) => c.notNull())
    .addColumn('model_version', 'bigint', (c) => c.notNull())
    .addColumn('dataset_name', 'text', (c) => c.notNull())
    .addColumn('dataset_version', 'bigint', (c) => c.notNull())
    .addColumn('dataset_digest', 'text', (c) => c.notNull())
    .addColumn('against_alias', 'text')
    .addColumn('champion_version', 'bigint')
    .addColumn('policy_version', 'bigint')
    .addColumn('config', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('progress', 'text')
    .addColumn('error', 'text')
    .addColumn('run_id', 'text')
    .addColumn('report', 'text')
    .addColumn('gate_passed', 'integer')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('finished_at', 'bigint')
    .addColumn('created_by', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('evaluations_model_version').on('evaluations').columns(['model_name', 'model_version', 'created_at']).execute();

  await db.schema
    .createTable('evaluation_approvals')
    .addColumn('evaluation_id', 'text', (c) => c.notNull())
    .addColumn('approver', 'text', (c) => c.notNull())
    .addColumn('note', 'text', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('evaluation_approvals_pk', ['evaluation_id', 'approver'])
    .execute();
}
