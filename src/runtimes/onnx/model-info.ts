/**
 * Reads an ONNX model's signature from its ModelProto bytes (no session needed): graph inputs and outputs with
 * element types and shapes (symbolic dims kept as their names), `metadata_props`, the feature names recorded under
 * `slipway.features`, and — for classifiers — the class labels of the LinearClassifier / TreeEnsembleClassifier /
 * SVMClassifier node. Also renders it as an MLflow-style signature so bare `.onnx` files can be registered with one.
 */
import { invalid } from '../../core/errors.js';
import { decodeUtf8, elemTypeName, FEATURES_KEY, onnx, toNumber, type IValueInfoProto } from './proto.js';

export interface OnnxTensorInfo {
  name: string;
  /** `tensor` for tensors; `sequence`, `map`, `optional`, `sparse_tensor` or `unknown` otherwise (e.g. a ZipMap output). */
  kind: 'tensor' | 'sequence' | 'map' | 'optional' | 'sparse_tensor' | 'unknown';
  /** Element type as onnxruntime names it (`float`, `int64`, `string`, …); `undefined` when not a tensor. */
  elemType: string;
  /** Dimensions: a number when fixed, the symbol's name when symbolic, null when unnamed/unknown; null when the rank is unknown. */
  shape: (number | string | null)[] | null;
}

export interface OnnxModelInfo {
  irVersion: number;
  producerName: string;
  producerVersion: string;
  /** Opset per domain (`''` is the default domain). */
  opsets: Record<string, number>;
  inputs: OnnxTensorInfo[];
  outputs: OnnxTensorInfo[];
  metadata: Record<string, string>;
  /** From the `slipway.features` metadata entry, when present and valid. */
  features: string[] | null;
  /** Class labels, as strings, in model order; null for non-classifiers. */
  classes: string[] | null;
  /** Type of the class labels in the model. */
  classLabelType: 'int64' | 'string' | null;
  /** The operator the class labels came from (e.g. `TreeEnsembleClassifier`). */
  classifierOp: string | null;
}

const CLASSIFIER_OPS = new Set(['LinearClassifier', 'TreeEnsembleClassifier', 'SVMClassifier', 'TreeEnsemble']);

function valueInfo(v: IValueInfoProto): OnnxTensorInfo {
  const name = v.name ?? '';
  const t = v.type;
  if (t?.tensorType) {
    const dims = t.tensorType.shape?.dim;
    const shape = t.tensorType.shape
      ? (dims ?? []).map((d) => {
          if (d.dimParam) return d.dimParam;
          // Decoded messages hold only the fields present as own properties (defaults live on the prototype).
          if (Object.prototype.hasOwnProperty.call(d, 'dimValue') && d.dimValue !== null && d.dimValue !== undefined) {
            const n = toNumber(d.dimValue);
            return Number.isFinite(n) ? n : null;
          }
          return null;
        })
      : null;
    return { name, kind: 'tensor', elemType: elemTypeName(t.tensorType.elemType ?? 0), shape };
  }
  const kind = t?.sequenceType ? 'sequence' : t?.mapType ? 'map' : t?.optionalType ? 'optional' : t?.sparseTensorType ? 'sparse_tensor' : 'unknown';
  return { name, kind, elemType: 'undefined', shape: null };
}

