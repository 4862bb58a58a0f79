import type { Database } from '../db/database.js';
import { validateMaxResults } from '../tracking/limits.js';
import { orderBySearch, whereMatches } from '../tracking/search/compile.js';
import { parseFilter, parseOrderBy, type FilterNode } from '../tracking/search/filter.js';
import { decodePageToken, pageOf } from '../tracking/search/page-token.js';
import type { SearchSpec } from '../tracking/search/specs.js';
import type { Page } from '../tracking/types.js';
import { toModels, toVersions } from './load.js';
import type { ModelVersion, RegisteredModel } from './types.js';

/** MLflow SearchRegisteredModels: `name` (=, !=, LIKE, ILIKE) and tags; ordered by name unless told otherwise. */
export const registeredModelSearch: SearchSpec = {
  name: 'registered models',
  table: 'registered_models',
  id: 'name',
  attributes: {
    name: { type: 'string', column: 'name' },
    creation_timestamp: { type: 'number', column: 'creation_timestamp' },
    last_updated_timestamp: { type: 'number', column: 'last_updated_timestamp' },
  },
  aliases: { timestamp: 'last_updated_timestamp', creation_time: 'creation_timestamp', last_updated_time: 'last_updated_timestamp' },
  tags: { table: 'registered_model_tags', fk: 'name' },
  tieBreakers: [{ attribute: 'name', direction: 'asc' }],
};

/** MLflow SearchModelVersions: name, version_number, run_id, source_path and tags. */
export const modelVersionSearch: SearchSpec = {
  name: 'model versions',
  table: 'model_versions',
  id: 'id',
  attributes: {
    name: { type: 'string', column: 'name' },
    version_number: { type: 'number', column: 'version' },
    run_id: { type: 'string', column: 'run_id', lists: true, nullable: true },
    source_path: { type: 'string', column: 'source' },
    current_stage: { type: 'string', column: 'current_stage' },
    creation_timestamp: { type: 'number', column: 'creation_timestamp' },
    last_updated_timestamp: { type: 'number', column: 'last_updated_timestamp' },
  },
  aliases: { version: 'version_number', source: 'source_path', timestamp: 'last_updated_timestamp' },
  tags: { table: 'model_version_tags', fk: 'version_id' },
  // MLflow's documented tie-break: name ascending, then version descending.
  tieBreakers: [
    { attribute: 'name', direction: 'asc' },
    { attribute: 'version_number', direction: 'desc' },
  ],
};

export interface RegistrySearchInput {
  filter?: string;
  orderBy?: string[];
  maxResults?: number;
  pageToken?: string;
  /** OR and parentheses: the native API has them, MLflow's grammar does not. */
  allowOr?: boolean;
}

/** MLflow's limits: registered models 100 by default and at most 1000; versions up to 200000. */
export const SEARCH_LIMITS = { models: { default: 100, max: 1000 }, versions: { default: 10_000, max: 200_000 } } as const;

/** MLflow keeps prompt templates in the model registry, told apart from models by this tag set to 'true'. */
export const IS_PROMPT_TAG = 'mlflow.prompt.is_prompt';

/**
 * MLflow's rule for prompts in registry searches (its SQL store's `_is_querying_prompt`): a filter asks for
 * prompts when its first test of the tag is `= 'true'` or `!= 'false'` (any case), and then that test is an
 * ordinary tag test. Otherwise every test of the tag is dropped and prompts are left out, so models that never
 * had the tag are found: the MLflow 3 client adds ``tags.`mlflow.prompt.is_prompt` != 'true'`` to every
 * registered-model search, which as an ordinary tag test would find nothing. Only top-level AND-ed tests count
 * (MLflow's grammar has no OR; inside a native OR the tag is an ordinary tag).
 */
