/**
 * KServe's V1 data plane (the TensorFlow Serving REST API): `POST /v1/models/<name>:predict` with
 * `{"instances": [...]}`, answered with `{"predictions": [...]}` (kserve.github.io "Data Plane (V1)": "All
 * InferenceServices speak the Tensorflow V1 HTTP API"; the response payload "is not strictly enforced").
 *
 * Instances are rows: objects keyed by column, arrays in the model's feature order, or bare values for a one-column
 * model. TensorFlow Serving's columnar form `{"inputs": {column: [values...]}}` is accepted too, and `"inputs"` as a
 * list is the same as `"instances"` (KServe's V1 docs list both request shapes).
 */
import type { Predictions, RuntimeInput } from '../../runtimes/types.js';
import { describe, fail, fromColumns, fromInstances, integerClasses, isObject, kindOf, labels, numbers, own, type Decoded } from './common.js';

export function decodeV1(body: unknown, inputs: RuntimeInput[]): Decoded {
  if (!isObject(body)) throw fail('', `the request body must be a JSON object {"instances": [...]}, got ${describe(body)}`);
  const instances = own(body, 'instances');
  const columnar = own(body, 'inputs');
  if (instances !== undefined && columnar !== undefined) throw fail('inputs', 'give either "instances" or "inputs", not both');
  if (instances !== undefined) {
    if (!Array.isArray(instances)) throw fail('instances', `expected an array of instances, got ${describe(instances)}`);
    return { frame: fromInstances(instances, inputs, 'instances') };
  }
  if (columnar !== undefined) {
    if (Array.isArray(columnar)) return { frame: fromInstances(columnar, inputs, 'inputs') };
    if (isObject(columnar)) return { frame: fromColumns(columnar, inputs, 'inputs') };
    throw fail('inputs', `expected an object of columns or an array of instances, got ${describe(columnar)}`);
  }
  throw fail('instances', 'missing: the body must be {"instances": [...]}');
}

/**
 * `{ predictions: [...], prediction_ids: [...] }`: one prediction per row — the class label for a classifier (a
 * number when every class is an integer, as scikit-learn models answer), the value for a regressor; null where there
 * is none. The prediction ids ride along as an extra key, which V1 clients ignore.
 */
export function encodeV1(p: Predictions, predictionIds: string[]): unknown {
  const k = kindOf(p);
  const predictions = k.kind === 'classifier' ? labels(k.classes, k.labelIndex, p.rows, integerClasses(k.classes)) : numbers(k.value, p.rows);
  return { predictions, prediction_ids: predictionIds };
}
