/**
 * Registry search: 5,000 registered models × 20 versions (2 tags per model, aliases on some), then the first page
 * of `GET /api/2.0/mlflow/registered-models/search` (100 models, each with its latest versions, tags and aliases)
 * with and without a filter, end to end over HTTP against a server from dist/ on SQLite and on PostgreSQL.
 * Usage: npm run build && npx tsx bench/registry.ts [--models 5000] [--iterations 50]
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { openDatabase, type Database, type Dialect } from '../src/db/database.js';
import { dropPgSchema, testPgUrl } from '../test/db.js';
import { get, percentile, startBenchServer } from './lib/server.js';

const { values: args } = parseArgs({ options: { models: { type: 'string', default: '5000' }, iterations: { type: 'string', default: '50' } } });
const MODELS = Number(args.models);
const VERSIONS = 20;
const ITERATIONS = Number(args.iterations);
const STAGES = ['None', 'Staging', 'Production', 'Archived'];

async function seed(database: Database): Promise<void> {
  const models: unknown[][] = [];
  const tags: unknown[][] = [];
  const versions: unknown[][] = [];
  const aliases: unknown[][] = [];
  const t0 = 1_700_000_000_000;
  for (let m = 0; m < MODELS; m++) {
    const name = `model-${String(m).padStart(5, '0')}`;
    models.push([name, `model ${m}`, t0 + m, t0 + m * 10, VERSIONS]);
    tags.push([name, 'team', `team-${m % 20}`], [name, 'task', m % 2 ? 'classification' : 'regression']);
    for (let v = 1; v <= VERSIONS; v++) {
      versions.push([randomUUID(), name, v, `mlflow-artifacts:/1/${m}/${v}`, 'READY', STAGES[v % 4], t0 + m * 10 + v, t0 + m * 10 + v]);
    }
    if (m % 3 === 0) aliases.push([name, 'production', VERSIONS - 1]);
  }
  const cols = {
    registered_models: 'name, description, creation_timestamp, last_updated_timestamp, last_version',
    registered_model_tags: 'name, key, value',
    model_versions: 'id, name, version, source, status, current_stage, creation_timestamp, last_updated_timestamp',
    registered_model_aliases: 'name, alias, version',
  };
  const data: Record<keyof typeof cols, unknown[][]> = { registered_models: models, registered_model_tags: tags, model_versions: versions, registered_model_aliases: aliases };
  for (const [table, columns] of Object.entries(cols) as [keyof typeof cols, string][]) {
    const rows = data[table];
    const width = columns.split(',').length;
    for (let i = 0; i < rows.length; i += 2000) {
      const batch = rows.slice(i, i + 2000);
      const values = sql.join(batch.map((r) => sql`(${sql.join(r.slice(0, width))})`));
      await sql`INSERT INTO ${sql.table(table)} (${sql.raw(columns)}) VALUES ${values}`.execute(database.db);
    }
  }
  await sql`ANALYZE`.execute(database.db);
}

async function bench(dialect: Dialect): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-reg-'));
  const schema = dialect === 'postgres' ? `bench_${randomBytes(6).toString('hex')}` : undefined;
  const url = dialect === 'postgres' ? testPgUrl : `sqlite:${join(dir, 'bench.db')}`;
  const database = await openDatabase(url, schema ? { pgSchema: schema } : {});
  try {
    await seed(database);
    await database.close();
    const server = await startBenchServer(['--home', join(dir, 'home'), '--database-url', schema ? `${testPgUrl}?options=-c%20search_path%3D${schema}` : url]);
    try {
      for (const [label, query] of [
        ['no filter, default order', 'max_results=100'],
        ["name LIKE 'model-04%', order by name", `max_results=100&filter=${encodeURIComponent("name LIKE 'model-04%'")}&order_by=name%20ASC`],
        ["tags.team = 'team-7'", `max_results=100&filter=${encodeURIComponent("tags.team = 'team-7'")}`],
      ] as const) {
        const times: number[] = [];
        let count = 0;
        for (let i = 0; i < ITERATIONS + 5; i++) {
          const t = performance.now();
          const res = await get(`${server.url}/api/2.0/mlflow/registered-models/search?${query}`);
          if (i >= 5) times.push(performance.now() - t);
          if (res.status !== 200) throw new Error(`${res.status} ${res.body}`);
          count = (JSON.parse(res.body) as { registered_models?: unknown[] }).registered_models?.length ?? 0;
        }
        times.sort((a, b) => a - b);
        console.log(`  ${dialect.padEnd(8)} ${label.padEnd(40)} models=${String(count).padStart(3)}  p50=${percentile(times, 50).toFixed(2)} ms  p99=${percentile(times, 99).toFixed(2)} ms`);
      }
    } finally {
      await server.stop();
    }
  } finally {
    if (schema) await dropPgSchema(schema);
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log(`registry search: ${MODELS} models x ${VERSIONS} versions, first page of 100 over HTTP`);
for (const dialect of ['sqlite', 'postgres'] as const) await bench(dialect);
