/** What an identifier's prefix names: `metrics.acc` is a metric, `start_time` an attribute. */
export type EntityType = 'metric' | 'param' | 'tag' | 'attribute' | 'dataset';

export type Comparator =
  | '='
  | '!='
  | '<'
  | '<='
  | '>'
  | '>='
  | 'LIKE'
  | 'ILIKE'
  | 'IN'
  | 'NOT IN'
  | 'IS NULL'
  | 'IS NOT NULL';

export const NUMERIC_COMPARATORS: readonly Comparator[] = ['=', '!=', '<', '<=', '>', '>='];
export const STRING_COMPARATORS: readonly Comparator[] = ['=', '!=', 'LIKE', 'ILIKE'];
export const LIST_COMPARATORS: readonly Comparator[] = ['IN', 'NOT IN'];
export const KEY_VALUE_COMPARATORS: readonly Comparator[] = [
  ...STRING_COMPARATORS,
  ...LIST_COMPARATORS,
  'IS NULL',
  'IS NOT NULL',
];
export const DATASET_COMPARATORS: readonly Comparator[] = [...STRING_COMPARATORS, ...LIST_COMPARATORS];
export const DATASET_KEYS = ['name', 'digest', 'context'] as const;

/** A searchable column of the searched table. */
export interface AttributeSpec {
  type: 'string' | 'number';
  column: string;
  /** IN and NOT IN are accepted (ids). */
  lists?: boolean;
  /** The column can be NULL, so ordering must say where NULLs go. */
  nullable?: boolean;
  /** Stored as an integer but compared as text, because MLflow ids are strings (`experiment_id = '3'`). */
  textId?: boolean;
}

/** A table of key/value rows (params, tags, metrics) that belongs to the searched entity through `fk`. */
export interface KeyValueTable {
  table: string;
  fk: string;
  /** Has the (key, value) search index of migration 0001, so equality tests are written to use it. */
  valueIndexed?: boolean;
}

/**
 * Everything that differs between the searches sharing the grammar: which prefixes exist, the attributes with
 * their columns, the key/value tables and the order that breaks ties. Parsing reads the grammar part; the query
 * builders read the storage part.
 */
export interface SearchSpec {
  /** Plural noun used in messages, e.g. "runs". */
  name: string;
  table: 'runs' | 'experiments' | 'logged_models' | 'registered_models' | 'model_versions';
  id: string;
  attributes: Readonly<Record<string, AttributeSpec>>;
  /** Alternative attribute names, mapped to the canonical one (MLflow's `created`, `run name`). */
  aliases: Readonly<Record<string, string>>;
  /**
   * Metrics: `history` means the table holds every logged value (several rows per key), so ordering uses the
   * latest one by timestamp then step, while a filter matches when any value does (MLflow's logged models).
   */
  metrics?: KeyValueTable & { history: boolean };
  params?: KeyValueTable;
  tags?: KeyValueTable;
  /** Runs only: `datasets.name/digest/context` through run_inputs and datasets. */
  datasets?: boolean;
  /** Appended to every ORDER BY (and the whole order when none is given), so pages are stable. */
  tieBreakers: readonly { attribute: string; direction: 'asc' | 'desc' }[];
}

/** Search over runs (MLflow SearchRuns). */
export const runSearch: SearchSpec = {
  name: 'runs',
  table: 'runs',
  id: 'run_uuid',
  attributes: {
    run_id: { type: 'string', column: 'run_uuid', lists: true },
    run_name: { type: 'string', column: 'name' },
    status: { type: 'string', column: 'status' },
    user_id: { type: 'string', column: 'user_id' },
    artifact_uri: { type: 'string', column: 'artifact_uri' },
    lifecycle_stage: { type: 'string', column: 'lifecycle_stage' },
    start_time: { type: 'number', column: 'start_time' },
    end_time: { type: 'number', column: 'end_time', nullable: true },
  },
  aliases: { created: 'start_time', Created: 'start_time', 'run name': 'run_name', 'Run name': 'run_name', 'Run Name': 'run_name' },
  metrics: { table: 'latest_metrics', fk: 'run_uuid', history: false },
  params: { table: 'params', fk: 'run_uuid', valueIndexed: true },
  tags: { table: 'tags', fk: 'run_uuid', valueIndexed: true },
  datasets: true,
  tieBreakers: [
    { attribute: 'start_time', direction: 'desc' },
    { attribute: 'run_id', direction: 'asc' },
  ],
};

/** Search over experiments (MLflow SearchExperiments). */
export const experimentSearch: SearchSpec = {
  name: 'experiments',
  table: 'experiments',
  id: 'experiment_id',
  attributes: {
    name: { type: 'string', column: 'name' },
    experiment_id: { type: 'string', column: 'experiment_id', lists: true, textId: true },
    lifecycle_stage: { type: 'string', column: 'lifecycle_stage' },
    creation_time: { type: 'number', column: 'creation_time' },
    last_update_time: { type: 'number', column: 'last_update_time' },
  },
  aliases: {},
  tags: { table: 'experiment_tags', fk: 'experiment_id' },
  tieBreakers: [
    { attribute: 'creation_time', direction: 'desc' },
    { attribute: 'experiment_id', direction: 'asc' },
  ],
};

/** Search over MLflow 3 logged models (SearchLoggedModels). */
export const loggedModelSearch: SearchSpec = {
  name: 'logged models',
  table: 'logged_models',
  id: 'model_id',
  attributes: {
    name: { type: 'string', column: 'name' },
    model_id: { type: 'string', column: 'model_id', lists: true },
    model_type: { type: 'string', column: 'model_type', nullable: true },
    status: { type: 'string', column: 'status' },
    source_run_id: { type: 'string', column: 'source_run_id', lists: true, nullable: true },
    creation_timestamp: { type: 'number', column: 'creation_timestamp' },
    last_updated_timestamp: { type: 'number', column: 'last_updated_timestamp' },
  },
  aliases: { creation_time: 'creation_timestamp' },
  metrics: { table: 'logged_model_metrics', fk: 'model_id', history: true },
  params: { table: 'logged_model_params', fk: 'model_id' },
  tags: { table: 'logged_model_tags', fk: 'model_id' },
  tieBreakers: [
    { attribute: 'creation_timestamp', direction: 'desc' },
    { attribute: 'model_id', direction: 'asc' },
  ],
};

export type SearchKind = 'runs' | 'experiments' | 'logged_models';

const specs: Record<SearchKind, SearchSpec> = {
  runs: runSearch,
  experiments: experimentSearch,
  logged_models: loggedModelSearch,
};

/** The spec of a built-in search, or the given spec itself (for a search defined elsewhere). */
export const specOf = (kind: SearchKind | SearchSpec): SearchSpec => (typeof kind === 'string' ? specs[kind] : kind);

/** The prefixes a spec accepts, in the order messages list them. */
export function entitiesOf(spec: SearchSpec): EntityType[] {
  const entities: EntityType[] = [];
  if (spec.metrics) entities.push('metric');
  if (spec.params) entities.push('param');
  if (spec.tags) entities.push('tag');
  entities.push('attribute');
  if (spec.datasets) entities.push('dataset');
  return entities;
}