export function promptScope(filter: FilterNode | null): { filter: FilterNode | null; excludePrompts: boolean } {
  const conjuncts = filter === null ? [] : filter.kind === 'and' ? filter.operands : [filter];
  const isPromptTest = (n: FilterNode) => n.kind === 'comparison' && n.entity === 'tag' && n.key === IS_PROMPT_TAG;
  const first = conjuncts.find(isPromptTest);
  if (first?.kind === 'comparison' && typeof first.value === 'string') {
    const v = first.value.toLowerCase();
    if ((first.comparator === '=' && v === 'true') || (first.comparator === '!=' && v === 'false')) return { filter, excludePrompts: false };
  }
  const rest = conjuncts.filter((n) => !isPromptTest(n));
  if (rest.length === conjuncts.length) return { filter, excludePrompts: true };
  return { filter: rest.length === 0 ? null : rest.length === 1 ? rest[0]! : { kind: 'and', operands: rest }, excludePrompts: true };
}

/** Registered models matching an MLflow filter, ordered and paged by offset tokens. */
export async function searchRegisteredModels(database: Database, input: RegistrySearchInput): Promise<Page<RegisteredModel>> {
  const { db, dialect } = database;
  const limit = input.maxResults === undefined ? SEARCH_LIMITS.models.default : validateMaxResults(input.maxResults, SEARCH_LIMITS.models.max);
  const offset = decodePageToken(input.pageToken);
  const { filter, excludePrompts } = promptScope(parseFilter(input.filter, registeredModelSearch, { allowOr: input.allowOr }));
  const orderBy = parseOrderBy(input.orderBy, registeredModelSearch);
  let base = db.selectFrom('registered_models').selectAll('registered_models');
  if (excludePrompts) {
    base = base.where(({ not, exists, selectFrom }) =>
      not(exists(selectFrom('registered_model_tags as p').select('p.name').whereRef('p.name', '=', 'registered_models.name').where('p.key', '=', IS_PROMPT_TAG).where('p.value', '=', 'true'))),
    );
  }
  const rows = await orderBySearch(whereMatches(base, filter, registeredModelSearch, dialect), orderBy, registeredModelSearch, dialect)
    .limit(limit + 1)
    .offset(offset)
    .execute();
  const page = pageOf(rows, offset, limit);
  return { items: await toModels(db, page.rows), nextPageToken: page.nextPageToken };
}

/** Live model versions matching an MLflow filter (`name = 'm'`, `run_id = '...'`, `tags.k = 'v'`), paged. */
export async function searchModelVersions(database: Database, input: RegistrySearchInput): Promise<Page<ModelVersion>> {
  const { db, dialect } = database;
  const limit = input.maxResults === undefined ? SEARCH_LIMITS.versions.default : validateMaxResults(input.maxResults, SEARCH_LIMITS.versions.max);
  const offset = decodePageToken(input.pageToken);
  const { filter, excludePrompts } = promptScope(parseFilter(input.filter, modelVersionSearch, { allowOr: input.allowOr }));
  const orderBy = parseOrderBy(input.orderBy, modelVersionSearch);
  let base = db.selectFrom('model_versions').selectAll('model_versions').where('model_versions.deleted_at', 'is', null);
  if (excludePrompts) {
    // As in MLflow, one version tagged as a prompt leaves out every version of its model.
    base = base.where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('model_version_tags as p')
            .innerJoin('model_versions as pv', 'pv.id', 'p.version_id')
            .select('p.version_id')
            .whereRef('pv.name', '=', 'model_versions.name')
            .where('p.key', '=', IS_PROMPT_TAG)
            .where('p.value', '=', 'true'),
        ),
      ),
    );
  }
  const rows = await orderBySearch(whereMatches(base, filter, modelVersionSearch, dialect), orderBy, modelVersionSearch, dialect)
    .limit(limit + 1)
    .offset(offset)
    .execute();
  const page = pageOf(rows, offset, limit);
  return { items: await toVersions(db, page.rows), nextPageToken: page.nextPageToken };
}
