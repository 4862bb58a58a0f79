import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../stats/random.js';
import { compareColumn, compareWindows, DEFAULT_THRESHOLDS, defaultMethod, SKETCH_TOLERANCE, type DriftMethod } from './drift.js';
import { categorySummary, ColumnSketch, EXACT_CATEGORY_CAP, numericSummary, type ColumnSummary, type WindowSummary } from './summary.js';

const rng = mulberry32(42);
const normal = (mu = 0, sd = 1) => mu + sd * Math.sqrt(-2 * Math.log(rng() || 1e-12)) * Math.cos(2 * Math.PI * rng());
const numbers = (n: number, f: () => number) => Float64Array.from({ length: n }, f);
const categories = (n: number, values: string[], weights: number[]) => {
  const total = weights.reduce((a, b) => a + b, 0);
  return Array.from({ length: n }, () => {
    let u = rng() * total;
    for (let i = 0; i < values.length; i++) if ((u -= weights[i]!) < 0) return values[i]!;
    return values[values.length - 1]!;
  });
};
const sketchOf = (xs: Float64Array): ColumnSummary => {
  const s = new ColumnSketch('number');
  for (const x of xs) s.addNumber(x);
  // Through JSON, as buckets are persisted.
  return ColumnSketch.fromJSON(JSON.parse(JSON.stringify(s.toJSON()))).summary();
};
const window = (cols: Record<string, ColumnSummary>): WindowSummary => ({ rows: Math.max(...Object.values(cols).map((c) => c.n + c.missing)), columns: new Map(Object.entries(cols)) });

describe('default methods (Evidently)', () => {
  it('picks KS / chi-square / Z up to 1,000 reference rows, Wasserstein / Jensen–Shannon above', () => {
    const both = (s: ColumnSummary) => defaultMethod(s, s);
    expect(both(numericSummary(numbers(1000, () => normal())))).toBe('ks');
    expect(both(numericSummary(numbers(1001, () => normal())))).toBe('wasserstein');
    expect(both(categorySummary(categories(500, ['a', 'b', 'c'], [1, 1, 1])))).toBe('chisquare');
    expect(both(categorySummary(categories(500, ['a', 'b'], [1, 1])))).toBe('ztest');
    expect(both(categorySummary(categories(5000, ['a', 'b', 'c'], [1, 1, 1])))).toBe('jensenshannon');
  });

  it('compares a number with at most 5 values as a category', () => {
    const ref = numericSummary(numbers(5000, () => Math.floor(rng() * 4)));
    const cur = numericSummary(numbers(5000, () => Math.floor(rng() * 4)));
    const d = compareColumn('rooms', ref, cur);
    expect(d.method).toBe('jensenshannon');
    expect(d.histogram.labels).toEqual(expect.arrayContaining(['0', '1', '2', '3']));
    expect(d.drifted).toBe(false);
  });
});

