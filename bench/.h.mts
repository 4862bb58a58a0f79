import { openDatabase } from '../src/db/database.ts';
import { getMetricHistory } from '../src/tracking/history.ts';
import { metricsArrayJson } from '../src/mlflow/translate.ts';
import { rmSync } from 'node:fs';
rmSync('/tmp/hist-bench.db', { force: true }); rmSync('/tmp/hist-bench.db-wal', { force: true });
const d = await openDatabase('sqlite:/tmp/hist-bench.db');
const db = d.db;
const run = 'a'.repeat(32);
await db.insertInto('runs').values({ run_uuid: run, experiment_id: 0, name: 'x', user_id: 'u', status: 'RUNNING', start_time: 1, end_time: null, lifecycle_stage: 'active', artifact_uri: 'x', deleted_time: null }).execute();
const ins = d.sqlite!.prepare('INSERT INTO metrics VALUES (?,?,?,?,?,?)');
d.sqlite!.transaction(() => { for (let i = 0; i < 100000; i++) ins.run(run, 'loss', Math.random(), 1700000000000 + i, i, 0); })();
for (const orderBy of ['step', 'timestamp'] as const) {
  for (let k = 0; k < 4; k++) {
    let t = performance.now();
    const page = await getMetricHistory(db, run, 'loss', { orderBy });
    const q = performance.now() - t; t = performance.now();
    const s = metricsArrayJson(page.metrics);
    console.log(orderBy, 'query+map', q.toFixed(1), 'json', (performance.now() - t).toFixed(1), s.length);
  }
}
for (const sqlText of ['select value, timestamp, step, is_nan from metrics where run_uuid=? and key=? order by step, timestamp, value', 'select value, timestamp, step, is_nan from metrics where run_uuid=? and key=? order by timestamp, step, value']) {
  const st = d.sqlite!.prepare(sqlText);
  for (let k = 0; k < 3; k++) { const t = performance.now(); st.all(run, 'loss'); console.log('direct objects', (performance.now() - t).toFixed(1)); }
  for (let k = 0; k < 3; k++) { const t = performance.now(); st.raw().all(run, 'loss'); console.log('direct raw', (performance.now() - t).toFixed(1)); }
  st.raw(false);
}
