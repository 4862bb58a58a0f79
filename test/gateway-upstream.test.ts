/**
 * The gateway in front of real model servers (MLflow scoring protocol over HTTP): a candidate whose server dies in
 * the middle of a canary is failed fast by its circuit breaker, counted as errors, and rolled back by the controller
 * on its error rate, while the stable version keeps answering every request routed to it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openArtifactStore } from '../src/artifacts/store.js';
import { SlipwayClient } from '../src/client/index.js';
import type { Column, Frame } from '../src/runtimes/frame.js';
import { breakerStateOf } from '../src/runtimes/http.js';
import { Gateway, type GatewayLogger } from '../src/serving/gateway.js';
import { GatewayMetrics } from '../src/serving/metrics.js';
import { PredictionLog } from '../src/serving/prediction-log.js';
import { churnServerAnswer } from './eval-fixtures.js';
import { testDialect } from './db.js';
import { startTestServer, type TestServer } from './server.js';

/** An MLflow-scoring model server: class probabilities [p(0), p(1)] from tenure and spend. */
interface ModelServer {
  server: Server;
  url: string;
  port: number;
  requests: number;
  kill(): Promise<void>;
}

async function startModelServer(): Promise<ModelServer> {
  const m = { requests: 0 } as ModelServer;
  m.server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/invocations') {
        res.writeHead(404).end();
        return;
      }
      m.requests++;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(churnServerAnswer(body)));
    });
  });
  await new Promise<void>((ok) => m.server.listen(0, '127.0.0.1', ok));
  m.port = (m.server.address() as AddressInfo).port;
  m.url = `http://127.0.0.1:${m.port}/invocations`;
  m.kill = async () => {
    const closed = new Promise((ok) => m.server.close(ok));
    m.server.closeAllConnections();
    await closed;
  };
  return m;
}

interface Outcome {
  sentAt: number;
  doneAt: number;
  status: number;
  version: string | null;
  message: string | null;
}

const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

