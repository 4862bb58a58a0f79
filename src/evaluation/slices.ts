/**
 * Slices of an evaluation dataset: one per value of a categorical column, one per equal-frequency bin of a
 * numeric column, and named slices given as filter expressions (`tenure < 3 and plan = 'pro'`). Each family is a
 * code per row (−1 when the row is in no slice of it), the form the metrics and the bootstrap take.
 */
import { invalid } from '../core/errors.js';
import type { Column, Frame } from '../runtimes/frame.js';
import { syntaxError, tokenize, type Token } from '../tracking/search/tokenize.js';
import type { SliceSpec } from './policy.js';
import type { SliceResult } from './report.js';

export interface SliceFamily {
  family: string;
  kind: SliceResult['kind'];
  labels: string[];
  codes: Int32Array;
  /** Named slices: the filter, by label. */
  filters?: string[];
  /** The dataset columns the family reads. */
  columns: string[];
}

/** At most this many values of a categorical column become slices; the rest are grouped as `(other)`. */
const MAX_CATEGORIES = 50;

function column(frame: Frame, name: string, what: string): Column {
  const c = frame.columns.get(name);
  if (!c) throw invalid(`${what} names column "${name}", which the dataset does not have; its columns are: ${[...frame.columns.keys()].join(', ')}`, { column: name });
  return c;
}

/** Builds every slice family the spec asks for. */
export function buildSlices(frame: Frame, spec: SliceSpec): SliceFamily[] {
  const families: SliceFamily[] = [];
  for (const name of spec.columns) families.push(categorical(frame, name));
  for (const { column: name, bins } of spec.quantiles) families.push(quantileBins(frame, name, bins));
  for (const { name, filter } of spec.named) {
    const columns: string[] = [];
    const test = compileFilter(filter, frame, `slice "${name}"`, columns);
    const codes = new Int32Array(frame.rows);
    for (let i = 0; i < frame.rows; i++) codes[i] = test(i) ? 0 : -1;
    families.push({ family: name, kind: 'named', labels: [name], codes, filters: [filter], columns });
  }
  return families;
}

/** One slice per value (the most frequent MAX_CATEGORIES; the rest together); missing values form `(missing)`. */
export function categorical(frame: Frame, name: string): SliceFamily {
  const col = column(frame, name, 'A slice column');
  const text = (i: number): string | null => {
    if (col.kind === 'number') {
      const v = col.values[i]!;
      return Number.isNaN(v) ? null : String(v);
    }
    return col.values[i] ?? null;
  };
  const counts = new Map<string, number>();
  for (let i = 0; i < frame.rows; i++) {
    const v = text(i) ?? '(missing)';
    counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  const ranked = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const kept = ranked.slice(0, MAX_CATEGORIES).map(([v]) => v);
  const labels = ranked.length > MAX_CATEGORIES ? [...kept, '(other)'] : kept;
  const index = new Map(kept.map((v, i) => [v, i]));
  const other = ranked.length > MAX_CATEGORIES ? kept.length : -1;
  const codes = new Int32Array(frame.rows);
  for (let i = 0; i < frame.rows; i++) codes[i] = index.get(text(i) ?? '(missing)') ?? other;
  return { family: name, kind: 'category', labels, codes, columns: [name] };
}

/** Equal-frequency bins of a numeric column, labelled `[lo, hi)` (the last one closed); missing values in none. */
export function quantileBins(frame: Frame, name: string, bins: number): SliceFamily {
  const col = column(frame, name, 'A quantile slice');
  if (col.kind !== 'number') throw invalid(`Quantile slices need a numeric column; "${name}" holds text (e.g. ${JSON.stringify(col.values.find((v) => v !== null) ?? '')}). Slice it by value with \`slices.columns\` instead.`, { column: name });
  const present = col.values.filter((v) => !Number.isNaN(v)).sort();
  if (present.length === 0) throw invalid(`Quantile slices of "${name}": the column has no values.`, { column: name });
  const edges: number[] = [];
  for (let b = 1; b < bins; b++) {
    const e = present[Math.min(present.length - 1, Math.floor((b * present.length) / bins))]!;
    if (edges.length === 0 || e > edges[edges.length - 1]!) edges.push(e);
  }
  const lo = present[0]!;
  const hi = present[present.length - 1]!;
  const bounds = [lo, ...edges.filter((e) => e > lo), hi];
  const labels: string[] = [];
  for (let b = 0; b < bounds.length - 1; b++) labels.push(`[${fmt(bounds[b]!)}, ${fmt(bounds[b + 1]!)}${b === bounds.length - 2 ? ']' : ')'}`);
  if (labels.length === 0) labels.push(fmt(lo));
  const inner = bounds.slice(1, -1);
  const codes = new Int32Array(frame.rows);
  for (let i = 0; i < frame.rows; i++) {
    const v = col.values[i]!;
    if (Number.isNaN(v)) {
      codes[i] = -1;
      continue;
    }
    let b = 0;
    while (b < inner.length && v >= inner[b]!) b++;
    codes[i] = b;
  }
  return { family: name, kind: 'quantile', labels, codes, columns: [name] };
}

const fmt = (v: number) => (Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4))));

/** SQL's three-valued logic: a comparison with a missing value is unknown (null), and only true selects a row. */
type Tri = (row: number) => boolean | null;
type Test = (row: number) => boolean;

/**
 * Compiles a slice filter against a frame's columns. Grammar: comparisons `col op value` (=, !=, <, <=, >, >=),
 * `col [NOT] IN (v, ...)`, `col IS [NOT] NULL`, joined with AND, OR, NOT and parentheses. Strings are quoted with
 * single quotes, column names with spaces with backticks. Errors give the position.
 */
