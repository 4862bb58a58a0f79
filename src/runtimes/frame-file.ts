/**
 * Tabular files (CSV with a header row, JSON Lines, Parquet) read row by row, and into a Frame with each column's
 * type inferred: a column is numeric until a value that is not a number (or empty) shows up in it, and then the
 * file is read again with that column as text, so "007" stays "007" and no value is ever converted twice.
 */
import { createReadStream } from 'node:fs';
import { extname } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CsvError, parse } from 'csv-parse';
import { invalid, notFound, type SlipwayError } from '../core/errors.js';
import { headerNames } from '../tracking/datasets/header.js';
import { readParquet } from '../tracking/datasets/parquet.js';
import type { Column, Frame } from './frame.js';

export type TableFormat = 'csv' | 'jsonl' | 'parquet';

/** What a reader hands on: CSV as a header then arrays of cells, JSON Lines and Parquet as objects. */
export interface RowSink {
  header(names: string[]): void;
  values(cells: unknown[]): void;
  object(row: Record<string, unknown>): void;
}

export interface ReadOptions {
  /** Every chunk of the file's bytes, in order (a digest, progress). */
  onChunk?(chunk: Buffer): void;
  /** Names the file in error messages (default its path). */
  label?: string;
}

export function tableFormatOf(path: string): TableFormat {
  const ext = extname(path).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  if (ext === '.parquet') return 'parquet';
  throw invalid(`Cannot tell the format of ${path} from its extension: use .csv, .jsonl (or .ndjson) or .parquet.`);
}

/** Streams a file's rows to `sink`. Errors name the file and, for JSON Lines, the line; a missing file is ENOENT. */
export async function readRows(path: string, format: TableFormat, sink: RowSink, options: ReadOptions = {}): Promise<void> {
  const label = options.label ?? path;
  const chunks = async function* (source: AsyncIterable<Buffer>) {
    for await (const chunk of source) {
      options.onChunk?.(chunk);
      yield chunk;
    }
  };
  try {
    if (format === 'parquet') {
      if (options.onChunk) for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) options.onChunk(chunk as Buffer);
      await readParquet(path, (names) => sink.header(headerNames(names, `${label}: the Parquet schema`, true)), (row) => sink.object(row));
    } else if (format === 'csv') {
      let header = true;
      await pipeline(
        chunks(createReadStream(path, { highWaterMark: 1 << 20 })),
        parse({ bom: true, skip_empty_lines: true }),
        new Writable({
          objectMode: true,
          write(record: string[], _e, cb) {
            try {
              if (header) {
                sink.header(headerNames(record, `${label}: line 1`));
                header = false;
              } else sink.values(record);
              cb();
            } catch (e) {
              cb(e as Error);
            }
          },
        }),
      );
    } else {
      let rest = '';
      let line = 0;
      const take = (text: string) => {
        line++;
        if (text.trim() === '') return;
        let obj: unknown;
        try {
          obj = JSON.parse(text);
        } catch {
          throw invalid(`${label}: line ${line} is not valid JSON.`, { line });
        }
        if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw invalid(`${label}: line ${line} is not a JSON object.`, { line });
        sink.object(obj as Record<string, unknown>);
      };
      for await (const chunk of chunks(createReadStream(path, { highWaterMark: 1 << 20 }))) {
        const lines = (rest + chunk.toString('utf8')).split('\n');
        rest = lines.pop()!;
        for (const l of lines) take(l);
      }
      take(rest);
    }
  } catch (err) {
    // A missing file (ENOENT) is left to the caller, which knows what to tell the user.
    if (err instanceof CsvError) throw csvProblem(label, err);
    throw err;
  }
}

const CSV_PROBLEMS: Partial<Record<CsvError['code'], string>> = {
  CSV_RECORD_INCONSISTENT_FIELDS_LENGTH: 'a row has another number of fields than the header',
  CSV_QUOTE_NOT_CLOSED: 'a quoted field is never closed',
  CSV_INVALID_CLOSING_QUOTE: 'bad quoting (quote the whole field and double any quote inside it)',
  CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE: 'bad quoting (quote the whole field and double any quote inside it)',
  INVALID_OPENING_QUOTE: 'bad quoting (quote the whole field and double any quote inside it)',
  CSV_MAX_RECORD_SIZE: 'a record is too long',
};

/**
 * What is wrong in a CSV file and where, never what its cells hold: csv-parse quotes field values in its
 * messages, and a server must not echo file content into errors and logs.
 */
function csvProblem(label: string, err: CsvError): SlipwayError {
  const at = err as unknown as { lines?: unknown; column?: unknown };
  const line = typeof at.lines === 'number' ? at.lines : undefined;
  const column = typeof at.column === 'number' ? at.column + 1 : undefined;
  const where = [line !== undefined ? `line ${line}` : '', column !== undefined ? `column ${column}` : ''].filter(Boolean).join(', ');
  return invalid(`${label}: ${CSV_PROBLEMS[err.code] ?? 'invalid CSV'}${where ? ` at ${where}` : ''}.`, { ...(line !== undefined ? { line } : {}), ...(column !== undefined ? { column } : {}) });
}

