import { performance } from 'node:perf_hooks';
import { afterAll, describe, expect, it } from 'vitest';
import { SlipwayClient } from '../src/client/index.js';
import { openDatabase } from '../src/db/database.js';
import { PREDICTION_DURABLE_WITHIN_MS } from '../src/serving/prediction-log.js';
import { testDialect } from './db.js';
import { exited, processStore, startServerProcess } from './server-process.js';
import { churnModel, registerOnnx } from './eval-fixtures.js';

describe(`answered predictions survive kill -9 of the gateway under load (${testDialect})`, () => {
  const server = processStore('killgw');
  const args = server.args;
  afterAll(() => server.cleanup());

  it(`keeps every prediction answered more than ${PREDICTION_DURABLE_WITHIN_MS} ms before the kill, with monitoring buckets counting exactly the logged rows`, async () => {
    await server.prepare();
    const first = await startServerProcess(args);
    const client = new SlipwayClient({ url: first.url });
    await client.createModel({ name: 'churn' });
    await registerOnnx(client, 'churn', churnModel());
    await client.setModelAlias('churn', 'production', 1);
    await client.createDeployment({ name: 'kill', model: 'churn' });

    const answered: { id: string; at: number }[] = [];
    let stop = false;
    const worker = async (n: number) => {
      for (let i = 0; !stop && i < 20_000; i++) {
        try {
          const res = await fetch(`${first.url}/deployments/kill/predict`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ records: [{ tenure: (i * 7 + n) % 60, spend: (i * 13) % 200 }] }),
          });
          const id = res.headers.get('x-prediction-id');
          const at = performance.now();
          await res.arrayBuffer();
          if (res.ok && id) answered.push({ id, at });
        } catch {
          return; // the server is gone: this request was never answered
        }
      }
    };
    const load = Promise.all(Array.from({ length: 8 }, (_, n) => worker(n)));
    await new Promise((r) => setTimeout(r, 2500));
    const killedAt = performance.now();
    first.child.kill('SIGKILL');
    stop = true;
    await load;
    await exited(first.child);
    const mustSurvive = answered.filter((a) => a.at < killedAt - PREDICTION_DURABLE_WITHIN_MS);
    expect(mustSurvive.length).toBeGreaterThan(200);

    // Feedback on the last prediction that must have survived, through the restarted server.
    const second = await startServerProcess(args);
    let feedback: { status: number; body: unknown };
    try {
      const res = await fetch(`${second.url}/api/v1/feedback`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ items: [{ predictionId: mustSurvive.at(-1)!.id, label: 1 }] }),
      });
      feedback = { status: res.status, body: await res.json() };
    } finally {
      second.child.kill('SIGTERM');
      await exited(second.child);
    }

    const store = await openDatabase(server.url, server.pgSchema ? { pgSchema: server.pgSchema } : {});
    try {
      const logged = new Set((await store.db.selectFrom('predictions').select('id').where('deployment', '=', 'kill').where('status', '=', 200).execute()).map((r) => r.id));
      const lost = mustSurvive.filter((a) => !logged.has(a.id));
      expect(lost.map((a) => `${a.id} answered ${(killedAt - a.at).toFixed(1)} ms before the kill`)).toEqual([]);
      const counted = await store.db
        .selectFrom('monitor_buckets')
        .select((eb) => [eb.fn.sum<number>('rows').as('rows'), eb.fn.sum<number>('requests').as('requests')])
        .where('deployment', '=', 'kill')
        .executeTakeFirstOrThrow();
      // The killed process answered every request it sketched; the restarted one answered none.
      expect({ rows: Number(counted.rows ?? 0), requests: Number(counted.requests ?? 0) }).toEqual({ rows: logged.size, requests: logged.size });
      expect(logged.size).toBeGreaterThanOrEqual(mustSurvive.length);
    } finally {
      await store.close();
    }
    expect(feedback).toMatchObject({ status: 200, body: { updated: 1 } });
  }, 30_000);
});
