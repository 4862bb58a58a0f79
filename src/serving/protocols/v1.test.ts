import { describe, expect, it } from 'vitest';
import type { RuntimeInput } from '../../runtimes/types.js';
import { decodeV1, encodeV1, MAX_ROWS } from './index.js';
import { expectInvalid, kinds, plain } from './test-helpers.js';

const inputs: RuntimeInput[] = [
  { name: 'age', type: 'number' },
  { name: 'plan', type: 'string' },
];

describe('decodeV1', () => {
  it('decodes one instance keyed by column, ignoring keys the model does not read', () => {
    const d = decodeV1({ instances: [{ plan: 'pro', age: 40, customer: 'c-1' }] }, inputs);
    expect(d.frame.rows).toBe(1);
    expect(plain(d.frame)).toEqual({ age: [40], plan: ['pro'] });
    expect(kinds(d.frame)).toEqual({ age: 'number', plan: 'string' });
  });

  it('decodes many instances as arrays in feature order, with null as missing', () => {
    const N = 10_000;
    const instances = Array.from({ length: N }, (_, i) => [i % 5 === 0 ? null : i, i % 2 ? 'a' : null]);
    const d = decodeV1({ instances }, inputs);
    expect(d.frame.rows).toBe(N);
    const cols = plain(d.frame);
    expect(cols.age!.slice(0, 2)).toEqual([NaN, 1]);
    expect(cols.plan!.slice(0, 2)).toEqual([null, 'a']);
  });

  it('accepts bare values for a one-column model, booleans as 1/0 and numbers as text for a text column', () => {
    expect(plain(decodeV1({ instances: [1, true, null] }, [{ name: 'x', type: 'number' }]).frame)).toEqual({ x: [1, 1, NaN] });
    expect(plain(decodeV1({ instances: [{ age: false, plan: 7 }] }, inputs).frame)).toEqual({ age: [0], plan: ['7'] });
  });

  it('accepts TF Serving columnar "inputs", and "inputs" as a list of instances', () => {
    expect(plain(decodeV1({ inputs: { age: [1, 2], plan: ['a', 'b'] } }, inputs).frame)).toEqual({ age: [1, 2], plan: ['a', 'b'] });
    expect(plain(decodeV1({ inputs: { age: 1, plan: 'a' } }, inputs).frame)).toEqual({ age: [1], plan: ['a'] });
    expect(plain(decodeV1({ inputs: [[3, 'c']] }, inputs).frame)).toEqual({ age: [3], plan: ['c'] });
  });

  it('infers columns when the model does not declare them', () => {
    const d = decodeV1({ instances: [{ x: 1, s: 'a' }, { x: null, s: 2, t: true }] }, []);
    expect(plain(d.frame)).toEqual({ x: [1, NaN], s: ['a', '2'], t: [NaN, 1] });
    expect(kinds(d.frame)).toEqual({ x: 'number', s: 'string', t: 'number' });
    expect(decodeV1({ instances: [] }, inputs).frame.rows).toBe(0);
  });

  const cases: [string, unknown, string, RegExp][] = [
    ['a list body', [{ age: 1 }], '', /must be a JSON object \{"instances": \[\.\.\.\]\}, got an array/],
    ['no instances', { data: [] }, 'instances', /missing/],
    ['both forms', { instances: [], inputs: [] }, 'inputs', /either "instances" or "inputs", not both/],
    ['instances not a list', { instances: { age: 1 } }, 'instances', /expected an array of instances, got an object/],
    ['text for a number', { instances: [{ age: 1, plan: 'a' }, { age: 'old', plan: 'b' }] }, 'instances[1].age', /expected a number, got "old" \(numbers must be JSON numbers/],
    ['object for a text column', { instances: [{ age: 1, plan: { x: 1 } }] }, 'instances[0].plan', /expected a string, got an object/],
    ['missing column', { instances: [{ age: 1, plan_name: 'a' }] }, 'instances[0]', /missing column "plan"; keys the model does not read \(renamed\?\): "plan_name"/],
    ['short row', { instances: [[1, 'a'], [1]] }, 'instances[1]', /expected an array of 2 values \(columns "age", "plan"\), got 1 values/],
    ['mixed kinds', { instances: [[1, 'a'], { age: 1 }] }, 'instances[1]', /expected an array of 2 values/],
    ['positional bad value', { instances: [[1, 'a'], ['x', 'b']] }, 'instances[1][0]', /expected a number for column "age", got "x"/],
    ['record then array', { instances: [{ age: 1, plan: 'a' }, [1, 'a']] }, 'instances[1]', /expected a record/],
    ['bare values, two columns', { instances: [1, 2] }, 'instances[0]', /bare values are rows of a one-column model, but this model reads 2 columns/],
    ['columnar length mismatch', { inputs: { age: [1, 2], plan: ['a'] } }, 'inputs.plan', /1 values, but column "age" has 2/],
    ['columnar mixed', { inputs: { age: [1, 2], plan: 'a' } }, 'inputs.plan', /expected an array of values like the other columns/],
    ['columnar missing', { inputs: { age: [1] } }, 'inputs', /missing column "plan"/],
    ['too many rows', { instances: new Array(MAX_ROWS + 1).fill(null) }, 'instances', /100001 rows in one request; the limit is 100000/],
    ['weird key in path', { instances: [{ 'my age': 1 }] }, 'instances[0]', /missing columns "age", "plan"/],
  ];
  it.each(cases)('rejects %s', (_, body, field, message) => {
    expectInvalid(() => decodeV1(body, inputs), field, message);
  });

  it('quotes odd column names in the field path', () => {
    expectInvalid(() => decodeV1({ instances: [{ 'my age': 'x' }] }, [{ name: 'my age', type: 'number' }]), 'instances[0]["my age"]', /expected a number/);
  });

  it('does not read inherited properties as columns', () => {
    expectInvalid(() => decodeV1({ instances: [{ age: 1 }] }, [{ name: 'constructor', type: 'number' }]), 'instances[0]', /missing column "constructor"/);
    const d = decodeV1({ instances: [{ toString: 1 }] }, [{ name: 'toString', type: 'number' }]);
    expect(plain(d.frame)).toEqual({ toString: [1] });
  });
});

describe('encodeV1', () => {
  it('returns labels (numbers for integer classes) or values, with the prediction ids', () => {
    expect(encodeV1({ rows: 2, classes: ['0', '1'], labelIndex: Int32Array.from([1, 0]) }, ['a', 'b'])).toEqual({ predictions: [1, 0], prediction_ids: ['a', 'b'] });
    expect(encodeV1({ rows: 2, classes: ['no', 'yes'], labelIndex: Int32Array.from([1, -1]) }, ['a', 'b'])).toEqual({ predictions: ['yes', null], prediction_ids: ['a', 'b'] });
    expect(encodeV1({ rows: 1, value: Float64Array.from([2.5]) }, ['a'])).toEqual({ predictions: [2.5], prediction_ids: ['a'] });
  });
});
