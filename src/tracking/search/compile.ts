import { sql, type Expression, type RawBuilder, type SelectQueryBuilder, type SqlBool } from 'kysely';
import type { Dialect } from '../../db/database.js';
import { searchDialect, type SearchDialect } from './dialect-sql.js';
import type { Comparison, FilterNode } from './filter.js';
import type { OrderByClause } from './order-by.js';
import type { AttributeSpec, Comparator, KeyValueTable, SearchSpec } from './specs.js';

/** MLflow's tag key holding a dataset input's context (training, eval...). */
const DATASET_CONTEXT_KEY = 'mlflow.data.context';

interface Context {
  spec: SearchSpec;
  sd: SearchDialect;
  /** The searched row's id, e.g. "runs"."run_uuid". */
  id: Expression<unknown>;
}

const contextOf = (spec: SearchSpec, dialect: Dialect): Context => ({
  spec,
  sd: searchDialect(dialect),
  id: sql.ref(`${spec.table}.${spec.id}`),
});

/**
 * Adds the filter to a query whose FROM names the spec's table unaliased (`selectFrom('runs')`).
 * Key/value tests are correlated EXISTS subqueries on (id, key), which both planners turn into index lookups.
 */
export function whereMatches<DB, TB extends keyof DB, O>(
  qb: SelectQueryBuilder<DB, TB, O>,
  filter: FilterNode | null,
  spec: SearchSpec,
  dialect: Dialect,
): SelectQueryBuilder<DB, TB, O> {
  return filter ? qb.where(condition(filter, contextOf(spec, dialect))) : qb;
}

/**
 * Adds ORDER BY for the clauses, missing values last in both directions (and NaN metrics after numbers),
 * then the spec's tie-breakers, which are the whole order when there are no clauses.
 */
export function orderBySearch<DB, TB extends keyof DB, O>(
  qb: SelectQueryBuilder<DB, TB, O>,
  clauses: readonly OrderByClause[],
  spec: SearchSpec,
  dialect: Dialect,
): SelectQueryBuilder<DB, TB, O> {
  const ctx = contextOf(spec, dialect);
  const ordered = new Set(clauses.filter((c) => c.entity === 'attribute').map((c) => c.key));
  const items = [
    ...clauses.flatMap((clause) => orderItems(clause, ctx)),
    ...spec.tieBreakers
      .filter((t) => !ordered.has(t.attribute))
      .map((t) => ({ expression: attributeRef(ctx, t.attribute), direction: t.direction, nullable: false })),
  ];
  let query = qb;
  for (const { expression, direction, nullable } of items) {
    // Only nullable keys say NULLS LAST: on a NOT NULL column it would stop PostgreSQL using an index order.
    query = query.orderBy(expression, (ob) => (nullable ? ob[direction]().nullsLast() : ob[direction]()));
  }
  return query;
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
    case 'metric': {
      // NaN is stored with is_nan = 1 and never satisfies a numeric comparison.
      const m = spec.metrics!;
      const test = numberTest(sql.ref('f.value'), c.comparator, c.value as number, false);
      return sql<SqlBool>`exists (select 1 from ${sql.table(m.table)} as f where ${keyMatch(m, c.key, id)} and f.is_nan = 0 and ${test})`;
    }
    case 'param':
    case 'tag': {
      const table = (c.entity === 'param' ? spec.params : spec.tags)!;
      const rows = sql`select 1 from ${sql.table(table.table)} as f where ${keyMatch(table, c.key, id)}`;
      if (c.comparator === 'IS NULL') return sql<SqlBool>`not exists (${rows})`;
      if (c.comparator === 'IS NOT NULL') return sql<SqlBool>`exists (${rows})`;
      // A key the row lacks matches nothing, not even "!=" (MLflow semantics).
      return sql<SqlBool>`exists (${rows} and ${textTest(sql.ref('f.value'), c, sd)})`;
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

function keyMatch(table: KeyValueTable, key: string, id: Expression<unknown>): RawBuilder<SqlBool> {
  return sql<SqlBool>`${sql.ref(`f.${table.fk}`)} = ${id} and f.key = ${key}`;
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
  const attribute: AttributeSpec | undefined = ctx.spec.attributes[name];
  if (!attribute) throw new Error(`Unknown attribute ${name} for ${ctx.spec.name}`);
  return sql.ref(`${ctx.spec.table}.${attribute.column}`);
}

interface OrderItem {
  expression: Expression<unknown>;
  direction: 'asc' | 'desc';
  nullable: boolean;
}

function orderItems(clause: OrderByClause, ctx: Context): OrderItem[] {
  const { spec, sd, id } = ctx;
  const { direction } = clause;
  switch (clause.entity) {
    case 'attribute': {
      const attribute = spec.attributes[clause.key]!;
      const column = attributeRef(ctx, clause.key);
      const expression = attribute.type === 'string' && !attribute.textId ? sd.sortableText(column) : column;
      return [{ expression, direction, nullable: attribute.nullable ?? false }];
    }
    case 'param':
    case 'tag': {
      const table = (clause.entity === 'param' ? spec.params : spec.tags)!;
      const value = sql`(select f.value from ${sql.table(table.table)} as f where ${keyMatch(table, clause.key, id)})`;
      return [{ expression: sd.sortableText(value), direction, nullable: true }];
    }
    case 'metric': {
      const m = spec.metrics!;
      const latest = m.history ? sql` order by f.timestamp desc, f.step desc limit 1` : sql``;
      const pick = (column: RawBuilder<unknown>) =>
        sql`(select ${column} from ${sql.table(m.table)} as f where ${keyMatch(m, clause.key, id)}${latest})`;
      // First the number (NULL for NaN and for a missing metric), then is_nan DESC NULLS LAST: NaN before missing.
      return [
        { expression: pick(sql`case when f.is_nan = 0 then f.value end`), direction, nullable: true },
        { expression: pick(sql`f.is_nan`), direction: 'desc', nullable: true },
      ];
    }
  }
}
