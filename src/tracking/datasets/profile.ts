/**
 * Dataset profiling: content digest, row count, inferred schema and per-column statistics, all in one streamed
 * pass over the file. Memory stays bounded by the sketches (fixed size per column) and the largest single
 * record, never by the file size.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parse, type CsvError } from 'csv-parse';
import { invalid, notFound, SlipwayError } from '../../core/errors.js';
import { ColumnAccumulator, type ColumnProfile, type SchemaField } from './columns.js';
import { headerNames } from './header.js';
import { readParquet } from './parquet.js';
import { Utf8Validator } from './utf8.js';

export type { ColumnProfile, ColumnType, Quantiles, SchemaField } from './columns.js';

export type DatasetFormat = 'csv' | 'jsonl' | 'parquet';

export interface ProfileOptions {
  /** Defaults to the file extension (.csv, .jsonl / .ndjson, .parquet). */
  format?: DatasetFormat;
  /** Called after each chunk is read, with bytes read so far and the file size. */
  onProgress?(bytes: number, total: number): void;
}

export interface DatasetProfile {
  /** SHA-256 of the file bytes, lowercase hex. */
  digest: string;
  sizeBytes: number;
  rowCount: number;
  format: DatasetFormat;
  schema: SchemaField[];
  profile: ColumnProfile[];
}

/** Largest record or line accepted: bounds memory on a file with one huge line (or no newlines at all). */
const MAX_RECORD_CHARS = 16 * 1024 * 1024;
/** JSON Lines keys become columns; a bound keeps memory fixed if every row invents new keys. */
const MAX_COLUMNS = 10_000;
const CHUNK = 1 << 20;

/**
 * Parquet: the digest is one streamed pass (progress follows it), then rows are read row group by row group.
 * Parquet's own column types are not copied: values are typed by the same inference as CSV and JSON Lines, so
 * a profile means the same whatever the format.
 */
async function profileParquet(path: string, source: AsyncIterable<Buffer>, check: Check, table: Table): Promise<void> {
  let read = 0;
  for await (const chunk of source) {
    check.hash.update(chunk);
    read += chunk.length;
    check.onProgress?.(read, check.total);
  }
  let columns: ColumnAccumulator[] = [];
  await readParquet(
    path,
    (names) => (columns = table.columns = headerNames(names, 'the Parquet schema', true).map((n) => new ColumnAccumulator(n))),
    (row) => {
      for (const c of columns) c.addValue(row[c.name]);
      table.rows++;
    },
  );
}

/** Infers the format from the file extension. */
function formatOf(path: string): DatasetFormat {
  const ext = extname(path).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  if (ext === '.parquet') return 'parquet';
  throw invalid(`cannot tell the format of ${path} from its extension; pass format 'csv', 'jsonl' or 'parquet'`);
}

/**
 * Profiles a CSV (with a header row), JSON Lines or Parquet file. CSV and JSON Lines take one streamed pass;
 * Parquet takes a streamed pass for the digest and then one row group at a time.
 *
 * @throws SlipwayError INVALID_ARGUMENT for an empty file, invalid UTF-8, ragged CSV rows, bad CSV quoting or an
 *   invalid JSON line (the message names the line and says how to fix it), or an unreadable Parquet file.
 */
