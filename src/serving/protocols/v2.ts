/**
 * The Open Inference Protocol (KServe V2) over REST/JSON, as specified in kserve/kserve
 * `docs/predict-api/v2/required_api.md` and kserve/open-inference-protocol `specification/protocol/inference_rest.md`:
 *
 *  - request `{ id?, parameters?, inputs: [{ name, shape, datatype, parameters?, data }], outputs?: [{ name, parameters? }] }`;
 *    "if specified this identifier must be returned in the response"; `outputs` absent → every output;
 *  - tensor `data` is row-major, "in their natural multi-dimensional representation, or as a flattened
 *    one-dimensional representation"; the server "can decide to coerce each element to the required type or return
 *    an error" — here: integers must be integral and in range, BOOL takes true/false, BYTES takes strings (numbers
 *    and booleans are written as strings), and null (JSON has no NaN) is a missing value, allowed in FP16/FP32/FP64
 *    (NaN) and BYTES (null) only;
 *  - shape dimensions are non-negative integers in a request; -1 marks a variable dimension in metadata;
 *  - response `{ model_name, model_version, id, parameters?, outputs: [{ name, shape, datatype, data }] }`;
 *  - `$parameter = $string : $string | $number | $boolean` — so the prediction ids go in the response parameters as
 *    ONE string, comma-separated (`prediction_ids`), not as an array, which would break clients that type-check
 *    parameters;
 *  - model metadata `{ name, versions?, platform, inputs: [$metadata_tensor], outputs: [$metadata_tensor] }`, platform
 *    names like `onnx_onnxv1`.
 *
 * Two input layouts are accepted: one tensor per model column (name = column, shape [N] or [N, 1]), or — for an ONNX
 * model whose single input is one tensor — that tensor by its ONNX name, shape [N, F], its F columns being the
 * model's columns in order. Only the JSON tensor data is supported, not the binary tensor data extension.
 */
import type { OnnxModelInfo, OnnxTensorInfo } from '../../runtimes/onnx/model-info.js';
import type { Predictions, RuntimeInput } from '../../runtimes/types.js';
import {
  checkRows,
  describe,
  fail,
  frameOf,
  integerClasses,
  isObject,
  kindOf,
  labels,
  MAX_INFERRED_COLUMNS,
  numbers,
  own,
  quoteList,
  sinksFor,
  type Decoded,
  type Sink,
} from './common.js';

export type V2Datatype = 'BOOL' | 'UINT8' | 'UINT16' | 'UINT32' | 'UINT64' | 'INT8' | 'INT16' | 'INT32' | 'INT64' | 'FP16' | 'FP32' | 'FP64' | 'BYTES';

type Spec = { kind: 'bool' } | { kind: 'int'; min: number; max: number } | { kind: 'float'; max: number } | { kind: 'bytes' };

const SPECS: Record<V2Datatype, Spec> = {
  BOOL: { kind: 'bool' },
  UINT8: { kind: 'int', min: 0, max: 255 },
  UINT16: { kind: 'int', min: 0, max: 65_535 },
  UINT32: { kind: 'int', min: 0, max: 4_294_967_295 },
  // 2^64 - 1 and 2^63 - 1 are not doubles: a JSON 9223372036854775807 parses as 2^63, so the bounds are inclusive powers of 2.
  UINT64: { kind: 'int', min: 0, max: 2 ** 64 },
  INT8: { kind: 'int', min: -128, max: 127 },
  INT16: { kind: 'int', min: -32_768, max: 32_767 },
  INT32: { kind: 'int', min: -2_147_483_648, max: 2_147_483_647 },
  INT64: { kind: 'int', min: -(2 ** 63), max: 2 ** 63 },
  FP16: { kind: 'float', max: 65_504 },
  FP32: { kind: 'float', max: 3.4028234663852886e38 },
  FP64: { kind: 'float', max: Number.MAX_VALUE },
  BYTES: { kind: 'bytes' },
};
const DATATYPES = Object.keys(SPECS) as V2Datatype[];

