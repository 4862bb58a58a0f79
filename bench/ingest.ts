/**
 * Ingestion benchmarks, run in one process against a server started from dist/ in another:
 *  1. log-batch (1000 metrics per request, one client) into embedded SQLite vs raw better-sqlite3 transactional
 *     inserts of the same rows into the same schema: the ratio is what the issue sets (>= 25%).
 *  2. single log-metric latency (p50/p99) and rate.
 *  3. metric history of 100,000 steps: get-history latency.
 * Usage: npm run build && npx tsx bench/ingest.ts [--metrics 300000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../src/db/database.js';
import { SQLITE_INSERT_METRIC } from '../src/tracking/ingest.js';
import { createRun, get, percentile, post, startBenchServer } from './lib/server.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const TOTAL = arg('metrics', 300_000);
const BATCH = 1000;
const KEYS = 10;

function batchRows(runId: string, b: number) {
  const t0 = 1_700_000_000_000;
  return Array.from({ length: BATCH }, (_, i) => ({
    key: `metric_${i % KEYS}`,
    value: Math.sin(b * BATCH + i),
    timestamp: t0 + b * BATCH + i,
    step: b * (BATCH / KEYS) + Math.floor(i / KEYS),
    run_id: runId,
  }));
}

async function rawRate(dir: string): Promise<number> {
  const database = await openDatabase(`sqlite:${join(dir, 'raw.db')}`);
  const handle = database.sqlite!;
  // The very statement the server runs, so the ratio measures everything around it.
  const insert = handle.prepare(SQLITE_INSERT_METRIC);
  const runId = 'f'.repeat(32);
  const writeBatch = handle.transaction((rows: ReturnType<typeof batchRows>) => {
    for (const r of rows) insert.run(runId, r.key, r.value, r.timestamp, r.step, 0);
  });
  const batches = Array.from({ length: TOTAL / BATCH }, (_, b) => batchRows(runId, b));
  const start = performance.now();
  for (const rows of batches) writeBatch(rows);
  const seconds = (performance.now() - start) / 1000;
  await database.close();
  return TOTAL / seconds;
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-bench-'));
  const server = await startBenchServer(['--home', join(dir, 'home')]);
  try {
    const runId = await createRun(server.url, 'ingest');
    const bodies = Array.from({ length: TOTAL / BATCH }, (_, b) =>
      JSON.stringify({ run_id: runId, metrics: batchRows(runId, b).map(({ run_id: _r, ...m }) => m) }),
    );
    // warm-up: JIT and SQLite page cache on both paths
    await post(`${server.url}/api/2.0/mlflow/runs/log-batch`, JSON.stringify({ run_id: await createRun(server.url, 'warm'), metrics: batchRows(runId, 0).map(({ run_id: _r, ...m }) => m) }));
    const start = performance.now();
    for (const body of bodies) {
      const res = await post(`${server.url}/api/2.0/mlflow/runs/log-batch`, body);
      if (res.status !== 200) throw new Error(`log-batch ${res.status}: ${res.body}`);
    }
    const e2e = TOTAL / ((performance.now() - start) / 1000);
    const raw = await rawRate(dir);
    console.log(`log-batch over HTTP : ${Math.round(e2e).toLocaleString('en-US')} metrics/s`);
    console.log(`raw better-sqlite3  : ${Math.round(raw).toLocaleString('en-US')} metrics/s`);
    console.log(`ratio               : ${((100 * e2e) / raw).toFixed(1)}% (target >= 25%)`);

    const single = await createRun(server.url, 'single');
    const latencies: number[] = [];
    const n = 3000;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const body = JSON.stringify({ run_id: single, key: 'loss', value: 1 / (i + 1), timestamp: Date.now(), step: i });
      const s = performance.now();
      const res = await post(`${server.url}/api/2.0/mlflow/runs/log-metric`, body);
      latencies.push(performance.now() - s);
      if (res.status !== 200) throw new Error(`log-metric ${res.status}: ${res.body}`);
    }
    const rate = n / ((performance.now() - t0) / 1000);
    latencies.sort((a, b) => a - b);
    console.log(`log-metric          : p50 ${percentile(latencies, 50).toFixed(2)} ms, p99 ${percentile(latencies, 99).toFixed(2)} ms, ${Math.round(rate)} calls/s (one client, sequential)`);
    const clients = 8;
    const runs = await Promise.all(Array.from({ length: clients }, (_, c) => createRun(server.url, `single-${c}`)));
    const c0 = performance.now();
    await Promise.all(
      runs.map(async (runId) => {
        for (let i = 0; i < n / 2; i++) {
          await post(`${server.url}/api/2.0/mlflow/runs/log-metric`, JSON.stringify({ run_id: runId, key: 'loss', value: i, timestamp: Date.now(), step: i }));
        }
      }),
    );
    console.log(`log-metric          : ${Math.round((clients * n) / 2 / ((performance.now() - c0) / 1000))} calls/s (${clients} concurrent clients)`);

    const hist = await createRun(server.url, 'history');
    for (let b = 0; b < 100; b++) {
      const metrics = Array.from({ length: BATCH }, (_, i) => ({ key: 'loss', value: Math.random(), timestamp: 1_700_000_000_000 + b * BATCH + i, step: b * BATCH + i }));
      await post(`${server.url}/api/2.0/mlflow/runs/log-batch`, JSON.stringify({ run_id: hist, metrics }));
    }
    const times: number[] = [];
    for (let i = 0; i < 10; i++) {
      const s = performance.now();
      const res = await get(`${server.url}/api/2.0/mlflow/metrics/get-history?run_id=${hist}&metric_key=loss`);
      times.push(performance.now() - s);
      const count = (JSON.parse(res.body) as { metrics: unknown[] }).metrics.length;
      if (count !== 100_000) throw new Error(`history returned ${count} values`);
    }
    times.sort((a, b) => a - b);
    console.log(`get-history 100k    : p50 ${percentile(times, 50).toFixed(1)} ms, max ${times[times.length - 1]!.toFixed(1)} ms (target <= 200 ms)`);
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