/** Parses ModelProto bytes; throws `invalid` ("not an ONNX model: …") when they are not one. */
export function readOnnxModelInfo(bytes: Uint8Array): OnnxModelInfo {
  let model: InstanceType<typeof onnx.ModelProto>;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw invalid(`not an ONNX model: ${(e as Error).message}`);
  }
  const graph = model.graph;
  // Protobuf decodes almost any short byte string into *something*; a model needs a graph and an IR version.
  if (!graph || !model.irVersion || toNumber(model.irVersion) <= 0) {
    throw invalid(`not an ONNX model: ${bytes.length} bytes with no graph or IR version`);
  }
  const opsets: Record<string, number> = {};
  for (const o of model.opsetImport ?? []) opsets[o.domain ?? ''] = toNumber(o.version);

  const metadata: Record<string, string> = {};
  for (const p of model.metadataProps ?? []) if (p.key) metadata[p.key] = p.value ?? '';
  let features: string[] | null = null;
  const raw = metadata[FEATURES_KEY];
  if (raw !== undefined) {
    try {
      const parsed: unknown = JSON.parse(raw);
      if (Array.isArray(parsed) && parsed.length > 0 && parsed.every((f) => typeof f === 'string')) features = parsed as string[];
    } catch {
      features = null;
    }
  }

  // Initializers may be listed as graph inputs (IR < 4 style); they are not inputs a caller feeds.
  const initializers = new Set((graph.initializer ?? []).map((t) => t.name ?? ''));
  const inputs = (graph.input ?? []).filter((v) => !initializers.has(v.name ?? '')).map(valueInfo);
  const outputs = (graph.output ?? []).map(valueInfo);

  let classes: string[] | null = null;
  let classLabelType: OnnxModelInfo['classLabelType'] = null;
  let classifierOp: string | null = null;
  for (const node of graph.node ?? []) {
    if (!CLASSIFIER_OPS.has(node.opType ?? '') || (node.domain ?? '') !== 'ai.onnx.ml') continue;
    for (const a of node.attribute ?? []) {
      if (a.name === 'classlabels_strings' && a.strings && a.strings.length > 0) {
        classes = a.strings.map(decodeUtf8);
        classLabelType = 'string';
      } else if ((a.name === 'classlabels_int64s' || a.name === 'classlabels_ints') && a.ints && a.ints.length > 0) {
        classes = a.ints.map((i) => String(toNumber(i)));
        classLabelType = 'int64';
      }
    }
    if (classes) {
      classifierOp = node.opType ?? null;
      break;
    }
  }

  return {
    irVersion: toNumber(model.irVersion),
    producerName: model.producerName ?? '',
    producerVersion: model.producerVersion ?? '',
    opsets,
    inputs,
    outputs,
    metadata,
    features,
    classes,
    classLabelType,
    classifierOp,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// MLflow signatures

/** ONNX element type → numpy dtype name, as MLflow tensor specs write it. */
const NUMPY_DTYPE: Record<string, string> = {
  float: 'float32',
  double: 'float64',
  int64: 'int64',
  int32: 'int32',
  int16: 'int16',
  int8: 'int8',
  uint8: 'uint8',
  uint16: 'uint16',
  uint32: 'uint32',
  uint64: 'uint64',
  bool: 'bool',
  string: 'str',
  float16: 'float16',
};

/** ONNX element type → MLflow column type. */
const COLUMN_TYPE: Record<string, string> = {
  float: 'float',
  double: 'double',
  int64: 'long',
  int32: 'integer',
  int16: 'integer',
  int8: 'integer',
  uint8: 'integer',
  bool: 'boolean',
  string: 'string',
};

function tensorSpec(t: OnnxTensorInfo): Record<string, unknown> {
  return {
    type: 'tensor',
    'tensor-spec': { dtype: NUMPY_DTYPE[t.elemType] ?? t.elemType, shape: (t.shape ?? []).map((d) => (typeof d === 'number' ? d : -1)) },
    name: t.name,
  };
}

/** True when this input is one feature per column: `[N, 1]` or `[N]`. */
const isPerFeature = (t: OnnxTensorInfo): boolean => t.kind === 'tensor' && t.shape !== null && (t.shape.length === 1 || (t.shape.length === 2 && t.shape[1] === 1));

/**
 * The model's signature in MLflow's MLmodel form: `{ inputs: "<json array>", outputs: "<json array>" }`.
 * Inputs are column specs when the feature names are known — one per-feature input each, or a single `[N, F]`
 * tensor whose F matches the `slipway.features` metadata — and tensor specs otherwise. Outputs are tensor specs.
 */
export function mlflowSignatureOf(info: OnnxModelInfo): { inputs: string; outputs: string } {
  let inputs: Record<string, unknown>[];
  const single = info.inputs.length === 1 ? info.inputs[0] : undefined;
  const width = single?.shape?.length === 2 ? single.shape[1] : undefined;
  if (single && info.features && single.shape?.length === 2 && (width === info.features.length || width === null)) {
    const type = COLUMN_TYPE[single.elemType] ?? 'double';
    inputs = info.features.map((name) => ({ type, name, required: true }));
  } else if (info.inputs.length > 0 && info.inputs.every(isPerFeature)) {
    inputs = info.inputs.map((t) => ({ type: COLUMN_TYPE[t.elemType] ?? 'double', name: t.name, required: true }));
  } else {
    inputs = info.inputs.map(tensorSpec);
  }
  return { inputs: JSON.stringify(inputs), outputs: JSON.stringify(info.outputs.map(tensorSpec)) };
}
