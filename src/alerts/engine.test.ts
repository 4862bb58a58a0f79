import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LOCAL_ACTOR } from '../core/actor.js';
import { SecretBox } from '../core/secrets.js';
import { testDialect, testStore, type TestStore } from '../../test/db.js';
import { AlertEngine, fingerprint, type SignalSample } from './engine.js';
import { parseRulesFile } from './rules.js';
import { createChannel, createSilence, deleteRule, getAlert, listAlerts, saveRule } from './store.js';
import { registerSignal, suggestSignals } from './signals.js';

/** Channel secrets are sealed at rest; these tests seal with a key of their own. */
const secrets = new SecretBox(randomBytes(32));

let store: TestStore;
let engine: AlertEngine;
let clock = 1_700_000_000_000;
const T0 = 1_700_000_000_000;

const psi = (value: number | null, atSec: number, feature = 'tenure'): SignalSample => ({ signal: 'drift.psi', labels: { deployment: 'churn', feature }, value, at: T0 + atSec * 1000 });
const outbox = async () => store.database.db.selectFrom('alert_notifications').selectAll().orderBy('id').execute();

beforeEach(async () => {
  store = await testStore();
  clock = T0;
  engine = new AlertEngine(store.database.db, { secrets, now: () => clock });
  await createChannel(store.database.db, LOCAL_ACTOR, { name: 'ops', type: 'webhook', url: 'http://127.0.0.1:9/hook' }, secrets);
});
afterEach(async () => {
  await engine.close();
  await store.cleanup();
});

