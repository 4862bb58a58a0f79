import { SelectAllNode, sql, type Expression, type RawBuilder, type SelectQueryBuilder, type SqlBool } from 'kysely';
import type { Dialect } from '../../db/database.js';
import { searchDialect, type SearchDialect } from './dialect-sql.js';
import type { Comparison, FilterNode } from './filter.js';
import type { OrderByClause } from './order-by.js';
import type { Comparator, KeyValueTable, SearchSpec } from './specs.js';

/** MLflow's tag key holding a dataset input's context (training, eval...). */
const DATASET_CONTEXT_KEY = 'mlflow.data.context';

/** Restricts which metric rows count, e.g. to those of given datasets (logged models); `alias` is the row's. */
export type MetricScope = (alias: string) => RawBuilder<SqlBool>;

interface Context {
  spec: SearchSpec;
  sd: SearchDialect;
  /** The searched row's id, e.g. "runs"."run_uuid". */
  id: Expression<unknown>;
  metricScope: MetricScope | undefined;
}

const contextOf = (spec: SearchSpec, dialect: Dialect, metricScope?: MetricScope): Context => ({
  spec,
  sd: searchDialect(dialect),
  id: sql.ref(`${spec.table}.${spec.id}`),
  metricScope,
});

/**
 * SQLite joins at most 64 tables in one statement; the filter's joins (beyond these, tests become EXISTS
 * subqueries, same meaning) plus one per order_by key (MAX_ORDER_BY_KEYS) must stay below that.
 */
const MAX_FILTER_JOINS = 32;

// Internally the query's table set grows with search aliases the caller's types do not know about.
type AnyQuery<O> = SelectQueryBuilder<any, any, O>;

/**
 * Adds the filter to a query whose FROM names the spec's table unaliased (`selectFrom('runs')`).
 *
 * Each top-level AND-ed test that needs a key/value row to exist (`params.p = 'v'`, `metrics.m > 1`) becomes an
 * inner join on (id, key), unique per row, so rows are not multiplied. Joins let the planner start from the most
 * selective index (`params (key, value)`) or from the searched table; SQLite would run an EXISTS subquery row by
 * row of the searched table, never start from it. Other tests (IS NULL, OR, datasets) are EXISTS subqueries. A joined table is a subquery whose only
 * columns are named `search_<n>_*`, so the caller's unqualified column names stay unambiguous; still, select the
 * table's columns with `selectAll('runs')`, not `selectAll()`, which would add those columns to every row.
 */
export function whereMatches<DB, TB extends keyof DB, O>(
  qb: SelectQueryBuilder<DB, TB, O>,
  filter: FilterNode | null,
  spec: SearchSpec,
  dialect: Dialect,
  metricScope?: MetricScope,
): SelectQueryBuilder<DB, TB, O> {
  if (!filter) return qb;
  const ctx = contextOf(spec, dialect, metricScope);
  const conjuncts = filter.kind === 'and' ? filter.operands : [filter];
  let query = qb as AnyQuery<O>;
  const rest: FilterNode[] = [];
  let joins = 0;
  for (const node of conjuncts) {
    const table = node.kind === 'comparison' && joins < MAX_FILTER_JOINS ? joinableTable(node, spec) : undefined;
    if (node.kind !== 'comparison' || !table) {
      rest.push(node);
      continue;
    }
    joins++;
    const alias = nextAlias(query);
    const test = valueTest(node, 'f', table, ctx);
    const rows = keyRows(table, node.key, test, sql`f.${sql.ref(table.fk)} as ${sql.ref(`${alias}_id`)}`);
    query = query.innerJoin(rows.as(alias), (join) => join.on(sql<SqlBool>`${sql.ref(`${alias}.${alias}_id`)} = ${ctx.id}`));
  }
  // Plain column tests first: SQLite evaluates WHERE terms in the order written, and subqueries cost more.
  rest.sort((a, b) => Number(isAttributeTest(b)) - Number(isAttributeTest(a)));
  if (rest.length > 0) query = query.where(condition({ kind: 'and', operands: rest }, ctx));
  return query as SelectQueryBuilder<DB, TB, O>;
}

/**
 * Adds ORDER BY for the clauses, missing values last in both directions (and NaN metrics after numbers),
 * then the spec's tie-breakers, which are the whole order when there are no clauses. Metric, param and tag
 * keys are LEFT JOINed once each (one index probe per candidate row).
 */
export function orderBySearch<DB, TB extends keyof DB, O>(
  qb: SelectQueryBuilder<DB, TB, O>,
  clauses: readonly OrderByClause[],
  spec: SearchSpec,
  dialect: Dialect,
): SelectQueryBuilder<DB, TB, O> {
  const ctx = contextOf(spec, dialect);
  let query = qb as AnyQuery<O>;
  const items: OrderItem[] = [];
  for (const clause of clauses) {
    const { query: joined, items: more } = orderItems(query, clause, ctx);
    query = joined;
    items.push(...more);
  }
  const ordered = new Set(clauses.filter((c) => c.entity === 'attribute').map((c) => c.key));
  for (const t of spec.tieBreakers) {
    if (!ordered.has(t.attribute)) items.push({ expression: attributeRef(ctx, t.attribute), direction: t.direction, nullable: false });
  }
  for (const { expression, direction, nullable } of items) {
    // Only nullable keys say NULLS LAST: on a NOT NULL column it would stop PostgreSQL using an index order.
    query = query.orderBy(expression, (ob) => (nullable ? ob[direction]().nullsLast() : ob[direction]()));
  }
  return query as SelectQueryBuilder<DB, TB, O>;
}

