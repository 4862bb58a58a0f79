import { describe, expect, it } from 'vitest';
import type { OnnxModelInfo } from '../../runtimes/onnx/model-info.js';
import type { Predictions, RuntimeInput } from '../../runtimes/types.js';
import { decodeV2, encodeV2, MAX_ROWS, v2Metadata } from './index.js';
import { expectInvalid, kinds, plain } from './test-helpers.js';

const inputs: RuntimeInput[] = [
  { name: 'age', type: 'number' },
  { name: 'spend', type: 'number' },
  { name: 'plan', type: 'string' },
];
const numeric: RuntimeInput[] = [
  { name: 'a', type: 'number' },
  { name: 'b', type: 'number' },
  { name: 'c', type: 'number' },
];

function info(partial: Partial<OnnxModelInfo>): OnnxModelInfo {
  return {
    irVersion: 8,
    producerName: 'test',
    producerVersion: '1',
    opsets: { '': 17 },
    inputs: [],
    outputs: [],
    metadata: {},
    features: null,
    classes: null,
    classLabelType: null,
    classifierOp: null,
    ...partial,
  };
}
/** A model with one float [N, 3] input, like a scikit-learn export. */
const matrixInfo = info({
  inputs: [{ name: 'float_input', kind: 'tensor', elemType: 'float', shape: ['N', 3] }],
  outputs: [
    { name: 'label', kind: 'tensor', elemType: 'int64', shape: ['N'] },
    { name: 'probabilities', kind: 'tensor', elemType: 'float', shape: ['N', 2] },
  ],
  features: ['a', 'b', 'c'],
  classes: ['0', '1'],
  classLabelType: 'int64',
  classifierOp: 'LinearClassifier',
});

const tensor = (name: string, shape: number[], datatype: string, data: unknown[]) => ({ name, shape, datatype, data });

