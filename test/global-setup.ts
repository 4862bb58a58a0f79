import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/**
 * PostgreSQL test schemas are dropped once, after every test file has finished. Dropping one while another file
 * migrates its own makes that migration fail: Kysely's migrator lists the tables of every schema, and
 * has_schema_privilege() raises "schema does not exist" for one dropped after the list was read.
 */
export function setup(): void {
  process.env.SLIPWAY_TEST_SCHEMA_LIST = join(tmpdir(), `slipway-test-schemas-${process.pid}-${Date.now()}`);
}

export async function teardown(): Promise<void> {
  const list = process.env.SLIPWAY_TEST_SCHEMA_LIST;
  if (!list) return;
  let names: string[] = [];
  try {
    names = [...new Set(readFileSync(list, 'utf8').split('\n').filter(Boolean))];
  } catch {
    return;
  }
  const client = new pg.Client({ connectionString: process.env.SLIPWAY_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test' });
  await client.connect();
  try {
    for (const name of names) await client.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
  } finally {
    await client.end();
    rmSync(list, { force: true });
  }
}