/**
 * ±Infinity for the ways files spell an infinite float (pandas and numpy write `inf` / `-inf`, JavaScript
 * `Infinity`), else undefined. An infinite value is a number: the column stays numeric and the checks count it.
 */
export function infinityOf(text: string): number | undefined {
  const m = /^([+-]?)(inf|infinity)$/i.exec(text.trim());
  return m ? (m[1] === '-' ? -Infinity : Infinity) : undefined;
}

/** A number from a cell: numbers (±Infinity included), booleans, numeric strings; NaN for missing; undefined for anything else. */
export function numberOf(v: unknown): number | undefined {
  if (v === null || v === undefined || v === '') return NaN;
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string') {
    const t = v.trim();
    if (t === '' || /^(nan|null|none|na)$/i.test(t)) return NaN;
    const lower = t.toLowerCase();
    if (lower === 'true') return 1;
    if (lower === 'false') return 0;
    const n = Number(t);
    return Number.isFinite(n) ? n : infinityOf(t);
  }
  return undefined;
}

export function textOf(v: unknown): string | null {
  if (v === null || v === undefined || v === '') return null;
  if (typeof v === 'string') return v;
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

class Restart extends Error {}

/** Growable columns; a numeric column meeting a non-number asks for a restart with it as text. */
class InferringBuilder implements RowSink {
  private names: string[] = [];
  private index = new Map<string, number>();
  private nums: (Float64Array | null)[] = [];
  private strs: ((string | null)[] | null)[] = [];
  rows = 0;
  needText = new Set<string>();

  constructor(
    private readonly text: ReadonlySet<string>,
    private readonly want: ReadonlySet<string> | null,
  ) {}

  private add(name: string): number {
    let c = this.index.get(name);
    if (c !== undefined) return c;
    c = this.names.length;
    this.names.push(name);
    this.index.set(name, c);
    const keep = this.want === null || this.want.has(name);
    const asText = this.text.has(name);
    // Rows before this column first appeared (JSON Lines) are missing in it.
    this.nums.push(keep && !asText ? new Float64Array(Math.max(1024, this.rows * 2)).fill(NaN) : null);
    this.strs.push(keep && asText ? new Array<string | null>(this.rows).fill(null) : null);
    return c;
  }

  header(names: string[]): void {
    for (const n of names) this.add(n);
  }

  private set(c: number, r: number, v: unknown): void {
    const nums = this.nums[c];
    if (nums) {
      const x = numberOf(v);
      if (x === undefined) {
        this.needText.add(this.names[c]!);
        throw new Restart();
      }
      let arr = nums;
      if (r >= arr.length) {
        arr = new Float64Array(arr.length * 2).fill(NaN);
        arr.set(nums);
        this.nums[c] = arr;
      }
      arr[r] = x;
    } else {
      const strs = this.strs[c];
      if (strs) strs[r] = textOf(v);
    }
  }

  values(cells: unknown[]): void {
    const r = this.rows++;
    for (let c = 0; c < this.names.length; c++) this.set(c, r, cells[c]);
  }

  object(row: Record<string, unknown>): void {
    const r = this.rows++;
    for (const key in row) this.set(this.add(key), r, row[key]);
    // Columns absent from this row stay missing: NaN already, null for text.
    for (let c = 0; c < this.names.length; c++) {
      const nums = this.nums[c];
      if (nums && r >= nums.length) this.set(c, r, null);
      const strs = this.strs[c];
      if (strs && strs.length <= r) strs[r] = null;
    }
  }

  build(): Frame {
    const columns = new Map<string, Column>();
    this.names.forEach((name, c) => {
      const nums = this.nums[c];
      const strs = this.strs[c];
      if (nums) columns.set(name, { kind: 'number', values: nums.slice(0, this.rows) });
      else if (strs) columns.set(name, { kind: 'string', values: strs.length === this.rows ? strs : Array.from({ length: this.rows }, (_, i) => strs[i] ?? null) });
    });
    return { rows: this.rows, columns };
  }
}

export interface FrameFileOptions {
  format?: TableFormat;
  /** Only these columns (all when absent). */
  columns?: readonly string[];
  /** Columns to read as text whatever they hold. */
  text?: readonly string[];
}

/** Reads a whole file into columns, numbers where every value is a number (or missing), text elsewhere. */
export async function readFrameFile(path: string, options: FrameFileOptions = {}): Promise<Frame> {
  const format = options.format ?? tableFormatOf(path);
  const text = new Set(options.text ?? []);
  const want = options.columns ? new Set(options.columns) : null;
  for (;;) {
    const builder = new InferringBuilder(text, want);
    try {
      await readRows(path, format, builder).catch((err: unknown) => {
        throw (err as NodeJS.ErrnoException).code === 'ENOENT' ? notFound(`${path}: no such file.`) : err;
      });
      const frame = builder.build();
      if (want) {
        const missing = [...want].filter((c) => !frame.columns.has(c));
        if (missing.length > 0) throw invalid(`${path} has no column ${missing.map((c) => `"${c}"`).join(', ')}; it has ${[...frame.columns.keys()].slice(0, 20).join(', ')}.`);
      }
      return frame;
    } catch (err) {
      if (!(err instanceof Restart)) throw err;
      for (const c of builder.needText) text.add(c);
    }
  }
}