describe('drift decisions', () => {
  it('flags a 0.5 σ mean shift on large samples and not a same-distribution sample, with the noise band between', () => {
    const ref = numericSummary(numbers(50_000, () => normal(10, 2)));
    const same = compareColumn('x', ref, numericSummary(numbers(20_000, () => normal(10, 2))));
    const moved = compareColumn('x', ref, numericSummary(numbers(20_000, () => normal(11, 2))));
    expect(same.method).toBe('wasserstein');
    expect(same.drifted).toBe(false);
    expect(same.statistic!).toBeLessThan(same.noise!);
    expect(moved.drifted).toBe(true);
    expect(moved.statistic!).toBeCloseTo(0.5, 1);
    expect(moved.statistic!).toBeGreaterThan(moved.noise!);
    expect(moved.change).toMatch(/mean 10(\.\d+)? → 11(\.\d+)? \(\+0\.\d+ σ\)/);
  });

  it('KS on small samples answers with a p-value', () => {
    const ref = numericSummary(numbers(300, () => normal()));
    const moved = compareColumn('x', ref, numericSummary(numbers(300, () => normal(0.8))));
    const same = compareColumn('x', ref, numericSummary(numbers(300, () => normal())));
    expect(moved.method).toBe('ks');
    expect(moved.pValue!).toBeLessThan(1e-6);
    expect(moved.drifted).toBe(true);
    expect(same.pValue!).toBeGreaterThan(0.01);
  });

  it('every method gives a finite statistic on a constant reference, empty bins and unseen categories', () => {
    const constant = numericSummary(new Float64Array(2000).fill(3));
    const spread = numericSummary(numbers(2000, () => normal(3, 1)));
    for (const method of ['ks', 'wasserstein', 'psi', 'kl', 'jensenshannon', 'hellinger'] as DriftMethod[]) {
      const d = compareColumn('c', constant, spread, { method });
      expect(Number.isFinite(d.statistic!), method).toBe(true);
      expect(Number.isFinite(d.noise!), method).toBe(true);
      expect(d.drifted, method).toBe(true);
    }
    const ref = categorySummary(categories(3000, ['a', 'b'], [1, 1]));
    const cur = categorySummary(categories(3000, ['a', 'b', 'new'], [1, 1, 1]));
    for (const method of ['chisquare', 'ztest', 'psi', 'kl', 'jensenshannon', 'hellinger'] as DriftMethod[]) {
      const d = compareColumn('c', ref, cur, { method });
      expect(Number.isFinite(d.statistic!), method).toBe(true);
      expect(d.drifted, method).toBe(true);
    }
  });

  it('an empty or tiny window is "insufficient data", never drift', () => {
    const ref = numericSummary(numbers(1000, () => normal()));
    const empty = compareColumn('x', ref, numericSummary(new Float64Array(0)));
    const tiny = compareColumn('x', ref, numericSummary(numbers(5, () => normal(100))));
    for (const d of [empty, tiny]) {
      expect(d.status).toBe('insufficient');
      expect(d.drifted).toBe(false);
      expect(d.statistic).toBeNull();
    }
    const allMissing = compareColumn('x', ref, numericSummary(new Float64Array(500).fill(NaN)));
    expect(allMissing.status).toBe('insufficient');
    const r = compareWindows(window({ x: ref }), window({ x: numericSummary(new Float64Array(0)) }));
    expect(r.datasetDrift).toBe(false);
    expect(r.driftedShare).toBe(0);
    expect(r.verdict).toBe('insufficient_data');
    expect(r.insufficientReason).toBe('the current data has 0 rows; drift needs at least 30 in each window');
    expect(compareWindows(window({ x: ref }), window({ x: numericSummary(numbers(100, () => normal())) })).verdict).toBe('no_drift');
  });

  it('refuses a numeric-only method on categories with what to use instead', () => {
    expect(() => compareColumn('plan', categorySummary(['a', 'b']), categorySummary(['a']), { method: 'ks' })).toThrow(/holds categories; ks needs numbers\. Use chisquare/);
  });

  it('dataset drift by share of drifted columns, with Benjamini–Hochberg across p-values', () => {
    const cols: Record<string, ColumnSummary> = {};
    const cur: Record<string, ColumnSummary> = {};
    for (let k = 0; k < 10; k++) {
      cols[`f${k}`] = numericSummary(numbers(400, () => normal()));
      cur[`f${k}`] = numericSummary(numbers(400, () => normal(k < 3 ? 1 : 0)));
    }
    const plain = compareWindows(window(cols), window(cur), { driftShare: 0.3 });
    expect(plain.driftedColumns).toBeGreaterThanOrEqual(3);
    expect(plain.datasetDrift).toBe(true);
    const bh = compareWindows(window(cols), window(cur), { driftShare: 0.3, correction: 'bh' });
    for (const c of bh.columns) expect(c.adjustedPValue!).toBeGreaterThanOrEqual(c.pValue!);
    expect(bh.columns.filter((c) => c.column < 'f3').every((c) => c.drifted)).toBe(true);
    expect(bh.driftedColumns).toBeLessThanOrEqual(plain.driftedColumns);
  });

  it('a column whose type changed is compared as categories', () => {
    const d = compareColumn('zip', numericSummary(numbers(2000, () => Math.floor(rng() * 10))), categorySummary(categories(2000, ['1', '2', 'x'], [1, 1, 1])));
    expect(['jensenshannon', 'chisquare']).toContain(d.method);
    expect(d.drifted).toBe(true);
  });
});

