/**
 * `slipway monitor run` on files a pipeline really produces: infinite floats as pandas writes them, a header that
 * names a column twice, and current windows too small to judge.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../src/stats/random.js';
import { cli } from './cli-run.js';

const dir = mkdtempSync(join(tmpdir(), 'slipway-monitor-input-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const rng = mulberry32(11);
const normal = () => Math.sqrt(-2 * Math.log(rng() || 1e-12)) * Math.cos(2 * Math.PI * rng());
const write = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const rows = (n: number, f: (i: number) => string) => Array.from({ length: n }, (_, i) => f(i)).join('\n') + '\n';

describe('monitor run: non-finite numbers', () => {
  // pandas 1.5.3: pd.DataFrame({"x": [1.0, float("inf"), -float("inf")]}).to_csv(index=False) == "x\n1.0\ninf\n-inf\n"
  const reference = write('ref.csv', 'x,plan\n' + rows(4000, (i) => `${(10 + 2 * normal()).toFixed(4)},${i % 3 === 0 ? 'pro' : 'basic'}`));
  const current = write('cur-inf.csv', 'x,plan\n' + rows(4000, (i) => `${i === 1234 ? 'inf' : i === 2345 ? '-inf' : (10 + 2 * normal()).toFixed(4)},${i % 3 === 0 ? 'pro' : 'basic'}`));

  it('keeps a column with inf numeric, leaves the infinite values out of its distribution and reports them as a quality issue', async () => {
    const r = await cli(['monitor', 'run', '--reference', reference, '--current', current, '--fail-on-drift', '--json'], {});
    expect(r.code, r.err).toBe(0);
    const report = JSON.parse(r.out);
    const x = report.drift.columns.find((c: { column: string }) => c.column === 'x');
    expect(x.type).toBe('number');
    expect(x.method).toBe('wasserstein');
    expect(x.drifted).toBe(false);
    expect(x.currentRows).toBe(3998);
    expect(report.drift.datasetDrift).toBe(false);
    const issue = report.quality.issues.find((i: { check: string }) => i.check === 'non_finite');
    expect(issue).toMatchObject({ column: 'x', value: 2 / 4000 });
    expect(issue.message).toMatch(/2 values of "x" are infinite/);
    const q = report.quality.columns.find((c: { column: string }) => c.column === 'x');
    expect(q.typeMismatchShare).toBe(0);
  });
});

describe('monitor run: a header that names a column twice', () => {
  it('is refused, naming the column, for the current and the reference file', async () => {
    const good = write('good.csv', 'id,score,label\n' + rows(100, (i) => `${i},${rng().toFixed(3)},${i % 2}`));
    const dup = write('dup.csv', 'id,score,score,label\n' + rows(100, (i) => `${i},${rng().toFixed(3)},${rng().toFixed(3)},${i % 2}`));
    for (const [ref, cur] of [[good, dup], [dup, good]]) {
      const r = await cli(['monitor', 'run', '--reference', ref!, '--current', cur!], {});
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/dup\.csv: line 1: the header names column "score" twice; give every column a unique name/);
      expect(r.out).toBe('');
    }
  });
});

describe('monitor run: too little current data', () => {
  const reference = write('ref-small.csv', 'x,plan\n' + rows(500, (i) => `${normal().toFixed(4)},${i % 2 ? 'a' : 'b'}`));
  const cases: [string, string][] = [
    ['empty.csv', ''],
    ['header-only.csv', 'x,plan\n'],
    ['ten-rows.csv', 'x,plan\n' + rows(10, (i) => `${normal().toFixed(4)},${i % 2 ? 'a' : 'b'}`)],
  ];
  for (const [name, text] of cases) {
    it(`${name}: "insufficient data", which fails --fail-on-drift with its own exit code`, async () => {
      const current = write(name, text);
      const plain = await cli(['monitor', 'run', '--reference', reference, '--current', current], {});
      expect(plain.code, plain.err).toBe(0);
      expect(plain.out).toMatch(/INSUFFICIENT DATA: the current data has \d+ rows; drift needs at least 30 in each window/);
      expect(plain.out).not.toMatch(/No dataset drift/);
      const failing = await cli(['monitor', 'run', '--reference', reference, '--current', current, '--fail-on-drift'], {});
      expect(failing.code).toBe(4);
      expect(failing.err).toMatch(/not enough data to judge drift/);
      const json = JSON.parse((await cli(['monitor', 'run', '--reference', reference, '--current', current, '--json'], {})).out);
      expect(json.drift.verdict).toBe('insufficient_data');
      expect(json.drift.datasetDrift).toBe(false);
    });
  }

  it('a window with enough rows keeps the usual verdicts; --min-rows sets the minimum', async () => {
    const current = write('enough.csv', 'x,plan\n' + rows(200, (i) => `${normal().toFixed(4)},${i % 2 ? 'a' : 'b'}`));
    const r = await cli(['monitor', 'run', '--reference', reference, '--current', current, '--fail-on-drift', '--json'], {});
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out).drift.verdict).toBe('no_drift');
    const strict = await cli(['monitor', 'run', '--reference', reference, '--current', current, '--fail-on-drift', '--min-rows', '1000'], {});
    expect(strict.code).toBe(4);
    expect(strict.err).toMatch(/the current data has 200 rows; drift needs at least 1000 in each window/);
  });
});
