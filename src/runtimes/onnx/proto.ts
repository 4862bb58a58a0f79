/**
 * The one place that imports `onnx-proto` (CommonJS, protobufjs-generated) and the small helpers both the builder
 * and the model-info reader need.
 */
import pkg from 'onnx-proto';

export const { onnx } = pkg;
// Re-exported so callers can name the proto types without importing onnx-proto themselves.
export type OnnxNamespace = typeof onnx;

export const DataType = onnx.TensorProto.DataType;
export const AttributeType = onnx.AttributeProto.AttributeType;

/** Default-domain and `ai.onnx.ml` opsets the builder writes, and the IR version that goes with them (ONNX 1.12). */
export const DEFAULT_OPSET = 17;
export const ML_OPSET = 3;
export const IR_VERSION = 8;

/** Metadata key under which a model records its feature names, as a JSON array of strings. */
export const FEATURES_KEY = 'slipway.features';

/** protobufjs decodes int64 fields as `Long` objects (the `long` package is installed) or as numbers. */
export function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v !== null && typeof v === 'object' && 'toNumber' in v && typeof (v as { toNumber: unknown }).toNumber === 'function') {
    return (v as { toNumber(): number }).toNumber();
  }
  if (typeof v === 'string') return Number(v);
  return NaN;
}

const utf8 = new TextDecoder();
export const decodeUtf8 = (b: Uint8Array): string => utf8.decode(b);

/** ONNX tensor element type number → the lower-case name onnxruntime uses for tensors (`float`, `int64`, …). */
export function elemTypeName(t: number): string {
  switch (t) {
    case DataType.FLOAT:
      return 'float';
    case DataType.DOUBLE:
      return 'double';
    case DataType.INT64:
      return 'int64';
    case DataType.INT32:
      return 'int32';
    case DataType.INT16:
      return 'int16';
    case DataType.INT8:
      return 'int8';
    case DataType.UINT8:
      return 'uint8';
    case DataType.UINT16:
      return 'uint16';
    case DataType.UINT32:
      return 'uint32';
    case DataType.UINT64:
      return 'uint64';
    case DataType.STRING:
      return 'string';
    case DataType.BOOL:
      return 'bool';
    case DataType.FLOAT16:
      return 'float16';
    case DataType.BFLOAT16:
      return 'bfloat16';
    default:
      return 'undefined';
  }
}

export type IValueInfoProto = import('onnx-proto').onnx.IValueInfoProto;
export type INodeProto = import('onnx-proto').onnx.INodeProto;
export type IAttributeProto = import('onnx-proto').onnx.IAttributeProto;
