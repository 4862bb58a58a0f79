/**
 * What every wire protocol shares: the request row cap, error construction with a precise `field`, and turning
 * JSON rows (records keyed by column, arrays in feature order, bare values for a one-column model, or columnar
 * objects) into the runtime's columnar `Frame`.
 *
 * Rules common to all protocols:
 *  - Numbers travel as JSON numbers; `null` (JSON has no NaN) or an absent key is a missing value (NaN in a number
 *    column, null in a text column). Booleans count as 1/0 for number columns. Text is never parsed into numbers:
 *    `"3.5"` for a number column is an error, so a client bug is reported rather than guessed around.
 *  - Text columns take strings; numbers and booleans are written as strings (`7` → `"7"`), since categories are
 *    often numeric codes.
 *  - Keys the model does not read are ignored (callers often send an id or the label along). A column absent from
 *    every row is an error; absent from some rows it is missing there (pandas semantics for record lists — and what
 *    `JSON.stringify` makes of a JavaScript `undefined`).
 *  - When the model's inputs are unknown (`inputs` empty: an HTTP model server without a signature) every key
 *    becomes a column, a number column when all its values are numbers/booleans/null, text otherwise.
 *  - Errors are `invalid(...)` (INVALID_ARGUMENT) whose message starts with the offending field's JSON path and
 *    whose details carry it as `field`. Nothing here recurses into the request, so deep nesting cannot overflow the
 *    stack, and no property is read from an object's prototype.
 */
import { invalid, invalidState, type SlipwayError } from '../../core/errors.js';
import type { Column, Frame } from '../../runtimes/frame.js';
import type { Predictions, RuntimeInput } from '../../runtimes/types.js';

/** Most rows one request may carry; bigger batches should be split (or go through batch scoring). */
export const MAX_ROWS = 100_000;
/** Most columns a request may introduce when the model's inputs are unknown. */
export const MAX_INFERRED_COLUMNS = 2_000;
/** Most cells (rows × columns) a request may introduce when the model's inputs are unknown. */
export const MAX_INFERRED_CELLS = 10_000_000;

export type Protocol = 'v2' | 'v1' | 'mlflow' | 'records';

/** Decoded request: rows as a Frame for the runtime, plus what the response needs (request id, requested outputs, parameters). */
export interface Decoded {
  frame: Frame;
  /** V2 request id, to echo. */
  id?: string;
  /** V2 requested output names, in request order (absent: all outputs). */
  outputs?: string[];
  /** V2 request `parameters`, or MLflow `params`, as given (an object). */
  parameters?: Record<string, unknown>;
}

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A short description of a JSON value for messages; never serialises containers (they may be huge or deep). */
export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'nothing';
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v);
    case 'number':
    case 'boolean':
      return String(v);
    case 'object':
      return Array.isArray(v) ? `an array` : 'an object';
    default:
      return `a ${typeof v}`;
  }
}

/** `invalid` with the field's path leading the message and in the details. */
export function fail(field: string, message: string, details?: Record<string, unknown>): SlipwayError {
  return invalid(field ? `${field}: ${message}` : message, { field, ...details });
}

const IDENT = /^[A-Za-z_$][\w$]*$/;
/** JSON path of `key` under `base`: `base.key`, or `base["odd key"]`. */
export function prop(base: string, key: string): string {
  if (IDENT.test(key)) return base ? `${base}.${key}` : key;
  return `${base}[${JSON.stringify(key.length > 60 ? key.slice(0, 60) + '…' : key)}]`;
}

export const quoteList = (names: string[], max = 10): string =>
  names
    .slice(0, max)
    .map((n) => JSON.stringify(n))
    .join(', ') + (names.length > max ? `, … (${names.length - max} more)` : '');

export function checkRows(rows: number, field: string): void {
  if (rows > MAX_ROWS) {
    throw fail(field, `${rows} rows in one request; the limit is ${MAX_ROWS}, so split the request`, { rows, limit: MAX_ROWS });
  }
}

