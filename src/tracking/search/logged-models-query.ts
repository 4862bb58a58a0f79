import type { SelectQueryBuilder } from 'kysely';
import type { Dialect } from '../../db/database.js';
import type { DB } from '../../db/schema.js';
import { orderBySearch, whereMatches } from './compile.js';
import type { FilterNode } from './filter.js';
import type { OrderByClause } from './order-by.js';
import { loggedModelSearch } from './specs.js';

/**
 * Adds a parsed logged-model filter (`parseFilter(text, 'logged_models')`) to a query over `logged_models`.
 * A metric test matches when any logged value of the key does, as in MLflow.
 */
export function whereLoggedModelsMatch<O>(
  qb: SelectQueryBuilder<DB, 'logged_models', O>,
  filter: FilterNode | null,
  dialect: Dialect,
) {
  return whereMatches(qb, filter, loggedModelSearch, dialect);
}

/**
 * Orders a query over `logged_models` by parsed clauses (a metric by its latest value, by timestamp then
 * step), then creation_timestamp DESC, model_id ASC.
 */
export function orderLoggedModels<O>(
  qb: SelectQueryBuilder<DB, 'logged_models', O>,
  orderBy: readonly OrderByClause[],
  dialect: Dialect,
) {
  return orderBySearch(qb, orderBy, loggedModelSearch, dialect);
}