/** Output names this gateway can return. */
export const V2_OUTPUTS = ['label', 'probabilities', 'variable'] as const;
/** The response parameter carrying the prediction ids (comma-separated, in row order). */
export const V2_PREDICTION_IDS = 'prediction_ids';

interface Tensor {
  i: number;
  name: string;
  datatype: V2Datatype;
  spec: Spec;
  shape: number[];
  rows: number;
  width: number;
  data: unknown[];
  nested: boolean;
}

const at = (t: Tensor) => `inputs[${t.i}]`;

function parseTensor(raw: unknown, i: number): Tensor {
  const base = `inputs[${i}]`;
  if (!isObject(raw)) throw fail(base, `expected a tensor {"name", "shape", "datatype", "data"}, got ${describe(raw)}`);
  const name = own(raw, 'name');
  if (typeof name !== 'string' || name === '') throw fail(`${base}.name`, `expected a tensor name (a non-empty string), got ${describe(name)}`);
  const datatype = own(raw, 'datatype');
  if (typeof datatype !== 'string' || !Object.hasOwn(SPECS, datatype)) {
    throw fail(`${base}.datatype`, `expected one of ${DATATYPES.join(', ')}, got ${describe(datatype)}`);
  }
  const shape = own(raw, 'shape');
  if (!Array.isArray(shape)) throw fail(`${base}.shape`, `expected an array of dimensions, got ${describe(shape)}`);
  if (shape.length < 1 || shape.length > 2) {
    throw fail(`${base}.shape`, `rank ${shape.length} is not supported: send [N] or [N, 1] per column, or [N, F] for the model's one tensor input`);
  }
  for (let d = 0; d < shape.length; d++) {
    const v: unknown = shape[d];
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
      throw fail(`${base}.shape[${d}]`, `expected a non-negative integer, got ${describe(v)}`);
    }
  }
  const params = own(raw, 'parameters');
  if (params !== undefined && !isObject(params)) throw fail(`${base}.parameters`, `expected an object, got ${describe(params)}`);
  if (params && own(params, 'binary_data_size') !== undefined) {
    throw fail(`${base}.parameters.binary_data_size`, 'binary tensor data is not supported; send the values in "data"');
  }
  const rows = shape[0] as number;
  const width = shape.length === 2 ? (shape[1] as number) : 1;
  checkRows(rows, `${base}.shape`);
  const data = own(raw, 'data');
  if (!Array.isArray(data)) throw fail(`${base}.data`, `expected an array of values, got ${describe(data)}`);
  let nested = false;
  if (shape.length === 2 && data.length > 0 && Array.isArray(data[0])) {
    nested = true;
    if (data.length !== rows) throw fail(`${base}.data`, `${data.length} rows of values for shape [${rows}, ${width}]`, { shape, rows: data.length });
    for (let r = 0; r < rows; r++) {
      const row: unknown = data[r];
      if (!Array.isArray(row) || row.length !== width) {
        throw fail(`${base}.data[${r}]`, `expected an array of ${width} values (shape [${rows}, ${width}]), got ${Array.isArray(row) ? `${row.length} values` : describe(row)}`);
      }
    }
  } else if (data.length !== rows * width) {
    throw fail(`${base}.data`, `${data.length} values for shape ${JSON.stringify(shape)}, which holds ${rows * width}`, { shape, values: data.length });
  }
  return { i, name, datatype: datatype as V2Datatype, spec: SPECS[datatype as V2Datatype], shape, rows, width, data, nested };
}

function elementField(t: Tensor, r: number, c: number): string {
  if (t.nested) return `${at(t)}.data[${r}][${c}]`;
  return `${at(t)}.data[${r * t.width + c}]`;
}

function badElement(t: Tensor, r: number, c: number, v: unknown, column: string): Error {
  const field = elementField(t, r, c);
  const dt = t.datatype;
  const spec = t.spec;
  let why: string;
  if (Array.isArray(v)) why = `nested deeper than the shape ${JSON.stringify(t.shape)}`;
  else if (v === null || v === undefined) why = `${dt} cannot hold a missing value (null); send missing values as FP32/FP64 or BYTES`;
  else if (spec.kind === 'bool') why = `expected true or false for BOOL, got ${describe(v)}`;
  else if (spec.kind === 'bytes') why = `expected a string for BYTES, got ${describe(v)}`;
  else if (typeof v !== 'number') why = `expected a number for ${dt}, got ${describe(v)}`;
  else if (spec.kind === 'int' && !Number.isInteger(v) && Number.isFinite(v)) why = `expected an integer for ${dt}, got ${v}`;
  else why = `${describe(v)} is out of range for ${dt}`;
  return fail(field, why, { column, datatype: dt });
}

