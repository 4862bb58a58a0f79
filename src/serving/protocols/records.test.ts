import { describe, expect, it } from 'vitest';
import type { RuntimeInput } from '../../runtimes/types.js';
import { decodeRecords, encodeRecords, MAX_ROWS } from './index.js';
import { expectInvalid, plain } from './test-helpers.js';

const inputs: RuntimeInput[] = [
  { name: 'spend', type: 'number' },
  { name: 'plan', type: 'string' },
];

describe('decodeRecords', () => {
  it('takes one record object', () => {
    const d = decodeRecords({ spend: 3, plan: 'pro', customer: 'c1' }, inputs);
    expect(d.frame.rows).toBe(1);
    expect(plain(d.frame)).toEqual({ spend: [3], plan: ['pro'] });
  });

  it('takes {"records": [...]} and a bare array, one row or many', () => {
    expect(plain(decodeRecords({ records: [{ spend: 1, plan: 'a' }] }, inputs).frame)).toEqual({ spend: [1], plan: ['a'] });
    const N = 10_000;
    const recs = Array.from({ length: N }, (_, i) => ({ spend: i, plan: String(i % 3) }));
    const d = decodeRecords(recs, inputs);
    expect(d.frame.rows).toBe(N);
    expect(plain(d.frame).spend![N - 1]).toBe(N - 1);
  });

  it('a column named "records" holding a value is a one-record body', () => {
    expect(plain(decodeRecords({ records: 2 }, [{ name: 'records', type: 'number' }]).frame)).toEqual({ records: [2] });
  });

  const cases: [string, unknown, string, RegExp][] = [
    ['a string body', 'x', '', /must be \{"records": \[\.\.\.\]\}/],
    ['one record missing a column', { spend: 1 }, '', /missing column "plan"/],
    ['one record with a bad value', { spend: '1', plan: 'a' }, 'spend', /expected a number, got "1"/],
    ['bad value in the wrapper', { records: [{ spend: 1, plan: 'a' }, { spend: 2, plan: ['x'] }] }, 'records[1].plan', /expected a string, got an array/],
    ['bad value in a bare array', [{ spend: 1, plan: 'a' }, { spend: {}, plan: 'b' }], '[1].spend', /expected a number, got an object/],
    ['a non-record in the list', [null], '[0]', /expected a record \(an object keyed by column\), got null/],
    ['too many rows', new Array(MAX_ROWS + 1).fill({}), '', /100001 rows in one request/],
  ];
  it.each(cases)('rejects %s', (_, body, field, message) => {
    expectInvalid(() => decodeRecords(body, inputs), field, message);
  });
});

describe('encodeRecords', () => {
  it('gives id, label and probabilities per row for a classifier', () => {
    const p = { rows: 2, classes: ['no', 'yes', '__proto__'], labelIndex: Int32Array.from([1, -1]), proba: Float64Array.from([0.2, 0.7, 0.1, NaN, NaN, NaN]) };
    const r = encodeRecords(p, ['p1', 'p2']) as { predictions: Record<string, unknown>[] };
    // A class named "__proto__" is a key like any other (an object literal would set the prototype instead).
    expect(JSON.stringify(r)).toBe(
      '{"predictions":[{"id":"p1","label":"yes","probabilities":{"no":0.2,"yes":0.7,"__proto__":0.1}},' +
        '{"id":"p2","label":null,"probabilities":{"no":null,"yes":null,"__proto__":null}}]}',
    );
    expect(Object.getPrototypeOf(r.predictions[0]!.probabilities)).toBe(Object.prototype);
    expect(encodeRecords({ rows: 1, classes: ['a'], labelIndex: Int32Array.from([0]) }, ['p'])).toEqual({ predictions: [{ id: 'p', label: 'a' }] });
  });

  it('gives id and value per row for a regressor', () => {
    expect(encodeRecords({ rows: 2, value: Float64Array.from([1.25, NaN]) }, ['a', 'b'])).toEqual({
      predictions: [
        { id: 'a', value: 1.25 },
        { id: 'b', value: null },
      ],
    });
  });
});