describe(`alert engine (${testDialect})`, () => {
  it('goes pending, then fires after three consecutive breaching windows; a good window in between resets', async () => {
    await saveRule(store.database.db, LOCAL_ACTOR, { name: 'psi-high', signal: 'drift.psi', match: { deployment: 'churn' }, op: '>', threshold: 0.2, for: { windows: 3 }, severity: 'warning', channels: ['ops'] }, 'create');
    const id = fingerprint('psi-high', { deployment: 'churn', feature: 'tenure' });
    expect((await engine.evaluate([psi(0.3, 1)]))[0]).toMatchObject({ alertId: id, from: 'inactive', to: 'pending' });
    expect(await engine.evaluate([psi(0.31, 2)])).toEqual([]);
    // A good window: back to inactive, no notification.
    expect((await engine.evaluate([psi(0.1, 3)]))[0]).toMatchObject({ from: 'pending', to: 'inactive' });
    expect(await outbox()).toHaveLength(0);
    expect((await engine.evaluate([psi(0.3, 4)]))[0]).toMatchObject({ to: 'pending' });
    expect(await engine.evaluate([psi(0.3, 5)])).toEqual([]);
    const fired = await engine.evaluate([psi(0.4, 6)]);
    expect(fired).toEqual([expect.objectContaining({ from: 'pending', to: 'firing', value: 0.4, at: T0 + 6000, severity: 'warning', silenced: false })]);
    expect(await engine.evaluate([psi(0.5, 7)])).toEqual([]); // still firing: nothing new
    const resolved = await engine.evaluate([psi(0.05, 8)]);
    expect(resolved).toEqual([expect.objectContaining({ from: 'firing', to: 'resolved' })]);

    const { alert, history } = await getAlert(store.database.db, id);
    expect(alert).toMatchObject({ state: 'resolved', value: 0.05, threshold: 0.2, severity: 'warning', labels: { deployment: 'churn', feature: 'tenure' } });
    expect(alert.startedAt).toBe(new Date(T0 + 6000).toISOString());
    expect(alert.resolvedAt).toBe(new Date(T0 + 8000).toISOString());
    expect(history.map((h) => `${h.from}>${h.to}`).reverse()).toEqual(['inactive>pending', 'pending>inactive', 'inactive>pending', 'pending>firing', 'firing>resolved']);

    const rows = await outbox();
    expect(rows.map((r) => r.status)).toEqual(['firing', 'resolved']);
    const body = JSON.parse(rows[0]!.payload);
    expect(body).toMatchObject({ status: 'firing', rule: 'psi-high', labels: { deployment: 'churn', feature: 'tenure' }, value: 0.4, threshold: 0.2, severity: 'warning', startsAt: new Date(T0 + 6000).toISOString() });
    expect(body.summary).toMatch(/psi-high firing: drift\.psi = 0\.4 > 0\.2/);
    expect(JSON.parse(rows[1]!.payload)).toMatchObject({ status: 'resolved', endsAt: new Date(T0 + 8000).toISOString() });

    // Re-firing reuses the alert; the history keeps both episodes.
    await engine.evaluate([psi(0.3, 9), psi(0.3, 10), psi(0.3, 11)]);
    const again = await getAlert(store.database.db, id);
    expect(again.alert.state).toBe('firing');
    expect(again.history.filter((h) => h.to === 'firing')).toHaveLength(2);
    expect(await listAlerts(store.database.db)).toHaveLength(1);
  });

  it('treats null values as no data: they neither fire, break a streak, nor resolve', async () => {
    await saveRule(store.database.db, LOCAL_ACTOR, { name: 'psi', signal: 'drift.psi', op: '>=', threshold: 0.2, for: { windows: 2 }, severity: 'critical' }, 'create');
    expect(await engine.evaluate([psi(null, 1)])).toEqual([]);
    expect(await listAlerts(store.database.db, { state: ['inactive', 'pending', 'firing', 'resolved'] })).toHaveLength(0);
    await engine.evaluate([psi(0.2, 2)]);
    expect(await engine.evaluate([psi(null, 3)])).toEqual([]);
    expect((await engine.evaluate([psi(0.25, 4)]))[0]).toMatchObject({ from: 'pending', to: 'firing' });
    expect(await engine.evaluate([psi(null, 5), psi(Number.NaN, 6)])).toEqual([]);
    const [alert] = await listAlerts(store.database.db);
    expect(alert).toMatchObject({ state: 'firing', value: 0.25 });
  });

  it('is idempotent: the same samples evaluated twice change nothing more', async () => {
    await saveRule(store.database.db, LOCAL_ACTOR, { name: 'psi', signal: 'drift.psi', op: '>', threshold: 0.2, for: { windows: 2 }, severity: 'warning', channels: ['ops'] }, 'create');
    const batch = [psi(0.3, 1), psi(0.3, 2)];
    expect((await engine.evaluate(batch)).map((t) => t.to)).toEqual(['pending', 'firing']);
    expect(await engine.evaluate(batch)).toEqual([]);
    expect(await engine.evaluate([psi(0.3, 2)])).toEqual([]);
    // Out of order, older than the last applied: ignored too.
    expect(await engine.evaluate([psi(0.0, 1)])).toEqual([]);
    expect(await outbox()).toHaveLength(1);
    const { history } = await getAlert(store.database.db, fingerprint('psi', { deployment: 'churn', feature: 'tenure' }));
    expect(history).toHaveLength(2);
  });

  it('keeps one alert per rule and label set (de-duplication by fingerprint)', async () => {
    await saveRule(store.database.db, LOCAL_ACTOR, { name: 'psi', signal: 'drift.psi', match: { deployment: 'churn' }, op: '>', threshold: 0.2, severity: 'warning' }, 'create');
    await engine.evaluate([psi(0.3, 1, 'tenure'), psi(0.4, 1, 'spend')]);
    await engine.evaluate([psi(0.5, 2, 'tenure')]);
    await engine.evaluate([{ signal: 'drift.psi', labels: { feature: 'tenure', deployment: 'churn' }, value: 0.6, at: T0 + 3000 }]); // key order does not matter
    const alerts = await listAlerts(store.database.db);
    expect(alerts).toHaveLength(2);
    expect(alerts.map((a) => a.labels.feature).sort()).toEqual(['spend', 'tenure']);
    expect(alerts.find((a) => a.labels.feature === 'tenure')).toMatchObject({ state: 'firing', value: 0.6 });
    // Another deployment does not match; another signal neither.
    await engine.evaluate([{ signal: 'drift.psi', labels: { deployment: 'other', feature: 'x' }, value: 9, at: T0 + 4000 }, { signal: 'ops.error_rate', labels: { deployment: 'churn' }, value: 9, at: T0 + 4000 }]);
    expect(await listAlerts(store.database.db)).toHaveLength(2);
  });

  it('records state but sends nothing for silenced alerts', async () => {
    const db = store.database.db;
    await saveRule(db, LOCAL_ACTOR, { name: 'psi', signal: 'drift.psi', op: '>', threshold: 0.2, severity: 'warning', channels: ['ops'] }, 'create');
    await saveRule(db, LOCAL_ACTOR, { name: 'latency', signal: 'ops.latency_p99_ms', op: '>', threshold: 50, severity: 'critical', channels: ['ops'] }, 'create');
    const silence = await createSilence(db, LOCAL_ACTOR, { rule: 'psi', labels: { feature: 'tenure' }, durationSeconds: 3600, comment: 'known drift, retraining' });
    clock = Date.parse(silence.startsAt) + 1;
    expect(silence.active).toBe(true);
    const t = await engine.evaluate([psi(0.3, 1, 'tenure'), psi(0.3, 1, 'spend'), { signal: 'ops.latency_p99_ms', labels: { deployment: 'churn' }, value: 62, at: T0 + 1000 }]);
    expect(t.map((x) => [x.rule, x.labels.feature ?? '-', x.to, x.silenced])).toEqual([
      ['psi', 'tenure', 'firing', true],
      ['psi', 'spend', 'firing', false],
      ['latency', '-', 'firing', false],
    ]);
    expect(t.find((x) => x.labels.feature === 'tenure')?.silenced).toBe(true);
    expect(t.filter((x) => x.silenced)).toHaveLength(1);
    const rows = await outbox();
    expect(rows).toHaveLength(2);
    expect(rows.some((r) => r.alert_id === fingerprint('psi', { deployment: 'churn', feature: 'tenure' }))).toBe(false);
    const silenced = await getAlert(db, fingerprint('psi', { deployment: 'churn', feature: 'tenure' }));
    expect(silenced.alert).toMatchObject({ state: 'firing', silenced: true });
    expect(silenced.history[0]).toMatchObject({ to: 'firing', silenced: true, note: 'silenced: no notification' });
    // Its resolution is not announced either.
    await engine.evaluate([psi(0.1, 2, 'tenure')]);
    expect(await outbox()).toHaveLength(2);
  });

  it('fires after `for.seconds` of continuous breach, measured on the samples’ times', async () => {
    await saveRule(store.database.db, LOCAL_ACTOR, { name: 'stale', signal: 'freshness.since_last_prediction_s', op: '>', threshold: 600, for: { seconds: 120 }, severity: 'warning' }, 'create');
    const s = (value: number, atSec: number): SignalSample => ({ signal: 'freshness.since_last_prediction_s', labels: { deployment: 'churn' }, value, at: T0 + atSec * 1000 });
    expect((await engine.evaluate([s(700, 0)]))[0]?.to).toBe('pending');
    expect(await engine.evaluate([s(760, 60)])).toEqual([]);
    expect((await engine.evaluate([s(820, 120)]))[0]).toMatchObject({ from: 'pending', to: 'firing' });
    expect((await engine.evaluate([s(10, 130)]))[0]?.to).toBe('resolved');
    // A breach that starts again counts from its own start.
    expect((await engine.evaluate([s(700, 200)]))[0]?.to).toBe('pending');
    expect(await engine.evaluate([s(700, 300)])).toEqual([]);
    expect((await engine.evaluate([s(700, 320)]))[0]?.to).toBe('firing');
  });

  it('deleting a rule closes its open alerts, recorded but not notified', async () => {
    await saveRule(store.database.db, LOCAL_ACTOR, { name: 'psi', signal: 'drift.psi', op: '>', threshold: 0.2, severity: 'warning', channels: ['ops'] }, 'create');
    await engine.evaluate([psi(0.3, 1)]);
    await deleteRule(store.database.db, LOCAL_ACTOR, 'psi');
    const [a] = await listAlerts(store.database.db);
    expect(a).toMatchObject({ state: 'resolved' });
    expect((await getAlert(store.database.db, a!.id)).history[0]).toMatchObject({ from: 'firing', to: 'resolved', note: 'rule deleted' });
    expect(await engine.evaluate([psi(0.3, 2)])).toEqual([]);
    expect(await outbox()).toHaveLength(1);
  });

  it('records a rollback action that cannot find a deployment on the alert instead of failing', async () => {
    await saveRule(store.database.db, LOCAL_ACTOR, { name: 'acc', signal: 'performance.accuracy', op: '<', threshold: 0.8, severity: 'critical', action: { type: 'rollback' } }, 'create');
    const calls: string[] = [];
    const e2 = new AlertEngine(store.database.db, { secrets, rollback: async (d) => void calls.push(d) });
    await e2.evaluate([{ signal: 'performance.accuracy', labels: { model: 'churn' }, value: 0.5, at: T0 }]);
    const [a] = await listAlerts(store.database.db);
    expect(a?.action).toMatchObject({ type: 'rollback', deployment: null, ok: false, message: expect.stringMatching(/no deployment/) });
    // With a deployment label: called once, even when the same firing is seen again.
    await e2.evaluate([{ signal: 'performance.accuracy', labels: { deployment: 'churn' }, value: 0.5, at: T0 }, { signal: 'performance.accuracy', labels: { deployment: 'churn' }, value: 0.4, at: T0 + 1 }]);
    expect(calls).toEqual(['churn']);
    await e2.close();
  });
});