export function compileFilter(filter: string, frame: Frame, label: string, columnsRead: string[] = []): Test {
  const tokens = tokenize(filter, `filter of ${label}`);
  let index = 0;
  const peek = (): Token => tokens[index]!;
  const isWord = (t: Token, w: string) => t.kind === 'word' && t.text.toUpperCase() === w;
  const error = (at: number, problem: string) => syntaxError(`filter of ${label}`, at, problem);
  const what = (t: Token) => (t.kind === 'end' ? 'the end of the filter' : `"${t.text}"`);

  const parseOr = (): Tri => {
    const parts = [parseAnd()];
    while (isWord(peek(), 'OR')) {
      index++;
      parts.push(parseAnd());
    }
    if (parts.length === 1) return parts[0]!;
    return (r) => {
      let unknown = false;
      for (const p of parts) {
        const v = p(r);
        if (v === true) return true;
        if (v === null) unknown = true;
      }
      return unknown ? null : false;
    };
  };
  const parseAnd = (): Tri => {
    const parts = [parseNot()];
    while (isWord(peek(), 'AND')) {
      index++;
      parts.push(parseNot());
    }
    if (parts.length === 1) return parts[0]!;
    return (r) => {
      let unknown = false;
      for (const p of parts) {
        const v = p(r);
        if (v === false) return false;
        if (v === null) unknown = true;
      }
      return unknown ? null : true;
    };
  };
  const parseNot = (): Tri => {
    if (isWord(peek(), 'NOT')) {
      index++;
      const inner = parseNot();
      return (r) => {
        const v = inner(r);
        return v === null ? null : !v;
      };
    }
    const t = peek();
    if (t.kind === '(') {
      index++;
      const inner = parseOr();
      if (peek().kind !== ')') throw error(peek().start, `expected ")" to close the "(" at position ${t.start}, found ${what(peek())}`);
      index++;
      return inner;
    }
    return parseComparison();
  };
  const parseValue = (): number | string => {
    const t = peek();
    index++;
    if (t.kind === 'string') return t.value;
    if (t.kind === 'word' && t.text !== '' && Number.isFinite(Number(t.text))) return Number(t.text);
    throw error(t.start, `expected a number or a quoted string, found ${what(t)}`);
  };
  const parseComparison = (): Tri => {
    const t = peek();
    if (t.kind !== 'word' && t.kind !== 'backtick') throw error(t.start, `expected a column name, found ${what(t)}`);
    index++;
    const col = frame.columns.get(t.value);
    if (!col) throw error(t.start, `no column "${t.value}" in the dataset; its columns are: ${[...frame.columns.keys()].join(', ')}`);
    columnsRead.push(t.value);
    const op = peek();
    const numberAt = (r: number) => (col.kind === 'number' ? col.values[r]! : Number.NaN);
    const textAt = (r: number): string | null => (col.kind === 'number' ? (Number.isNaN(col.values[r]!) ? null : String(col.values[r])) : (col.values[r] ?? null));
    if (isWord(op, 'IS')) {
      index++;
      const negated = isWord(peek(), 'NOT');
      if (negated) index++;
      if (!isWord(peek(), 'NULL')) throw error(peek().start, `expected NULL after IS${negated ? ' NOT' : ''}, found ${what(peek())}`);
      index++;
      return negated ? (r) => textAt(r) !== null : (r) => textAt(r) === null;
    }
    if (isWord(op, 'IN') || isWord(op, 'NOT')) {
      index++;
      const negated = isWord(op, 'NOT');
      if (negated) {
        if (!isWord(peek(), 'IN')) throw error(peek().start, `expected IN after NOT, found ${what(peek())}`);
        index++;
      }
      if (peek().kind !== '(') throw error(peek().start, `expected a list such as ('a', 'b'), found ${what(peek())}`);
      index++;
      const values = new Set<string>();
      for (;;) {
        values.add(String(parseValue()));
        const sep = peek();
        index++;
        if (sep.kind === ')') break;
        if (sep.kind !== ',') throw error(sep.start, `expected "," or ")" in the list, found ${what(sep)}`);
      }
      return (r) => {
        const v = textAt(r);
        return v === null ? null : values.has(v) !== negated;
      };
    }
    if (op.kind !== 'operator') throw error(op.start, `expected a comparator (=, !=, <, <=, >, >=, IN, NOT IN, IS NULL) after "${t.value}", found ${what(op)}`);
    index++;
    const valueToken = peek();
    const value = parseValue();
    if (typeof value === 'number') {
      if (col.kind !== 'number') throw error(valueToken.start, `column "${t.value}" holds text: quote the value ('${valueToken.text}')`);
      const cmp = numberComparator(op.text);
      return (r) => {
        const v = numberAt(r);
        return Number.isNaN(v) ? null : cmp(v, value);
      };
    }
    if (col.kind === 'number') throw error(valueToken.start, `column "${t.value}" holds numbers: compare it with a number, not a string`);
    const cmp = numberComparator(op.text);
    return (r) => {
      const v = textAt(r);
      return v === null ? null : cmp(v < value ? -1 : v > value ? 1 : 0, 0);
    };
  };

  const test = parseOr();
  if (peek().kind !== 'end') throw error(peek().start, `expected AND, OR or the end of the filter, found ${what(peek())}`);
  return (r) => test(r) === true;
}

function numberComparator(op: string): (a: number, b: number) => boolean {
  switch (op) {
    case '=':
      return (a, b) => a === b;
    case '!=':
      return (a, b) => a !== b;
    case '<':
      return (a, b) => a < b;
    case '<=':
      return (a, b) => a <= b;
    case '>':
      return (a, b) => a > b;
    default:
      return (a, b) => a >= b;
  }
}