describe('decodeV2: one tensor per column', () => {
  it('decodes one row, with the id, requested outputs and parameters', () => {
    const d = decodeV2(
      {
        id: 'req-1',
        parameters: { trace: true },
        inputs: [tensor('plan', [1], 'BYTES', ['pro']), tensor('age', [1], 'INT32', [42]), tensor('spend', [1, 1], 'FP32', [[12.5]])],
        outputs: [{ name: 'probabilities' }, { name: 'label' }],
      },
      inputs,
    );
    expect(d.frame.rows).toBe(1);
    expect(plain(d.frame)).toEqual({ age: [42], spend: [12.5], plan: ['pro'] });
    expect(kinds(d.frame)).toEqual({ age: 'number', spend: 'number', plan: 'string' });
    expect([...d.frame.columns.keys()]).toEqual(['age', 'spend', 'plan']); // model order
    expect(d.id).toBe('req-1');
    expect(d.outputs).toEqual(['probabilities', 'label']);
    expect(d.parameters).toEqual({ trace: true });
  });

  it('decodes many rows; null is missing in FP and BYTES tensors; BOOL is 1/0; BYTES coerces scalars', () => {
    const N = 10_000;
    const age = Array.from({ length: N }, (_, i) => i);
    const spend = Array.from({ length: N }, (_, i) => (i % 10 === 0 ? null : i / 2));
    const plan = Array.from({ length: N }, (_, i) => (i % 7 === 0 ? null : i % 2 ? 'pro' : 3));
    const d = decodeV2({ inputs: [tensor('age', [N], 'INT64', age), tensor('spend', [N, 1], 'FP64', spend), tensor('plan', [N], 'BYTES', plan)] }, inputs);
    expect(d.frame.rows).toBe(N);
    const cols = plain(d.frame);
    expect(cols.age).toEqual(age);
    expect(cols.spend!.slice(0, 3)).toEqual([NaN, 0.5, 1]);
    expect(cols.plan!.slice(0, 3)).toEqual([null, 'pro', '3']);
    expect(d.id).toBeUndefined();
    expect(d.outputs).toBeUndefined();

    const b = decodeV2({ inputs: [tensor('a', [2], 'BOOL', [true, false]), tensor('b', [2], 'UINT8', [0, 255]), tensor('c', [2], 'FP16', [1.5, null])] }, numeric);
    expect(plain(b.frame)).toEqual({ a: [1, 0], b: [0, 255], c: [1.5, NaN] });
  });

  it('treats an empty outputs list as all outputs', () => {
    expect(decodeV2({ inputs: [tensor('a', [1], 'FP32', [1]), tensor('b', [1], 'FP32', [1]), tensor('c', [1], 'FP32', [1])], outputs: [] }, numeric).outputs).toBeUndefined();
  });

  it('takes every tensor as a column when the model does not declare its inputs', () => {
    const d = decodeV2({ inputs: [tensor('x', [2], 'FP32', [1, 2]), tensor('name', [2, 1], 'BYTES', [['a'], ['b']])] }, []);
    expect(plain(d.frame)).toEqual({ x: [1, 2], name: ['a', 'b'] });
    expect(kinds(d.frame)).toEqual({ x: 'number', name: 'string' });
    expectInvalid(() => decodeV2({ inputs: [tensor('m', [1, 2], 'FP32', [1, 2])] }, []), 'inputs[0].shape', /needs the model's column names/);
  });
});

describe('decodeV2: one [N, F] tensor named like the ONNX input', () => {
  it('maps the columns to the model inputs in order, flat or nested, one row or many', () => {
    const one = decodeV2({ inputs: [tensor('float_input', [1, 3], 'FP32', [1, 2, 3])] }, numeric, matrixInfo);
    expect(plain(one.frame)).toEqual({ a: [1], b: [2], c: [3] });
    const nested = decodeV2({ inputs: [tensor('float_input', [2, 3], 'FP64', [[1, 2, 3], [4, null, 6]])] }, numeric, matrixInfo);
    expect(plain(nested.frame)).toEqual({ a: [1, 4], b: [2, NaN], c: [3, 6] });
    const N = 5000;
    const flat = Array.from({ length: N * 3 }, (_, i) => i);
    const many = decodeV2({ inputs: [tensor('float_input', [N, 3], 'FP32', flat)] }, numeric, matrixInfo);
    expect(many.frame.rows).toBe(N);
    expect(plain(many.frame).c![N - 1]).toBe(N * 3 - 1);
  });

  it('still accepts one tensor per column for the same model', () => {
    const d = decodeV2({ inputs: [tensor('a', [1], 'FP32', [1]), tensor('b', [1], 'FP32', [2]), tensor('c', [1], 'FP32', [3])] }, numeric, matrixInfo);
    expect(plain(d.frame)).toEqual({ a: [1], b: [2], c: [3] });
  });

  it('checks the width, and says the matrix form exists when a name is unknown', () => {
    expectInvalid(() => decodeV2({ inputs: [tensor('float_input', [1, 2], 'FP32', [1, 2])] }, numeric, matrixInfo), 'inputs[0].shape', /expected \[N, 3\] for the model's 3 columns \("a", "b", "c"\), got \[1,2\]/);
    expectInvalid(() => decodeV2({ inputs: [tensor('x', [1, 3], 'FP32', [1, 2, 3])] }, numeric, matrixInfo), 'inputs[0].name', /unknown input "x"; the model reads "a", "b", "c", or one \[N, 3\] tensor named "float_input"/);
    expectInvalid(() => decodeV2({ inputs: [tensor('float_input', [1, 3], 'BYTES', ['1', '2', '3'])] }, numeric, matrixInfo), 'inputs[0].datatype', /BYTES cannot hold column "a"/);
  });
});

describe('decodeV2: bad requests', () => {
  const ok = () => [tensor('a', [2], 'FP32', [1, 2]), tensor('b', [2], 'FP32', [1, 2]), tensor('c', [2], 'FP32', [1, 2])];
  const withInput = (i: number, t: unknown) => {
    const list: unknown[] = ok();
    list[i] = t;
    return { inputs: list };
  };
  const cases: [string, unknown, string, RegExp][] = [
    ['not an object', [1, 2], '', /must be a JSON object/],
    ['null body', null, '', /got null/],
    ['no inputs', {}, 'inputs', /expected an array of input tensors, got nothing/],
    ['empty inputs', { inputs: [] }, 'inputs', /no input tensors/],
    ['id not a string', { id: 42, inputs: ok() }, 'id', /expected a string, got 42/],
    ['parameters not an object', { parameters: [1], inputs: ok() }, 'parameters', /expected an object, got an array/],
    ['tensor not an object', withInput(1, 'x'), 'inputs[1]', /expected a tensor/],
    ['no name', withInput(1, { shape: [2], datatype: 'FP32', data: [1, 2] }), 'inputs[1].name', /non-empty string/],
    ['unknown datatype', withInput(0, tensor('a', [2], 'FLOAT', [1, 2])), 'inputs[0].datatype', /expected one of BOOL, .*BYTES, got "FLOAT"/],
    ['shape not an array', withInput(0, { name: 'a', shape: 2, datatype: 'FP32', data: [1, 2] }), 'inputs[0].shape', /expected an array of dimensions/],
    ['rank 3', withInput(0, tensor('a', [2, 1, 1], 'FP32', [1, 2])), 'inputs[0].shape', /rank 3 is not supported/],
    ['negative dimension', withInput(0, tensor('a', [-1], 'FP32', [1, 2])), 'inputs[0].shape[0]', /non-negative integer, got -1/],
    ['shape product ≠ data length', withInput(2, tensor('c', [2], 'FP32', [1, 2, 3])), 'inputs[2].data', /3 values for shape \[2\], which holds 2/],
    ['nesting ≠ shape', withInput(0, tensor('a', [2, 1], 'FP32', [[1], [2, 3]])), 'inputs[0].data[1]', /expected an array of 1 values \(shape \[2, 1\]\), got 2 values/],
    ['nested deeper than the shape', withInput(0, tensor('a', [2], 'FP32', [[1], [2]])), 'inputs[0].data[0]', /nested deeper than the shape \[2\]/],
    ['data not an array', withInput(0, { name: 'a', shape: [2], datatype: 'FP32', data: 'x' }), 'inputs[0].data', /expected an array of values/],
    ['unknown input', withInput(1, tensor('bee', [2], 'FP32', [1, 2])), 'inputs[1].name', /unknown input "bee"; the model reads "a", "b", "c"/],
    ['duplicate input', withInput(1, tensor('a', [2], 'FP32', [1, 2])), 'inputs[1].name', /"a" is given twice \(also inputs\[0\]\)/],
    ['missing input', { inputs: ok().slice(0, 1) }, 'inputs', /missing inputs "b", "c"/],
    ['rows disagree', withInput(2, tensor('c', [3], 'FP32', [1, 2, 3])), 'inputs[2].shape', /3 rows, but inputs\[0\] has 2/],
    ['wide column', withInput(1, tensor('b', [1, 2], 'FP32', [1, 2])), 'inputs[1].shape', /expected \[N\] or \[N, 1\] for column "b"/],
    ['BYTES for a number', withInput(1, tensor('b', [2], 'BYTES', ['1', '2'])), 'inputs[1].datatype', /BYTES cannot hold column "b", which the model reads as numbers/],
    ['text in FP32 data', withInput(1, tensor('b', [2], 'FP32', [1, 'abc'])), 'inputs[1].data[1]', /expected a number for FP32, got "abc"/],
    ['null in INT64 data', withInput(0, tensor('a', [2], 'INT64', [1, null])), 'inputs[0].data[1]', /INT64 cannot hold a missing value \(null\)/],
    ['fraction in INT32 data', withInput(0, tensor('a', [2], 'INT32', [1, 1.5])), 'inputs[0].data[1]', /expected an integer for INT32, got 1.5/],
    ['out of range INT8', withInput(0, tensor('a', [2], 'INT8', [1, 300])), 'inputs[0].data[1]', /300 is out of range for INT8/],
    ['negative UINT16', withInput(0, tensor('a', [2], 'UINT16', [-1, 3])), 'inputs[0].data[0]', /-1 is out of range for UINT16/],
    ['FP16 overflow', withInput(0, tensor('a', [2], 'FP16', [1, 1e6])), 'inputs[0].data[1]', /1000000 is out of range for FP16/],
    ['number in BOOL data', withInput(0, tensor('a', [2], 'BOOL', [true, 1])), 'inputs[0].data[1]', /expected true or false for BOOL, got 1/],
    ['binary data extension', withInput(0, { ...tensor('a', [2], 'FP32', []), parameters: { binary_data_size: 8 } }), 'inputs[0].parameters.binary_data_size', /not supported/],
    ['outputs not an array', { inputs: ok(), outputs: 'label' }, 'outputs', /expected an array/],
    ['unknown output', { inputs: ok(), outputs: [{ name: 'label' }, { name: 'scores' }] }, 'outputs[1].name', /unknown output "scores"/],
    ['output requested twice', { inputs: ok(), outputs: [{ name: 'label' }, { name: 'label' }] }, 'outputs[1].name', /requested twice/],
    ['too many rows', { inputs: [tensor('a', [MAX_ROWS + 1], 'FP32', [])] }, 'inputs[0].shape', /100001 rows in one request; the limit is 100000/],
    ['huge shape, little data', withInput(0, tensor('a', [100, 1e9], 'FP32', [1])), 'inputs[0].data', /1 values for shape \[100,1000000000\]/],
  ];
  it.each(cases)('%s', (_, body, field, message) => {
    expectInvalid(() => decodeV2(body, numeric), field, message);
  });

  it('FP32 for a text column', () => {
    expectInvalid(() => decodeV2({ inputs: [tensor('age', [1], 'FP32', [1]), tensor('spend', [1], 'FP32', [1]), tensor('plan', [1], 'FP32', [1])] }, inputs), 'inputs[2].datatype', /FP32 cannot hold column "plan", which the model reads as text; send BYTES/);
  });

  it('points into nested data by row and column', () => {
    expectInvalid(() => decodeV2({ inputs: [tensor('float_input', [2, 3], 'FP32', [[1, 2, 3], [4, 'x', 6]])] }, numeric, matrixInfo), 'inputs[0].data[1][1]', /expected a number for FP32, got "x"/);
    expectInvalid(() => decodeV2({ inputs: [tensor('float_input', [2, 3], 'FP32', [1, 2, 3, 4, 5, {}])] }, numeric, matrixInfo), 'inputs[0].data[5]', /got an object/);
  });
});

describe('encodeV2', () => {
  const ctx = { modelName: 'churn', modelVersion: '3', predictionIds: ['p1', 'p2'] };
  const classifier: Predictions = { rows: 2, classes: ['no', 'yes'], labelIndex: Int32Array.from([1, -1]), proba: Float64Array.from([0.25, 0.75, NaN, NaN]) };

  it('returns label (BYTES) and probabilities (FP32 [N, C]) for a classifier, with the id echoed and prediction ids', () => {
    expect(encodeV2(classifier, { ...ctx, id: 'req-1' })).toEqual({
      model_name: 'churn',
      model_version: '3',
      id: 'req-1',
      parameters: { prediction_ids: 'p1,p2' },
      outputs: [
        { name: 'label', shape: [2], datatype: 'BYTES', data: ['yes', null] },
        { name: 'probabilities', shape: [2, 2], datatype: 'FP32', data: [0.25, 0.75, null, null] },
      ],
    });
  });

  it('uses INT64 labels when every class is an integer, omits id when none was given, honours requested outputs', () => {
    const p: Predictions = { rows: 1, classes: ['0', '1', '-2'], labelIndex: Int32Array.from([2]), proba: Float64Array.from([0.1, 0.2, 0.7]) };
    const r = encodeV2(p, { ...ctx, predictionIds: ['p1'], outputs: ['probabilities'] }) as Record<string, unknown>;
    expect(r).not.toHaveProperty('id');
    expect(r.outputs).toEqual([{ name: 'probabilities', shape: [1, 3], datatype: 'FP32', data: [0.1, 0.2, 0.7] }]);
    const l = encodeV2(p, { ...ctx, predictionIds: ['p1'], outputs: ['label'] }) as { outputs: unknown[] };
    expect(l.outputs).toEqual([{ name: 'label', shape: [1], datatype: 'INT64', data: [-2] }]);
  });

  it('returns variable (FP64 [N, 1]) for a regressor', () => {
    const r = encodeV2({ rows: 3, value: Float64Array.from([1.5, NaN, -2]) }, { ...ctx, predictionIds: ['a', 'b', 'c'] });
    expect(r).toEqual({ model_name: 'churn', model_version: '3', parameters: { prediction_ids: 'a,b,c' }, outputs: [{ name: 'variable', shape: [3, 1], datatype: 'FP64', data: [1.5, null, -2] }] });
  });

  it('rejects outputs the model does not give', () => {
    expectInvalid(() => encodeV2({ rows: 1, value: Float64Array.from([1]) }, { ...ctx, outputs: ['label'] }), 'outputs[0].name', /unknown output "label": this model gives "variable"/);
    const noProba: Predictions = { rows: 1, classes: ['a'], labelIndex: Int32Array.from([0]) };
    expectInvalid(() => encodeV2(noProba, { ...ctx, outputs: ['label', 'probabilities'] }), 'outputs[1].name', /this classifier gives no probabilities/);
  });
});

describe('v2Metadata', () => {
  it('lists one tensor per column and the outputs of an ONNX classifier', () => {
    expect(v2Metadata('churn', ['1', '2'], 'onnx_onnxv1', numeric, matrixInfo)).toEqual({
      name: 'churn',
      versions: ['1', '2'],
      platform: 'onnx_onnxv1',
      inputs: [
        { name: 'a', datatype: 'FP32', shape: [-1] },
        { name: 'b', datatype: 'FP32', shape: [-1] },
        { name: 'c', datatype: 'FP32', shape: [-1] },
      ],
      outputs: [
        { name: 'label', datatype: 'INT64', shape: [-1] },
        { name: 'probabilities', datatype: 'FP32', shape: [-1, 2] },
      ],
    });
  });

  it('lists a regressor, text columns as BYTES, and no outputs when nothing is known', () => {
    const reg = info({ inputs: [{ name: 'age', kind: 'tensor', elemType: 'double', shape: ['N', 1] }], outputs: [{ name: 'variable', kind: 'tensor', elemType: 'float', shape: ['N', 1] }] });
    expect(v2Metadata('m', ['1'], 'onnx_onnxv1', inputs, reg)).toMatchObject({
      inputs: [
        { name: 'age', datatype: 'FP64', shape: [-1] },
        { name: 'spend', datatype: 'FP64', shape: [-1] },
        { name: 'plan', datatype: 'BYTES', shape: [-1] },
      ],
      outputs: [{ name: 'variable', datatype: 'FP64', shape: [-1, 1] }],
    });
    expect(v2Metadata('m', [], 'mlflow', inputs, null)).toMatchObject({ outputs: [] });
    expect(v2Metadata('m', [], 'mlflow', inputs, null, { classes: ['a', 'b'], probabilities: false })).toMatchObject({ outputs: [{ name: 'label', datatype: 'BYTES', shape: [-1] }] });
  });
});