describe('test choice from both windows (Evidently: nunique of reference and current together)', () => {
  // Evidently legacy/calculations/stattests/registry.py _get_default_stattest:
  //   n_values = pd.concat([reference_data, current_data]).nunique(); categorical, ≤ 1,000 reference rows:
  //   chi_stat_test if n_values > 2 else z_stat_test; numerical: n_values ≤ 5 compared as categories.
  const repeat = (pairs: [string, number][]) => pairs.flatMap(([v, n]) => Array<string>(n).fill(v));

  it('a category binary in the reference with a new third one in the current gets chi-square, and drifts', () => {
    const ref = categorySummary(repeat([['a', 250], ['b', 250]]));
    const cur = categorySummary(repeat([['a', 190], ['b', 180], ['c', 30]]));
    const d = compareColumn('plan', ref, cur);
    expect(d.method).toBe('chisquare');
    // scipy 1.10.1: chi2_contingency([[250, 250, 0], [190, 180, 30]], correction=False) → 38.946881606765324, p 3.4897323180155434e-09, dof 2
    expect(d.statistic!).toBeCloseTo(38.946881606765324, 10);
    expect(d.pValue! / 3.4897323180155434e-9).toBeCloseTo(1, 8);
    expect(d.drifted).toBe(true);
    // Both windows binary: still the Z-test.
    expect(compareColumn('plan', ref, categorySummary(repeat([['a', 190], ['b', 210]]))).method).toBe('ztest');
  });

  it('numbers: few values across both windows are categories; a sixth value in the current makes them numbers', () => {
    const ints = (pairs: [number, number][]) => Float64Array.from(pairs.flatMap(([v, n]) => Array<number>(n).fill(v)));
    const binary = numericSummary(ints([[0, 300], [1, 200]]));
    const d = compareColumn('flag', binary, numericSummary(ints([[0, 150], [1, 130], [2, 20]])));
    expect(d.method).toBe('chisquare');
    // scipy 1.10.1: chi2_contingency([[300, 200, 0], [150, 130, 20]], correction=False) → 37.17171717171717, p 8.477429264629975e-09
    expect(d.statistic!).toBeCloseTo(37.17171717171717, 10);
    const five = numericSummary(ints([[1, 100], [2, 100], [3, 100], [4, 100], [5, 100]]));
    expect(compareColumn('rooms', five, numericSummary(ints([[1, 100], [2, 100], [3, 100], [4, 100], [5, 90], [6, 10]]))).method).toBe('ks');
  });
});

describe('chi-square false alarms on identical distributions', () => {
  it('flags about 5% of columns at p < 0.05 (700 reference vs 500 current rows, 2,000 seeded columns)', () => {
    // The goodness-of-fit form against the reference's proportions (Evidently's) ignores the reference's own
    // sampling error and flagged 26.5% here; the two-sample test of homogeneity holds its level. 2,000 columns
    // give a binomial standard error of √(0.05·0.95/2000) = 0.49%; the band is ±4 of them.
    const draw = mulberry32(20261208);
    const values = ['basic', 'pro', 'team', 'enterprise'];
    const weights = [0.5, 0.3, 0.15, 0.05];
    const sample = (n: number) =>
      Array.from({ length: n }, () => {
        let u = draw();
        for (let i = 0; i < values.length; i++) if ((u -= weights[i]!) < 0) return values[i]!;
        return values[values.length - 1]!;
      });
    const columns = 2000;
    let alarms = 0;
    for (let k = 0; k < columns; k++) {
      const d = compareColumn('plan', categorySummary(sample(700)), categorySummary(sample(500)));
      expect(d.method).toBe('chisquare');
      if (d.drifted) alarms++;
    }
    const rate = alarms / columns;
    const se = Math.sqrt((0.05 * 0.95) / columns);
    expect(rate).toBeGreaterThan(0.05 - 4 * se);
    expect(rate).toBeLessThan(0.05 + 4 * se);
  });
});

