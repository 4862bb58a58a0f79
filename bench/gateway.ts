/**
 * The inference gateway under load, in one run on the same ONNX model (logistic regression, 20 features):
 *  1. peak throughput through the gateway (prediction logging on, a canary of a second version at 10%) against a
 *     bare Node HTTP server running the same model with no routing or logging (the floor): the ratio;
 *  2. latency at 50% of the gateway's peak, minus a direct in-process onnxruntime-node call (the overhead);
 *  3. rollback under load: from the rollback call until no request reaches the candidate;
 *  4. registering a new version and moving the alias, until the new version answers as a canary.
 * The server runs from dist/ in its own process; load comes from autocannon in this one.
 * Usage: npm run build && npx tsx bench/gateway.ts [--seconds 10]
 */
import { fork } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import * as ort from 'onnxruntime-node';
import { SlipwayClient } from '../src/client/index.js';
import { logisticRegression } from '../src/runtimes/onnx/builder.js';
import { mulberry32 } from '../src/stats/random.js';
import { freePort, startBenchServer } from './lib/server.js';

const i = process.argv.indexOf('--seconds');
const SECONDS = i >= 0 ? Number(process.argv[i + 1]) : 10;
const F = 20;
const features = Array.from({ length: F }, (_, k) => `f${k}`);
const rng = mulberry32(5);
const model = (bias: number) => logisticRegression({ featureNames: features, classes: [0, 1], coefficients: [features.map(() => rng() - 0.5)], intercepts: [bias] });
const body = JSON.stringify({ records: [Object.fromEntries(features.map((f) => [f, Math.round(rng() * 100) / 10]))] });

const dir = mkdtempSync(join(tmpdir(), 'slipway-gw-'));
const server = await startBenchServer(['--home', dir]);
const client = new SlipwayClient({ url: server.url });

async function register(bytes: Uint8Array): Promise<number> {
  const { run } = await client.createRun({ experimentId: '0' });
  await client.uploadArtifact(run.id, 'model.onnx', Buffer.from(bytes));
  return (await client.createModelVersion('bench', { source: `runs:/${run.id}/model.onnx`, runId: run.id })).version.version;
}

const v1Bytes = model(0);
await client.createModel({ name: 'bench' });
await register(v1Bytes);
await register(model(0.1));
await client.setModelAlias('bench', 'production', 1);
await client.createDeployment({ name: 'bench', model: 'bench', samplingRate: 1, steps: [{ weight: 0.1, durationSeconds: 3600 }] });
await client.startRollout('bench', { mode: 'canary', version: 2, steps: [{ weight: 0.1, durationSeconds: 3600 }] });

// The floor: the same model behind a bare HTTP server, in its own process too.
const modelFile = join(dir, 'v1.onnx');
writeFileSync(modelFile, v1Bytes);
const barePort = await freePort();
const bare = fork(new URL('./lib/bare-model-server.ts', import.meta.url).pathname, [modelFile, String(barePort), features.join(',')], { execArgv: ['--import', 'tsx'] });
await new Promise((ok) => bare.once('message', ok));

const load = (url: string, opts: { rate?: number; seconds?: number } = {}) =>
  autocannon({ url, method: 'POST', headers: { 'content-type': 'application/json' }, body, connections: 16, pipelining: 1, duration: opts.seconds ?? SECONDS, ...(opts.rate ? { overallRate: opts.rate } : {}) });

const gatewayUrl = `${server.url}/deployments/bench/predict`;
await load(gatewayUrl, { seconds: 2 }); // warm-up
await load(`http://127.0.0.1:${barePort}/`, { seconds: 2 });
const peakGateway = await load(gatewayUrl);
const peakBare = await load(`http://127.0.0.1:${barePort}/`);
console.log(`throughput: gateway ${peakGateway.requests.average.toFixed(0)} req/s, bare server ${peakBare.requests.average.toFixed(0)} req/s, ratio ${(peakGateway.requests.average / peakBare.requests.average).toFixed(2)} (goal ≥ 0.7); gateway errors ${peakGateway.errors + peakGateway.non2xx}`);