/** Converts one element for a number column; undefined when the datatype cannot take it. */
function numberOf(v: unknown, spec: Spec): number | undefined {
  switch (spec.kind) {
    case 'float':
      if (typeof v === 'number') return v <= spec.max && v >= -spec.max ? v : Number.isNaN(v) ? NaN : undefined;
      return v === null || v === undefined ? NaN : undefined;
    case 'int':
      return typeof v === 'number' && Number.isInteger(v) && v >= spec.min && v <= spec.max ? v : undefined;
    case 'bool':
      return typeof v === 'boolean' ? (v ? 1 : 0) : undefined;
    default:
      return undefined;
  }
}

/** Converts one BYTES element for a text column; undefined when it is not a scalar. */
function stringOf(v: unknown): string | null | undefined {
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : Number.isNaN(v) ? null : undefined;
  if (typeof v === 'boolean') return String(v);
  return undefined;
}

function checkDatatype(t: Tensor, input: RuntimeInput): void {
  if (input.type === 'number' && t.datatype === 'BYTES') {
    throw fail(`${at(t)}.datatype`, `BYTES cannot hold column ${JSON.stringify(input.name)}, which the model reads as numbers; send FP32/FP64 (or an integer type)`, {
      column: input.name,
    });
  }
  if (input.type === 'string' && t.datatype !== 'BYTES') {
    throw fail(`${at(t)}.datatype`, `${t.datatype} cannot hold column ${JSON.stringify(input.name)}, which the model reads as text; send BYTES`, {
      column: input.name,
    });
  }
}

/** Copies column `c` of tensor `t` into `sink`. */
function fill(t: Tensor, c: number, sink: Sink, column: string): void {
  const { rows, width, data, spec } = t;
  if (sink instanceof Float64Array) {
    for (let r = 0; r < rows; r++) {
      const v: unknown = t.nested ? (data[r] as unknown[])[c] : data[r * width + c];
      const n = numberOf(v, spec);
      if (n === undefined) throw badElement(t, r, c, v, column);
      sink[r] = n;
    }
  } else {
    for (let r = 0; r < rows; r++) {
      const v: unknown = t.nested ? (data[r] as unknown[])[c] : data[r * width + c];
      const s = stringOf(v);
      if (s === undefined) throw badElement(t, r, c, v, column);
      sink[r] = s;
    }
  }
}

/** The one ONNX input a [N, F] request tensor may be named after, when the model has exactly one input. */
const matrixInput = (info: OnnxModelInfo | null | undefined): OnnxTensorInfo | null => (info && info.inputs.length === 1 ? info.inputs[0]! : null);

function parseOutputs(raw: unknown): string[] | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!Array.isArray(raw)) throw fail('outputs', `expected an array of {"name": ...}, got ${describe(raw)}`);
  if (raw.length === 0) return undefined;
  const names: string[] = [];
  for (let i = 0; i < raw.length; i++) {
    const o: unknown = raw[i];
    if (!isObject(o)) throw fail(`outputs[${i}]`, `expected {"name": ...}, got ${describe(o)}`);
    const name = own(o, 'name');
    if (typeof name !== 'string') throw fail(`outputs[${i}].name`, `expected a string, got ${describe(name)}`);
    if (!(V2_OUTPUTS as readonly string[]).includes(name)) {
      throw fail(`outputs[${i}].name`, `unknown output ${describe(name)}; outputs are "label" and "probabilities" (classifiers) or "variable" (regressors)`);
    }
    if (names.includes(name)) throw fail(`outputs[${i}].name`, `output ${JSON.stringify(name)} is requested twice`);
    const params = own(o, 'parameters');
    if (params !== undefined && !isObject(params)) throw fail(`outputs[${i}].parameters`, `expected an object, got ${describe(params)}`);
    names.push(name);
  }
  return names;
}

