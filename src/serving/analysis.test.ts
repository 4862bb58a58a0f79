import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { testStore, type TestStore } from '../../test/db.js';
import type { PredictionRow } from '../db/schema.js';
import { analyseStep, ksStatistic } from './analysis.js';
import { DEFAULT_THRESHOLDS } from './deployments.js';
import { newPredictionId } from './prediction-id.js';

let store: TestStore;
beforeEach(async () => {
  store = await testStore();
});
afterEach(() => store.cleanup());

const row = (role: 'stable' | 'candidate', version: number, over: Partial<PredictionRow>): PredictionRow => ({
  id: newPredictionId(),
  deployment: 'd',
  model_version: version,
  role,
  at: 1000,
  latency_ms: 1,
  status: 200,
  inputs: null,
  outputs: JSON.stringify({ label: '1', probabilities: { '0': 0.3, '1': 0.7 } }),
  error: null,
  request_key: null,
  label: null,
  label_at: null,
  ...over,
});

describe('canary analysis', () => {
  it('KS statistic on fixed samples', () => {
    expect(ksStatistic([1, 2, 3], [1, 2, 3])).toBe(0);
    expect(ksStatistic([1, 2], [3, 4])).toBe(1);
    expect(ksStatistic([1, 2, 3, 4], [3, 4, 5, 6])).toBe(0.5);
  });

  it('passes a candidate like stable, and fails one on errors, then on online accuracy once labels arrive', async () => {
    const db = store.database.db;
    const rows: PredictionRow[] = [];
    for (let i = 0; i < 60; i++) rows.push(row('stable', 1, { label: JSON.stringify(1) }), row('candidate', 2, { label: JSON.stringify(i < 40 ? 0 : 1) }));
    await db.insertInto('predictions').values(rows).execute();
    const t = { ...DEFAULT_THRESHOLDS, minRequests: 50 };
    const accuracy = await analyseStep(db, 'd', 1, 2, 0, 2000, t);
    expect(accuracy.stable).toMatchObject({ requests: 60, labelled: 60, accuracy: 1 });
    expect(accuracy.candidate.accuracy).toBeCloseTo(20 / 60, 12);
    expect(accuracy.passed).toBe(false);
    expect(accuracy.reasons).toEqual([expect.stringMatching(/^online accuracy 33\.3% against stable's 100\.0%/)]);
    // Not judged on accuracy below minLabels labelled predictions per version.
    expect((await analyseStep(db, 'd', 1, 2, 0, 2000, { ...t, minLabels: 100 })).passed).toBe(true);

    await db.insertInto('predictions').values(Array.from({ length: 10 }, () => row('candidate', 2, { status: 503, outputs: null, at: 1500 }))).execute();
    const errors = await analyseStep(db, 'd', 1, 2, 0, 2000, { ...t, minLabels: 100 });
    expect(errors.reasons).toEqual([expect.stringMatching(/^error rate 14\.29% against stable's 0\.00%/)]);
    // Too few candidate requests: wait, unless something already failed.
    expect(await analyseStep(db, 'd', 1, 2, 0, 2000, { ...t, minLabels: 100, minRequests: 1000 })).toMatchObject({ passed: false, inconclusive: false });
  });
});

describe('prediction shift', () => {
  const scores = (n: number, shiftBy: number) => Array.from({ length: n }, (_, i) => ({ label: '1', probabilities: { '0': 0, '1': (i + 0.5) / n + shiftBy } }));
  const insert = (role: 'stable' | 'candidate', version: number, outputs: object[]) =>
    store.database.db.insertInto('predictions').values(outputs.map((o) => row(role, version, { outputs: JSON.stringify(o) }))).execute();

  it('fails a step only on a shift beyond sampling noise, whatever its size', async () => {
    const t = { ...DEFAULT_THRESHOLDS, minRequests: 10 };
    // 20 against 20 uniform scores, the candidate's moved by 0.25: KS 0.25 > 0.2, but p = 0.571 (scipy 1.10.1 ks_2samp).
    await insert('stable', 1, scores(20, 0));
    await insert('candidate', 2, scores(20, 0.25));
    const small = await analyseStep(store.database.db, 'd', 1, 2, 0, 2000, t);
    expect(small.predictionShift).toBeCloseTo(0.25, 12);
    expect(small).toMatchObject({ passed: true, reasons: [] });
    // The same shift on 400 against 400: KS 0.2525, p = 1.3e-11 (scipy 1.10.1 ks_2samp), a real shift.
    await insert('stable', 1, scores(380, 0));
    await insert('candidate', 2, scores(380, 0.25));
    const large = await analyseStep(store.database.db, 'd', 1, 2, 0, 2000, t);
    expect(large.passed).toBe(false);
    expect(large.reasons).toEqual([expect.stringMatching(/^predictions shifted from stable's \(KS 0\.2\d+ > 0\.2, p = .* on 400 and 400 predictions\)$/)]);
  });
});
