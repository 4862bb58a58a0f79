import { checkLimit } from '../../core/limits.js';
import { describe, readIdentifier } from './identifier.js';
import { specOf, type SearchKind, type SearchSpec } from './specs.js';
import { syntaxError, tokenize } from './tokenize.js';

/** One ORDER BY item: a metric, param, tag or attribute (canonical name) and a direction. */
export interface OrderByClause {
  entity: 'metric' | 'param' | 'tag' | 'attribute';
  key: string;
  direction: 'asc' | 'desc';
  /** Logged models only: order by the metric's latest value on this dataset. */
  dataset?: { name: string; digest?: string };
}

/**
 * Parses MLflow order_by clauses, each `<identifier> [ASC|DESC]` (ASC by default): `metrics.acc DESC`,
 * `tags."mlflow.runName"`, `start_time DESC` (an unprefixed name is an attribute). Throws `invalid` with
 * `details.position` (offset in the clause) and `details.clause` (its index) for a bad clause.
 */
export function parseOrderBy(clauses: readonly string[] | null | undefined, kind: SearchKind | SearchSpec): OrderByClause[] {
  const spec = specOf(kind);
  checkLimit('MAX_ORDER_BY_KEYS', clauses?.length ?? 0, 'order_by keys', 'Order by fewer keys.');
  return (clauses ?? []).map((clause, index) => parseClause(clause, index, spec));
}

function parseClause(clause: string, index: number, spec: SearchSpec): OrderByClause {
  const label = `order_by clause ${JSON.stringify(clause)}`;
  const fail = (position: number, problem: string) => syntaxError(label, position, problem, { clause: index });
  const tokens = tokenize(clause, label, { clause: index });
  if (tokens[0]!.kind === 'end') throw fail(0, 'expected an identifier such as metrics.<key> or an attribute name, found an empty clause');
  const { identifier, next } = readIdentifier(clause, tokens, 0, spec, fail);
  if (identifier.entity === 'dataset') throw fail(identifier.position, `${spec.name} cannot be ordered by datasets fields`);

  let direction: 'asc' | 'desc' = 'asc';
  let at = next;
  const word = tokens[at]!;
  if (word.kind === 'word' && /^(asc|desc)$/i.test(word.text)) {
    direction = word.text.toLowerCase() as 'asc' | 'desc';
    at++;
  }
  const end = tokens[at]!;
  if (end.kind !== 'end') {
    const expected = at === next ? `ASC, DESC or the end of the clause after "${identifier.text}"` : 'the end of the clause';
    throw fail(end.start, `expected ${expected}, found ${describe(end)}`);
  }
  return { entity: identifier.entity, key: identifier.key, direction };
}