/** Decodes a V2 inference request into a Frame of the model's columns (see the header for the layouts). */
export function decodeV2(body: unknown, inputs: RuntimeInput[], info?: OnnxModelInfo | null): Decoded {
  if (!isObject(body)) throw fail('', `the request body must be a JSON object {"inputs": [...]}, got ${describe(body)}`);
  const id = own(body, 'id');
  if (id !== undefined && typeof id !== 'string') throw fail('id', `expected a string, got ${describe(id)}`);
  const parameters = own(body, 'parameters');
  if (parameters !== undefined && !isObject(parameters)) throw fail('parameters', `expected an object, got ${describe(parameters)}`);
  const outputs = parseOutputs(own(body, 'outputs'));
  const rawInputs = own(body, 'inputs');
  if (!Array.isArray(rawInputs)) throw fail('inputs', `expected an array of input tensors, got ${describe(rawInputs)}`);
  if (rawInputs.length === 0) throw fail('inputs', 'no input tensors');
  if (rawInputs.length > Math.max(inputs.length, MAX_INFERRED_COLUMNS)) {
    throw fail('inputs', `${rawInputs.length} input tensors is more than the model reads`);
  }

  const tensors: Tensor[] = new Array(rawInputs.length);
  const seenNames = new Map<string, number>();
  for (let i = 0; i < rawInputs.length; i++) {
    const t = parseTensor(rawInputs[i], i);
    const prev = seenNames.get(t.name);
    if (prev !== undefined) throw fail(`inputs[${i}].name`, `input ${JSON.stringify(t.name)} is given twice (also inputs[${prev}])`);
    seenNames.set(t.name, i);
    tensors[i] = t;
  }

  const frame = inputs.length === 0 ? unknownColumns(tensors) : modelColumns(tensors, inputs, info);
  const decoded: Decoded = { frame };
  if (id !== undefined) decoded.id = id;
  if (outputs) decoded.outputs = outputs;
  if (parameters !== undefined) decoded.parameters = parameters;
  return decoded;
}

function modelColumns(tensors: Tensor[], inputs: RuntimeInput[], info: OnnxModelInfo | null | undefined) {
  const F = inputs.length;
  const matrix = matrixInput(info);
  const byName = new Map<string, number>();
  for (let k = 0; k < F; k++) byName.set(inputs[k]!.name, k);
  const first = tensors[0]!;

  if (matrix && tensors.length === 1 && first.name === matrix.name && !byName.has(first.name)) {
    // One [N, F] tensor whose columns are the model's columns in order.
    if (first.width !== F || (first.shape.length === 1 && F !== 1)) {
      throw fail(`${at(first)}.shape`, `expected [N, ${F}] for the model's ${F} columns (${quoteList(inputs.map((i) => i.name), 5)}), got ${JSON.stringify(first.shape)}`, {
        shape: first.shape,
      });
    }
    for (const input of inputs) checkDatatype(first, input);
    const sinks = sinksFor(inputs, first.rows);
    for (let k = 0; k < F; k++) fill(first, k, sinks[k]!, inputs[k]!.name);
    return frameOf(inputs, sinks, first.rows);
  }

  // One tensor per column.
  const order = new Array<Tensor | undefined>(F);
  let rows = -1;
  let rowsFrom = -1;
  for (const t of tensors) {
    const k = byName.get(t.name);
    if (k === undefined) {
      const hint = matrix && !byName.has(matrix.name) ? `, or one [N, ${F}] tensor named ${JSON.stringify(matrix.name)}` : '';
      throw fail(`${at(t)}.name`, `unknown input ${JSON.stringify(t.name)}; the model reads ${quoteList(inputs.map((i) => i.name))}${hint}`, {
        expected: inputs.map((i) => i.name),
      });
    }
    if (t.width !== 1) {
      throw fail(`${at(t)}.shape`, `expected [N] or [N, 1] for column ${JSON.stringify(t.name)}, got ${JSON.stringify(t.shape)}`, { shape: t.shape });
    }
    if (rows < 0) {
      rows = t.rows;
      rowsFrom = t.i;
    } else if (t.rows !== rows) {
      throw fail(`${at(t)}.shape`, `${t.rows} rows, but inputs[${rowsFrom}] has ${rows}`, { rows: t.rows, expected: rows });
    }
    checkDatatype(t, inputs[k]!);
    order[k] = t;
  }
  const missing = inputs.filter((_, k) => order[k] === undefined).map((i) => i.name);
  if (missing.length > 0) {
    throw fail('inputs', `missing ${missing.length === 1 ? 'input' : 'inputs'} ${quoteList(missing)} (one tensor per column the model reads)`, { missing });
  }
  const sinks = sinksFor(inputs, rows);
  for (let k = 0; k < F; k++) fill(order[k]!, 0, sinks[k]!, inputs[k]!.name);
  return frameOf(inputs, sinks, rows);
}

