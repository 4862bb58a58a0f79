/**
 * MLflow's scoring server protocol (`mlflow models serve`, `POST /invocations`), as implemented in mlflow/mlflow
 * `mlflow/pyfunc/scoring_server/__init__.py` and `mlflow/utils/proto_json_utils.py`:
 *
 *  - the JSON body is an object with exactly one of `dataframe_split`, `dataframe_records`, `instances`, `inputs`
 *    ("The input must be a JSON dictionary with exactly one of the input fields ..."), plus optional `params`;
 *  - `dataframe_split` is pandas' split orient `{columns, data, index?}`; `dataframe_records` is pandas' records
 *    orient (a list of objects; a key absent from a record is missing there, as pandas makes it NaN);
 *  - `instances` / `inputs` follow TF Serving (`parse_tf_serving_input`): a list of objects is converted to columns,
 *    a dict is already columns `{column: [values...]}`, and a plain list for a one-column signature is that column;
 *    a list of lists is taken as rows in the model's feature order;
 *  - the answer is `{"predictions": ...}` (`predictions_to_json`).
 */
import type { Frame } from '../../runtimes/frame.js';
import type { Predictions, RuntimeInput } from '../../runtimes/types.js';
import {
  checkRows,
  describe,
  fail,
  fromColumns,
  fromInstances,
  fromRecords,
  frameOf,
  integerClasses,
  isObject,
  kindOf,
  labels,
  numbers,
  own,
  quoteList,
  badValue,
  checkInferredSize,
  inferColumns,
  sinksFor,
  store,
  type Decoded,
} from './common.js';

const FORMATS = ['dataframe_split', 'dataframe_records', 'instances', 'inputs'] as const;

function fromSplit(split: unknown, inputs: RuntimeInput[]): Frame {
  const base = 'dataframe_split';
  if (!isObject(split)) throw fail(base, `expected {"columns": [...], "data": [[...], ...]}, got ${describe(split)}`);
  const columns = own(split, 'columns');
  const data = own(split, 'data');
  if (!Array.isArray(columns)) throw fail(`${base}.columns`, `expected an array of column names, got ${describe(columns)}`);
  if (!Array.isArray(data)) throw fail(`${base}.data`, `expected an array of rows, got ${describe(data)}`);
  const position = new Map<string, number>();
  for (let c = 0; c < columns.length; c++) {
    const name: unknown = columns[c];
    if (typeof name !== 'string') throw fail(`${base}.columns[${c}]`, `expected a column name (a string), got ${describe(name)}`);
    if (position.has(name)) throw fail(`${base}.columns[${c}]`, `column ${JSON.stringify(name)} is given twice`);
    position.set(name, c);
  }
  const rows = data.length;
  checkRows(rows, `${base}.data`);
  const W = columns.length;
  for (let r = 0; r < rows; r++) {
    const row: unknown = data[r];
    if (!Array.isArray(row) || row.length !== W) {
      throw fail(`${base}.data[${r}]`, `expected an array of ${W} values (one per column), got ${Array.isArray(row) ? `${row.length} values` : describe(row)}`);
    }
  }
  const cols = inputs;
  if (inputs.length === 0) {
    // Unknown model columns: take the request's, in its order, typed by their values.
    checkInferredSize(W, rows, base);
    const values = (columns as string[]).map((_, c) => {
      const v = new Array<unknown>(rows);
      for (let r = 0; r < rows; r++) v[r] = (data[r] as unknown[])[c];
      return v;
    });
    return inferColumns(columns as string[], values, rows, (r, name) => `${base}.data[${r}][${position.get(name)!}]`);
  }
  const missing = cols.filter((i) => !position.has(i.name)).map((i) => i.name);
  if (missing.length > 0) {
    const wanted = new Set(cols.map((i) => i.name));
    const unused = (columns as string[]).filter((c) => !wanted.has(c));
    throw fail(
      `${base}.columns`,
      `missing ${missing.length === 1 ? 'column' : 'columns'} ${quoteList(missing)}` +
        (unused.length > 0 ? `; columns the model does not read (renamed?): ${quoteList(unused)}` : ''),
      { missing, unused },
    );
  }
  const sinks = sinksFor(cols, rows);
  for (let i = 0; i < cols.length; i++) {
    const c = position.get(cols[i]!.name)!;
    const s = sinks[i]!;
    for (let r = 0; r < rows; r++) {
      const v = (data[r] as unknown[])[c];
      if (!store(s, r, v)) throw badValue(`${base}.data[${r}][${c}]`, cols[i]!, v, true);
    }
  }
  return frameOf(cols, sinks, rows);
}

export function decodeMlflow(body: unknown, inputs: RuntimeInput[]): Decoded {
  if (!isObject(body)) {
    throw fail('', `the request body must be a JSON object with exactly one of ${quoteList([...FORMATS])}, got ${describe(body)}`);
  }
  const given = FORMATS.filter((f) => own(body, f) !== undefined);
  if (given.length !== 1) {
    const keys = Object.keys(body);
    throw fail(given.length === 0 ? '' : given[1]!, `the body must have exactly one of ${quoteList([...FORMATS])}; it has ${keys.length > 0 ? quoteList(keys) : 'no keys'}`, {
      keys: keys.slice(0, 20),
    });
  }
  const format = given[0]!;
  const params = own(body, 'params');
  if (params !== undefined && params !== null && !isObject(params)) throw fail('params', `expected an object, got ${describe(params)}`);
  const value = own(body, format);
  let frame: Frame;
  switch (format) {
    case 'dataframe_split':
      frame = fromSplit(value, inputs);
      break;
    case 'dataframe_records':
      if (!Array.isArray(value)) throw fail(format, `expected an array of records, got ${describe(value)}`);
      frame = fromRecords(value, inputs, format);
      break;
    default:
      if (Array.isArray(value)) frame = fromInstances(value, inputs, format);
      else if (isObject(value)) frame = fromColumns(value, inputs, format);
      else throw fail(format, `expected an array of instances or an object of columns, got ${describe(value)}`);
  }
  return isObject(params) ? { frame, parameters: params } : { frame };
}

/**
 * `{ predictions: [...] }`, one per row: the class label for a classifier (a number when every class is an integer,
 * as a scikit-learn pyfunc answers), the value for a regressor; null where there is none. This is what
 * `src/runtimes/http.ts` reads back.
 */
export function encodeMlflow(p: Predictions): unknown {
  const k = kindOf(p);
  return { predictions: k.kind === 'classifier' ? labels(k.classes, k.labelIndex, p.rows, integerClasses(k.classes)) : numbers(k.value, p.rows) };
}
