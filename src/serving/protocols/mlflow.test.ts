import { describe, expect, it } from 'vitest';
import { decodePredictions } from '../../runtimes/http.js';
import type { RuntimeInput } from '../../runtimes/types.js';
import { decodeMlflow, encodeMlflow, MAX_ROWS } from './index.js';
import { expectInvalid, kinds, plain } from './test-helpers.js';

const inputs: RuntimeInput[] = [
  { name: 'spend', type: 'number' },
  { name: 'plan', type: 'string' },
];

describe('decodeMlflow', () => {
  it('dataframe_split: one row, columns in any order, extra columns ignored, params kept', () => {
    const d = decodeMlflow({ dataframe_split: { columns: ['id', 'plan', 'spend'], data: [['x', 'pro', 9.5]], index: [0] }, params: { k: 1 } }, inputs);
    expect(plain(d.frame)).toEqual({ spend: [9.5], plan: ['pro'] });
    expect(d.parameters).toEqual({ k: 1 });
  });

  it('dataframe_split: many rows', () => {
    const N = 10_000;
    const data = Array.from({ length: N }, (_, i) => [i, i % 3 === 0 ? null : 'p']);
    const d = decodeMlflow({ dataframe_split: { columns: ['spend', 'plan'], data } }, inputs);
    expect(d.frame.rows).toBe(N);
    expect(plain(d.frame).plan!.slice(0, 2)).toEqual([null, 'p']);
  });

  it('dataframe_records, with a key absent from one record being missing there', () => {
    const d = decodeMlflow({ dataframe_records: [{ spend: 1, plan: 'a' }, { plan: 'b' }] }, inputs);
    expect(plain(d.frame)).toEqual({ spend: [1, NaN], plan: ['a', 'b'] });
  });

  it('instances: records, rows in feature order, or one column', () => {
    expect(plain(decodeMlflow({ instances: [{ spend: 1, plan: 'a' }] }, inputs).frame)).toEqual({ spend: [1], plan: ['a'] });
    expect(plain(decodeMlflow({ instances: [[1, 'a'], [2, 'b']] }, inputs).frame)).toEqual({ spend: [1, 2], plan: ['a', 'b'] });
    expect(plain(decodeMlflow({ instances: [1, 2] }, [{ name: 'x', type: 'number' }]).frame)).toEqual({ x: [1, 2] });
  });

  it('inputs: columns, or one row of scalars', () => {
    expect(plain(decodeMlflow({ inputs: { spend: [1, 2], plan: ['a', 'b'], other: [0, 0] } }, inputs).frame)).toEqual({ spend: [1, 2], plan: ['a', 'b'] });
    expect(plain(decodeMlflow({ inputs: { spend: 3, plan: 'c' } }, inputs).frame)).toEqual({ spend: [3], plan: ['c'] });
    // Keys the model does not read do not decide between the two forms.
    expect(plain(decodeMlflow({ inputs: { spend: [1, 2], plan: ['a', 'b'], note: 'x' } }, inputs).frame)).toEqual({ spend: [1, 2], plan: ['a', 'b'] });
  });

  it('takes the request columns when the model does not declare them', () => {
    const d = decodeMlflow({ dataframe_split: { columns: ['b', 'a'], data: [[1, 'x'], [2, 'y']] } }, []);
    expect([...d.frame.columns.keys()]).toEqual(['b', 'a']);
    expect(kinds(d.frame)).toEqual({ b: 'number', a: 'string' });
  });

  const cases: [string, unknown, string, RegExp][] = [
    ['a list body', [1], '', /must be a JSON object with exactly one of/],
    ['no format key', { data: [] }, '', /exactly one of "dataframe_split", "dataframe_records", "instances", "inputs"; it has "data"/],
    ['two format keys', { instances: [], inputs: [] }, 'inputs', /exactly one of/],
    ['params not an object', { instances: [], params: 'x' }, 'params', /expected an object/],
    ['split not an object', { dataframe_split: [[1]] }, 'dataframe_split', /expected \{"columns"/],
    ['split without columns', { dataframe_split: { data: [[1, 'a']] } }, 'dataframe_split.columns', /expected an array of column names, got nothing/],
    ['split missing column', { dataframe_split: { columns: ['plan', 'spnd'], data: [] } }, 'dataframe_split.columns', /missing column "spend"; columns the model does not read \(renamed\?\): "spnd"/],
    ['split duplicate column', { dataframe_split: { columns: ['plan', 'plan'], data: [] } }, 'dataframe_split.columns[1]', /given twice/],
    ['split column name not a string', { dataframe_split: { columns: ['plan', 3], data: [] } }, 'dataframe_split.columns[1]', /expected a column name/],
    ['split short row', { dataframe_split: { columns: ['spend', 'plan'], data: [[1, 'a'], [2]] } }, 'dataframe_split.data[1]', /expected an array of 2 values \(one per column\), got 1 values/],
    ['split bad value', { dataframe_split: { columns: ['plan', 'spend'], data: [['a', 1], ['b', 'abc']] } }, 'dataframe_split.data[1][1]', /expected a number for column "spend", got "abc"/],
    ['records not a list', { dataframe_records: { spend: 1 } }, 'dataframe_records', /expected an array of records/],
    ['record not an object', { dataframe_records: [{ spend: 1, plan: 'a' }, 5] }, 'dataframe_records[1]', /expected a record/],
    ['records missing column everywhere', { dataframe_records: [{ plan: 'a' }, { plan: 'b' }] }, 'dataframe_records[0]', /missing column "spend"/],
    ['records bad value', { dataframe_records: [{ spend: [1], plan: 'a' }] }, 'dataframe_records[0].spend', /expected a number, got an array/],
    ['inputs scalar', { inputs: 5 }, 'inputs', /expected an array of instances or an object of columns/],
    ['too many rows', { dataframe_split: { columns: ['spend', 'plan'], data: new Array(MAX_ROWS + 1).fill([1, 'a']) } }, 'dataframe_split.data', /the limit is 100000/],
  ];
  it.each(cases)('rejects %s', (_, body, field, message) => {
    expectInvalid(() => decodeMlflow(body, inputs), field, message);
  });
});

describe('encodeMlflow', () => {
  it('returns labels or values under "predictions", which the HTTP runtime reads back', () => {
    const cls = encodeMlflow({ rows: 3, classes: ['no', 'yes'], labelIndex: Int32Array.from([1, 0, -1]) }) as { predictions: unknown[] };
    expect(cls).toEqual({ predictions: ['yes', 'no', null] });
    expect(decodePredictions(cls.predictions, ['no', 'yes']).labelIndex).toEqual(Int32Array.from([1, 0, -1]));
    // "-0" and "007" are not integers as labels: they would not survive a round trip through a number.
    expect(encodeMlflow({ rows: 1, classes: ['-0', '1'], labelIndex: Int32Array.from([0]) })).toEqual({ predictions: ['-0'] });
    expect(encodeMlflow({ rows: 1, classes: ['007', '1'], labelIndex: Int32Array.from([0]) })).toEqual({ predictions: ['007'] });
    const ints = encodeMlflow({ rows: 2, classes: ['0', '1'], labelIndex: Int32Array.from([1, 0]) });
    expect(ints).toEqual({ predictions: [1, 0] });
    const reg = encodeMlflow({ rows: 2, value: Float64Array.from([0.5, NaN]) }) as { predictions: unknown[] };
    expect(reg).toEqual({ predictions: [0.5, null] });
    expect(decodePredictions(reg.predictions).value).toEqual(Float64Array.from([0.5, NaN]));
  });
});