/** The model's columns are unknown: every [N] / [N, 1] tensor is a column, BYTES as text and the rest as numbers. */
function unknownColumns(tensors: Tensor[]) {
  const cols: RuntimeInput[] = [];
  let rows = -1;
  for (const t of tensors) {
    if (t.width !== 1) {
      throw fail(`${at(t)}.shape`, `a [N, F] tensor needs the model's column names, which this model does not declare; send one [N] tensor per column`, {
        shape: t.shape,
      });
    }
    if (rows < 0) rows = t.rows;
    else if (t.rows !== rows) throw fail(`${at(t)}.shape`, `${t.rows} rows, but inputs[0] has ${rows}`, { rows: t.rows, expected: rows });
    cols.push({ name: t.name, type: t.datatype === 'BYTES' ? 'string' : 'number' });
  }
  const sinks = sinksFor(cols, rows);
  for (let k = 0; k < cols.length; k++) fill(tensors[k]!, 0, sinks[k]!, cols[k]!.name);
  return frameOf(cols, sinks, rows);
}

// ---------------------------------------------------------------------------------------------------------------
// Responses

export interface V2Tensor {
  name: string;
  shape: number[];
  datatype: V2Datatype;
  data: (number | string | null)[];
}

export interface V2EncodeContext {
  modelName: string;
  modelVersion: string;
  id?: string;
  predictionIds: string[];
  outputs?: string[];
}

/**
 * The V2 response. Classifiers: `label` ([N], INT64 when every class is an integer, else BYTES; null where the
 * model gave no label) and `probabilities` (FP32 [N, C], class order as the model's; only when the model gives
 * them). Regressors: `variable` (FP64 [N, 1]). Missing values are null. Requested outputs are returned in request
 * order; one the model does not give is an INVALID_ARGUMENT naming it.
 */
export function encodeV2(p: Predictions, ctx: V2EncodeContext): unknown {
  const k = kindOf(p);
  const rows = p.rows;
  const available: string[] = k.kind === 'classifier' ? (p.proba ? ['label', 'probabilities'] : ['label']) : ['variable'];
  const names = ctx.outputs ?? available;
  const outputs: V2Tensor[] = new Array(names.length);
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    if (!available.includes(name)) {
      const why = name === 'probabilities' && k.kind === 'classifier' ? 'this classifier gives no probabilities' : `this model gives ${quoteList(available)}`;
      throw fail(`outputs[${i}].name`, `unknown output ${JSON.stringify(name)}: ${why}`, { available });
    }
    if (k.kind === 'regressor') {
      outputs[i] = { name, shape: [rows, 1], datatype: 'FP64', data: numbers(k.value, rows) };
    } else if (name === 'label') {
      const ints = integerClasses(k.classes);
      outputs[i] = { name, shape: [rows], datatype: ints ? 'INT64' : 'BYTES', data: labels(k.classes, k.labelIndex, rows, ints) };
    } else {
      const C = k.classes.length;
      outputs[i] = { name, shape: [rows, C], datatype: 'FP32', data: numbers(p.proba!, rows * C) };
    }
  }
  const response: Record<string, unknown> = { model_name: ctx.modelName, model_version: ctx.modelVersion };
  if (ctx.id !== undefined) response.id = ctx.id;
  response.parameters = { [V2_PREDICTION_IDS]: ctx.predictionIds.join(',') };
  response.outputs = outputs;
  return response;
}