describe(`gateway in front of model servers that fail (${testDialect})`, () => {
  let server: TestServer;
  let client: SlipwayClient;
  let v1: ModelServer;
  let v2: ModelServer;

  beforeAll(async () => {
    [v1, v2] = await Promise.all([startModelServer(), startModelServer()]);
    server = await startTestServer({ trust: { modelServerHosts: [v1, v2].map((m) => `127.0.0.1:${m.port}`) } });
    client = new SlipwayClient({ url: server.url });
    await client.createModel({ name: 'upstream' });
    for (const m of [v1, v2]) await client.createModelVersion('upstream', { source: m.url, tags: { 'slipway.classes': '0,1' } });
    await client.setModelAlias('upstream', 'production', 1);
    await client.createDeployment({ name: 'upstream', model: 'upstream' }); // follows @production: v1
  });
  afterAll(async () => {
    await server?.close();
    for (const m of [v1, v2]) if (m?.server.listening) await m.kill();
  });

  it('fails fast on a dead candidate, counts its errors, rolls it back on the error rate, and keeps stable serving', async () => {
    const outcomes: Outcome[] = [];
    let stop = false;
    let n = 0;
    /** Steady traffic: 4 callers, each sending one request after the other. */
    const caller = async () => {
      while (!stop) {
        const i = n++;
        const sentAt = performance.now();
        const res = await fetch(`${server.url}/deployments/upstream/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ records: [{ tenure: i % 60, spend: (i * 37) % 200 }] }) });
        const body = (await res.json()) as { error?: { message: string } };
        outcomes.push({ sentAt, doneAt: performance.now(), status: res.status, version: res.headers.get('x-model-version'), message: body.error?.message ?? null });
        await sleep(5);
      }
    };
    const callers = Array.from({ length: 4 }, caller);

    // The canary's only step lasts long enough for v2 to die in the middle of it; judged on errors alone here
    // (latency and prediction shift are noise at this volume).
    const { deployment: canary } = await client.startRollout('upstream', {
      mode: 'canary',
      version: 2,
      steps: [{ weight: 0.5, durationSeconds: 2.5 }],
      thresholds: { minRequests: 10, maxLatencyRatio: 1000, maxPredictionShift: 1 },
    });
    expect(canary).toMatchObject({ mode: 'canary', stable: 1, candidate: 2, weight: 0.5 });
    while (outcomes.filter((o) => o.version === '2' && o.status === 200).length < 5) await sleep(10);
    const answeredBeforeKill = v2.requests;
    expect(answeredBeforeKill).toBeGreaterThanOrEqual(5);
    const killedAt = performance.now();
    await v2.kill();

    let rolledBack: Awaited<ReturnType<typeof client.getDeployment>>['deployment'] | undefined;
    for (let i = 0; i < 200 && !rolledBack; i++) {
      const { deployment } = await client.getDeployment('upstream');
      if (deployment.lastAction === 'rollback') rolledBack = deployment;
      else await sleep(50);
    }
    const rolledBackAt = performance.now();
    expect(rolledBack, 'the controller rolled the canary back').toBeDefined();
    expect(rolledBack).toMatchObject({ mode: 'stable', stable: 1, candidate: null, rejected: 2, lastAction: 'rollback' });
    expect(rolledBack!.lastReason).toMatch(/^canary analysis failed at step 1 of 1: error rate \d+\.\d\d% against stable's 0\.00%/);
    await sleep(700); // traffic after the rollback
    stop = true;
    await Promise.all(callers);

    // Stable kept serving throughout: every failure is the dead candidate's, and every answer came from a live server.
    const failed = outcomes.filter((o) => o.status !== 200);
    expect(failed.length).toBeGreaterThan(0);
    for (const o of failed) {
      expect(o.status).toBe(503);
      expect(o.message).toContain(`model server ${v2.url}`);
      expect(o.doneAt).toBeGreaterThan(killedAt); // nothing failed before v2 died
    }
    expect(outcomes.filter((o) => o.version === '1').every((o) => o.status === 200)).toBe(true);
    expect(outcomes.filter((o) => o.version === '1').length).toBeGreaterThan(20);

    // The breaker: the first calls after the kill found the port closed (after their retries: 200 + 400 ms of
    // backoff); once open, calls failed fast without a connection attempt (the refusal happens before any fetch).
    const unreachable = failed.filter((o) => /unreachable/.test(o.message!));
    const fast = failed.filter((o) => /circuit breaker open after 5 consecutive failures/.test(o.message!));
    expect(unreachable.length + fast.length).toBe(failed.length);
    expect(unreachable.length).toBeGreaterThanOrEqual(5);
    expect(unreachable.length).toBeLessThanOrEqual(5 + 3); // the threshold, plus calls already under way (4 callers)
    expect(fast.length).toBeGreaterThan(0);
    // The calls that opened it went through all their retries; calls still retrying when it opened gave up.
    expect(unreachable.filter((o) => o.doneAt - o.sentAt >= 550).length).toBeGreaterThanOrEqual(5);
    const slowestFast = Math.max(...fast.map((o) => o.doneAt - o.sentAt));
    expect(slowestFast).toBeLessThan(400); // vs >= 600 ms for a call that tries the port (~40 ms here)
    // Each failed call counts once at the breaker whatever its retries: it opened after 5 failed calls, not 5 attempts.
    const firstFast = Math.min(...fast.map((o) => o.sentAt));
    expect(unreachable.filter((o) => o.doneAt <= firstFast).length).toBeGreaterThanOrEqual(5);

    // Zero failed requests once rolled back: all answered by v1.
    const after = outcomes.filter((o) => o.sentAt > rolledBackAt);
    expect(after.length).toBeGreaterThan(10);
    expect(after.every((o) => o.status === 200 && o.version === '1')).toBe(true);

    // The errors are counted: in the metrics, as 5xx of version 2 (exactly the failed requests), and in the log.
    const metrics = await fetch(`${server.url}/metrics`).then((r) => r.text());
    const count = (version: string, role: string, status: string) => Number(new RegExp(`slipway_gateway_requests_total\\{deployment="upstream",version="${version}",role="${role}",status="${status}"\\} (\\d+)`).exec(metrics)?.[1] ?? 0);
    expect(count('2', 'candidate', '503')).toBe(failed.length);
    expect(count('2', 'candidate', '200')).toBe(outcomes.filter((o) => o.version === '2').length);
    expect(count('1', 'stable', '200')).toBe(outcomes.filter((o) => o.version === '1').length);
    // The dead server's breaker is visible: open (1), or half-open (0.5) if its cool-down has passed.
    expect(metrics).toMatch(/slipway_gateway_upstream_circuit_open\{model="[^"]+",version="2"\} (1|0\.5)/);
    expect(metrics).toMatch(/slipway_gateway_upstream_circuit_open\{model="[^"]+",version="1"\} 0/);
    expect(metrics).not.toMatch(/slipway_gateway_requests_total\{deployment="upstream",version="1",role="stable",status="5\d\d"\}/);
    const rows = await server.store.database.db.selectFrom('predictions').select(['status', 'error']).where('deployment', '=', 'upstream').where('model_version', '=', 2).where('status', '>=', 500).execute();
    expect(rows.length).toBeLessThanOrEqual(failed.length); // the log may still be writing the last ones
    expect(rows.length).toBeGreaterThanOrEqual(5); // the analysis flushed and read them: they rolled the canary back
    expect(rows.every((r) => r.error !== null && r.error.includes(v2.url))).toBe(true);
  });

  it('logs failed predictions (warn) and answered ones (debug) with deployment, version, role and prediction id', async () => {
    // Fastify's logger fits the option: the app passes `app.log`.
    const fastifyLogger: GatewayLogger = server.app.log;
    expect(fastifyLogger).toBeDefined();
    const lines: { level: string; obj: Record<string, unknown>; msg: string | undefined }[] = [];
    const at = (level: string) => (obj: object, msg?: string) => lines.push({ level, obj: obj as Record<string, unknown>, msg });
    const logger: GatewayLogger = { info: at('info'), warn: at('warn'), debug: at('debug') };
    const db = server.store.database;
    const predictionLog = new PredictionLog(db.db, { spillDir: join(server.store.dir, 'spill-logged') });
    const gateway = new Gateway(db, await openArtifactStore(join(server.store.dir, 'artifacts')), predictionLog, new GatewayMetrics(() => predictionLog.stats()), { logger, modelServerHosts: [v1, v2].map((m) => `127.0.0.1:${m.port}`) });
    try {
      await gateway.start();
      const num = (values: number[]): Column => ({ kind: 'number', values: Float64Array.from(values) });
      const frame: Frame = { rows: 1, columns: new Map([['tenure', num([3])], ['spend', num([120])]]) };
      const payload = () => ({ inputs: null, outputs: null });

      const stable = await gateway.serve('upstream', null);
      expect(stable).toMatchObject({ version: 1, role: 'stable' });
      const answer = await gateway.predict(stable, frame, null, payload);
      expect(lines).toEqual([{ level: 'debug', msg: 'prediction', obj: { deployment: 'upstream', version: 1, role: 'stable', predictionId: answer.ids[0], latencyMs: expect.any(Number) } }]);

      const dead = { ...stable, version: 2, role: 'candidate' as const, runtime: await gateway.model('upstream', 2) };
      const err = await gateway.predict(dead, frame, null, payload).catch((e: Error) => e);
      expect((err as Error).message).toMatch(/unreachable/);
      expect(breakerStateOf(dead.runtime)).toBe('closed'); // one failed call of 5
      const warn = lines[1]!;
      expect(warn).toMatchObject({ level: 'warn', msg: 'prediction failed', obj: { deployment: 'upstream', version: 2, role: 'candidate', status: 503, error: expect.stringMatching(/unreachable/) } });
      await predictionLog.flush();
      const row = await db.db.selectFrom('predictions').select(['model_version', 'role', 'status', 'error']).where('id', '=', warn.obj.predictionId as string).executeTakeFirstOrThrow();
      expect(row).toMatchObject({ model_version: 2, role: 'candidate', status: 503 });
      expect(row.error).toMatch(/unreachable/);
    } finally {
      await gateway.close();
    }
  });
});
