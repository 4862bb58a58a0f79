import { describe, expect, it } from 'vitest';
import { SlipwayError } from '../../core/errors.js';
import { parseFilter, type Comparison, type FilterNode, type SearchKind } from './filter.js';

const parse = (filter: string, kind: SearchKind = 'runs', allowOr = false) => parseFilter(filter, kind, { allowOr });

/** The comparison parsed from a one-condition filter, without its position. */
function single(filter: string, kind: SearchKind = 'runs') {
  const node = parse(filter, kind);
  expect(node?.kind).toBe('comparison');
  const { position: _, ...rest } = node as Comparison;
  return rest;
}

/** A compact form of a tree: `or(and(a,b),c)` with comparisons as `entity.key op value`. */
function shape(node: FilterNode | null): string {
  if (!node) return 'null';
  if (node.kind === 'comparison') return `${node.entity}.${node.key} ${node.comparator} ${JSON.stringify(node.value)}`;
  return `${node.kind}(${node.operands.map(shape).join(', ')})`;
}

function failure(filter: string, kind: SearchKind = 'runs', allowOr = false): { message: string; position: unknown } {
  try {
    parse(filter, kind, allowOr);
  } catch (error) {
    expect(error).toBeInstanceOf(SlipwayError);
    const e = error as SlipwayError;
    expect(e.code).toBe('INVALID_ARGUMENT');
    return { message: e.message, position: e.details?.position };
  }
  throw new Error(`expected ${JSON.stringify(filter)} to be rejected`);
}

describe('parseFilter: valid filters', () => {
  it('treats an empty or blank filter as no filter', () => {
    expect(parseFilter(undefined, 'runs')).toBeNull();
    expect(parseFilter(null, 'runs')).toBeNull();
    expect(parseFilter('', 'runs')).toBeNull();
    expect(parseFilter('  \t\n', 'runs')).toBeNull();
  });

  it('parses a comparison with its position', () => {
    expect(parse("params.a = 'x' AND metrics.acc > 0.5")).toEqual({
      kind: 'and',
      operands: [
        { kind: 'comparison', entity: 'param', key: 'a', comparator: '=', value: 'x', position: 0 },
        { kind: 'comparison', entity: 'metric', key: 'acc', comparator: '>', value: 0.5, position: 19 },
      ],
    });
  });

  it('accepts every entity prefix and its aliases', () => {
    for (const prefix of ['metrics', 'metric']) expect(single(`${prefix}.m > 1`).entity).toBe('metric');
    for (const prefix of ['params', 'param', 'parameters', 'parameter']) expect(single(`${prefix}.p = 'v'`).entity).toBe('param');
    for (const prefix of ['tags', 'tag']) expect(single(`${prefix}.t = 'v'`).entity).toBe('tag');
    for (const prefix of ['attributes', 'attribute', 'attr', 'run']) {
      expect(single(`${prefix}.status = 'FINISHED'`)).toMatchObject({ entity: 'attribute', key: 'status' });
    }
    for (const prefix of ['datasets', 'dataset']) expect(single(`${prefix}.name = 'd'`).entity).toBe('dataset');
  });

  it('reads bare, double-quoted and backticked keys', () => {
    expect(single('metrics.val/loss:1-2.x_y >= 0').key).toBe('val/loss:1-2.x_y');
    expect(single('tags.mlflow.runName = \'r\'').key).toBe('mlflow.runName');
    expect(single('tags."mlflow.runName" = \'r\'').key).toBe('mlflow.runName');
    expect(single('metrics.`my metric` < 3').key).toBe('my metric');
    expect(single('params.`a``b` = \'v\'').key).toBe('a`b');
    expect(single('params."say \\"hi\\"" = \'v\'').key).toBe('say "hi"');
  });

  it('accepts every comparator, keywords in any case', () => {
    for (const op of ['=', '!=', '<', '<=', '>', '>='] as const) expect(single(`metrics.m ${op} 1`).comparator).toBe(op);
    expect(single("params.p LIKE 'a%'").comparator).toBe('LIKE');
    expect(single("params.p like 'a%'").comparator).toBe('LIKE');
    expect(single("params.p ILike 'a%'").comparator).toBe('ILIKE');
    expect(single("tags.t IN ('a')")).toMatchObject({ comparator: 'IN', value: ['a'] });
    expect(single("tags.t not in ('a', 'b')")).toMatchObject({ comparator: 'NOT IN', value: ['a', 'b'] });
    expect(single('params.p IS NULL')).toMatchObject({ comparator: 'IS NULL', value: null });
    expect(single('params.p is not null')).toMatchObject({ comparator: 'IS NOT NULL', value: null });
    expect(shape(parse("metrics.a = 1 and params.b = 'c' AnD tags.d = 'e'"))).toBe(
      'and(metric.a = 1, param.b = "c", tag.d = "e")',
    );
  });

  it('reads comparators written without spaces', () => {
    expect(shape(parse("metrics.a>=0.5 AND params.b!='x' AND metrics.c<-1"))).toBe(
      'and(metric.a >= 0.5, param.b != "x", metric.c < -1)',
    );
  });

  it('reads numbers: integers, decimals, exponents, signs', () => {
    const values = ['1', '-1', '+3', '0.5', '.5', '5.', '1e3', '1E-3', '-2.5e+2'].map((n) => single(`metrics.m > ${n}`).value);
    expect(values).toEqual([1, -1, 3, 0.5, 0.5, 5, 1000, 0.001, -250]);
  });

  it('reads strings in either quote, with doubled or backslash-escaped quotes', () => {
    expect(single("params.p = 'it''s'").value).toBe("it's");
    expect(single("params.p = 'it\\'s'").value).toBe("it's");
    expect(single('params.p = "say ""hi"""').value).toBe('say "hi"');
    expect(single('params.p = "say \\"hi\\""').value).toBe('say "hi"');
    expect(single("params.p = 'back\\\\slash'").value).toBe('back\\slash');
    // Other backslashes reach the value unchanged: they are LIKE escapes.
    expect(single("params.p LIKE '100\\%'").value).toBe('100\\%');
    expect(single("params.p = ''").value).toBe('');
    expect(single("params.p = 'a AND b = 1'").value).toBe('a AND b = 1');
  });

  it('reads IN lists of quoted strings', () => {
    expect(single(`attributes.run_id IN ('a', "b",'c''d')`).value).toEqual(['a', 'b', "c'd"]);
    expect(single("datasets.digest NOT IN ('x')").value).toEqual(['x']);
  });

  it('resolves attribute aliases and unprefixed attribute names', () => {
    expect(single('created > 5')).toMatchObject({ entity: 'attribute', key: 'start_time' });
    expect(single('attributes.Created > 5').key).toBe('start_time');
    expect(single("attributes.`run name` = 'x'").key).toBe('run_name');
    expect(single("`Run Name` = 'x'").key).toBe('run_name');
    expect(single("status = 'FINISHED'")).toMatchObject({ entity: 'attribute', key: 'status' });
    expect(single("run_id IN ('a')").comparator).toBe('IN');
    expect(single('end_time <= 10').value).toBe(10);
  });

  it('knows the attributes of experiments and logged models', () => {
    expect(single("name LIKE 'exp%'", 'experiments')).toMatchObject({ entity: 'attribute', key: 'name' });
    expect(single("experiment_id IN ('1', '2')", 'experiments').value).toEqual(['1', '2']);
    expect(single('attributes.creation_time > 5', 'experiments').key).toBe('creation_time');
    expect(single("tags.owner = 'me'", 'experiments').entity).toBe('tag');
    expect(single('creation_time > 5', 'logged_models').key).toBe('creation_timestamp');
    expect(single('metrics.acc >= 0.9', 'logged_models').entity).toBe('metric');
    expect(single("params.lr = '0.1'", 'logged_models').entity).toBe('param');
    expect(single("source_run_id IN ('r')", 'logged_models').comparator).toBe('IN');
  });
});

