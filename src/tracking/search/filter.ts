import { checkLimit, INPUT_LIMITS, overLimit } from '../../core/limits.js';
import { describe, ENTITY_LABEL, readIdentifier, type Identifier } from './identifier.js';
import {
  DATASET_COMPARATORS,
  KEY_VALUE_COMPARATORS,
  LIST_COMPARATORS,
  NUMERIC_COMPARATORS,
  STRING_COMPARATORS,
  specOf,
  type Comparator,
  type EntityType,
  type SearchKind,
  type SearchSpec,
} from './specs.js';
import { syntaxError, tokenize, type Token } from './tokenize.js';

export { parseOrderBy, type OrderByClause } from './order-by.js';
export type { Comparator, EntityType, SearchKind, SearchSpec } from './specs.js';

/** One `<identifier> <comparator> <value>` test. */
export interface Comparison {
  kind: 'comparison';
  entity: EntityType;
  /** Unquoted key; for attributes the canonical name (`created` becomes `start_time`). */
  key: string;
  comparator: Comparator;
  /** A number (metrics, numeric attributes), a string, a non-empty list (IN, NOT IN), or null (IS [NOT] NULL). */
  value: number | string | readonly string[] | null;
  /** Offset of the identifier in the filter string. */
  position: number;
}

/** AND or OR of two or more nodes; nested nodes of the same kind are flattened. */
export interface Junction {
  kind: 'and' | 'or';
  operands: FilterNode[];
}

export type FilterNode = Comparison | Junction;

export interface ParseFilterOptions {
  /** Accept OR and grouping parentheses (the native API); MLflow's grammar has AND only. */
  allowOr?: boolean;
}

const COMPARATOR_LIST = '=, !=, <, <=, >, >=, LIKE, ILIKE, IN, NOT IN, IS NULL, IS NOT NULL';
const OR_ONLY_NATIVE = "is only supported on the native API (MLflow's search grammar joins conditions with AND only)";

/**
 * Parses an MLflow search filter (`metrics.acc > 0.9 AND tags."mlflow.runName" LIKE 'x%'`) for the given
 * search. Returns null for an empty or blank filter. Throws `invalid` (INVALID_ARGUMENT) with
 * `details.position`, the 0-based offset where the problem was found, and a message saying what was expected.
 */
export function parseFilter(
  filter: string | null | undefined,
  kind: SearchKind | SearchSpec,
  options: ParseFilterOptions = {},
): FilterNode | null {
  if (filter === null || filter === undefined || filter.trim() === '') return null;
  const parser = new FilterParser(filter, specOf(kind), options.allowOr ?? false);
  return parser.parse();
}

class FilterParser {
  private readonly tokens: Token[];
  private index = 0;
  // Counted while parsing, so an oversized filter is refused before it is built (or recursed into).
  private terms = 0;
  private listValues = 0;
  private depth = 0;

  constructor(
    private readonly input: string,
    private readonly spec: SearchSpec,
    private readonly allowOr: boolean,
  ) {
    this.tokens = tokenize(input);
  }

  parse(): FilterNode {
    const node = this.parseOr();
    const token = this.peek();
    if (token.kind !== 'end') {
      if (token.kind === ')') throw this.error(token.start, 'unbalanced ")" with no matching "("');
      const expected = this.allowOr ? 'AND, OR or the end of the filter' : 'AND or the end of the filter';
      throw this.error(token.start, `expected ${expected} after a condition, found ${describe(token)}`);
    }
    return node;
  }

  private parseOr(): FilterNode {
    const operands = [this.parseAnd()];
    while (this.isWord(this.peek(), 'OR')) {
      if (!this.allowOr) throw this.error(this.peek().start, `OR ${OR_ONLY_NATIVE}`);
      this.index++;
      operands.push(this.parseAnd());
    }
    return junction('or', operands);
  }

  private parseAnd(): FilterNode {
    const operands = [this.parsePrimary()];
    while (this.isWord(this.peek(), 'AND')) {
      this.index++;
      operands.push(this.parsePrimary());
    }
    return junction('and', operands);
  }

  private parsePrimary(): FilterNode {
    const token = this.peek();
    if (token.kind === '(') {
      if (!this.allowOr) throw this.error(token.start, `a grouping parenthesis ${OR_ONLY_NATIVE}`);
      if (++this.depth > INPUT_LIMITS.MAX_FILTER_DEPTH) {
        throw overLimit('MAX_FILTER_DEPTH', `The nesting of parentheses in the filter (at position ${token.start})`, 'Remove redundant parentheses.');
      }
      this.index++;
      const node = this.parseOr();
      this.depth--;
      const close = this.peek();
      if (close.kind !== ')') throw this.error(close.start, `expected ")" to close the "(" at position ${token.start}, found ${describe(close)}`);
      this.index++;
      return node;
    }
    if (token.kind === 'end') {
      const after = this.index > 0 ? ` after "${this.tokens[this.index - 1]!.text}"` : '';
      throw this.error(token.start, `expected a condition${after}, found the end of the filter`);
    }
    return this.parseComparison();
  }

  private parseComparison(): Comparison {
    checkLimit('MAX_FILTER_TERMS', ++this.terms, 'conditions in the filter', 'Split the search into several, or use IN lists.');
    const { identifier, next } = readIdentifier(this.input, this.tokens, this.index, this.spec, (at, problem) =>
      this.error(at, problem),
    );
    this.index = next;
    const comparatorAt = this.peek().start;
    const comparator = this.parseComparator(identifier);
    checkComparator(identifier, comparator, this.spec, (problem) => this.error(comparatorAt, problem));
    const value = this.parseValue(identifier, comparator);
    return { kind: 'comparison', entity: identifier.entity, key: identifier.key, comparator, value, position: identifier.position };
  }

