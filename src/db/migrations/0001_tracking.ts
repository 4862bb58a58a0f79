import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../database.js';

/** Experiment tracking, datasets, MLflow 3 logged models, API tokens and the audit log. */
export async function up(db: Kysely<any>, dialect: Dialect): Promise<void> {
  const id = (t: any) =>
    dialect === 'postgres'
      ? t.addColumn('experiment_id', 'bigint', (c: any) => c.primaryKey().generatedByDefaultAsIdentity())
      : t.addColumn('experiment_id', 'integer', (c: any) => c.primaryKey().autoIncrement());

  await id(db.schema.createTable('experiments'))
    .addColumn('name', 'text', (c: any) => c.notNull().unique())
    .addColumn('artifact_location', 'text', (c: any) => c.notNull())
    .addColumn('lifecycle_stage', 'text', (c: any) => c.notNull())
    .addColumn('creation_time', 'bigint', (c: any) => c.notNull())
    .addColumn('last_update_time', 'bigint', (c: any) => c.notNull())
    .addColumn('deleted_time', 'bigint')
    .execute();

  await db.schema
    .createTable('experiment_tags')
    .addColumn('experiment_id', 'bigint', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('experiment_tags_pk', ['experiment_id', 'key'])
    .execute();

  await db.schema
    .createTable('runs')
    .addColumn('run_uuid', 'text', (c) => c.primaryKey())
    .addColumn('experiment_id', 'bigint', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('start_time', 'bigint', (c) => c.notNull())
    .addColumn('end_time', 'bigint')
    .addColumn('lifecycle_stage', 'text', (c) => c.notNull())
    .addColumn('artifact_uri', 'text', (c) => c.notNull())
    .addColumn('deleted_time', 'bigint')
    .execute();
  await db.schema.createIndex('runs_experiment_start').on('runs').columns(['experiment_id', 'start_time']).execute();

  // On SQLite, tables read by key range are clustered on their primary key: a run's rows, or a metric's history,
  // are then one contiguous range instead of an index walk with a table lookup per row.
  const clustered = (t: any) => (dialect === 'sqlite' ? t.modifyEnd(sql`without rowid`) : t);

  for (const table of ['params', 'tags']) {
    await db.schema
      .createTable(table)
      .addColumn('run_uuid', 'text', (c) => c.notNull())
      .addColumn('key', 'text', (c) => c.notNull())
      .addColumn('value', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint(`${table}_pk`, ['run_uuid', 'key'])
      .$call(clustered)
      .execute();
    // Run search starts from `params.p = 'v'` through this index (src/tracking/search). PostgreSQL limits a btree
    // entry to about 2.7 kB and values reach 6000/8000 characters, so there it holds a 100-character prefix.
    await db.schema
      .createIndex(`${table}_key_value`)
      .on(table)
      .expression(dialect === 'postgres' ? sql`key, substr(value, 1, 100)` : sql`key, value`)
      .execute();
  }

  const metricColumns = (t: any) =>
    t
      .addColumn('run_uuid', 'text', (c: any) => c.notNull())
      .addColumn('key', 'text', (c: any) => c.notNull())
      .addColumn('value', 'double precision', (c: any) => c.notNull())
      .addColumn('timestamp', 'bigint', (c: any) => c.notNull())
      .addColumn('step', 'bigint', (c: any) => c.notNull())
      .addColumn('is_nan', 'smallint', (c: any) => c.notNull());
  // The key makes an exact duplicate (same step, time and value) a no-op, as in MLflow.
  await metricColumns(db.schema.createTable('metrics'))
    .addPrimaryKeyConstraint('metrics_pk', ['run_uuid', 'key', 'step', 'timestamp', 'value', 'is_nan'])
    .$call(clustered)
    .execute();
  await metricColumns(db.schema.createTable('latest_metrics'))
    .addPrimaryKeyConstraint('latest_metrics_pk', ['run_uuid', 'key'])
    .$call(clustered)
    .execute();
  if (dialect === 'postgres') {
    // Covering, so run search answers `metrics.m > x` (and reads a sort key) with index-only scans.
    await sql`CREATE INDEX latest_metrics_key_value ON latest_metrics (key, value) INCLUDE (run_uuid, is_nan)`.execute(db);
  } else {
    await db.schema.createIndex('latest_metrics_key_value').on('latest_metrics').columns(['key', 'value']).execute();
  }

  await db.schema
    .createTable('datasets')
    .addColumn('dataset_uuid', 'text', (c) => c.primaryKey())
    .addColumn('experiment_id', 'bigint', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('source_type', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('schema', 'text')
    .addColumn('profile', 'text')
    .addUniqueConstraint('datasets_experiment_name_digest', ['experiment_id', 'name', 'digest'])
    .execute();
  await db.schema
    .createTable('run_inputs')
    .addColumn('run_uuid', 'text', (c) => c.notNull())
    .addColumn('dataset_uuid', 'text', (c) => c.notNull())
    .addColumn('tags', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('run_inputs_pk', ['run_uuid', 'dataset_uuid'])
    .execute();
  await db.schema
    .createTable('run_model_inputs')
    .addColumn('run_uuid', 'text', (c) => c.notNull())
    .addColumn('model_id', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('run_model_inputs_pk', ['run_uuid', 'model_id'])
    .execute();
  await db.schema
    .createTable('run_outputs')
    .addColumn('run_uuid', 'text', (c) => c.notNull())
    .addColumn('model_id', 'text', (c) => c.notNull())
    .addColumn('step', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('run_outputs_pk', ['run_uuid', 'model_id'])
    .execute();

  await db.schema
    .createTable('logged_models')
    .addColumn('model_id', 'text', (c) => c.primaryKey())
    .addColumn('experiment_id', 'bigint', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('artifact_location', 'text', (c) => c.notNull())
    .addColumn('creation_timestamp', 'bigint', (c) => c.notNull())
    .addColumn('last_updated_timestamp', 'bigint', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('status_message', 'text')
    .addColumn('lifecycle_stage', 'text', (c) => c.notNull())
    .addColumn('model_type', 'text')
    .addColumn('source_run_id', 'text')
    .execute();
  await db.schema
    .createIndex('logged_models_experiment')
    .on('logged_models')
    .columns(['experiment_id', 'creation_timestamp'])
    .execute();
  for (const table of ['logged_model_params', 'logged_model_tags']) {
    await db.schema
      .createTable(table)
      .addColumn('model_id', 'text', (c) => c.notNull())
      .addColumn('key', 'text', (c) => c.notNull())
      .addColumn('value', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint(`${table}_pk`, ['model_id', 'key'])
      .execute();
  }
  await metricColumns(db.schema.createTable('logged_model_metrics'))
    .addColumn('model_id', 'text', (c: any) => c.notNull())
    .addColumn('dataset_name', 'text')
    .addColumn('dataset_digest', 'text')
    .execute();
  await db.schema
    .createIndex('logged_model_metrics_model')
    .on('logged_model_metrics')
    .columns(['model_id', 'key'])
    .execute();

  await db.schema
    .createTable('api_tokens')
    .addColumn('token_id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('prefix', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('last_used_at', 'bigint')
    .addColumn('revoked_at', 'bigint')
    .addColumn('expires_at', 'bigint')
    .execute();

  const auditId = (t: any) =>
    dialect === 'postgres'
      ? t.addColumn('id', 'bigint', (c: any) => c.primaryKey().generatedByDefaultAsIdentity())
      : t.addColumn('id', 'integer', (c: any) => c.primaryKey().autoIncrement());
  await auditId(db.schema.createTable('audit_log'))
    .addColumn('at', 'bigint', (c: any) => c.notNull())
    .addColumn('actor', 'text', (c: any) => c.notNull())
    .addColumn('action', 'text', (c: any) => c.notNull())
    .addColumn('target_type', 'text', (c: any) => c.notNull())
    .addColumn('target_id', 'text', (c: any) => c.notNull())
    .addColumn('before', 'text')
    .addColumn('after', 'text')
    .execute();
  await db.schema.createIndex('audit_log_at').on('audit_log').column('at').execute();
  await db.schema.createIndex('audit_log_target').on('audit_log').columns(['target_type', 'target_id']).execute();
}
