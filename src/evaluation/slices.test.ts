import { describe, expect, it } from 'vitest';
import { SlipwayError } from '../core/errors.js';
import type { Frame } from '../runtimes/frame.js';
import { buildSlices, compileFilter } from './slices.js';

const frame: Frame = {
  rows: 8,
  columns: new Map([
    ['age', { kind: 'number', values: Float64Array.from([18, 25, 33, 41, 52, 67, 70, Number.NaN]) }],
    ['plan', { kind: 'string', values: ['basic', 'pro', 'pro', 'basic', 'team', 'pro', null, 'basic'] }],
    ['sign up', { kind: 'string', values: ['web', 'app', 'web', 'web', 'app', 'web', 'web', 'app'] }],
  ]),
};
const rowsOf = (filter: string) => {
  const test = compileFilter(filter, frame, 'slice "t"');
  return Array.from({ length: frame.rows }, (_, i) => i).filter(test);
};

describe('slices', () => {
  it('one slice per value, most frequent first, missing values as their own slice', () => {
    const [plan] = buildSlices(frame, { columns: ['plan'], quantiles: [], named: [] });
    expect(plan!.labels).toEqual(['basic', 'pro', '(missing)', 'team']);
    expect(Array.from(plan!.codes)).toEqual([0, 1, 1, 0, 3, 1, 2, 0]);
  });

  it('equal-frequency bins of a number, missing values in none', () => {
    const [age] = buildSlices(frame, { columns: [], quantiles: [{ column: 'age', bins: 3 }], named: [] });
    expect(age!.labels).toEqual(['[18, 33)', '[33, 52)', '[52, 70]']);
    expect(Array.from(age!.codes)).toEqual([0, 0, 1, 1, 2, 2, 2, -1]);
  });

  it('filter expressions: comparisons, IN, IS NULL, AND/OR/NOT, parentheses, quoted names', () => {
    expect(rowsOf('age >= 41')).toEqual([3, 4, 5, 6]);
    expect(rowsOf("plan = 'pro' and age < 40")).toEqual([1, 2]);
    expect(rowsOf("plan in ('team', 'basic') or age > 69")).toEqual([0, 3, 4, 6, 7]);
    expect(rowsOf('not (age < 60) and plan is not null')).toEqual([5]);
    expect(rowsOf('age is null')).toEqual([7]);
    expect(rowsOf("`sign up` = 'app'")).toEqual([1, 4, 7]);
    expect(rowsOf("plan != 'pro'")).toEqual([0, 3, 4, 7]);
  });

  it('filter errors give the position and what to do', () => {
    const fails = (filter: string, message: RegExp) => {
      try {
        compileFilter(filter, frame, 'slice "t"');
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(SlipwayError);
        expect((e as Error).message).toMatch(message);
      }
    };
    fails('tenure < 3', /position 0: no column "tenure" in the dataset; its columns are: age, plan, sign up/);
    fails("age = 'old'", /column "age" holds numbers: compare it with a number/);
    fails('plan = pro', /expected a number or a quoted string, found "pro"/);
    fails('plan = 3', /column "plan" holds text: quote the value/);
    fails('(age > 3', /expected "\)" to close/);
    fails('age > 3 age', /expected AND, OR or the end of the filter/);
  });

  it('refuses quantile slices of a text column and slices of unknown columns', () => {
    expect(() => buildSlices(frame, { columns: [], quantiles: [{ column: 'plan', bins: 2 }], named: [] })).toThrow(/need a numeric column; "plan" holds text/);
    expect(() => buildSlices(frame, { columns: ['region'], quantiles: [], named: [] })).toThrow(/names column "region", which the dataset does not have/);
  });
});