describe('parseFilter: OR and parentheses (native API)', () => {
  const or = (filter: string) => shape(parse(filter, 'runs', true));

  it('binds AND tighter than OR', () => {
    expect(or('metrics.a = 1 OR metrics.b = 2 AND metrics.c = 3')).toBe('or(metric.a = 1, and(metric.b = 2, metric.c = 3))');
    expect(or('metrics.a = 1 AND metrics.b = 2 or metrics.c = 3')).toBe('or(and(metric.a = 1, metric.b = 2), metric.c = 3)');
  });

  it('groups with parentheses and flattens runs of the same junction', () => {
    expect(or('(metrics.a = 1 OR metrics.b = 2) AND metrics.c = 3')).toBe('and(or(metric.a = 1, metric.b = 2), metric.c = 3)');
    expect(or('metrics.a = 1 OR (metrics.b = 2 OR metrics.c = 3)')).toBe('or(metric.a = 1, metric.b = 2, metric.c = 3)');
    expect(or("((params.p = 'x'))")).toBe('param.p = "x"');
    expect(or("metrics.a = 1 AND (params.p = 'x' OR (tags.t IS NULL AND metrics.b < 0))")).toBe(
      'and(metric.a = 1, or(param.p = "x", and(tag.t IS NULL null, metric.b < 0)))',
    );
  });
});