// Direct in-process call, single row: the model's own latency.
const session = await ort.InferenceSession.create(v1Bytes);
const x = new ort.Tensor('float32', Float32Array.from(features.map(() => rng())), [1, F]);
const direct: number[] = [];
for (let k = 0; k < 5000; k++) {
  const t = performance.now();
  await session.run({ [session.inputNames[0]!]: x });
  direct.push(performance.now() - t);
}
direct.sort((a, b) => a - b);
const q = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;

const half = Math.round(peakGateway.requests.average / 2);
const atHalf = await load(gatewayUrl, { rate: half });
const bareAtHalf = await load(`http://127.0.0.1:${barePort}/`, { rate: half });
console.log(`latency at ${half} req/s (50% of peak): gateway p50 ${atHalf.latency.p50} ms, p99 ${atHalf.latency.p99} ms; bare server p50 ${bareAtHalf.latency.p50} ms, p99 ${bareAtHalf.latency.p99} ms`);
console.log(`direct in-process call: p50 ${q(direct, 0.5).toFixed(3)} ms, p99 ${q(direct, 0.99).toFixed(3)} ms`);
console.log(`  autocannon reports whole milliseconds; overhead vs the bare server: p50 ${(atHalf.latency.p50 - bareAtHalf.latency.p50).toFixed(2)} ms, p99 ${(atHalf.latency.p99 - bareAtHalf.latency.p99).toFixed(2)} ms`);

// Rollback under load: our own paced loop, to see which version answered each request and when it was sent.
async function paced<T>(rate: number, seconds: number, during: (at: number) => Promise<T>): Promise<{ sent: number; version: string | null; failed: boolean }[] & { result?: T }> {
  const seen: { sent: number; version: string | null; failed: boolean }[] = [];
  const start = performance.now();
  const inflight: Promise<void>[] = [];
  let result: T | undefined;
  const trigger = setTimeout(() => void during(performance.now()).then((r) => (result = r)), (seconds * 1000) / 2);
  for (let n = 0; performance.now() - start < seconds * 1000; n++) {
    const due = start + (n * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((ok) => setTimeout(ok, wait));
    const sent = performance.now();
    inflight.push(
      fetch(gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body }).then(
        async (r) => {
          await r.arrayBuffer();
          seen.push({ sent, version: r.headers.get('x-model-version'), failed: !r.ok });
        },
        () => void seen.push({ sent, version: null, failed: true }),
      ),
    );
  }
  clearTimeout(trigger);
  await Promise.all(inflight);
  return Object.assign(seen, { result });
}
let rollbackAt = 0;
const rb = await paced(Math.min(half, 1000), 4, async (at) => {
  rollbackAt = at;
  await client.rollbackDeployment('bench', 'benchmark');
});
const lastCandidate = Math.max(...rb.filter((r) => r.version === '2').map((r) => r.sent));
console.log(`rollback under load (${rb.length} requests, ${rb.filter((r) => r.failed).length} failed): last request to the candidate sent ${(lastCandidate - rollbackAt).toFixed(1)} ms after the rollback call (goal ≤ 1000 ms)`);

// From registering a new version to serving it as a canary (the controller checks followed aliases every second).
const t0 = performance.now();
const v3 = await register(model(0.2));
await client.setModelAlias('bench', 'production', v3);
let servedAt = 0;
for (let k = 0; k < 2000 && !servedAt; k++) {
  const r = await fetch(gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json', 'x-user-id': `u${k}` }, body });
  await r.arrayBuffer();
  if (r.headers.get('x-model-version') === String(v3)) servedAt = performance.now();
  else await new Promise((ok) => setTimeout(ok, 5));
}
console.log(`register a version, move the alias, first answer from it as a canary: ${servedAt ? ((servedAt - t0) / 1000).toFixed(2) : 'never'} s (goal ≤ 5 s)`);

bare.kill();
await server.stop();