  private parseComparator(identifier: Identifier): Comparator {
    const token = this.peek();
    const expected = () =>
      this.error(token.start, `expected a comparator (${COMPARATOR_LIST}) after "${identifier.text}", found ${describe(token)}`);
    if (token.kind === 'operator') {
      this.index++;
      return token.text;
    }
    if (token.kind !== 'word') throw expected();
    const word = token.text.toUpperCase();
    if (word === 'LIKE' || word === 'ILIKE' || word === 'IN') {
      this.index++;
      return word;
    }
    if (word === 'NOT') {
      this.index++;
      this.expectWord('IN', `expected IN after NOT in "${identifier.text} NOT"`);
      return 'NOT IN';
    }
    if (word === 'IS') {
      this.index++;
      const negated = this.isWord(this.peek(), 'NOT');
      if (negated) this.index++;
      this.expectWord('NULL', `expected NULL after "${identifier.text} IS${negated ? ' NOT' : ''}"`);
      return negated ? 'IS NOT NULL' : 'IS NULL';
    }
    throw expected();
  }

  private parseValue(identifier: Identifier, comparator: Comparator): Comparison['value'] {
    if (comparator === 'IS NULL' || comparator === 'IS NOT NULL') return null;
    const token = this.peek();
    if (comparator === 'IN' || comparator === 'NOT IN') return this.parseList(identifier, comparator);
    const numeric = wantsNumber(identifier, this.spec);
    if (numeric) {
      const number = token.kind === 'word' ? parseNumber(token.text) : null;
      if (number === null) {
        throw this.error(token.start, `expected a number after "${identifier.text} ${comparator}", found ${describe(token)}`);
      }
      this.index++;
      return number;
    }
    if (token.kind !== 'string') {
      const hint = token.kind === 'word' && parseNumber(token.text) !== null ? ` (${ENTITY_LABEL[identifier.entity]} values are strings: quote it)` : '';
      throw this.error(
        token.start,
        `expected a quoted string after "${identifier.text} ${comparator}", found ${describe(token)}${hint}`,
      );
    }
    this.index++;
    return token.value;
  }

  private parseList(identifier: Identifier, comparator: Comparator): string[] {
    const open = this.peek();
    if (open.kind !== '(') {
      throw this.error(open.start, `expected a parenthesized list such as ('a', 'b') after "${identifier.text} ${comparator}", found ${describe(open)}`);
    }
    this.index++;
    const values: string[] = [];
    for (;;) {
      const token = this.peek();
      if (token.kind !== 'string') {
        const what = values.length === 0 ? 'a quoted string (the list must not be empty)' : 'a quoted string';
        throw this.error(token.start, `expected ${what} in the ${comparator} list, found ${describe(token)}`);
      }
      values.push(token.value);
      checkLimit('MAX_FILTER_VALUES', ++this.listValues, "values in the filter's IN lists", 'Search in several pages of values.');
      this.index++;
      const separator = this.peek();
      this.index++;
      if (separator.kind === ')') return values;
      if (separator.kind !== ',') {
        throw this.error(separator.start, `expected "," or ")" in the ${comparator} list, found ${describe(separator)}`);
      }
    }
  }

  private peek(): Token {
    return this.tokens[this.index]!;
  }

  private isWord(token: Token, word: string): boolean {
    return token.kind === 'word' && token.text.toUpperCase() === word;
  }

  private expectWord(word: string, problem: string): void {
    const token = this.peek();
    if (!this.isWord(token, word)) throw this.error(token.start, `${problem}, found ${describe(token)}`);
    this.index++;
  }

  private error(position: number, problem: string) {
    return syntaxError('filter', position, problem);
  }
}

function junction(kind: 'and' | 'or', operands: FilterNode[]): FilterNode {
  if (operands.length === 1) return operands[0]!;
  return { kind, operands: operands.flatMap((o) => (o.kind === kind ? o.operands : [o])) };
}

const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

function parseNumber(text: string): number | null {
  if (!NUMBER.test(text)) return null;
  const value = Number(text);
  return Number.isFinite(value) ? value : null;
}

function wantsNumber(identifier: Identifier, spec: SearchSpec): boolean {
  if (identifier.entity === 'metric') return true;
  return identifier.entity === 'attribute' && spec.attributes[identifier.key]!.type === 'number';
}

/** The comparators MLflow accepts for an identifier (its syntax being already valid). */
export function comparatorsFor(identifier: Pick<Identifier, 'entity' | 'key'>, spec: SearchSpec): readonly Comparator[] {
  switch (identifier.entity) {
    case 'metric':
      return NUMERIC_COMPARATORS;
    case 'param':
    case 'tag':
      return KEY_VALUE_COMPARATORS;
    case 'dataset':
      return DATASET_COMPARATORS;
    case 'attribute': {
      const attribute = spec.attributes[identifier.key]!;
      if (attribute.type === 'number') return NUMERIC_COMPARATORS;
      return attribute.lists ? [...STRING_COMPARATORS, ...LIST_COMPARATORS] : STRING_COMPARATORS;
    }
  }
}

function checkComparator(identifier: Identifier, comparator: Comparator, spec: SearchSpec, fail: (problem: string) => Error) {
  const allowed = comparatorsFor(identifier, spec);
  if (allowed.includes(comparator)) return;
  const subject =
    identifier.entity === 'attribute'
      ? `attribute "${identifier.key}"`
      : identifier.entity === 'dataset'
        ? `dataset field "${identifier.key}"`
        : ENTITY_LABEL[identifier.entity];
  throw fail(`${comparator} is not supported for ${subject} ("${identifier.text}"); use one of ${allowed.join(', ')}`);
}
