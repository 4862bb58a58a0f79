import { describe, expect, it } from 'vitest';
import { SlipwayError } from '../../core/errors.js';
import { linearRegressor, logisticRegression, treeEnsembleClassifier } from './builder.js';
import { mlflowSignatureOf, readOnnxModelInfo } from './model-info.js';
import { onnx } from './proto.js';

const tree = { nodes: [{ feature: 0, threshold: 0, left: 1, right: 2 }, { leaf: [1, 0, 0] }, { leaf: [0, 0, 1] }] };

describe('readOnnxModelInfo', () => {
  it('reads inputs, outputs with symbolic dims, metadata and opsets', () => {
    const info = readOnnxModelInfo(linearRegressor({ featureNames: ['a', 'b', 'c'], coefficients: [1, 2, 3], intercept: 0 }));
    expect(info.irVersion).toBe(8);
    expect(info.producerName).toBe('slipway');
    expect(info.inputs).toEqual([{ name: 'input', kind: 'tensor', elemType: 'float', shape: ['N', 3] }]);
    expect(info.outputs).toEqual([{ name: 'variable', kind: 'tensor', elemType: 'float', shape: ['N', 1] }]);
    expect(info.features).toEqual(['a', 'b', 'c']);
    expect(info.classes).toBeNull();
    expect(info.classLabelType).toBeNull();
    expect(JSON.parse(JSON.stringify(info))).toEqual(info);
  });

  it('reads integer class labels of a LinearClassifier (classlabels_ints)', () => {
    const info = readOnnxModelInfo(logisticRegression({ featureNames: ['a'], classes: [0, 1], coefficients: [1], intercepts: [0] }));
    expect(info.classes).toEqual(['0', '1']);
    expect(info.classLabelType).toBe('int64');
    expect(info.classifierOp).toBe('LinearClassifier');
    expect(info.outputs.map((o) => [o.name, o.elemType, o.shape])).toEqual([
      ['label', 'int64', ['N']],
      ['probabilities', 'float', ['N', 2]],
    ]);
  });

  it('reads string class labels of a TreeEnsembleClassifier', () => {
    const info = readOnnxModelInfo(treeEnsembleClassifier({ featureNames: ['a'], classes: ['x', 'y', 'z'], trees: [tree] }));
    expect(info.classes).toEqual(['x', 'y', 'z']);
    expect(info.classLabelType).toBe('string');
    expect(info.classifierOp).toBe('TreeEnsembleClassifier');
  });

  it('reads per-feature inputs', () => {
    const info = readOnnxModelInfo(linearRegressor({ featureNames: ['age', 'income'], coefficients: [1, 2], intercept: 0, perFeatureInputs: true }));
    expect(info.inputs.map((i) => [i.name, i.shape])).toEqual([
      ['age', ['N', 1]],
      ['income', ['N', 1]],
    ]);
  });

  it('reads a hand-made model without metadata, with fixed and unnamed dims and a ZipMap-like output', () => {
    const bytes = onnx.ModelProto.encode({
      irVersion: 7,
      opsetImport: [{ domain: '', version: 13 }],
      graph: {
        name: 'g',
        input: [{ name: 'x', type: { tensorType: { elemType: onnx.TensorProto.DataType.DOUBLE, shape: { dim: [{}, { dimValue: 4 }] } } } }],
        output: [{ name: 'output_probability', type: { sequenceType: { elemType: { mapType: { keyType: 7 } } } } }],
        node: [],
      },
    }).finish();
    const info = readOnnxModelInfo(bytes);
    expect(info.inputs).toEqual([{ name: 'x', kind: 'tensor', elemType: 'double', shape: [null, 4] }]);
    expect(info.outputs).toEqual([{ name: 'output_probability', kind: 'sequence', elemType: 'undefined', shape: null }]);
    expect(info.features).toBeNull();
    expect(info.metadata).toEqual({});
  });

  it('ignores a malformed slipway.features entry', () => {
    const info = readOnnxModelInfo(linearRegressor({ featureNames: ['a'], coefficients: [1], intercept: 0, metadata: {} }));
    expect(info.features).toEqual(['a']);
    const bytes = onnx.ModelProto.encode({
      irVersion: 8,
      graph: { name: 'g' },
      metadataProps: [{ key: 'slipway.features', value: '{not json' }],
    }).finish();
    expect(readOnnxModelInfo(bytes).features).toBeNull();
  });

  it('rejects bytes that are not an ONNX model', () => {
    for (const bytes of [new TextEncoder().encode('hello, this is a CSV file\n1,2,3\n'), new Uint8Array([0xff, 0xff, 0xff, 0xff]), new Uint8Array()]) {
      try {
        readOnnxModelInfo(bytes);
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(SlipwayError);
        expect((e as SlipwayError).code).toBe('INVALID_ARGUMENT');
        expect((e as Error).message).toMatch(/^not an ONNX model: /);
      }
    }
  });
});

describe('mlflowSignatureOf', () => {
  it('writes column specs from slipway.features for a single [N, F] tensor', () => {
    const sig = mlflowSignatureOf(readOnnxModelInfo(logisticRegression({ featureNames: ['a', 'b'], classes: ['n', 'y'], coefficients: [1, 2], intercepts: [0] })));
    expect(typeof sig.inputs).toBe('string');
    expect(JSON.parse(sig.inputs)).toEqual([
      { type: 'float', name: 'a', required: true },
      { type: 'float', name: 'b', required: true },
    ]);
    expect(JSON.parse(sig.outputs)).toEqual([
      { type: 'tensor', 'tensor-spec': { dtype: 'str', shape: [-1] }, name: 'label' },
      { type: 'tensor', 'tensor-spec': { dtype: 'float32', shape: [-1, 2] }, name: 'probabilities' },
    ]);
  });

  it('writes column specs named after per-feature inputs', () => {
    const sig = mlflowSignatureOf(readOnnxModelInfo(linearRegressor({ featureNames: ['age', 'income'], coefficients: [1, 2], intercept: 0, perFeatureInputs: true })));
    expect(JSON.parse(sig.inputs).map((c: { name: string }) => c.name)).toEqual(['age', 'income']);
  });

  it('writes tensor specs when the features are unknown', () => {
    const bytes = onnx.ModelProto.encode({
      irVersion: 8,
      graph: {
        name: 'g',
        input: [{ name: 'x', type: { tensorType: { elemType: 1, shape: { dim: [{ dimParam: 'batch' }, { dimValue: 4 }] } } } }],
        output: [{ name: 'y', type: { tensorType: { elemType: 1, shape: { dim: [{ dimParam: 'batch' }] } } } }],
      },
    }).finish();
    const sig = mlflowSignatureOf(readOnnxModelInfo(bytes));
    expect(JSON.parse(sig.inputs)).toEqual([{ type: 'tensor', 'tensor-spec': { dtype: 'float32', shape: [-1, 4] }, name: 'x' }]);
    expect(JSON.parse(sig.outputs)).toEqual([{ type: 'tensor', 'tensor-spec': { dtype: 'float32', shape: [-1] }, name: 'y' }]);
  });
});
