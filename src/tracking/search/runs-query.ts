import type { SelectQueryBuilder } from 'kysely';
import type { Dialect } from '../../db/database.js';
import type { DB } from '../../db/schema.js';
import { orderBySearch, whereMatches } from './compile.js';
import type { FilterNode } from './filter.js';
import type { OrderByClause } from './order-by.js';
import { runSearch } from './specs.js';

/**
 * Adds a parsed run filter (`parseFilter(text, 'runs')`) to a query over `runs`, which must appear unaliased in
 * its FROM. Metrics test the latest value (`latest_metrics`); a param or tag test needs the key to exist.
 */
export function whereRunsMatch<O>(qb: SelectQueryBuilder<DB, 'runs', O>, filter: FilterNode | null, dialect: Dialect) {
  return whereMatches(qb, filter, runSearch, dialect);
}

/**
 * Orders a query over `runs` by parsed order_by clauses (`parseOrderBy(clauses, 'runs')`), missing values
 * last, then start_time DESC, run_uuid ASC (the whole order when there are no clauses).
 */
export function orderRuns<O>(qb: SelectQueryBuilder<DB, 'runs', O>, orderBy: readonly OrderByClause[], dialect: Dialect) {
  return orderBySearch(qb, orderBy, runSearch, dialect);
}
