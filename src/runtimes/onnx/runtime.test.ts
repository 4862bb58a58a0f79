import { afterEach, describe, expect, it } from 'vitest';
import { SlipwayError } from '../../core/errors.js';
import { mulberry32 } from '../../stats/random.js';
import { sliceFrame, type Column, type Frame } from '../frame.js';
import type { ModelRuntime } from '../types.js';
import { linearRegressor, logisticRegression, treeEnsembleClassifier } from './builder.js';
import { mlflowSignatureOf, readOnnxModelInfo } from './model-info.js';
import { onnx } from './proto.js';
import { infoOf, openOnnxRuntime, signatureColumns } from './runtime.js';

const num = (values: number[]): Column => ({ kind: 'number', values: Float64Array.from(values) });
const str = (values: (string | null)[]): Column => ({ kind: 'string', values });
const frameOf = (cols: Record<string, Column>): Frame => {
  const columns = new Map(Object.entries(cols));
  return { rows: columns.values().next().value!.values.length, columns };
};
const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

function randomFrame(names: string[], rows: number, seed = 1): Frame {
  const rng = mulberry32(seed);
  return frameOf(Object.fromEntries(names.map((n) => [n, num(Array.from({ length: rows }, () => Math.fround(rng() * 4 - 2)))])));
}

/** The same model bytes without the slipway.features metadata (like a model exported by another tool). */
function withoutMetadata(bytes: Uint8Array): Uint8Array {
  const m = onnx.ModelProto.decode(bytes);
  m.metadataProps = [];
  return onnx.ModelProto.encode(m).finish();
}

const open: ModelRuntime[] = [];
async function track<T extends ModelRuntime>(p: Promise<T>): Promise<T> {
  const rt = await p;
  open.push(rt);
  return rt;
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((rt) => rt.close()));
});

async function expectInvalid(p: Promise<unknown> | (() => unknown), message: RegExp): Promise<SlipwayError> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    expect(e).toBeInstanceOf(SlipwayError);
    expect((e as SlipwayError).code).toBe('INVALID_ARGUMENT');
    expect((e as Error).message).toMatch(message);
    return e as SlipwayError;
  }
  throw new Error('expected an error');
}

describe('openOnnxRuntime: regression', () => {
  it('maps columns by the recorded feature names, whatever the frame order, and returns float64 values', async () => {
    const rt = await track(openOnnxRuntime(linearRegressor({ featureNames: ['a', 'b'], coefficients: [2, 3], intercept: 1 })));
    expect(rt.kind).toBe('onnx');
    expect(rt.inputs).toEqual([
      { name: 'a', type: 'number' },
      { name: 'b', type: 'number' },
    ]);
    const p = await rt.predict(frameOf({ id: str(['r1', 'r2', 'r3']), b: num([2, -1, 0]), a: num([1, 0.5, NaN]) }));
    expect(p.rows).toBe(3);
    expect(p.value).toBeInstanceOf(Float64Array);
    expect(p.value![0]).toBe(9);
    expect(p.value![1]).toBe(-1);
    expect(p.value![2]).toBeNaN(); // NaN in, NaN out: the caller decides
    expect(p.classes).toBeUndefined();
  });

  it('gives the same predictions batch by batch as all at once, including overlapping calls', async () => {
    const names = ['x0', 'x1', 'x2', 'x3', 'x4', 'x5']; // four columns at a time, then the rest one by one
    const w = [1, -2, 0.5, 4, -3, 0.125];
    const rt = await track(openOnnxRuntime(linearRegressor({ featureNames: names, coefficients: w, intercept: 0.25 })));
    const frame = randomFrame(names, 10_000);
    const whole = (await rt.predict(frame)).value!;
    const batches = await Promise.all([0, 4096, 8192].map((s) => rt.predict(sliceFrame(frame, s, Math.min(s + 4096, frame.rows)))));
    const joined = new Float64Array(frame.rows);
    batches.forEach((b, i) => joined.set(b.value!, i * 4096));
    expect(joined).toEqual(whole);
    const x = names.map((n) => (frame.columns.get(n) as { values: Float64Array }).values);
    for (let r = 0; r < frame.rows; r += 97) {
      expect(whole[r]).toBeCloseTo(w.reduce((s, wf, f) => s + wf * x[f]![r]!, 0.25), 4);
    }
  });

  it('answers an empty frame without running the model, after validating it', async () => {
    const rt = await track(openOnnxRuntime(logisticRegression({ featureNames: ['a'], classes: ['n', 'y'], coefficients: [1], intercepts: [0] })));
    expect(await rt.predict(frameOf({ a: num([]) }))).toEqual({ rows: 0, classes: ['n', 'y'], labelIndex: new Int32Array(0), proba: new Float64Array(0) });
    await expectInvalid(rt.predict(frameOf({ b: num([]) })), /lacks the column the model reads: a/);
  });

  it('feeds per-feature inputs by name', async () => {
    const rt = await track(openOnnxRuntime(linearRegressor({ featureNames: ['age', 'income'], coefficients: [2, 3], intercept: 1, perFeatureInputs: true })));
    expect(rt.inputs.map((i) => i.name)).toEqual(['age', 'income']);
    const p = await rt.predict(frameOf({ income: num([2, -1]), age: num([1, 0.5]) }));
    expect(Array.from(p.value!)).toEqual([9, -1]);
  });
});

