import { invalid } from './errors.js';

/**
 * Limits on the shape of what a caller sends, beyond those MLflow itself sets (`src/tracking/limits.ts`). Each
 * keeps one request from costing the server far more than its size (deep recursion, huge SQL statements, a
 * join per key) and is far above what any real client sends. A request over a limit answers 400 naming it;
 * README.md ("Limits") lists them.
 */
export const INPUT_LIMITS = {
  /** Nesting of arrays and objects in a JSON request body (and in JSON sent inside a field, such as model_json). */
  MAX_JSON_DEPTH: 64,
  /** Conditions (`key op value`) in one search filter. */
  MAX_FILTER_TERMS: 100,
  /** Nesting of grouping parentheses in one search filter (native API). */
  MAX_FILTER_DEPTH: 20,
  /** Values in all the IN / NOT IN lists of one search filter, together. */
  MAX_FILTER_VALUES: 10_000,
  /** Keys in one search's order_by. */
  MAX_ORDER_BY_KEYS: 20,
  /** Experiments one run or logged-model search may cover. */
  MAX_EXPERIMENT_IDS: 1_000,
  /** Datasets a logged-model search may score metrics on (its `datasets` field). */
  MAX_SEARCH_DATASETS: 100,
} as const;

export type InputLimit = keyof typeof INPUT_LIMITS;

/**
 * The one message of every limit check: `lead` says what was counted (with the count when known), then the limit
 * and its name, then what to do instead.
 */
export function overLimit(limit: InputLimit, lead: string, advice: string): Error {
  return invalid(`${lead} exceeds the limit of ${INPUT_LIMITS[limit].toLocaleString('en-US')} (${limit}). ${advice}`, { limit, max: INPUT_LIMITS[limit] });
}

/** Throws `overLimit` when `count` is above the limit; `what` names the counted things, e.g. "order_by keys". */
export function checkLimit(limit: InputLimit, count: number, what: string, advice: string): void {
  if (count > INPUT_LIMITS[limit]) throw overLimit(limit, `The number of ${what} (${count})`, advice);
}

/**
 * Refuses JSON nested deeper than MAX_JSON_DEPTH. Walks without recursion, so any depth is measured safely:
 * JSON.parse copes with deep input, but code that later recurses over it (JSON.stringify, validators) would
 * overflow the stack.
 */
export function checkJsonDepth(value: unknown, what: string): void {
  const max = INPUT_LIMITS.MAX_JSON_DEPTH;
  // Raw bodies (artifact uploads) arrive as bytes, not JSON.
  if (ArrayBuffer.isView(value)) return;
  const stack: [object, number][] = value !== null && typeof value === 'object' ? [[value, 1]] : [];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (depth > max) throw overLimit('MAX_JSON_DEPTH', `The nesting of arrays and objects in ${what}`, 'Send a flatter structure.');
    for (const child of Array.isArray(v) ? v : Object.values(v)) if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
  }
}
