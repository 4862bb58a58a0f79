import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openDatabase, type Database, type Dialect } from '../src/db/database.js';

/** The dialect under test, chosen by SLIPWAY_TEST_DB (sqlite by default). */
export const testDialect: Dialect = process.env.SLIPWAY_TEST_DB === 'postgres' ? 'postgres' : 'sqlite';
export const testPgUrl = process.env.SLIPWAY_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestStore {
  database: Database;
  url: string;
  pgSchema: string | undefined;
  dir: string;
  cleanup(): Promise<void>;
}

/** A fresh, empty, migrated store on the dialect under test: a temp SQLite file, or a new PostgreSQL schema. */
export async function testStore(): Promise<TestStore> {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-test-'));
  const pgSchema = testDialect === 'postgres' ? `t_${randomBytes(6).toString('hex')}` : undefined;
  const url = testDialect === 'postgres' ? testPgUrl : `sqlite:${join(dir, 'slipway.db')}`;
  const database = await openDatabase(url, pgSchema ? { pgSchema, pgPoolSize: 4 } : {});
  return {
    database,
    url,
    pgSchema,
    dir,
    async cleanup() {
      await database.close();
      if (pgSchema) await dropPgSchema(pgSchema);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Drops a test schema: at the end of the test run under vitest (see test/global-setup.ts), else now. */
export async function dropPgSchema(schema: string): Promise<void> {
  const list = process.env.SLIPWAY_TEST_SCHEMA_LIST;
  if (list) return appendFileSync(list, `${schema}\n`);
  const client = new pg.Client({ connectionString: testPgUrl });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}
