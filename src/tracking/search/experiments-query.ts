import type { SelectQueryBuilder } from 'kysely';
import type { Dialect } from '../../db/database.js';
import type { DB } from '../../db/schema.js';
import { orderBySearch, whereMatches } from './compile.js';
import type { FilterNode } from './filter.js';
import type { OrderByClause } from './order-by.js';
import { experimentSearch } from './specs.js';

/** Adds a parsed experiment filter (`parseFilter(text, 'experiments')`) to a query over `experiments`. */
export function whereExperimentsMatch<O>(
  qb: SelectQueryBuilder<DB, 'experiments', O>,
  filter: FilterNode | null,
  dialect: Dialect,
) {
  return whereMatches(qb, filter, experimentSearch, dialect);
}

/** Orders a query over `experiments` by parsed clauses, then creation_time DESC, experiment_id ASC. */
export function orderExperiments<O>(
  qb: SelectQueryBuilder<DB, 'experiments', O>,
  orderBy: readonly OrderByClause[],
  dialect: Dialect,
) {
  return orderBySearch(qb, orderBy, experimentSearch, dialect);
}