/** The key/value table a comparison can be joined on, if it requires the key to exist and the key is unique. */
function joinableTable(c: Comparison, spec: SearchSpec): KeyValueTable | undefined {
  if (c.comparator === 'IS NULL') return undefined;
  if (c.entity === 'param') return spec.params;
  if (c.entity === 'tag') return spec.tags;
  if (c.entity === 'metric' && !spec.metrics!.history) return spec.metrics;
  return undefined;
}

const isAttributeTest = (node: FilterNode) => node.kind === 'comparison' && node.entity === 'attribute';

/** A fresh alias: joins are numbered, so applying filter and order (even twice) never reuses one. */
function nextAlias(query: AnyQuery<unknown>): string {
  const node = query.toOperationNode();
  if (node.selections?.some((s) => SelectAllNode.is(s.selection))) {
    throw new Error('Search joins key/value tables: select the searched table with selectAll(table), not selectAll().');
  }
  return `search_${node.joins?.length ?? 0}`;
}

function condition(node: FilterNode, ctx: Context): RawBuilder<SqlBool> {
  if (node.kind !== 'comparison') {
    const parts = node.operands.map((operand) => condition(operand, ctx));
    return sql<SqlBool>`(${sql.join(parts, node.kind === 'and' ? sql` and ` : sql` or `)})`;
  }
  return comparison(node, ctx);
}

function comparison(c: Comparison, ctx: Context): RawBuilder<SqlBool> {
  const { spec, sd, id } = ctx;
  switch (c.entity) {
    case 'attribute': {
      const attribute = spec.attributes[c.key]!;
      if (attribute.type === 'number') return numberTest(attributeRef(ctx, c.key), c.comparator, c.value as number, true);
      const column = attribute.textId ? sql`cast(${attributeRef(ctx, c.key)} as text)` : attributeRef(ctx, c.key);
      return textTest(column, c, sd);
    }
    case 'metric':
    case 'param':
    case 'tag': {
      const table = (c.entity === 'metric' ? spec.metrics : c.entity === 'param' ? spec.params : spec.tags)!;
      const rows = sql`select 1 from ${sql.table(table.table)} as f where ${keyMatch(table, 'f', c.key, id)}`;
      if (c.comparator === 'IS NULL') return sql<SqlBool>`not exists (${rows})`;
      const test = valueTest(c, 'f', table, ctx);
      return test ? sql<SqlBool>`exists (${rows} and ${test})` : sql<SqlBool>`exists (${rows})`;
    }
    case 'dataset': {
      if (c.key === 'context') {
        const kv = sd.jsonKeyValues(sql.ref('i.tags'));
        return sql<SqlBool>`exists (select 1 from run_inputs as i, ${kv.from} where i.run_uuid = ${id} and ${kv.key} = ${DATASET_CONTEXT_KEY} and ${textTest(kv.value, c, sd)})`;
      }
      const field = sql.ref(`d.${c.key}`);
      return sql<SqlBool>`exists (select 1 from run_inputs as i join datasets as d on d.dataset_uuid = i.dataset_uuid where i.run_uuid = ${id} and ${textTest(field, c, sd)})`;
    }
  }
}

function keyMatch(table: KeyValueTable, alias: string, key: string, id: Expression<unknown>): RawBuilder<SqlBool> {
  return sql<SqlBool>`${sql.ref(`${alias}.${table.fk}`)} = ${id} and ${sql.ref(`${alias}.key`)} = ${key}`;
}

/** The rows of one key, as a derived table to join; both planners flatten it into a plain join. */
function keyRows(table: KeyValueTable, key: string, test: RawBuilder<SqlBool> | null, columns: RawBuilder<unknown>) {
  return sql`(select ${columns} from ${sql.table(table.table)} as f where f.key = ${key}${test ? sql` and ${test}` : sql``})`;
}

/**
 * The test on a key/value row's value (null when the row's existence is the test). A key the row lacks matches
 * nothing, not even "!=" (MLflow semantics); NaN metrics match no numeric comparison.
 */
function valueTest(c: Comparison, alias: string, table: KeyValueTable, ctx: Context): RawBuilder<SqlBool> | null {
  const value = sql.ref(`${alias}.value`);
  if (c.comparator === 'IS NOT NULL') return null;
  if (c.entity === 'metric') {
    const test = sql<SqlBool>`${sql.ref(`${alias}.is_nan`)} = 0 and ${numberTest(value, c.comparator, c.value as number, false)}`;
    return ctx.metricScope ? sql<SqlBool>`${test} and ${ctx.metricScope(alias)}` : test;
  }
  const test = textTest(value, c, ctx.sd);
  const prefix = table.valueIndexed ? ctx.sd.valueIndexPrefix : null;
  if (prefix === null || (c.comparator !== '=' && c.comparator !== 'IN')) return test;
  // Repeat the index's expression so PostgreSQL can use its (key, substr(value, 1, n)) index.
  const indexed = sql`substr(${value}, 1, ${sql.lit(prefix)})`;
  const cut = (v: string) => Array.from(v).slice(0, prefix).join('');
  const values = typeof c.value === 'string' ? [c.value] : (c.value as readonly string[]);
  return sql<SqlBool>`${indexed} in (${sql.join(values.map(cut))}) and ${test}`;
}

