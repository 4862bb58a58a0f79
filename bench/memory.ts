/**
 * Server memory: RSS at idle, and the peak RSS while 10 million metric values are ingested through log-batch
 * by 4 concurrent clients. Usage: npm run build && npx tsx bench/memory.ts [--metrics 10000000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRun, post, startBenchServer } from './lib/server.js';

const i = process.argv.indexOf('--metrics');
const TOTAL = i >= 0 ? Number(process.argv[i + 1]) : 10_000_000;
const BATCH = 1000;
const CLIENTS = 4;

const dir = mkdtempSync(join(tmpdir(), 'slipway-mem-'));
const server = await startBenchServer(['--home', join(dir, 'home')]);
try {
  await new Promise((r) => setTimeout(r, 2000));
  const idle = server.rssMb();
  let peak = idle;
  const sampler = setInterval(() => (peak = Math.max(peak, server.rssMb())), 200);
  const runs = await Promise.all(Array.from({ length: CLIENTS }, (_, c) => createRun(server.url, `mem-${c}`)));
  let next = 0;
  const batches = TOTAL / BATCH;
  const start = performance.now();
  let lastReport = start;
  await Promise.all(
    runs.map(async (runId) => {
      for (let b = next++; b < batches; b = next++) {
        const metrics = Array.from({ length: BATCH }, (_, k) => ({ key: `m${k % 20}`, value: Math.random(), timestamp: 1_700_000_000_000 + b, step: b }));
        const res = await post(`${server.url}/api/2.0/mlflow/runs/log-batch`, JSON.stringify({ run_id: runId, metrics }));
        if (res.status !== 200) throw new Error(`log-batch ${res.status}: ${res.body}`);
        if (performance.now() - lastReport > 5000) {
          lastReport = performance.now();
          process.stderr.write(`  ${((b / batches) * 100).toFixed(0)}% rss ${server.rssMb().toFixed(0)} MB\n`);
        }
      }
    }),
  );
  clearInterval(sampler);
  const seconds = (performance.now() - start) / 1000;
  console.log(`idle RSS            : ${idle.toFixed(0)} MB (target < 150 MB)`);
  console.log(`peak RSS, ${(TOTAL / 1e6).toFixed(0)}M values: ${peak.toFixed(0)} MB (target < 300 MB); ${Math.round(TOTAL / seconds).toLocaleString('en-US')} metrics/s with ${CLIENTS} clients`);
} finally {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
