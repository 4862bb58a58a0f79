import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDialect, testStore, type TestStore } from '../../test/db.js';
import { parseDatabaseUrl } from './database.js';

describe(`database (${testDialect})`, () => {
  let store: TestStore;
  beforeAll(async () => {
    store = await testStore();
  });
  afterAll(() => store.cleanup());

  it('migrates to the full schema and round-trips special doubles', async () => {
    const { db } = store.database;
    await db.insertInto('metrics').values({ run_uuid: 'r', key: 'k', value: Infinity, timestamp: 1, step: 0, is_nan: 0 }).execute();
    await db.insertInto('metrics').values({ run_uuid: 'r', key: 'k', value: -Infinity, timestamp: 2, step: 1, is_nan: 0 }).execute();
    await db.insertInto('metrics').values({ run_uuid: 'r', key: 'k', value: 2 ** 53, timestamp: 2 ** 41, step: 2, is_nan: 0 }).execute();
    const rows = await db.selectFrom('metrics').selectAll().orderBy('step').execute();
    expect(rows.map((r) => r.value)).toEqual([Infinity, -Infinity, 2 ** 53]);
    expect(rows[2]!.timestamp).toBe(2 ** 41);
  });

  it('parses database URLs', () => {
    expect(parseDatabaseUrl('postgres://u@h/db').dialect).toBe('postgres');
    expect(parseDatabaseUrl('sqlite:/tmp/x.db')).toEqual({ dialect: 'sqlite', target: '/tmp/x.db' });
    expect(parseDatabaseUrl('./x.db')).toEqual({ dialect: 'sqlite', target: './x.db' });
    expect(() => parseDatabaseUrl('mysql://h/db')).toThrow(/Unsupported database URL/);
  });
});
