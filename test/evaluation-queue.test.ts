import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlipwayClient, type Evaluation } from '../src/client/index.js';
import { expectError } from './api-errors.js';
import { cli } from './cli-run.js';
import { testDialect } from './db.js';
import { churnModel, churnRows, churnServerAnswer, registerCsv, registerOnnx, writeCsv } from './eval-fixtures.js';
import { startTestServer, type TestServer } from './server.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe(`evaluation queue and cancel (${testDialect})`, () => {
  let server: TestServer;
  let client: SlipwayClient;
  let upstream: Server;
  let dataset: string;
  let slowVersion: number;
  const dir = mkdtempSync(join(tmpdir(), 'slipway-evq-'));
  /** Requests the slow model server is answering right now. */
  let inFlight = 0;

  const until = async (id: string, ok: (e: Evaluation) => boolean, ms = 20_000): Promise<Evaluation> => {
    const deadline = Date.now() + ms;
    for (;;) {
      const { evaluation } = await client.getEvaluation(id);
      if (ok(evaluation) || Date.now() > deadline) return evaluation;
      await sleep(50);
    }
  };

  beforeAll(async () => {
    // A model server that takes 100 ms per request: the evaluation on it runs for seconds, long enough to cancel.
    upstream = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        inFlight++;
        setTimeout(() => {
          inFlight--;
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(churnServerAnswer(body)));
        }, 100);
      });
    });
    await new Promise<void>((ok) => upstream.listen(0, '127.0.0.1', ok));
    const port = (upstream.address() as { port: number }).port;
    server = await startTestServer({ trust: { maxConcurrentEvaluations: 1, modelServerHosts: [`127.0.0.1:${port}`, '127.0.0.1'] } });
    client = new SlipwayClient({ url: server.url });
    dataset = await registerCsv(client, writeCsv(dir, 'eval.csv', churnRows(300) as unknown as Record<string, unknown>[]), 'churn-eval');
    await client.createModel({ name: 'churn' });
    await registerOnnx(client, 'churn', churnModel());
    slowVersion = (await client.createModelVersion('churn', { source: `http://127.0.0.1:${port}/invocations`, tags: { 'slipway.classes': '0,1' } })).version.version;
  });
  afterAll(async () => {
    await server.close();
    await new Promise((ok) => upstream.close(ok));
    rmSync(dir, { recursive: true, force: true });
  });

  const request = (version: number) => ({ model: 'churn', version, dataset, label: 'churned', ignoreColumns: ['plan', 'region'], against: null });

  it('runs at most maxConcurrentEvaluations at once, queues the rest in order, and cancels queued and running ones', async () => {
    const slow = (await client.startEvaluation(request(slowVersion))).evaluation;
    const second = (await client.startEvaluation(request(1))).evaluation;
    const third = (await client.startEvaluation(request(1))).evaluation;
    expect([slow.status, second.status, third.status]).toEqual(['running', 'queued', 'queued']);

    // A queued evaluation is cancelled without ever running.
    const thirdCancelled = (await client.cancelEvaluation(third.id)).evaluation;
    expect([thirdCancelled.status, thirdCancelled.gatePassed, thirdCancelled.error?.message]).toEqual(['cancelled', null, expect.stringMatching(/^Cancelled by /)]);

    // The slow one is scoring; the next waits for its slot.
    expect((await until(slow.id, (e) => e.progress?.phase === 'measuring latency' || inFlight > 0)).status).toBe('running');
    expect((await client.getEvaluation(second.id)).evaluation.status).toBe('queued');

    const cancelled = await cli(['eval', 'cancel', slow.id], { SLIPWAY_URL: server.url });
    expect(cancelled.code, cancelled.err).toBe(0);
    expect(cancelled.out).toContain(`Cancelled evaluation ${slow.id} of churn v${slowVersion}.`);
    const stopped = (await client.getEvaluation(slow.id)).evaluation;
    expect([stopped.status, stopped.gatePassed, stopped.runId]).toEqual(['cancelled', null, null]);

    // Its slot frees as soon as it stops (not after its remaining ~200 latency requests), and the queue moves on.
    const next = await until(second.id, (e) => e.status === 'completed' || e.status === 'failed', 10_000);
    expect(next.status).toBe('completed');
    expect((await client.getEvaluation(slow.id)).evaluation.status).toBe('cancelled');
    expect((await client.getEvaluation(third.id)).evaluation.status).toBe('cancelled');
    await sleep(300);
    expect(inFlight).toBe(0);

    // Cancelling twice answers the same; a finished evaluation cannot be cancelled.
    expect((await client.cancelEvaluation(slow.id)).evaluation.status).toBe('cancelled');
    await expectError(client.cancelEvaluation(second.id), 409, 'INVALID_STATE', /is completed; only a queued or running evaluation can be cancelled/);
    await expectError(client.cancelEvaluation('0'.repeat(32)), 404, 'NOT_FOUND');
  });

  it('answers a waiting caller whose evaluation is cancelled with the cancellation, not a result', async () => {
    const waiting = client.startEvaluation(request(slowVersion), true).then(
      () => null,
      (e: unknown) => e as { status: number; message: string },
    );
    const deadline = Date.now() + 10_000;
    let id: string | undefined;
    while (!id && Date.now() < deadline) {
      id = (await client.listEvaluations('churn')).evaluations.find((e) => e.status === 'running')?.id;
      if (!id) await sleep(50);
    }
    expect(id).toBeDefined();
    await client.cancelEvaluation(id!);
    const e = await waiting;
    expect(e?.status).toBe(409);
    expect(e?.message).toMatch(/Cancelled by/);
  });
});
