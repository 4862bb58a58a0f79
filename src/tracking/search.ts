import { checkLimit } from '../core/limits.js';
import type { Database } from '../db/database.js';
import { parseExperimentId, toExperiments } from './experiments.js';
import { validateMaxResults } from './limits.js';
import { loadLoggedModels, type LoggedModel } from './logged-models.js';
import { loadRuns } from './runs.js';
import { orderExperiments, whereExperimentsMatch } from './search/experiments-query.js';
import { parseFilter, parseOrderBy } from './search/filter.js';
import { orderLoggedModels, parseLoggedModelOrderBy, whereLoggedModelsMatch } from './search/logged-models-query.js';
import { decodePageToken, pageOf } from './search/page-token.js';
import { orderRuns, whereRunsMatch } from './search/runs-query.js';
import type { Experiment, Page, Run, ViewType } from './types.js';

export interface SearchExperimentsInput {
  filter?: string;
  orderBy?: string[];
  viewType?: ViewType;
  maxResults?: number;
  pageToken?: string;
  /** OR and parentheses: the native API has them, MLflow's grammar does not. */
  allowOr?: boolean;
}

export interface SearchRunsInput extends SearchExperimentsInput {
  experimentIds: string[];
}

export interface SearchLoggedModelsInput {
  experimentIds: string[];
  filter?: string;
  orderBy?: { fieldName: string; ascending?: boolean; datasetName?: string; datasetDigest?: string }[];
  datasets?: { datasetName: string; datasetDigest?: string }[];
  maxResults?: number;
  pageToken?: string;
  allowOr?: boolean;
}

const stagesOf = (view: ViewType | undefined): ('active' | 'deleted')[] =>
  view === 'DELETED_ONLY' ? ['deleted'] : view === 'ALL' ? ['active', 'deleted'] : ['active'];

/** Experiments matching an MLflow filter (names, tags, times), ordered and paged by offset tokens. */
export async function searchExperiments(database: Database, input: SearchExperimentsInput): Promise<Page<Experiment>> {
  const { db, dialect } = database;
  const limit = validateMaxResults(input.maxResults);
  const offset = decodePageToken(input.pageToken);
  const filter = parseFilter(input.filter, 'experiments', { allowOr: input.allowOr });
  const orderBy = parseOrderBy(input.orderBy, 'experiments');
  const base = db.selectFrom('experiments').selectAll('experiments').where('experiments.lifecycle_stage', 'in', stagesOf(input.viewType));
  const rows = await orderExperiments(whereExperimentsMatch(base, filter, dialect), orderBy, dialect)
    .limit(limit + 1)
    .offset(offset)
    .execute();
  const page = pageOf(rows, offset, limit);
  return { items: await toExperiments(db, page.rows), nextPageToken: page.nextPageToken };
}

/** Runs of the given experiments matching an MLflow filter over metrics, params, tags, attributes and datasets. */
export async function searchRuns(database: Database, input: SearchRunsInput): Promise<Page<Run>> {
  const { db, dialect } = database;
  const limit = validateMaxResults(input.maxResults);
  const offset = decodePageToken(input.pageToken);
  checkLimit('MAX_EXPERIMENT_IDS', input.experimentIds.length, 'experiment ids', 'Search fewer experiments at a time.');
  const experimentIds = input.experimentIds.map(parseExperimentId);
  const filter = parseFilter(input.filter, 'runs', { allowOr: input.allowOr });
  const orderBy = parseOrderBy(input.orderBy, 'runs');
  if (experimentIds.length === 0) return { items: [], nextPageToken: null };
  const base = db
    .selectFrom('runs')
    .select('runs.run_uuid')
    .where('runs.experiment_id', 'in', experimentIds)
    .where('runs.lifecycle_stage', 'in', stagesOf(input.viewType));
  const rows = await orderRuns(whereRunsMatch(base, filter, dialect), orderBy, dialect)
    .limit(limit + 1)
    .offset(offset)
    .execute();
  const page = pageOf(rows, offset, limit);
  return { items: await loadRuns(db, page.rows.map((r) => r.run_uuid)), nextPageToken: page.nextPageToken };
}

/** MLflow 3 logged models of the given experiments, optionally scored only on some datasets. */
export async function searchLoggedModels(database: Database, input: SearchLoggedModelsInput): Promise<Page<LoggedModel>> {
  const { db, dialect } = database;
  const limit = validateMaxResults(input.maxResults ?? 50);
  const offset = decodePageToken(input.pageToken);
  checkLimit('MAX_EXPERIMENT_IDS', input.experimentIds.length, 'experiment ids', 'Search fewer experiments at a time.');
  checkLimit('MAX_SEARCH_DATASETS', input.datasets?.length ?? 0, 'datasets', 'Score on fewer datasets at a time.');
  const experimentIds = input.experimentIds.map(parseExperimentId);
  const filter = parseFilter(input.filter, 'logged_models', { allowOr: input.allowOr });
  const orderBy = parseLoggedModelOrderBy(input.orderBy);
  const datasets = (input.datasets ?? []).map((d) => (d.datasetDigest === undefined ? { name: d.datasetName } : { name: d.datasetName, digest: d.datasetDigest }));
  if (experimentIds.length === 0) return { items: [], nextPageToken: null };
  const base = db
    .selectFrom('logged_models')
    .selectAll('logged_models')
    .where('logged_models.experiment_id', 'in', experimentIds)
    .where('logged_models.lifecycle_stage', '=', 'active');
  const rows = await orderLoggedModels(whereLoggedModelsMatch(base, filter, dialect, datasets), orderBy, dialect)
    .limit(limit + 1)
    .offset(offset)
    .execute();
  const page = pageOf(rows, offset, limit);
  return { items: await loadLoggedModels(db, page.rows), nextPageToken: page.nextPageToken };
}