export async function profileFile(path: string, options: ProfileOptions = {}): Promise<DatasetProfile> {
  const format = options.format ?? formatOf(path);
  const info = await stat(path).catch((err: NodeJS.ErrnoException) => {
    throw err.code === 'ENOENT' ? notFound(`no file at ${path}`) : err;
  });
  if (!info.isFile()) throw invalid(`${path} is not a regular file`);
  const sizeBytes = info.size;
  if (sizeBytes === 0) throw invalid(`${path} is empty; a dataset needs ${format === 'csv' ? 'a header row and ' : ''}at least one row`);

  const hash = createHash('sha256');
  const table = new Table();
  const source = createReadStream(path, { highWaterMark: CHUNK });
  const check = { hash, total: sizeBytes, onProgress: options.onProgress };
  if (format === 'csv') {
    await profileCsv(path, source, inspect(check), table);
  } else if (format === 'parquet') {
    await profileParquet(path, source, check, table);
  } else {
    const lines = new JsonLines(table);
    await pipeline(source, inspect(check, (text) => lines.push(text), () => lines.end()));
  }
  if (table.columns.length === 0 && table.rows === 0) {
    const what = format === 'csv' ? 'header row' : format === 'jsonl' ? 'JSON lines' : 'columns';
    throw invalid(`${path} holds no ${what}; a dataset needs at least one row`);
  }
  const finished = table.columns.map((c) => c.finish(table.rows));
  return {
    digest: hash.digest('hex'),
    sizeBytes,
    rowCount: table.rows,
    format,
    schema: finished.map((f) => f.field),
    profile: finished.map((f) => f.profile),
  };
}

class Table {
  rows = 0;
  columns: ColumnAccumulator[] = [];
}

interface Check {
  hash: Hash;
  total: number;
  onProgress: ((bytes: number, total: number) => void) | undefined;
}

/**
 * A stage that hashes the raw bytes, validates UTF-8 and reports progress. Without `onText` it passes the bytes
 * on (to the CSV parser); with it, it hands on the decoded text and emits nothing.
 */
function inspect(check: Check, onText?: (text: string) => void, onEnd?: () => void): Transform {
  const utf8 = new Utf8Validator();
  let read = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done: TransformCallback) {
      try {
        check.hash.update(chunk);
        const text = utf8.push(chunk);
        if (onText) onText(text);
        read += chunk.length;
        check.onProgress?.(read, check.total);
        done(null, onText ? undefined : chunk);
      } catch (err) {
        done(err as Error);
      }
    },
    flush(done: TransformCallback) {
      try {
        const rest = utf8.end();
        if (onText) onText(rest);
        onEnd?.();
        done();
      } catch (err) {
        done(err as Error);
      }
    },
  });
}

/** CSV with a header row, parsed by csv-parse (RFC 4180 quoting); its errors are translated to SlipwayErrors. */
async function profileCsv(path: string, source: NodeJS.ReadableStream, inspector: Transform, table: Table): Promise<void> {
  const parser = parse({ bom: true, skip_empty_lines: true, max_record_size: MAX_RECORD_CHARS });
  // An error thrown by the sink makes pipeline() destroy the parser, which can surface as an AbortError
  // instead; keep our own error so the user sees it.
  let failure: SlipwayError | undefined;
  try {
    await pipeline(source, inspector, parser, async (records: AsyncIterable<string[]>) => {
      let columns: ColumnAccumulator[] | undefined;
      for await (const record of records) {
        if (!columns) {
          try {
            columns = table.columns = header(record);
          } catch (err) {
            failure = err as SlipwayError;
            throw err;
          }
          continue;
        }
        for (let i = 0; i < record.length; i++) columns[i]!.addText(record[i]!);
        table.rows++;
      }
    });
  } catch (err) {
    if (failure) throw failure;
    if (err instanceof SlipwayError) throw err;
    const code = (err as CsvError).code as string;
    // An unclosed quote is only detected at the end of the file; finding where the broken record starts takes
    // a second pass, which only failing files pay for (tracking it on every record would slow every file).
    throw csvError(err as CsvError, code === 'CSV_QUOTE_NOT_CLOSED' ? await lastRecordLine(path) : 0);
  }
}

/** The line on which the last well-formed record of a CSV file ends (0 if none). */
async function lastRecordLine(path: string): Promise<number> {
  let last = 0;
  const parser = parse({
    bom: true,
    skip_empty_lines: true,
    max_record_size: MAX_RECORD_CHARS,
    on_record: (record: string[], context: { lines: number }) => {
      last = context.lines;
      return record;
    },
  });
  await pipeline(createReadStream(path, { highWaterMark: CHUNK }), parser, async (records: AsyncIterable<unknown>) => {
    for await (const _ of records) void _;
  }).catch(() => undefined);
  return last;
}

