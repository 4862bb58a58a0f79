import { afterAll, describe, expect, it } from 'vitest';
import { testDialect } from './db.js';
import { exited, processStore, startServerProcess } from './server-process.js';

const post = async (url: string, path: string, body: unknown) => {
  const res = await fetch(`${url}/api/2.0/mlflow/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as any };
};

describe(`acknowledged writes survive kill -9 (${testDialect})`, () => {
  const store = processStore('kill');
  const args = store.args;
  afterAll(() => store.cleanup());

  it('finds every acknowledged batch after a restart', async () => {
    await store.prepare();
    const first = await startServerProcess(args);
    const { json: exp } = await post(first.url, 'experiments/create', { name: 'durable' });
    const { json: created } = await post(first.url, 'runs/create', { experiment_id: exp.experiment_id });
    const runId: string = created.run.info.run_id;
    const acknowledged: number[] = [];
    let stop = false;
    const writers = Array.from({ length: 4 }, async (_, w) => {
      for (let b = w; !stop; b += 4) {
        const metrics = Array.from({ length: 100 }, (_, i) => ({ key: 'm', value: b * 100 + i, timestamp: 1, step: b * 100 + i }));
        try {
          const res = await post(first.url, 'runs/log-batch', { run_id: runId, metrics, params: [{ key: `p${b}`, value: String(b) }] });
          if (res.status === 200) acknowledged.push(b);
        } catch {
          return; // the server is gone: this batch was never acknowledged
        }
      }
    });
    await new Promise((r) => setTimeout(r, 1500));
    first.child.kill('SIGKILL');
    stop = true;
    await Promise.all(writers);
    await exited(first.child);
    expect(acknowledged.length).toBeGreaterThan(10);

    const second = await startServerProcess(args);
    try {
      const res = await fetch(`${second.url}/api/2.0/mlflow/metrics/get-history?run_id=${runId}&metric_key=m`);
      const steps = new Set(((await res.json()) as { metrics: { step: number }[] }).metrics.map((m) => m.step));
      const run = (await (await fetch(`${second.url}/api/2.0/mlflow/runs/get?run_id=${runId}`)).json()) as any;
      const params = new Set((run.run.data.params as { key: string }[]).map((p) => p.key));
      for (const b of acknowledged) {
        for (let i = 0; i < 100; i++) expect(steps.has(b * 100 + i)).toBe(true);
        expect(params.has(`p${b}`)).toBe(true);
      }
      // batches are atomic: a batch is either whole or absent
      expect(steps.size % 100).toBe(0);
    } finally {
      second.child.kill('SIGTERM');
      await exited(second.child);
    }
  });
});
