/**
 * Slipway's own JSON protocol, the simplest to call by hand: `{"records": [{column: value, ...}, ...]}`, a bare array
 * of records, or one record object; answered with one object per row:
 * `{"predictions": [{"id", "label"?, "probabilities"?: {class: p}, "value"?}, ...]}`.
 */
import type { Predictions, RuntimeInput } from '../../runtimes/types.js';
import { describe, fail, fromRecords, isObject, kindOf, own, setKey, type Decoded } from './common.js';

export function decodeRecords(body: unknown, inputs: RuntimeInput[]): Decoded {
  if (Array.isArray(body)) return { frame: fromRecords(body, inputs, '') };
  if (!isObject(body)) throw fail('', `the request body must be {"records": [...]}, an array of records or one record, got ${describe(body)}`);
  const records = own(body, 'records');
  // A "records" array is the wrapper (a record's own values are never arrays); anything else is one record.
  if (Array.isArray(records)) return { frame: fromRecords(records, inputs, 'records') };
  return { frame: fromRecords([body], inputs, '', true) };
}

export interface RecordPrediction {
  id: string | null;
  label?: string | null;
  probabilities?: Record<string, number | null>;
  value?: number | null;
}

/** One object per row; missing values (NaN) and rows without a label are null. */
export function encodeRecords(p: Predictions, predictionIds: string[]): unknown {
  const k = kindOf(p);
  const rows = p.rows;
  const out = new Array<RecordPrediction>(rows);
  if (k.kind === 'regressor') {
    for (let r = 0; r < rows; r++) {
      const v = k.value[r]!;
      out[r] = { id: predictionIds[r] ?? null, value: Number.isFinite(v) ? v : null };
    }
    return { predictions: out };
  }
  const { classes, labelIndex } = k;
  const C = classes.length;
  const proba = p.proba;
  for (let r = 0; r < rows; r++) {
    const i = labelIndex[r]!;
    const row: RecordPrediction = { id: predictionIds[r] ?? null, label: i >= 0 && i < C ? classes[i]! : null };
    if (proba) {
      const probabilities: Record<string, number | null> = {};
      for (let c = 0, o = r * C; c < C; c++) {
        const v = proba[o + c]!;
        setKey(probabilities, classes[c]!, Number.isFinite(v) ? v : null);
      }
      row.probabilities = probabilities;
    }
    out[r] = row;
  }
  return { predictions: out };
}