function header(record: string[]): ColumnAccumulator[] {
  return headerNames(record, 'line 1').map((name) => new ColumnAccumulator(name));
}

/** Maps csv-parse's error codes to messages that name the line and the fix. */
function csvError(err: CsvError, lastRecordLine: number): Error {
  if (typeof err?.code !== 'string') return err;
  const fromMessage = /line (\d+)/.exec(err.message)?.[1];
  const line = fromMessage !== undefined ? Number(fromMessage) : (err as unknown as { lines?: number }).lines;
  const at = `line ${line}`;
  const quoting = 'quote the whole field and double any quote inside it ("")';
  switch (err.code) {
    case 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH': {
      const record = (err as unknown as { record?: unknown[] }).record;
      const m = /expect (\d+), got (\d+)/.exec(err.message);
      const expected = m?.[1];
      const got = record?.length ?? m?.[2];
      return invalid(
        `${at}: expected ${expected} columns like the header, found ${got}; fix the row, or quote fields that contain commas`,
        { line, expected: Number(expected), found: Number(got) },
      );
    }
    case 'CSV_QUOTE_NOT_CLOSED':
      return invalid(
        `line ${lastRecordLine + 1}: a quoted field in the record starting on this line is never closed (the file ends inside it at ${at}); close the quote, or ${quoting}`,
        { line: lastRecordLine + 1 },
      );
    case 'CSV_INVALID_CLOSING_QUOTE':
    case 'CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE':
    case 'INVALID_OPENING_QUOTE':
      return invalid(`${at}: bad quoting (a quote inside a field that is not quoted as a whole); ${quoting}`, { line });
    case 'CSV_MAX_RECORD_SIZE':
      return invalid(`${at}: a record is longer than ${MAX_RECORD_CHARS} characters; check for an unclosed quote`, { line });
    default:
      return invalid(`${at}: invalid CSV (${err.message})`, { line });
  }
}

/** JSON Lines: one JSON object per line; blank lines are skipped; keys become columns in first-seen order. */
class JsonLines {
  private carry = '';
  private line = 0;
  private readonly byName = new Map<string, ColumnAccumulator>();

  constructor(private readonly table: Table) {}

  push(text: string): void {
    let start = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      const piece = text.slice(start, nl);
      this.row(this.carry ? this.carry + piece : piece);
      this.carry = '';
      start = nl + 1;
    }
    this.carry += text.slice(start);
    if (this.carry.length > MAX_RECORD_CHARS) {
      throw invalid(`line ${this.line + 1}: the line is longer than ${MAX_RECORD_CHARS} characters; JSON Lines needs one object per line`, {
        line: this.line + 1,
      });
    }
  }

  end(): void {
    if (this.carry) this.row(this.carry);
    this.carry = '';
  }

  private row(raw: string): void {
    const line = ++this.line;
    // Strip a BOM on the first line and a CR from CRLF line ends.
    const text = (line === 1 && raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw).replace(/\r$/, '');
    if (text.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw invalid(`line ${line}: invalid JSON (${(err as Error).message}); each line must be one complete JSON object`, { line });
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      const kind = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
      throw invalid(`line ${line}: expected a JSON object, got ${kind}; each line must be one object like {"column": value}`, { line });
    }
    for (const [key, v] of Object.entries(value)) {
      let column = this.byName.get(key);
      if (!column) {
        if (this.byName.size >= MAX_COLUMNS) {
          throw invalid(`line ${line}: more than ${MAX_COLUMNS} distinct keys; profile a file with a fixed set of columns`, { line });
        }
        column = new ColumnAccumulator(key);
        this.byName.set(key, column);
        this.table.columns.push(column);
      }
      column.addValue(v);
    }
    this.table.rows++;
  }
}