/** An own property (JSON objects have no inherited data, but `o.constructor` would find Object's). */
export function own(o: Record<string, unknown>, key: string): unknown {
  const v = o[key];
  if (v === undefined || typeof v === 'number' || typeof v === 'string') return v;
  return Object.hasOwn(o, key) ? v : undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Values and columns

/** A column's values while decoding: a Float64Array for a number column, strings for a text column. */
export type Sink = Float64Array | (string | null)[];

export function sinksFor(inputs: RuntimeInput[], rows: number): Sink[] {
  const sinks: Sink[] = new Array(inputs.length);
  for (let i = 0; i < inputs.length; i++) {
    sinks[i] = inputs[i]!.type === 'number' ? new Float64Array(rows) : new Array<string | null>(rows).fill(null);
  }
  return sinks;
}

export function frameOf(inputs: RuntimeInput[], sinks: Sink[], rows: number): Frame {
  const columns = new Map<string, Column>();
  for (let i = 0; i < inputs.length; i++) {
    const s = sinks[i]!;
    columns.set(inputs[i]!.name, s instanceof Float64Array ? { kind: 'number', values: s } : { kind: 'string', values: s });
  }
  return { rows, columns };
}

/** Stores `v` at `row`; false when it cannot be a value of the column (the caller throws with its field). */
export function store(sink: Sink, row: number, v: unknown): boolean {
  if (sink instanceof Float64Array) {
    if (typeof v === 'number') {
      if (!Number.isFinite(v) && !Number.isNaN(v)) return false;
      sink[row] = v;
    } else if (v === null || v === undefined) sink[row] = NaN;
    else if (typeof v === 'boolean') sink[row] = v ? 1 : 0;
    else return false;
    return true;
  }
  if (typeof v === 'string') sink[row] = v;
  else if (v === null || v === undefined) sink[row] = null;
  else if (typeof v === 'number') {
    if (Number.isNaN(v)) sink[row] = null;
    else if (Number.isFinite(v)) sink[row] = String(v);
    else return false;
  } else if (typeof v === 'boolean') sink[row] = String(v);
  else return false;
  return true;
}

export function badValue(field: string, input: RuntimeInput, v: unknown, positional: boolean): SlipwayError {
  const what = input.type === 'number' ? 'a number' : 'a string';
  const hint = input.type === 'number' && typeof v === 'string' ? ' (numbers must be JSON numbers, not text)' : '';
  return fail(field, `expected ${what}${positional ? ` for column ${JSON.stringify(input.name)}` : ''}, got ${describe(v)}${hint}`, {
    column: input.name,
  });
}

const rowField = (base: string, single: boolean, r: number) => (single ? base : `${base}[${r}]`);

/** Types for columns seen only in the request: numbers when every value is a number/boolean/null. */
export function inferColumns(names: string[], values: unknown[][], rows: number, fieldOf: (r: number, name: string) => string): Frame {
  const columns = new Map<string, Column>();
  for (let k = 0; k < names.length; k++) {
    const name = names[k]!;
    const vals = values[k]!;
    let numeric = true;
    for (let r = 0; r < rows; r++) {
      const v = vals[r];
      if (typeof v === 'string') numeric = false;
      else if (v !== null && v !== undefined && typeof v !== 'number' && typeof v !== 'boolean') {
        throw fail(fieldOf(r, name), `expected a number or a string, got ${describe(v)}`, { column: name });
      }
    }
    const sink: Sink = numeric ? new Float64Array(rows) : new Array<string | null>(rows).fill(null);
    for (let r = 0; r < rows; r++) {
      if (!store(sink, r, vals[r])) throw fail(fieldOf(r, name), `expected a finite number, got ${describe(vals[r])}`, { column: name });
    }
    columns.set(name, sink instanceof Float64Array ? { kind: 'number', values: sink } : { kind: 'string', values: sink });
  }
  return { rows, columns };
}

export function checkInferredSize(columns: number, rows: number, field: string): void {
  if (columns > MAX_INFERRED_COLUMNS || columns * rows > MAX_INFERRED_CELLS) {
    throw fail(field, `${columns} columns × ${rows} rows is more than a request may carry for a model whose inputs are unknown`, {
      columns,
      rows,
    });
  }
}

function missingColumns(inputs: RuntimeInput[], seen: Uint8Array, field: string, present: () => string[]): SlipwayError | null {
  const missing: string[] = [];
  for (let i = 0; i < inputs.length; i++) if (!seen[i]) missing.push(inputs[i]!.name);
  if (missing.length === 0) return null;
  const wanted = new Set(inputs.map((i) => i.name));
  const unused = present().filter((k) => !wanted.has(k));
  return fail(
    field,
    `missing ${missing.length === 1 ? 'column' : 'columns'} ${quoteList(missing)}` +
      (unused.length > 0 ? `; keys the model does not read (renamed?): ${quoteList(unused)}` : ''),
    { missing, unused },
  );
}

/**
 * Records (objects keyed by column). `base` is the array's path; with `single` the one record is `base` itself.
 */
export function fromRecords(records: unknown[], inputs: RuntimeInput[], base: string, single = false): Frame {
  const rows = records.length;
  checkRows(rows, base);
  for (let r = 0; r < rows; r++) {
    const rec = records[r];
    if (!isObject(rec)) throw fail(rowField(base, single, r), `expected a record (an object keyed by column), got ${describe(rec)}`);
  }
  const recs = records as Record<string, unknown>[];
  if (inputs.length === 0) {
    const index = new Map<string, number>();
    const names: string[] = [];
    for (let r = 0; r < rows; r++) {
      for (const key of Object.keys(recs[r]!)) {
        if (!index.has(key)) {
          index.set(key, names.length);
          names.push(key);
          if (names.length > MAX_INFERRED_COLUMNS) checkInferredSize(names.length, rows, base);
        }
      }
    }
    checkInferredSize(names.length, rows, base);
    const values = names.map(() => new Array<unknown>(rows).fill(null));
    for (let r = 0; r < rows; r++) {
      const rec = recs[r]!;
      for (const key of Object.keys(rec)) values[index.get(key)!]![r] = rec[key];
    }
    return inferColumns(names, values, rows, (r, name) => prop(rowField(base, single, r), name));
  }
  const F = inputs.length;
  const sinks = sinksFor(inputs, rows);
  const seen = new Uint8Array(F);
  for (let r = 0; r < rows; r++) {
    const rec = recs[r]!;
    for (let i = 0; i < F; i++) {
      const name = inputs[i]!.name;
      const v = own(rec, name);
      if (v !== undefined) seen[i] = 1;
      if (!store(sinks[i]!, r, v)) throw badValue(prop(rowField(base, single, r), name), inputs[i]!, v, false);
    }
  }
  if (rows > 0) {
    const e = missingColumns(inputs, seen, rowField(base, single, 0), () => Object.keys(recs[0]!));
    if (e) throw e;
  }
  return frameOf(inputs, sinks, rows);
}

/** Rows as arrays of values in the model's feature order. */
export function fromRows(rowsIn: unknown[], inputs: RuntimeInput[], base: string): Frame {
  const rows = rowsIn.length;
  checkRows(rows, base);
  if (inputs.length === 0) {
    throw fail(`${base}[0]`, 'rows given as arrays need the model\'s column names, which this model does not declare; send objects keyed by column');
  }
  const F = inputs.length;
  const sinks = sinksFor(inputs, rows);
  for (let r = 0; r < rows; r++) {
    const row = rowsIn[r];
    if (!Array.isArray(row) || row.length !== F) {
      const got = Array.isArray(row) ? `${row.length} values` : describe(row);
      throw fail(`${base}[${r}]`, `expected an array of ${F} values (columns ${quoteList(inputs.map((i) => i.name), 5)}), got ${got}`);
    }
    for (let i = 0; i < F; i++) {
      const v: unknown = row[i];
      if (!store(sinks[i]!, r, v)) throw badValue(`${base}[${r}][${i}]`, inputs[i]!, v, true);
    }
  }
  return frameOf(inputs, sinks, rows);
}

/** Bare values, one per row, for a model that reads one column. */
export function fromValues(values: unknown[], inputs: RuntimeInput[], base: string): Frame {
  const rows = values.length;
  checkRows(rows, base);
  if (inputs.length !== 1) {
    const n = inputs.length === 0 ? 'unknown columns' : `${inputs.length} columns`;
    throw fail(`${base}[0]`, `bare values are rows of a one-column model, but this model reads ${n}; send objects keyed by column`);
  }
  const sinks = sinksFor(inputs, rows);
  for (let r = 0; r < rows; r++) {
    const v = values[r];
    if (!store(sinks[0]!, r, v)) throw badValue(`${base}[${r}]`, inputs[0]!, v, true);
  }
  return frameOf(inputs, sinks, rows);
}

/** A list of instances, each an object (record), an array (row in feature order) or a bare value; decided by the first. */
export function fromInstances(items: unknown[], inputs: RuntimeInput[], base: string): Frame {
  const first = items[0];
  if (Array.isArray(first)) return fromRows(items, inputs, base);
  if (isObject(first) || items.length === 0) return fromRecords(items, inputs, base);
  return fromValues(items, inputs, base);
}

/**
 * Columnar data: `{ column: [values...] }` with equally long arrays, or `{ column: value }` (all scalars) for one row.
 */
export function fromColumns(obj: Record<string, unknown>, inputs: RuntimeInput[], base: string): Frame {
  const keys = Object.keys(obj);
  // Arrays of values (columns) or scalars (one row), decided by the keys the model reads (all keys when unknown).
  const relevant = inputs.length > 0 ? inputs.map((i) => i.name).filter((n) => own(obj, n) !== undefined) : keys;
  let arrays = 0;
  for (const k of relevant) if (Array.isArray(obj[k])) arrays++;
  if (arrays > 0 && arrays < relevant.length) {
    const k = relevant.find((key) => !Array.isArray(obj[key]))!;
    throw fail(prop(base, k), `expected an array of values like the other columns, got ${describe(obj[k])}`);
  }
  if (arrays === 0) return fromRecords([obj], inputs, base, true);

  const names = inputs.length > 0 ? inputs.map((i) => i.name) : keys;
  let rows = -1;
  let rowsFrom = '';
  const lists: unknown[][] = [];
  const missing: string[] = [];
  for (const name of names) {
    const list = own(obj, name);
    if (list === undefined) {
      missing.push(name);
      lists.push([]);
      continue;
    }
    const l = list as unknown[];
    if (rows < 0) {
      rows = l.length;
      rowsFrom = name;
      checkRows(rows, prop(base, name));
    } else if (l.length !== rows) {
      throw fail(prop(base, name), `${l.length} values, but column ${JSON.stringify(rowsFrom)} has ${rows}`, { rows: l.length, expected: rows });
    }
    lists.push(l);
  }
  if (missing.length > 0) {
    const wanted = new Set(names);
    const unused = keys.filter((k) => !wanted.has(k));
    throw fail(
      base,
      `missing ${missing.length === 1 ? 'column' : 'columns'} ${quoteList(missing)}` +
        (unused.length > 0 ? `; keys the model does not read (renamed?): ${quoteList(unused)}` : ''),
      { missing, unused },
    );
  }
  if (rows < 0) rows = 0;
  if (inputs.length === 0) {
    checkInferredSize(names.length, rows, base);
    return inferColumns(names, lists, rows, (r, name) => `${prop(base, name)}[${r}]`);
  }
  const sinks = sinksFor(inputs, rows);
  for (let i = 0; i < inputs.length; i++) {
    const l = lists[i]!;
    const s = sinks[i]!;
    for (let r = 0; r < rows; r++) {
      const v = l[r];
      if (!store(s, r, v)) throw badValue(`${prop(base, inputs[i]!.name)}[${r}]`, inputs[i]!, v, false);
    }
  }
  return frameOf(inputs, sinks, rows);
}

// ---------------------------------------------------------------------------------------------------------------
// Encoding

export type Kind = { kind: 'classifier'; classes: string[]; labelIndex: Int32Array } | { kind: 'regressor'; value: Float64Array };

export function kindOf(p: Predictions): Kind {
  if (p.classes && p.labelIndex) return { kind: 'classifier', classes: p.classes, labelIndex: p.labelIndex };
  if (p.value) return { kind: 'regressor', value: p.value };
  throw invalidState('the model gave neither values nor class labels');
}

const INTEGER = /^(0|-?[1-9][0-9]*)$/;
/** True when every class label is an integer (then labels are returned as JSON numbers). */
export function integerClasses(classes: string[]): boolean {
  if (classes.length === 0) return false;
  for (const c of classes) if (!INTEGER.test(c) || !Number.isSafeInteger(Number(c))) return false;
  return true;
}

/** Predicted labels per row: numbers when the classes are integers, else strings; null where there is none. */
export function labels(classes: string[], labelIndex: Int32Array, rows: number, asNumbers: boolean): (string | number | null)[] {
  const names: (string | number)[] = asNumbers ? classes.map(Number) : classes;
  const out = new Array<string | number | null>(rows);
  for (let r = 0; r < rows; r++) {
    const k = labelIndex[r]!;
    out[r] = k >= 0 && k < names.length ? names[k]! : null;
  }
  return out;
}

/** Float64Array → JSON-ready numbers (NaN/±Infinity → null; JSON.stringify of a typed array would give an object). */
export function numbers(a: Float64Array, n = a.length): (number | null)[] {
  const out = new Array<number | null>(n);
  for (let i = 0; i < n; i++) {
    const v = a[i]!;
    out[i] = Number.isFinite(v) ? v : null;
  }
  return out;
}

/** Sets a key on a plain object even when it is `__proto__`. */
export function setKey(o: Record<string, unknown>, key: string, v: unknown): void {
  if (key === '__proto__') Object.defineProperty(o, key, { value: v, enumerable: true, writable: true, configurable: true });
  else o[key] = v;
}
