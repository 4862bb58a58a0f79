import { describe, expect, it } from 'vitest';
import { checkExternalData, externalDataLocations } from './external-data.js';
import { AttributeType, DataType, IR_VERSION, onnx } from './proto.js';
import { linearRegressor } from './builder.js';

const external = (location: string) => ({
  dataType: DataType.FLOAT,
  dims: [1],
  dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
  externalData: [{ key: 'location', value: location }],
});

/** A model whose only external tensor sits where `place` puts it: an initializer, a Constant's attribute, or inside an If's branch. */
function modelWith(place: 'initializer' | 'attribute' | 'subgraph', location: string): Uint8Array {
  const constant = { opType: 'Constant', output: ['c'], attribute: [{ name: 'value', type: AttributeType.TENSOR, t: external(location) }] };
  const graph =
    place === 'initializer'
      ? { name: 'g', initializer: [{ name: 'w', ...external(location) }] }
      : place === 'attribute'
        ? { name: 'g', node: [constant] }
        : { name: 'g', node: [{ opType: 'If', input: ['cond'], output: ['c'], attribute: [{ name: 'then_branch', type: AttributeType.GRAPH, g: { name: 'then', node: [constant] } }] }] };
  return onnx.ModelProto.encode(onnx.ModelProto.create({ irVersion: IR_VERSION, opsetImport: [{ domain: '', version: 17 }], graph })).finish();
}

describe('ONNX external data', () => {
  it('finds external tensors wherever the model keeps them', () => {
    for (const place of ['initializer', 'attribute', 'subgraph'] as const) expect(externalDataLocations(modelWith(place, 'w.bin'))).toEqual(['w.bin']);
    expect(externalDataLocations(linearRegressor({ featureNames: ['a'], coefficients: [1], intercept: 0 }))).toEqual([]);
  });

  it('allows only the version\'s own files, relative to the model file', () => {
    const own = new Set(['model/model.onnx', 'model/w.bin', 'model/data/w2.bin', 'secrets.txt']);
    expect(checkExternalData(modelWith('initializer', 'w.bin'), 'model/model.onnx', own)).toBe(true);
    expect(checkExternalData(modelWith('subgraph', './data/w2.bin'), 'model/model.onnx', own)).toBe(true);
    expect(checkExternalData(linearRegressor({ featureNames: ['a'], coefficients: [1], intercept: 0 }), 'model/model.onnx', own)).toBe(false);
    for (const location of ['../secrets.txt', '/etc/passwd', 'C:/x', 'data\\w2.bin', '*/_ORT_MEM_ADDR_/*', 'missing.bin', '', 'data/../w.bin']) {
      for (const place of ['initializer', 'attribute', 'subgraph'] as const) {
        expect(() => checkExternalData(modelWith(place, location), 'model/model.onnx', own)).toThrow(/not one of this model version's own files/);
      }
    }
  });

  it('refuses bytes it cannot read rather than letting onnxruntime parse them unchecked', () => {
    expect(() => externalDataLocations(Uint8Array.from([0xff, 0xff, 0xff, 0xff]))).toThrow(/not an ONNX model/);
  });
});