// ---------------------------------------------------------------------------------------------------------------
// Metadata

const ELEM_DATATYPE: Record<string, V2Datatype> = {
  float: 'FP32',
  double: 'FP64',
  float16: 'FP16',
  int8: 'INT8',
  int16: 'INT16',
  int32: 'INT32',
  int64: 'INT64',
  uint8: 'UINT8',
  uint16: 'UINT16',
  uint32: 'UINT32',
  uint64: 'UINT64',
  bool: 'BOOL',
  string: 'BYTES',
};

export interface V2MetadataTensor {
  name: string;
  datatype: V2Datatype;
  shape: number[];
}

/** What the model returns, when it is not an ONNX model whose info says so. */
export interface V2ModelOutputs {
  /** Class labels for a classifier; null/absent for a regressor. */
  classes?: string[] | null;
  /** Whether a classifier gives probabilities. */
  probabilities?: boolean;
}

/**
 * Model metadata for `GET /v2/models/{name}[/versions/{v}]`. Inputs are listed one per model column ([-1]: the
 * per-column layout, which works for every model), typed from the ONNX input when known (FP64 otherwise, BYTES for
 * text). Outputs are those `encodeV2` returns; they are listed only when known (from the ONNX info, or `model`).
 */
export function v2Metadata(
  name: string,
  versions: string[],
  platform: string,
  inputs: RuntimeInput[],
  info?: OnnxModelInfo | null,
  model?: V2ModelOutputs,
): unknown {
  const single = matrixInput(info);
  const metaInputs: V2MetadataTensor[] = inputs.map((input) => {
    if (input.type === 'string') return { name: input.name, datatype: 'BYTES', shape: [-1] };
    const t = info?.inputs.find((x) => x.name === input.name) ?? single;
    const dt = t ? ELEM_DATATYPE[t.elemType] : undefined;
    return { name: input.name, datatype: dt && dt !== 'BYTES' ? dt : 'FP64', shape: [-1] };
  });

  let classes: string[] | null = model?.classes ?? null;
  let probabilities = model?.probabilities ?? false;
  let known = model !== undefined;
  if (!model && info) {
    known = true;
    const tensors = info.outputs.filter((o) => o.kind === 'tensor');
    const proba = tensors.find((o) => (o.name === 'probabilities' || o.name === 'output_probability') && (o.elemType === 'float' || o.elemType === 'double'));
    const label = tensors.find((o) => o.name === 'label' || o.name === 'output_label');
    probabilities = proba !== undefined;
    classes = info.classes;
    if (!classes && proba && typeof proba.shape?.[1] === 'number') classes = Array.from({ length: proba.shape[1] }, (_, i) => String(i));
    if (!classes && label) known = false; // a classifier whose labels cannot be read here
  }
  const outputs: V2MetadataTensor[] = [];
  if (known) {
    if (classes) {
      outputs.push({ name: 'label', datatype: integerClasses(classes) ? 'INT64' : 'BYTES', shape: [-1] });
      if (probabilities) outputs.push({ name: 'probabilities', datatype: 'FP32', shape: [-1, classes.length] });
    } else {
      outputs.push({ name: 'variable', datatype: 'FP64', shape: [-1, 1] });
    }
  }
  return { name, versions, platform, inputs: metaInputs, outputs };
}

/** For callers that want to check requested outputs before predicting. */
export function checkV2Outputs(requested: string[] | undefined, classifier: boolean, probabilities: boolean): void {
  if (!requested) return;
  const available = classifier ? (probabilities ? ['label', 'probabilities'] : ['label']) : ['variable'];
  requested.forEach((name, i) => {
    if (!available.includes(name)) throw fail(`outputs[${i}].name`, `unknown output ${JSON.stringify(name)}: this model gives ${quoteList(available)}`, { available });
  });
}
