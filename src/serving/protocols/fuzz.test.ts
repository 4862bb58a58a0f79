/** Property tests: whatever JSON arrives, decoders either decode it or throw INVALID_ARGUMENT naming a field. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SlipwayError } from '../../core/errors.js';
import type { OnnxModelInfo } from '../../runtimes/onnx/model-info.js';
import type { RuntimeInput } from '../../runtimes/types.js';
import { decodeMlflow, decodeRecords, decodeV1, decodeV2, type Decoded } from './index.js';

const models: { inputs: RuntimeInput[]; info: OnnxModelInfo | null }[] = [
  { inputs: [], info: null },
  { inputs: [{ name: 'a', type: 'number' }], info: null },
  {
    inputs: [
      { name: 'a', type: 'number' },
      { name: 'b', type: 'string' },
      { name: 'constructor', type: 'number' },
    ],
    info: null,
  },
  {
    inputs: [
      { name: 'a', type: 'number' },
      { name: 'b', type: 'number' },
    ],
    info: {
      irVersion: 8,
      producerName: '',
      producerVersion: '',
      opsets: {},
      inputs: [{ name: 'x', kind: 'tensor', elemType: 'float', shape: ['N', 2] }],
      outputs: [],
      metadata: {},
      features: ['a', 'b'],
      classes: null,
      classLabelType: null,
      classifierOp: null,
    },
  },
];

const decoders: [string, (body: unknown, m: (typeof models)[number]) => Decoded][] = [
  ['v2', (b, m) => decodeV2(b, m.inputs, m.info)],
  ['v1', (b, m) => decodeV1(b, m.inputs)],
  ['mlflow', (b, m) => decodeMlflow(b, m.inputs)],
  ['records', (b, m) => decodeRecords(b, m.inputs)],
];

function check(decode: (body: unknown, m: (typeof models)[number]) => Decoded, body: unknown): void {
  for (const m of models) {
    let d: Decoded;
    try {
      d = decode(body, m);
    } catch (e) {
      if (!(e instanceof SlipwayError) || e.code !== 'INVALID_ARGUMENT' || typeof e.details?.field !== 'string') throw e;
      continue;
    }
    // A decoded frame is well formed: every column has `rows` values of its kind.
    for (const [, c] of d.frame.columns) {
      expect(c.values.length).toBe(d.frame.rows);
      if (c.kind === 'number') expect(c.values).toBeInstanceOf(Float64Array);
      else for (const v of c.values) expect(v === null || typeof v === 'string').toBe(true);
    }
    for (const input of m.inputs) expect(d.frame.columns.get(input.name)?.kind).toBe(input.type);
  }
}

const key = fc.constantFrom('a', 'b', 'x', 'constructor', '__proto__', 'toString', 'records', 'instances', 'inputs', '');
const scalar = fc.oneof(fc.constant(null), fc.boolean(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer(), fc.string({ maxLength: 5 }), key);
const cell = fc.oneof({ weight: 5, arbitrary: scalar }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) });
const record = fc.dictionary(key, cell, { maxKeys: 4 });
const row = fc.array(cell, { maxLength: 4 });
const rows = fc.oneof(fc.array(record, { maxLength: 4 }), fc.array(row, { maxLength: 4 }), fc.array(cell, { maxLength: 4 }), fc.dictionary(key, fc.oneof(fc.array(cell, { maxLength: 3 }), cell), { maxKeys: 3 }));
const dim = fc.oneof(fc.integer({ min: -1, max: 4 }), fc.constant(1e9), fc.constant(0.5), fc.constant('2'));
const tensor = fc.record(
  {
    name: fc.oneof(key, fc.constant(1)),
    shape: fc.oneof(fc.array(dim, { maxLength: 3 }), cell),
    datatype: fc.constantFrom('BOOL', 'UINT8', 'INT8', 'INT32', 'INT64', 'UINT64', 'FP16', 'FP32', 'FP64', 'BYTES', 'FLOAT', ''),
    data: fc.oneof(fc.array(cell, { maxLength: 8 }), fc.array(fc.array(cell, { maxLength: 3 }), { maxLength: 4 }), cell),
    parameters: fc.oneof(fc.constant(undefined), fc.dictionary(key, cell, { maxKeys: 2 }), fc.constant({ binary_data_size: 4 })),
  },
  { requiredKeys: ['name', 'shape', 'datatype', 'data'] },
);
const v2Body = fc.record(
  {
    id: fc.oneof(fc.string({ maxLength: 4 }), cell),
    parameters: cell,
    inputs: fc.oneof(fc.array(tensor, { maxLength: 3 }), cell),
    outputs: fc.oneof(fc.array(fc.oneof(fc.record({ name: fc.constantFrom('label', 'probabilities', 'variable', 'x') }), cell), { maxLength: 3 }), cell),
  },
  { requiredKeys: [] },
);
const otherBody = fc.oneof(
  rows,
  fc.record({ instances: rows }, { requiredKeys: [] }),
  fc.record({ inputs: rows, params: cell }, { requiredKeys: [] }),
  fc.record({ records: rows }),
  fc.record({ dataframe_records: rows }),
  fc.record({ dataframe_split: fc.oneof(fc.record({ columns: fc.oneof(fc.array(key, { maxLength: 4 }), cell), data: fc.oneof(fc.array(row, { maxLength: 4 }), cell) }, { requiredKeys: [] }), cell) }),
);

describe('decoders never throw anything but INVALID_ARGUMENT', () => {
  it.each(decoders)('%s: random JSON', (_, decode) => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 5 }), (body) => check(decode, body)),
      { numRuns: 1000 },
    );
  });

  it.each(decoders)('%s: request-shaped JSON', (_, decode) => {
    fc.assert(
      fc.property(fc.oneof(v2Body, otherBody), (body) => check(decode, body)),
      { numRuns: 3000 },
    );
  });

  it.each(decoders)('%s: very deep nesting', (_, decode) => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    let deepObj: unknown = 1;
    for (let i = 0; i < 100_000; i++) deepObj = { a: deepObj };
    for (const body of [deep, { inputs: deep, instances: deep }, { records: [deepObj] }, deepObj, { instances: [deep] }, { inputs: [{ name: 'a', shape: [1], datatype: 'FP32', data: [deep] }] }]) {
      check(decode, body);
    }
  });
});
