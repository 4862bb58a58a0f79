/**
 * The gateway's wire protocols as pure functions: decode a parsed JSON body into a Frame for a `ModelRuntime`, and
 * encode its `Predictions` back. No HTTP here; the gateway routes call these.
 *
 *  - `v2`: the Open Inference Protocol / KServe V2 (`/v2/models/{name}/infer`)
 *  - `v1`: KServe V1 / TensorFlow Serving (`/v1/models/{name}:predict`)
 *  - `mlflow`: MLflow's scoring server (`/invocations`)
 *  - `records`: Slipway's own `{"records": [...]}`
 *
 * Every decoder throws only `SlipwayError` INVALID_ARGUMENT, naming the offending field (`details.field`).
 */
export { MAX_ROWS, MAX_INFERRED_COLUMNS, MAX_INFERRED_CELLS, type Decoded, type Protocol } from './common.js';
export { decodeV2, encodeV2, v2Metadata, checkV2Outputs, V2_OUTPUTS, V2_PREDICTION_IDS, type V2Datatype, type V2EncodeContext, type V2Tensor, type V2MetadataTensor, type V2ModelOutputs } from './v2.js';
export { decodeV1, encodeV1 } from './v1.js';
export { decodeMlflow, encodeMlflow } from './mlflow.js';
export { decodeRecords, encodeRecords, type RecordPrediction } from './records.js';