describe('rules and signals', () => {
  it('suggests close signal names', () => {
    expect(suggestSignals('drift.psy')[0]).toBe('drift.psi');
    expect(suggestSignals('ops.latency_p99')).toContain('ops.latency_p99_ms');
    registerSignal({ name: 'custom.thing', description: 'x', unit: '1', labels: ['deployment'] });
    expect(suggestSignals('custom.thin')).toContain('custom.thing');
  });

  it('reads rules from YAML with line numbers in errors', () => {
    const rules = parseRulesFile(`rules:
  - name: psi-high
    signal: drift.psi
    match: { deployment: churn }
    op: '>'
    threshold: 0.2
    for: { windows: 3 }
    severity: warning
    action: { type: rollback }
`);
    expect(rules[0]).toMatchObject({ name: 'psi-high', for: { windows: 3, seconds: 0 }, action: { type: 'rollback' }, enabled: true, channels: [] });
    expect(() => parseRulesFile(`- name: a\n  signal: drift.psi\n  op: '>'\n  threshold: 1\n- name: b\n  signal: drift.psy\n  op: '>'\n  threshold: 1\n`, 'r.yaml')).toThrow(/r\.yaml line 6: rule "b": Unknown signal "drift\.psy"\. Did you mean drift\.psi/);
    expect(() => parseRulesFile(`name: a\nsignal: drift.psi\nop: '=>'\nthreshold: 1\n`)).toThrow(/line 3: .*`op` must be one of/);
    expect(() => parseRulesFile(`name: a\nsignal: drift.psi\nop: '>'\nthreshold: 1\nfor:\n  windows: 0\n`)).toThrow(/line 6: .*for\.windows/);
    expect(() => parseRulesFile(`name: a\nsignal: drift.psi\nop: '>'\nthreshold: 1\nmatch: { chart: x }\n`)).toThrow(/line 5: .*no label "chart"/);
    expect(() => parseRulesFile(`rules: [\n`)).toThrow(/not valid YAML/);
  });
});
