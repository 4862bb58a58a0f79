import type { FastifyRequest } from 'fastify';
import { invalid } from '../core/errors.js';
import { parseInteger, parseMetricValue } from '../tracking/limits.js';
import type { KeyValue } from '../tracking/types.js';

/**
 * Reading MLflow requests as MLflow's server does with protobuf's JSON parser: a GET reads its fields from the
 * query string (repeated keys for repeated fields, the first occurrence for scalars), every other method from the
 * JSON body. `null` means unset; unknown fields are ignored; int64 and double fields also take numeric strings;
 * enums take their name or number; experiment ids may be numbers.
 */

type Data = Record<string, unknown>;

const typeName = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

export const missing = (path: string) => invalid(`Missing value for required parameter '${path}'.`);
const badValue = (path: string, value: unknown, expected: string) =>
  invalid(`Invalid value ${JSON.stringify(value)} for parameter '${path}' supplied: expected ${expected}, got a value of type '${typeName(value)}'.`);

/** One request message (or a nested message of it) with typed accessors named as MLflow's fields. */
export class Message {
  constructor(
    private readonly data: Data,
    private readonly fromQuery: boolean,
    private readonly path = '',
  ) {}

  /** The request's message: its query string for GET, its JSON body otherwise. */
  static of(request: FastifyRequest): Message {
    if (request.method === 'GET' || request.method === 'HEAD') return new Message((request.query ?? {}) as Data, true);
    return new Message((request.body ?? {}) as Data, false);
  }

  /** The full name of a field in error messages: `metrics[2].value`. */
  name(field: string): string {
    return `${this.path}${field}`;
  }

  private raw(field: string): unknown {
    const v = Object.hasOwn(this.data, field) ? this.data[field] : undefined;
    if (v === null) return undefined;
    return this.fromQuery && Array.isArray(v) ? v[0] : v;
  }

  has(field: string): boolean {
    return this.raw(field) !== undefined;
  }

  string(field: string): string | undefined {
    const v = this.raw(field);
    if (v === undefined || typeof v === 'string') return v;
    throw badValue(this.name(field), v, 'a string');
  }

  /** A required string: absent and "" are both missing, as MLflow's `_assert_required` has it. */
  requiredString(field: string): string {
    const v = this.string(field);
    if (v === undefined || v === '') throw missing(this.name(field));
    return v;
  }

  /** Experiment ids: strings, or numbers, which MLflow stringifies before parsing. */
  experimentId(field = 'experiment_id'): string | undefined {
    const v = this.raw(field);
    if (typeof v === 'number' && Number.isInteger(v)) return String(v);
    return this.string(field);
  }

  requiredExperimentId(field = 'experiment_id'): string {
    const v = this.experimentId(field);
    if (v === undefined || v === '') throw missing(this.name(field));
    return v;
  }

  /** `run_id`, falling back to the deprecated `run_uuid` as MLflow does. */
  runId(): string {
    const id = this.string('run_id') || this.string('run_uuid');
    if (!id) throw missing(this.name('run_id'));
    return id;
  }

  int(field: string): number | undefined {
    const v = this.raw(field);
    return v === undefined ? undefined : parseInteger(v, this.name(field));
  }

  requiredInt(field: string): number {
    return parseInteger(this.raw(field), this.name(field));
  }

  /** A double: a number, a numeric string, or "NaN", "Infinity", "-Infinity". */
  requiredDouble(field: string, key: string): number {
    const v = this.raw(field);
    if (v === undefined) throw missing(this.name(field));
    if (typeof v === 'boolean') throw badValue(this.name(field), v, 'a number');
    return parseMetricValue(v, key);
  }

  bool(field: string): boolean | undefined {
    const v = this.raw(field);
    if (v === undefined || typeof v === 'boolean') return v;
    if (this.fromQuery && typeof v === 'string') {
      const lower = v.toLowerCase();
      if (lower === 'true' || lower === 'false') return lower === 'true';
      throw invalid(`Invalid boolean value: ${v}, must be 'true' or 'false'.`);
    }
    throw badValue(this.name(field), v, 'true or false');
  }

  /** An enum given by name or by number (numbers map to names through `values`, index = number). */
  enumName<T extends string>(field: string, values: readonly (T | null)[]): T | undefined {
    const v = this.raw(field);
    if (v === undefined) return undefined;
    const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : undefined;
    const name = n !== undefined ? values[n] : values.find((x) => x === v);
    if (name) return name;
    const names = values.filter((x): x is T => x !== null);
    throw invalid(`Invalid value ${JSON.stringify(v)} for parameter '${this.name(field)}' supplied: expected one of ${names.join(', ')}.`);
  }

  /** The elements of a repeated field ([] when unset). */
  list(field: string): unknown[] {
    const v = Object.hasOwn(this.data, field) ? this.data[field] : undefined;
    if (v === undefined || v === null) return [];
    if (Array.isArray(v)) return v;
    if (this.fromQuery) return [v];
    throw badValue(this.name(field), v, 'a list');
  }

  /** A repeated string field; experiment ids given as numbers are accepted when `ids` is set. */
  strings(field: string, opts: { ids?: boolean } = {}): string[] {
    return this.list(field).map((v, i) => {
      if (typeof v === 'string') return v;
      if (opts.ids && typeof v === 'number' && Number.isInteger(v)) return String(v);
      throw badValue(`${this.name(field)}[${i}]`, v, 'a string');
    });
  }

  /** A repeated message field. */
  messages(field: string): Message[] {
    return this.list(field).map((v, i) => {
      const path = `${this.name(field)}[${i}]`;
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw badValue(path, v, 'an object');
      return new Message(v as Data, false, `${path}.`);
    });
  }

  /** A nested message field, or undefined when unset. */
  message(field: string): Message | undefined {
    const v = this.raw(field);
    if (v === undefined) return undefined;
    if (typeof v !== 'object' || Array.isArray(v)) throw badValue(this.name(field), v, 'an object');
    return new Message(v as Data, false, `${this.name(field)}.`);
  }

  /** Key/value pairs (RunTag, Param, ExperimentTag, ...): a missing value reads as "" as in proto2. */
  keyValues(field: string, opts: { requireKey?: boolean } = {}): KeyValue[] {
    return this.messages(field).map((m) => ({
      key: opts.requireKey ? m.requiredString('key') : (m.string('key') ?? ''),
      value: m.string('value') ?? '',
    }));
  }
}

/** Parses a JSON request body as MLflow does: empty or null is {}, a JSON-encoded string is decoded once more. */
export function parseJsonBody(text: string): Data {
  if (text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
    // Some clients JSON-encode the body twice; MLflow decodes a string body once more.
    if (typeof value === 'string') value = JSON.parse(value);
  } catch (err) {
    throw invalid(`Malformed JSON in request body: ${(err as Error).message}`);
  }
  if (value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw invalid('The request body must be a JSON object.');
  return value as Data;
}

/** Route options of an MLflow endpoint: hidden from the native OpenAPI document; `viewer` for read-only POSTs. */
export const routeOptions = (role?: 'viewer') => (role ? { schema: { hide: true }, config: { role } } : { schema: { hide: true } });
