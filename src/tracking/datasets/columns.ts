/**
 * Per-column accumulation for dataset profiles: type inference and bounded sketches, fed one value at a time.
 *
 * The type is only known at the end of the stream (a column of numbers may hold a word on its last row), so
 * every value feeds both the numeric sketches (when it parses as a number or date) and the categorical ones;
 * `finish()` keeps whichever the inferred type needs. Memory per column is fixed by the sketch sizes.
 */
import { HyperLogLog } from '../../stats/hll.js';
import { KllSketch } from '../../stats/kll.js';
import { Moments } from '../../stats/moments.js';
import { TopK } from '../../stats/topk.js';

export type ColumnType = 'integer' | 'float' | 'boolean' | 'string' | 'datetime' | 'null';

export interface SchemaField {
  name: string;
  type: ColumnType;
  nullable: boolean;
}

export interface Quantiles {
  p01: number;
  p05: number;
  p25: number;
  p50: number;
  p75: number;
  p95: number;
  p99: number;
}

export interface ColumnProfile {
  name: string;
  type: ColumnType;
  /** Non-missing values. */
  count: number;
  missing: number;
  missingShare: number;
  /** Numbers for integer/float columns, ISO 8601 strings for datetime columns. */
  min?: number | string;
  max?: number | string;
  mean?: number;
  /** Population standard deviation. */
  std?: number;
  quantiles?: Quantiles;
  /**
   * Most frequent values (string and boolean columns), share = count / non-missing values. Counts are exact
   * while the column has at most 40 distinct values, else lower bounds within n / 21 (Misra-Gries).
   */
  topCategories?: { value: string; count: number; share: number }[];
  /** Estimated number of distinct non-missing values (HyperLogLog, about 1.6% standard error). */
  distinct?: number;
}

const INT = /^[+-]?\d+$/;
const FLOAT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const BOOL = /^(?:true|false)$/i;
const DATETIME = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;
const QUANTILES = [0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99];
const TOP_K = 20;

export class ColumnAccumulator {
  private ints = 0;
  private floats = 0;
  private bools = 0;
  private dates = 0;
  private strings = 0;
  private present = 0;
  private readonly moments = new Moments();
  private readonly kll = new KllSketch();
  private readonly top = new TopK(TOP_K);
  private readonly hll = new HyperLogLog();

  constructor(readonly name: string) {}

  /** Adds a CSV cell: the empty string is missing; otherwise the text decides the kind. */
  addText(v: string): void {
    if (v === '') return;
    this.present++;
    this.category(v);
    // Once a column has held free text it is a string column for good: skip parsing the rest.
    if (this.strings > 0) return;
    const c = v.charCodeAt(0);
    const numericStart = (c >= 48 && c <= 57) || c === 45 || c === 43 || c === 46; // digit - + .
    if (numericStart && INT.test(v)) {
      this.ints++;
      this.addNumber(Number(v));
    } else if (numericStart && FLOAT.test(v)) {
      this.floats++;
      this.addNumber(Number(v));
    } else if (BOOL.test(v)) {
      this.bools++;
    } else if (numericStart && DATETIME.test(v) && this.addDate(v)) {
      this.dates++;
    } else {
      this.strings++;
    }
  }

  /**
   * Adds a typed value (from JSON or Parquet): null, undefined and '' are missing; the value's own type decides
   * the kind, except that strings holding ISO dates count as datetimes.
   */
  addValue(v: unknown): void {
    if (v === null || v === undefined || v === '') return;
    this.present++;
    if (typeof v === 'number' || typeof v === 'bigint') {
      const x = Number(v);
      this.category(String(v));
      if (Number.isInteger(x)) this.ints++;
      else this.floats++;
      this.addNumber(x);
    } else if (typeof v === 'boolean') {
      this.category(String(v));
      this.bools++;
    } else if (typeof v === 'string') {
      this.category(v);
      if (this.strings === 0 && DATETIME.test(v) && this.addDate(v)) this.dates++;
      else this.strings++;
    } else if (v instanceof Date) {
      this.category(v.toISOString());
      this.dates++;
      this.addNumber(v.getTime());
    } else {
      // Bytes, nested objects and arrays are profiled as text.
      this.category(v instanceof Uint8Array ? Buffer.from(v).toString('base64') : JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x)));
      this.strings++;
    }
  }

  private category(s: string): void {
    this.top.add(s);
    this.hll.add(s);
  }

  private addNumber(x: number): void {
    this.moments.add(x);
    this.kll.add(x);
  }

  /** Dates are sketched as epoch milliseconds so min, max and quantiles come for free. */
  private addDate(v: string): boolean {
    const t = Date.parse(v);
    if (Number.isNaN(t)) return false;
    this.addNumber(t);
    return true;
  }

  /** The inferred type: any text (or a mix of incompatible kinds) makes a string column. */
  type(): ColumnType {
    const numbers = this.ints + this.floats;
    if (this.strings > 0) return 'string';
    if (this.bools > 0) return numbers + this.dates > 0 ? 'string' : 'boolean';
    if (this.dates > 0) return numbers > 0 ? 'string' : 'datetime';
    if (this.floats > 0) return 'float';
    if (this.ints > 0) return 'integer';
    return 'null';
  }

  /** Schema entry and profile for a data set of `rowCount` rows. */
  finish(rowCount: number): { field: SchemaField; profile: ColumnProfile } {
    const type = this.type();
    const missing = rowCount - this.present;
    const profile: ColumnProfile = {
      name: this.name,
      type,
      count: this.present,
      missing,
      missingShare: rowCount > 0 ? missing / rowCount : 0,
    };
    if (type === 'integer' || type === 'float') {
      const q = this.kll.quantiles(QUANTILES);
      Object.assign(profile, {
        min: this.moments.min,
        max: this.moments.max,
        mean: this.moments.mean,
        std: this.moments.std(),
        quantiles: { p01: q[0]!, p05: q[1]!, p25: q[2]!, p50: q[3]!, p75: q[4]!, p95: q[5]!, p99: q[6]! },
      });
    } else if (type === 'datetime') {
      profile.min = new Date(this.moments.min).toISOString();
      profile.max = new Date(this.moments.max).toISOString();
    } else if (type === 'string' || type === 'boolean') {
      profile.topCategories = this.top.top();
    }
    if (type !== 'null') profile.distinct = Math.min(this.hll.estimate(), this.present);
    return { field: { name: this.name, type, nullable: missing > 0 }, profile };
  }
}