describe('openOnnxRuntime: typed per-feature inputs', () => {
  // city (string) → CategoryMapper → int64, + count (int64) → Cast float: a model another tool might export.
  const vi = (name: string, elemType: number) => ({ name, type: { tensorType: { elemType, shape: { dim: [{ dimParam: 'N' }, { dimValue: 1 }] } } } });
  const T = onnx.TensorProto.DataType;
  const A = onnx.AttributeProto.AttributeType;
  const bytes = onnx.ModelProto.encode({
    irVersion: 8,
    opsetImport: [
      { domain: '', version: 17 },
      { domain: 'ai.onnx.ml', version: 3 },
    ],
    graph: {
      name: 'typed',
      input: [vi('city', T.STRING), vi('count', T.INT64)],
      output: [vi('variable', T.FLOAT)],
      node: [
        {
          opType: 'CategoryMapper',
          domain: 'ai.onnx.ml',
          input: ['city'],
          output: ['city_id'],
          attribute: [
            { name: 'cats_strings', type: A.STRINGS, strings: ['oslo', 'lima'].map((c) => new TextEncoder().encode(c)) },
            { name: 'cats_int64s', type: A.INTS, ints: [10, 20] },
            { name: 'default_int64', type: A.INT, i: 0 },
          ],
        },
        { opType: 'Add', input: ['city_id', 'count'], output: ['sum'] },
        { opType: 'Cast', input: ['sum'], output: ['variable'], attribute: [{ name: 'to', type: A.INT, i: T.FLOAT }] },
      ],
    },
  }).finish();

  it('feeds string and int64 inputs from text and number columns', async () => {
    const rt = await track(openOnnxRuntime(bytes));
    expect(rt.inputs).toEqual([
      { name: 'city', type: 'string' },
      { name: 'count', type: 'number' },
    ]);
    const p = await rt.predict(frameOf({ count: num([1, 2, 3]), city: str(['lima', 'oslo', null]) }));
    expect(Array.from(p.value!)).toEqual([21, 12, 3]);
    await expectInvalid(rt.predict(frameOf({ count: num([1.5]), city: str(['lima']) })), /value of 1\.5 cannot be fed to the model's int64 input "count"/);
  });
});

describe('openOnnxRuntime: feature names', () => {
  const bytes = linearRegressor({ featureNames: ['f0', 'f1'], coefficients: [1, 10], intercept: 0 });

  it('prefers the version’s MLflow column signature (registry or MLmodel form) over the metadata', async () => {
    const columns = [
      { type: 'double', name: 'x' },
      { type: 'double', name: 'y' },
    ];
    for (const signature of [{ inputs: columns, outputs: null }, { inputs: JSON.stringify(columns) }, JSON.stringify({ inputs: JSON.stringify(columns) })]) {
      const rt = await track(openOnnxRuntime(bytes, { signature }));
      expect(rt.inputs.map((i) => i.name)).toEqual(['x', 'y']);
      expect(Array.from((await rt.predict(frameOf({ y: num([1]), x: num([2]) }))).value!)).toEqual([12]);
    }
  });

  it('falls back to the metadata when the signature is a tensor signature or null', async () => {
    const tensorSig = mlflowSignatureOf({ ...readOnnxModelInfo(bytes), features: null });
    expect(signatureColumns(tensorSig)).toBeNull();
    for (const signature of [tensorSig, null, undefined]) {
      const rt = await track(openOnnxRuntime(bytes, { signature }));
      expect(rt.inputs.map((i) => i.name)).toEqual(['f0', 'f1']);
    }
  });

  it('uses a column signature for a model without metadata, and refuses without one', async () => {
    const bare = withoutMetadata(bytes);
    const rt = await track(openOnnxRuntime(bare, { signature: { inputs: [{ name: 'p', type: 'float' }, { name: 'q', type: 'float' }] } }));
    expect(rt.inputs.map((i) => i.name)).toEqual(['p', 'q']);
    await expectInvalid(openOnnxRuntime(bare), /takes one tensor "input" of 2 features.*column signature naming the 2 features/);
    await expectInvalid(openOnnxRuntime(bare, { signature: { inputs: [{ name: 'p', type: 'float' }] } }), /its signature names 1 columns/);
  });

  it('exposes the model info', async () => {
    const rt = await track(openOnnxRuntime(bytes));
    expect(rt.info.features).toEqual(['f0', 'f1']);
    expect(infoOf(rt)).toBe(rt.info);
  });

  it('rejects bytes that are not a model', async () => {
    await expectInvalid(openOnnxRuntime(new TextEncoder().encode('a,b\n1,2\n')), /not an ONNX model/);
  });
});

describe('openOnnxRuntime: validation', () => {
  const bytes = linearRegressor({ featureNames: ['age', 'income', 'tenure'], coefficients: [1, 1, 1], intercept: 0 });

  it('names missing columns and the unused ones as likely renames', async () => {
    const rt = await track(openOnnxRuntime(bytes));
    const e = await expectInvalid(rt.predict(frameOf({ Age: num([1]), income: num([1]), tenure_months: num([1]) })), /lacks columns the model reads: age, tenure; columns the model does not read \(renamed\?\): Age, tenure_months/);
    expect(e.details).toEqual({ missing: ['age', 'tenure'], unused: ['Age', 'tenure_months'] });
  });

  it('names a text column where numbers are needed, with an example value', async () => {
    const rt = await track(openOnnxRuntime(bytes));
    const e = await expectInvalid(rt.predict(frameOf({ age: num([1, 2]), income: str([null, 'high']), tenure: num([3, 4]) })), /column "income" holds text \(e\.g\. "high" in row 2\)/);
    expect(e.details).toMatchObject({ column: 'income', example: 'high' });
  });

  it('takes an all-null text column as missing values', async () => {
    const rt = await track(openOnnxRuntime(bytes));
    const p = await rt.predict(frameOf({ age: num([1, 2]), income: str([null, null]), tenure: num([3, 4]) }));
    expect(Number.isNaN(p.value![0])).toBe(true);
  });
});

describe('openOnnxRuntime: classification', () => {
  it('binary logistic regression: classes, label indices and probabilities', async () => {
    const rt = await track(openOnnxRuntime(logisticRegression({ featureNames: ['a', 'b'], classes: [0, 1], coefficients: [1.5, -1], intercepts: [0.25] })));
    const frame = randomFrame(['a', 'b'], 1000, 3);
    const p = await rt.predict(frame);
    expect(p.classes).toEqual(['0', '1']);
    expect(p.labelIndex).toBeInstanceOf(Int32Array);
    expect(p.proba).toBeInstanceOf(Float64Array);
    expect(p.proba!.length).toBe(2000);
    const a = (frame.columns.get('a') as { values: Float64Array }).values;
    const b = (frame.columns.get('b') as { values: Float64Array }).values;
    for (let r = 0; r < 1000; r++) {
      const z = 1.5 * a[r]! - b[r]! + 0.25;
      expect(p.proba![2 * r + 1]).toBeCloseTo(sigmoid(z), 5);
      if (Math.abs(z) > 1e-4) expect(p.labelIndex![r]).toBe(z > 0 ? 1 : 0);
    }
  });

  it('maps int64 labels (negative, beyond 32 bits) to class indices', async () => {
    const classes = [-5, 2 ** 40, 7];
    const rt = await track(
      openOnnxRuntime(
        logisticRegression({
          featureNames: ['a'],
          classes,
          coefficients: [[1], [0], [-1]],
          intercepts: [0, 0.5, 0],
        }),
      ),
    );
    const p = await rt.predict(frameOf({ a: num([3, 0, -3]) }));
    expect(p.classes).toEqual(['-5', String(2 ** 40), '7']);
    expect(Array.from(p.labelIndex!)).toEqual([0, 1, 2]);
  });

  it('multiclass tree ensemble with string labels', async () => {
    const tree = { nodes: [{ feature: 'x', threshold: 0, left: 1, right: 2 }, { leaf: [0.7, 0.2, 0.1] }, { feature: 'x', threshold: 1, left: 3, right: 4 }, { leaf: [0.1, 0.8, 0.1] }, { leaf: [0, 0.1, 0.9] }] };
    const rt = await track(openOnnxRuntime(treeEnsembleClassifier({ featureNames: ['x'], classes: ['lo', 'mid', 'hi'], trees: [tree] })));
    const p = await rt.predict(frameOf({ x: num([-1, 0.5, 2]) }));
    expect(p.classes).toEqual(['lo', 'mid', 'hi']);
    expect(Array.from(p.labelIndex!)).toEqual([0, 1, 2]);
    expect(Array.from(p.proba!).map((v) => Math.round(v * 10) / 10)).toEqual([0.7, 0.2, 0.1, 0.1, 0.8, 0.1, 0, 0.1, 0.9]);
  });

  it('binary tree ensemble', async () => {
    const tree = { nodes: [{ feature: 0, threshold: 0, left: 1, right: 2 }, { leaf: 0.2 }, { leaf: 0.9 }] };
    const rt = await track(openOnnxRuntime(treeEnsembleClassifier({ featureNames: ['x'], classes: ['no', 'yes'], trees: [tree] })));
    const p = await rt.predict(frameOf({ x: num([-1, 1]) }));
    expect(Array.from(p.labelIndex!)).toEqual([0, 1]);
    expect(Array.from(p.proba!).map((v) => Math.round(v * 10) / 10)).toEqual([0.8, 0.2, 0.1, 0.9]);
  });
});
