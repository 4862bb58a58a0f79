import { sql, type Expression, type RawBuilder, type SqlBool } from 'kysely';
import type { Dialect } from '../../db/database.js';
import { likeToEscaped, likeToGlob } from './like.js';

/** The SQL that differs between the dialects for search; everything else is written once. */
export interface SearchDialect {
  /** Case-sensitive LIKE. */
  like(column: Expression<unknown>, pattern: string): RawBuilder<SqlBool>;
  /** Case-insensitive LIKE. */
  ilike(column: Expression<unknown>, pattern: string): RawBuilder<SqlBool>;
  /** A text expression to sort by, in code-point order on both dialects whatever the database collation. */
  sortableText(expression: Expression<unknown>): RawBuilder<unknown>;
  /**
   * Length of the value prefix that the (key, value) indexes of params and tags hold (migration 0001), or null
   * when they hold the whole value. PostgreSQL limits a btree entry to about 2.7 kB and values reach 8000
   * characters, so there the index is on `substr(value, 1, 100)` and an equality test must repeat that expression.
   */
  valueIndexPrefix: number | null;
  /** FROM item listing `{key, value}` objects of a JSON text array column, and its key and value expressions. */
  jsonKeyValues(column: Expression<unknown>): { from: RawBuilder<unknown>; key: RawBuilder<string>; value: RawBuilder<string> };
}

const sqlite: SearchDialect = {
  // SQLite's LIKE ignores ASCII case and PRAGMA case_sensitive_like is per connection: GLOB is always exact.
  like: (column, pattern) => sql<SqlBool>`${column} glob ${likeToGlob(pattern)}`,
  // SQLite's LIKE folds ASCII letters only; PostgreSQL's ILIKE folds all of Unicode.
  ilike: (column, pattern) => sql<SqlBool>`${column} like ${likeToEscaped(pattern)} escape '\\'`,
  sortableText: (expression) => sql`${expression}`,
  valueIndexPrefix: null,
  jsonKeyValues: (column) => ({
    from: sql`json_each(${column}) as kv`,
    key: sql<string>`json_extract(kv.value, '$.key')`,
    value: sql<string>`json_extract(kv.value, '$.value')`,
  }),
};

const postgres: SearchDialect = {
  like: (column, pattern) => sql<SqlBool>`${column} like ${likeToEscaped(pattern)}`,
  ilike: (column, pattern) => sql<SqlBool>`${column} ilike ${likeToEscaped(pattern)}`,
  sortableText: (expression) => sql`${expression} collate "C"`,
  valueIndexPrefix: 100,
  jsonKeyValues: (column) => ({
    from: sql`jsonb_array_elements(cast(${column} as jsonb)) as kv`,
    key: sql<string>`kv ->> 'key'`,
    value: sql<string>`kv ->> 'value'`,
  }),
};

export const searchDialect = (dialect: Dialect): SearchDialect => (dialect === 'postgres' ? postgres : sqlite);