function textTest(column: Expression<unknown>, c: Comparison, sd: SearchDialect): RawBuilder<SqlBool> {
  const { comparator, value } = c;
  switch (comparator) {
    case '=':
      return sql<SqlBool>`${column} = ${value as string}`;
    case '!=':
      return sql<SqlBool>`${column} <> ${value as string}`;
    case 'LIKE':
      return sd.like(column, value as string);
    case 'ILIKE':
      return sd.ilike(column, value as string);
    case 'IN':
    case 'NOT IN':
      return sql<SqlBool>`${column} ${sql.raw(comparator.toLowerCase())} (${sql.join(value as readonly string[])})`;
    default:
      throw new Error(`Comparator ${comparator} is not a text comparison`);
  }
}

/**
 * `integerColumn`: a fractional or out-of-range bound must not be sent as a parameter that PostgreSQL would
 * type as bigint, so the column is compared as a double instead (losing the index only in that rare case).
 */
function numberTest(column: Expression<unknown>, comparator: Comparator, value: number, integerColumn: boolean) {
  const operator = sql.raw(comparator === '!=' ? '<>' : comparator);
  const lhs = integerColumn && !Number.isSafeInteger(value) ? sql`cast(${column} as double precision)` : column;
  return sql<SqlBool>`${lhs} ${operator} ${value}`;
}

function attributeRef(ctx: Context, name: string): Expression<unknown> {
  const attribute = ctx.spec.attributes[name];
  if (!attribute) throw new Error(`Unknown attribute ${name} for ${ctx.spec.name}`);
  return sql.ref(`${ctx.spec.table}.${attribute.column}`);
}

interface OrderItem {
  expression: Expression<unknown>;
  direction: 'asc' | 'desc';
  nullable: boolean;
}

function orderItems<O>(query: AnyQuery<O>, clause: OrderByClause, ctx: Context): { query: AnyQuery<O>; items: OrderItem[] } {
  const { spec, sd, id } = ctx;
  const { direction } = clause;
  if (clause.entity === 'attribute') {
    const attribute = spec.attributes[clause.key]!;
    const column = attributeRef(ctx, clause.key);
    const expression = attribute.type === 'string' && !attribute.textId ? sd.sortableText(column) : column;
    return { query, items: [{ expression, direction, nullable: attribute.nullable ?? false }] };
  }
  const table = (clause.entity === 'metric' ? spec.metrics : clause.entity === 'param' ? spec.params : spec.tags)!;
  if (clause.entity === 'metric' && spec.metrics!.history) {
    // Several values per key: the latest, by timestamp then step, as MLflow orders logged models.
    const { dataset } = clause;
    const scope = dataset
      ? sql` and f.dataset_name = ${dataset.name}${dataset.digest === undefined ? sql`` : sql` and f.dataset_digest = ${dataset.digest}`}`
      : sql``;
    const pick = (column: RawBuilder<unknown>) =>
      sql`(select ${column} from ${sql.table(table.table)} as f where ${keyMatch(table, 'f', clause.key, id)}${scope} order by f.timestamp desc, f.step desc limit 1)`;
    return { query, items: metricOrder(pick(sql`case when f.is_nan = 0 then f.value end`), pick(sql`f.is_nan`), direction) };
  }
  const alias = nextAlias(query);
  const ref = (column: string) => sql.ref(`${alias}.${alias}_${column}`);
  const as = (column: string, name: string) => sql`f.${sql.ref(column)} as ${sql.ref(`${alias}_${name}`)}`;
  const columns = [as(table.fk, 'id'), as('value', 'value'), ...(clause.entity === 'metric' ? [as('is_nan', 'nan')] : [])];
  const rows = keyRows(table, clause.key, null, sql.join(columns));
  const joined = query.leftJoin(rows.as(alias), (join) => join.on(sql<SqlBool>`${ref('id')} = ${id}`));
  if (clause.entity === 'metric') {
    return { query: joined, items: metricOrder(sql`case when ${ref('nan')} = 0 then ${ref('value')} end`, ref('nan'), direction) };
  }
  return { query: joined, items: [{ expression: sd.sortableText(ref('value')), direction, nullable: true }] };
}

/** The number (NULL for NaN and for a missing metric), then is_nan DESC NULLS LAST: NaN before missing. */
function metricOrder(number: Expression<unknown>, isNan: Expression<unknown>, direction: 'asc' | 'desc'): OrderItem[] {
  return [
    { expression: number, direction, nullable: true },
    { expression: isNan, direction: 'desc', nullable: true },
  ];
}