describe('sketches against exact values', () => {
  // The documented tolerance (SKETCH_TOLERANCE) holds on several shapes of data, 200,000 rows a window.
  const shapes: [string, () => number, () => number][] = [
    ['normal, 0.3 σ shift', () => normal(0, 1), () => normal(0.3, 1)],
    ['lognormal, same', () => Math.exp(normal(3, 1)), () => Math.exp(normal(3, 1))],
    ['integers 0..999, skewed', () => Math.floor(1000 * rng() ** 2), () => Math.floor(1000 * rng() ** 1.7)],
    ['mixture with a spike', () => (rng() < 0.3 ? 0 : normal(50, 10)), () => (rng() < 0.4 ? 0 : normal(52, 10))],
  ];
  for (const [name, refGen, curGen] of shapes) {
    it(name, () => {
      const ref = numbers(200_000, refGen);
      const cur = numbers(200_000, curGen);
      const exactRef = numericSummary(ref);
      const exactCur = numericSummary(cur);
      const sRef = sketchOf(ref);
      const sCur = sketchOf(cur);
      for (const method of ['ks', 'wasserstein', 'psi', 'kl', 'jensenshannon', 'hellinger'] as const) {
        const exact = compareColumn('x', exactRef, exactCur, { method });
        const sketch = compareColumn('x', sRef, sCur, { method });
        expect(Math.abs(sketch.statistic! - exact.statistic!), `${method}: exact ${exact.statistic}, sketch ${sketch.statistic}`).toBeLessThanOrEqual(SKETCH_TOLERANCE[method]);
      }
      expect(DEFAULT_THRESHOLDS.wasserstein).toBeGreaterThan(SKETCH_TOLERANCE.wasserstein);
    });
  }

  it('infinite numbers are counted apart from the distribution, exactly and in sketches (old buckets read as 0)', () => {
    const exact = numericSummary(Float64Array.from([1, Infinity, 2, NaN, -Infinity, 3]));
    expect(exact).toMatchObject({ n: 3, missing: 1, nonFinite: 2, min: 1, max: 3, mean: 2 });
    const sketch = new ColumnSketch('number');
    for (const v of [1, Infinity, 2, 'inf', '-Infinity', null, 3, 'abc']) sketch.add(v);
    const state = JSON.parse(JSON.stringify(sketch.toJSON()));
    expect(ColumnSketch.fromJSON(state).summary()).toMatchObject({ n: 3, missing: 2, invalid: 1, nonFinite: 3, min: 1, max: 3, mean: 2 });
    delete state.nonFinite;
    expect(ColumnSketch.fromJSON(state).summary()).toMatchObject({ n: 3, nonFinite: 0 });
  });

  it('a column of a million distinct values stays bounded: capped, the tail counted, drift still finite', () => {
    const ids = Array.from({ length: 1_000_000 }, (_, i) => `id-${i}`);
    const exact = categorySummary(ids, EXACT_CATEGORY_CAP);
    expect(exact.counts.size).toBe(EXACT_CATEGORY_CAP);
    expect(exact.other).toBe(1_000_000 - EXACT_CATEGORY_CAP);
    expect(exact.distinct).toBeGreaterThanOrEqual(EXACT_CATEGORY_CAP);
    const sketch = new ColumnSketch('category');
    for (const v of ids) sketch.addCategory(v);
    const s = sketch.summary();
    expect(s.kind === 'category' && s.counts.size).toBeLessThanOrEqual(1000);
    expect(s.n).toBe(1_000_000);
    const d = compareColumn('id', exact, s);
    expect(Number.isFinite(d.statistic!)).toBe(true);
    expect(JSON.stringify(sketch.toJSON()).length).toBeLessThan(40_000);
  });

  it('category sketches are exact under the cap, and past it keep the frequent categories whatever their order', () => {
    // 600 categories: exact.
    const few = new ColumnSketch('category');
    const values = Array.from({ length: 6000 }, (_, i) => `c-${i % 600}`);
    values.forEach((v) => few.add(v));
    few.add(null);
    const exact = few.summary();
    expect(exact.kind === 'category' && exact.counts.get('c-7')).toBe(10);
    expect(exact).toMatchObject({ n: 6000, missing: 1, other: 0, distinct: 600 });
    // 20 frequent categories arriving last among 5,000 rare ones: still kept, counts within n / (k + 1).
    const many = new ColumnSketch('category');
    for (let i = 0; i < 5000; i++) many.add(`rare-${i}`);
    for (let i = 0; i < 20_000; i++) many.add(`top-${i % 20}`);
    const s = many.summary();
    if (s.kind !== 'category') throw new Error('category expected');
    expect(s.n).toBe(25_000);
    expect(s.counts.size).toBeLessThanOrEqual(1000);
    for (let k = 0; k < 20; k++) {
      const c = s.counts.get(`top-${k}`)!;
      expect(c).toBeLessThanOrEqual(1000);
      expect(c).toBeGreaterThanOrEqual(1000 - 25_000 / 501);
    }
    expect(s.other).toBe(25_000 - [...s.counts.values()].reduce((a, b) => a + b, 0));
    // Merged through JSON, as stored buckets are.
    const merged = ColumnSketch.fromJSON(JSON.parse(JSON.stringify(many.toJSON()))).merge(ColumnSketch.fromJSON(JSON.parse(JSON.stringify(few.toJSON()))));
    expect(merged.summary().n).toBe(31_000);
  });
});
