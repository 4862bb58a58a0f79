import { describe, expect, it } from 'vitest';
import { parseFilter, parseOrderBy } from '../tracking/search/filter.js';
import { checkJsonDepth, INPUT_LIMITS } from './limits.js';

const nest = (depth: number): unknown => {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { k: v };
  return v;
};

describe('input limits', () => {
  it('measures JSON depth without recursing, counting arrays and objects alike', () => {
    expect(() => checkJsonDepth(nest(INPUT_LIMITS.MAX_JSON_DEPTH), 'x')).not.toThrow();
    expect(() => checkJsonDepth(nest(INPUT_LIMITS.MAX_JSON_DEPTH + 1), 'the body')).toThrow(
      'The nesting of arrays and objects in the body exceeds the limit of 64 (MAX_JSON_DEPTH). Send a flatter structure.',
    );
    expect(() => checkJsonDepth(JSON.parse('['.repeat(200_000) + ']'.repeat(200_000)), 'x')).toThrow(/MAX_JSON_DEPTH/);
    expect(() => checkJsonDepth(Buffer.alloc(10), 'x')).not.toThrow();
    expect(() => checkJsonDepth('[[[[', 'x')).not.toThrow();
  });

  it('bounds filters and order_by at the parser, counting across the whole filter', () => {
    const { MAX_FILTER_TERMS: terms, MAX_FILTER_DEPTH: depth, MAX_FILTER_VALUES: values, MAX_ORDER_BY_KEYS: keys } = INPUT_LIMITS;
    const and = (n: number) => Array.from({ length: n }, () => "tags.a = 'b'").join(' AND ');
    expect(() => parseFilter(and(terms), 'runs')).not.toThrow();
    expect(() => parseFilter(and(terms + 1), 'runs')).toThrow(`exceeds the limit of ${terms} (MAX_FILTER_TERMS)`);
    const parens = (n: number) => `${'('.repeat(n)}tags.a = 'b'${')'.repeat(n)}`;
    expect(() => parseFilter(`${parens(depth)} OR ${parens(depth)}`, 'runs', { allowOr: true })).not.toThrow();
    expect(() => parseFilter(parens(depth + 1), 'runs', { allowOr: true })).toThrow('(MAX_FILTER_DEPTH)');
    const list = (n: number) => `(${Array.from({ length: n }, (_, i) => `'v${i}'`).join(',')})`;
    expect(() => parseFilter(`params.a IN ${list(values / 2)} AND params.b NOT IN ${list(values / 2)}`, 'runs')).not.toThrow();
    expect(() => parseFilter(`params.a IN ${list(values / 2)} AND params.b NOT IN ${list(values / 2 + 1)}`, 'runs')).toThrow('(MAX_FILTER_VALUES)');
    const order = (n: number) => Array.from({ length: n }, (_, i) => `params.p${i}`);
    expect(() => parseOrderBy(order(keys), 'runs')).not.toThrow();
    expect(() => parseOrderBy(order(keys + 1), 'runs')).toThrow(`The number of order_by keys (${keys + 1}) exceeds the limit of ${keys} (MAX_ORDER_BY_KEYS). Order by fewer keys.`);
  });
});