describe('parseFilter: errors say where and what was expected', () => {
  const cases: [filter: string, position: number, message: RegExp, kind?: SearchKind, allowOr?: boolean][] = [
    [
      'metrics.acc 0.5',
      12,
      /^Invalid filter at position 12: expected a comparator \(=, !=, <, <=, >, >=, LIKE, ILIKE, IN, NOT IN, IS NULL, IS NOT NULL\) after "metrics\.acc", found "0\.5"$/,
    ],
    ["tags.t = 'b' AND metrics.acc", 28, /expected a comparator .* after "metrics\.acc", found the end of the input/],
    ['foo.bar = 1', 0, /unknown prefix "foo" in "foo\.bar"; expected metrics\., params\., tags\., attributes\., datasets\./],
    ["attributes.colour = 'x'", 0, /unknown attribute "colour" for runs; valid attributes are run_id, run_name, status, user_id, artifact_uri, lifecycle_stage, start_time, end_time$/],
    ["colour = 'x'", 0, /unknown attribute "colour"/],
    ["datasets.size = 'x'", 0, /unknown dataset field "size"; valid fields are name, digest, context/],
    ["tags. = 'x'", 6, /expected a key after "tags\." .*found "="/],
    ["metrics.acc = 'x'", 14, /expected a number after "metrics\.acc =", found 'x'/],
    ['metrics.acc > --1', 14, /expected a number after "metrics\.acc >", found "--1"/],
    ["attributes.start_time > 'x'", 24, /expected a number after "attributes\.start_time >"/],
    ['params.p = 1', 11, /expected a quoted string after "params\.p =", found "1" \(params values are strings: quote it\)/],
    ['tags.t = abc', 9, /expected a quoted string after "tags\.t =", found "abc"/],
    ["metrics.acc LIKE 'x'", 12, /LIKE is not supported for metrics \("metrics\.acc"\); use one of =, !=, <, <=, >, >=$/],
    ['metrics.acc IS NULL', 12, /IS NULL is not supported for metrics/],
    ["attributes.status IN ('a')", 18, /IN is not supported for attribute "status" \("attributes\.status"\); use one of =, !=, LIKE, ILIKE$/],
    ['start_time LIKE 5', 11, /LIKE is not supported for attribute "start_time"/],
    ['datasets.name IS NULL', 14, /IS NULL is not supported for dataset field "name"/],
    ["params.p = 'abc", 11, /unterminated string: no closing ' for the one opened here/],
    ['metrics.`abc = 1', 8, /unterminated backtick-quoted name/],
    ['metrics.a # 1', 10, /unexpected character "#"/],
    ['metrics.a ! 1', 10, /expected "!=" but found a lone "!"/],
    ['metrics.a > 1 OR metrics.b > 2', 14, /OR is only supported on the native API/],
    ['(metrics.a > 1)', 0, /a grouping parenthesis is only supported on the native API/],
    ['metrics.a > 1 AND', 17, /expected a condition after "AND", found the end of the filter/],
    ['metrics.a > 1 metrics.b > 2', 14, /expected AND or the end of the filter after a condition, found "metrics\.b"/],
    ['metrics.a > 1 metrics.b > 2', 14, /expected AND, OR or the end of the filter/, 'runs', true],
    ['(metrics.a > 1', 14, /expected "\)" to close the "\(" at position 0, found the end of the input/, 'runs', true],
    ['metrics.a > 1)', 13, /unbalanced "\)"/, 'runs', true],
    ['metrics.a > 1 OR', 16, /expected a condition after "OR"/, 'runs', true],
    ["params.p IN ()", 13, /expected a quoted string \(the list must not be empty\) in the IN list, found "\)"/],
    ["params.p IN 'a'", 12, /expected a parenthesized list such as \('a', 'b'\) after "params\.p IN", found 'a'/],
    ["params.p IN ('a' 'b')", 17, /expected "," or "\)" in the IN list, found 'b'/],
    ["params.p IN ('a', 1)", 18, /expected a quoted string in the IN list, found "1"/],
    ["params.p IN ('a',", 17, /expected a quoted string in the IN list, found the end of the input/],
    ["params.p NOT 'a'", 13, /expected IN after NOT in "params\.p NOT", found 'a'/],
    ["params.p IS 'a'", 12, /expected NULL after "params\.p IS", found 'a'/],
    ['params.p IS NOT 1', 16, /expected NULL after "params\.p IS NOT", found "1"/],
    ['metrics.a > 1', 0, /"metrics\.a": experiments have no metrics; use tags\., attributes\. or an attribute name/, 'experiments'],
    ["datasets.name = 'd'", 0, /logged models have no datasets/, 'logged_models'],
    ["run_name = 'x'", 0, /unknown attribute "run_name" for experiments; valid attributes are name, experiment_id, lifecycle_stage, creation_time, last_update_time/, 'experiments'],
    ["= 'x'", 0, /expected an identifier such as metrics\., params\., tags\., attributes\., datasets\.<key> or an attribute name, found "="/],
  ];

  it.each(cases)('%s', (filter, position, message, kind, allowOr) => {
    const error = failure(filter, kind, allowOr);
    expect(error.position).toBe(position);
    expect(error.message).toMatch(message);
    expect(error.message.startsWith(`Invalid filter at position ${position}: `)).toBe(true);
  });
});
