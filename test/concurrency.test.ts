import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlipwayClient } from '../src/client/index.js';
import { testDialect } from './db.js';
import { startTestServer, type TestServer } from './server.js';

const CLIENTS = 16;
const BATCHES = 15;
const PER_BATCH = 200;

async function mlflow(url: string, path: string, body: unknown) {
  const res = await fetch(`${url}/api/2.0/mlflow/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe(`16 concurrent clients (${testDialect})`, () => {
  let server: TestServer;
  let client: SlipwayClient;
  beforeAll(async () => {
    server = await startTestServer();
    client = new SlipwayClient({ url: server.url });
  });
  afterAll(() => server.close());

  it('lose nothing and see no busy/deadlock errors, logging to one run and to their own runs', async () => {
    const { run: shared } = await client.createRun({ experimentId: '0', name: 'shared' });
    const own = await Promise.all(Array.from({ length: CLIENTS }, (_, c) => client.createRun({ experimentId: '0', name: `own-${c}` })));
    const statuses: number[] = [];
    await Promise.all(
      Array.from({ length: CLIENTS }, async (_, c) => {
        for (let b = 0; b < BATCHES; b++) {
          for (const runId of [shared.id, own[c]!.run.id]) {
            const metrics = Array.from({ length: PER_BATCH }, (_, i) => ({
              key: `m${i % 5}`,
              value: c * 1e6 + b * 1e3 + i,
              timestamp: 1_700_000_000_000 + b,
              step: b * PER_BATCH + i,
            }));
            // Same param keys and values from every client: idempotent, never a conflict.
            const res = await mlflow(server.url, 'runs/log-batch', {
              run_id: runId,
              metrics,
              params: [{ key: 'shared_param', value: 'same' }],
              tags: [{ key: `client_${c}`, value: String(b) }, { key: 'last_writer', value: String(c) }],
            });
            statuses.push(res.status);
            if (res.status !== 200) throw new Error(JSON.stringify(res.body));
          }
        }
      }),
    );
    expect(new Set(statuses)).toEqual(new Set([200]));
    const count = async (runId: string) =>
      Number(
        (
          await server.store.database.db
            .selectFrom('metrics')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .where('run_uuid', '=', runId)
            .executeTakeFirstOrThrow()
        ).n,
      );
    expect(await count(shared.id)).toBe(CLIENTS * BATCHES * PER_BATCH);
    for (const r of own) expect(await count(r.run.id)).toBe(BATCHES * PER_BATCH);
    const got = (await client.getRun(shared.id)).run;
    expect(Object.keys(got.tags).filter((k) => k.startsWith('client_'))).toHaveLength(CLIENTS);
    // latest value per key is the one with the greatest step, whichever client wrote it last
    expect(got.metrics.m4!.step).toBe((BATCHES - 1) * PER_BATCH + PER_BATCH - 1);
  });
});
