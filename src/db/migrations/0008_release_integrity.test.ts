import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { dropPgSchema, testDialect, testPgUrl } from '../../../test/db.js';
import { SYSTEM_ACTOR } from '../../core/actor.js';
import { getPolicy } from '../../evaluation/policies.js';
import { renameRegisteredModel } from '../../registry/models.js';
import { openDatabase, type Database } from '../database.js';

describe(`migration 0008: policies and evaluations keyed by model id (${testDialect})`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-m0008-'));
  const pgSchema = testDialect === 'postgres' ? `t_${randomBytes(6).toString('hex')}` : undefined;
  const url = testDialect === 'postgres' ? testPgUrl : `sqlite:${join(dir, 'slipway.db')}`;
  const open = (migrateTo?: string): Promise<Database> => openDatabase(url, { ...(pgSchema ? { pgSchema, pgPoolSize: 2 } : {}), ...(migrateTo ? { migrateTo } : {}) });
  afterEach(async () => {
    if (pgSchema) await dropPgSchema(pgSchema);
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives every model an id, re-keys its policies and evaluations, and keeps orphaned policies attached to no model', async () => {
    const before = await open('0007_alerts');
    const db = before.db as unknown as Kysely<any>;
    for (const name of ['churn', 'other']) await db.insertInto('registered_models').values({ name, description: null, creation_timestamp: 1, last_updated_timestamp: 1, last_version: 0 }).execute();
    const policy = (model: string, version: number) => ({ model_name: model, version, spec: JSON.stringify({ protect: ['production'], rules: [] }), source: 'protect: [production]', created_at: version, created_by: 'x' });
    await db.insertInto('gate_policies').values([policy('churn', 1), policy('churn', 2), policy('gone', 1)]).execute();
    await db
      .insertInto('evaluations')
      .values({ id: 'e1', model_name: 'churn', model_version: 1, dataset_name: 'd', dataset_version: 1, dataset_digest: 'x', config: '{}', status: 'completed', gate_passed: 1, policy_version: 2, created_at: 1, created_by: 'x' })
      .execute();
    await before.close();

    const after = await open();
    try {
      const models = await after.db.selectFrom('registered_models').select(['name', 'id']).orderBy('name').execute();
      expect(models.map((m) => m.id).every((id) => typeof id === 'string' && id.length > 0)).toBe(true);
      expect(new Set(models.map((m) => m.id)).size).toBe(2);
      const churnId = models.find((m) => m.name === 'churn')!.id;
      const policies = await after.db.selectFrom('gate_policies').select(['model_id', 'model_name', 'version']).orderBy('model_name').orderBy('version').execute();
      expect(policies).toEqual([
        { model_id: churnId, model_name: 'churn', version: 1 },
        { model_id: churnId, model_name: 'churn', version: 2 },
        { model_id: 'name:gone', model_name: 'gone', version: 1 },
      ]);
      expect((await after.db.selectFrom('evaluations').select('model_id').where('id', '=', 'e1').executeTakeFirstOrThrow()).model_id).toBe(churnId);

      // The policy follows the model's id through a rename; the old name has none.
      await renameRegisteredModel(after.db, SYSTEM_ACTOR, 'churn', 'churn-2');
      expect((await getPolicy(after.db, 'churn-2'))?.version).toBe(2);
      expect(await getPolicy(after.db, 'churn')).toBeNull();
    } finally {
      await after.close();
    }
  });
});
