import { sql, type SelectQueryBuilder, type SqlBool } from 'kysely';
import { invalid } from '../../core/errors.js';
import { checkLimit } from '../../core/limits.js';
import type { Dialect } from '../../db/database.js';
import type { DB } from '../../db/schema.js';
import { orderBySearch, whereMatches, type MetricScope } from './compile.js';
import type { FilterNode } from './filter.js';
import { parseOrderBy, type OrderByClause } from './order-by.js';
import { loggedModelSearch } from './specs.js';

/** MLflow's `datasets` argument of SearchLoggedModels: metrics count only when logged on one of these. */
export interface DatasetScope {
  name: string;
  digest?: string;
}

/**
 * Adds a parsed logged-model filter (`parseFilter(text, 'logged_models')`) to a query over `logged_models`.
 * A metric test matches when any logged value of the key does, as in MLflow. With `datasets`, metric tests
 * only see values logged on those datasets, and a filter without metric tests requires some metric on them.
 */
export function whereLoggedModelsMatch<O>(
  qb: SelectQueryBuilder<DB, 'logged_models', O>,
  filter: FilterNode | null,
  dialect: Dialect,
  datasets: readonly DatasetScope[] = [],
) {
  if (datasets.length === 0) return whereMatches(qb, filter, loggedModelSearch, dialect);
  const scope: MetricScope = (alias) => {
    const one = (d: DatasetScope) =>
      d.digest === undefined
        ? sql`${sql.ref(`${alias}.dataset_name`)} = ${d.name}`
        : sql`(${sql.ref(`${alias}.dataset_name`)} = ${d.name} and ${sql.ref(`${alias}.dataset_digest`)} = ${d.digest})`;
    return sql<SqlBool>`(${sql.join(datasets.map(one), sql` or `)})`;
  };
  const query = whereMatches(qb, filter, loggedModelSearch, dialect, scope);
  if (filter && hasMetricTest(filter)) return query;
  return query.where(
    sql<SqlBool>`exists (select 1 from logged_model_metrics as f where f.model_id = logged_models.model_id and ${scope('f')})`,
  );
}

/**
 * Orders a query over `logged_models` by parsed clauses (a metric by its latest value, by timestamp then
 * step, on the clause's dataset if it names one), then creation_timestamp DESC, model_id ASC.
 */
export function orderLoggedModels<O>(
  qb: SelectQueryBuilder<DB, 'logged_models', O>,
  orderBy: readonly OrderByClause[],
  dialect: Dialect,
) {
  return orderBySearch(qb, orderBy, loggedModelSearch, dialect);
}

/**
 * Turns MLflow's SearchLoggedModels order_by items (`{field_name, ascending, dataset_name, dataset_digest}`)
 * into clauses; `ascending` defaults to true as in MLflow. Throws `invalid` for an unknown field.
 */
export function parseLoggedModelOrderBy(
  items: readonly { fieldName: string; ascending?: boolean; datasetName?: string; datasetDigest?: string }[] | undefined,
): OrderByClause[] {
  checkLimit('MAX_ORDER_BY_KEYS', items?.length ?? 0, 'order_by keys', 'Order by fewer keys.');
  return (items ?? []).map((item) => {
    const [clause] = parseOrderBy([item.fieldName], loggedModelSearch);
    const direction = item.ascending === false ? 'desc' : 'asc';
    if (item.datasetName === undefined) {
      if (item.datasetDigest !== undefined) throw invalid('order_by: dataset_digest needs dataset_name.');
      return { ...clause!, direction };
    }
    if (clause!.entity !== 'metric') throw invalid(`order_by: dataset_name applies to metrics only, not "${item.fieldName}".`);
    const dataset = item.datasetDigest === undefined ? { name: item.datasetName } : { name: item.datasetName, digest: item.datasetDigest };
    return { ...clause!, direction, dataset };
  });
}

function hasMetricTest(node: FilterNode): boolean {
  return node.kind === 'comparison' ? node.entity === 'metric' : node.operands.some(hasMetricTest);
}
