/**
 * Run search benchmark: N runs x 50 latest metrics x 20 params in one experiment, then
 * `metrics.m7 > 0.5 AND params.p3 = 'v1'` ordered by `metrics.m12 DESC`, first page of 100.
 *
 *   npm run build && npx tsx bench/search.ts [--runs 10000] [--dialect sqlite|postgres|both] [--iterations 50] [--explain] [--skip-analyze]
 *
 * Each scenario is timed as the bare query, and the target scenario also end to end: POST
 * /api/2.0/mlflow/runs/search to a server (from dist/, in its own process) on the seeded store, which also loads
 * the 100 runs' metrics, params and tags and writes the JSON.
 *
 * After seeding it runs ANALYZE (unless --skip-analyze): the planners choose which index to start from with the
 * statistics it collects.
 *
 * PostgreSQL: SLIPWAY_TEST_PG_URL (default postgres://postgres@127.0.0.1:5432/test), in a fresh schema.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { openDatabase, type Database, type Dialect } from '../src/db/database.js';
import { parseFilter, parseOrderBy } from '../src/tracking/search/filter.js';
import { orderRuns, whereRunsMatch } from '../src/tracking/search/runs-query.js';
import { dropPgSchema, testPgUrl } from '../test/db.js';
import { post, startBenchServer } from './lib/server.js';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '10000' },
    dialect: { type: 'string', default: 'both' },
    iterations: { type: 'string', default: '50' },
    explain: { type: 'boolean', default: false },
    'skip-analyze': { type: 'boolean', default: false },
  },
});
const RUNS = Number(args.runs);
const ITERATIONS = Number(args.iterations);
const METRICS = 50;
const PARAMS = 20;
const TAGS = 2;

const scenarios: { name: string; filter: string; orderBy: string[] }[] = [
  { name: 'target: m7 > 0.5 AND p3 = v1, order m12 DESC', filter: "metrics.m7 > 0.5 AND params.p3 = 'v1'", orderBy: ['metrics.m12 DESC'] },
  { name: 'no filter, default order', filter: '', orderBy: [] },
  { name: 'no filter, order m12 DESC', filter: '', orderBy: ['metrics.m12 DESC'] },
  { name: 'p3 = v1, order params.p5', filter: "params.p3 = 'v1'", orderBy: ['params.p5'] },
  { name: 'tag LIKE, default order', filter: "tags.\"mlflow.runName\" LIKE 'run-%7'", orderBy: [] },
];

/** Deterministic data, so both dialects are measured on the same rows. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Rows {
  runs: unknown[][];
  metrics: unknown[][];
  params: unknown[][];
  tags: unknown[][];
}

function generate(experimentId: number): Rows {
  const random = prng(42);
  const hex = () => Array.from({ length: 4 }, () => Math.floor(random() * 2 ** 32).toString(16).padStart(8, '0')).join('');
  const rows: Rows = { runs: [], metrics: [], params: [], tags: [] };
  const t0 = 1_700_000_000_000;
  for (let i = 0; i < RUNS; i++) {
    const id = hex();
    const start = t0 + i * 1000;
    rows.runs.push([id, experimentId, `run-${i}`, 'bench', 'FINISHED', start, start + 500, 'active', `file:///a/${id}`]);
    for (let m = 0; m < METRICS; m++) {
      const r = random();
      // m12, the sort key, is missing on 5% of runs and NaN on 1%, so the order exercises both cases.
      if (m === 12 && r < 0.05) continue;
      const nan = m === 12 && r < 0.06 ? 1 : 0;
      rows.metrics.push([id, `m${m}`, nan ? 0 : random(), start, 0, nan]);
    }
    for (let p = 0; p < PARAMS; p++) rows.params.push([id, `p${p}`, `v${Math.floor(random() * 10)}`]);
    rows.tags.push([id, 'mlflow.runName', `run-${i}`], [id, 'mlflow.user', 'bench']);
  }
  return rows;
}

async function seed(database: Database): Promise<number> {
  const { db } = database;
  const { experiment_id } = await db
    .insertInto('experiments')
    .values({ name: 'bench', artifact_location: 'file:///a', lifecycle_stage: 'active', creation_time: 0, last_update_time: 0, deleted_time: null })
    .returning('experiment_id')
    .executeTakeFirstOrThrow();
  const rows = generate(Number(experiment_id));
  if (database.sqlite) {
    const h = database.sqlite;
    const insert = (table: string, columns: string, data: unknown[][]) => {
      const stmt = h.prepare(`INSERT INTO ${table} (${columns}) VALUES (${columns.split(',').map(() => '?').join(',')})`);
      h.transaction(() => data.forEach((r) => stmt.run(...r)))();
    };
    insert('runs', 'run_uuid,experiment_id,name,user_id,status,start_time,end_time,lifecycle_stage,artifact_uri', rows.runs);
    insert('latest_metrics', 'run_uuid,key,value,timestamp,step,is_nan', rows.metrics);
    insert('params', 'run_uuid,key,value', rows.params);
    insert('tags', 'run_uuid,key,value', rows.tags);
    if (!args['skip-analyze']) h.exec('ANALYZE');
  } else {
    const batches = async (data: unknown[][], types: string[], table: string) => {
      for (let i = 0; i < data.length; i += 50_000) {
        const batch = data.slice(i, i + 50_000);
        const columns = types.map((type, c) => sql`${batch.map((r) => r[c])}::${sql.raw(type)}[]`);
        await sql`INSERT INTO ${sql.table(table)} SELECT * FROM unnest(${sql.join(columns)})`.execute(db);
      }
    };
    await batches(rows.runs, ['text', 'int8', 'text', 'text', 'text', 'int8', 'int8', 'text', 'text'], 'runs');
    await batches(rows.metrics, ['text', 'text', 'float8', 'int8', 'int8', 'int2'], 'latest_metrics');
    await batches(rows.params, ['text', 'text', 'text'], 'params');
    await batches(rows.tags, ['text', 'text', 'text'], 'tags');
    if (!args['skip-analyze']) await sql`ANALYZE`.execute(db);
  }
  return Number(experiment_id);
}

function query(database: Database, experimentId: number, filter: string, orderBy: string[]) {
  let q = database.db
    .selectFrom('runs')
    .selectAll('runs')
    .where('runs.experiment_id', 'in', [experimentId])
    .where('runs.lifecycle_stage', '=', 'active');
  q = whereRunsMatch(q, parseFilter(filter, 'runs'), database.dialect);
  q = orderRuns(q, parseOrderBy(orderBy, 'runs'), database.dialect);
  return q.limit(101).offset(0);
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

async function benchDialect(dialect: Dialect): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-bench-'));
  const pgSchema = dialect === 'postgres' ? `bench_${randomBytes(6).toString('hex')}` : undefined;
  const url = dialect === 'postgres' ? testPgUrl : `sqlite:${join(dir, 'bench.db')}`;
  const database = await openDatabase(url, pgSchema ? { pgSchema } : {});
  try {
    const seedStart = performance.now();
    const experimentId = await seed(database);
    console.log(`\n${dialect}: seeded ${RUNS} runs (${RUNS * METRICS} latest metrics, ${RUNS * PARAMS} params, ${RUNS * TAGS} tags)${args['skip-analyze'] ? '' : ' + ANALYZE'} in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`);
    for (const s of scenarios) {
      const q = () => query(database, experimentId, s.filter, s.orderBy);
      if (args.explain) {
        const compiled = q().compile();
        const prefix = dialect === 'postgres' ? 'EXPLAIN (ANALYZE, BUFFERS) ' : 'EXPLAIN QUERY PLAN ';
        const plan = await sql.raw(prefix + compiled.sql.replace(/\$(\d+)|\?/g, (_, n) => literal(compiled.parameters[n ? Number(n) - 1 : counter++]))).execute(database.db);
        counter = 0;
        console.log(`-- ${s.name}\n${compiled.sql}\n${plan.rows.map((r) => Object.values(r as object).join(' | ')).join('\n')}`);
      }
      for (let i = 0; i < 5; i++) await q().execute();
      const times: number[] = [];
      let count = 0;
      for (let i = 0; i < ITERATIONS; i++) {
        const t = performance.now();
        count = (await q().execute()).length;
        times.push(performance.now() - t);
      }
      times.sort((a, b) => a - b);
      console.log(`  ${s.name.padEnd(48)} rows=${String(count).padStart(3)}  p50=${percentile(times, 50).toFixed(2)} ms  p99=${percentile(times, 99).toFixed(2)} ms`);
    }
    await benchHttp(dialect === 'postgres' ? `${testPgUrl}?options=-c%20search_path%3D${pgSchema}` : url, dir, experimentId);
  } finally {
    await database.close();
    if (pgSchema) await dropPgSchema(pgSchema);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function benchHttp(databaseUrl: string, dir: string, experimentId: number): Promise<void> {
  const server = await startBenchServer(['--home', join(dir, 'home'), '--database-url', databaseUrl]);
  try {
    const body = JSON.stringify({ experiment_ids: [String(experimentId)], filter: scenarios[0]!.filter, order_by: scenarios[0]!.orderBy, max_results: 100 });
    const times: number[] = [];
    let count = 0;
    for (let i = 0; i < ITERATIONS + 5; i++) {
      const t = performance.now();
      const res = await post(`${server.url}/api/2.0/mlflow/runs/search`, body);
      if (i >= 5) times.push(performance.now() - t);
      if (res.status !== 200) throw new Error(`search ${res.status}: ${res.body}`);
      count = (JSON.parse(res.body) as { runs: unknown[] }).runs.length;
    }
    times.sort((a, b) => a - b);
    console.log(`  ${'HTTP runs/search, target, full runs'.padEnd(48)} rows=${String(count).padStart(3)}  p50=${percentile(times, 50).toFixed(2)} ms  p99=${percentile(times, 99).toFixed(2)} ms`);
  } finally {
    await server.stop();
  }
}

let counter = 0;
const literal = (v: unknown) => (typeof v === 'number' ? String(v) : `'${String(v).replaceAll("'", "''")}'`);

const dialects: Dialect[] = args.dialect === 'both' ? ['sqlite', 'postgres'] : [args.dialect as Dialect];
console.log(`search benchmark: ${RUNS} runs, ${ITERATIONS} iterations per scenario, first page of 100 (limit 101)`);
for (const dialect of dialects) await benchDialect(dialect);
