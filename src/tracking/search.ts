import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.js';
import type { LoggedModel } from './logged-models.js';
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
  orderBy?: { fieldName: string; ascending?: boolean }[];
  datasets?: { datasetName: string; datasetDigest?: string }[];
  maxResults?: number;
  pageToken?: string;
  allowOr?: boolean;
}

export async function searchExperiments(_db: Kysely<DB>, _input: SearchExperimentsInput): Promise<Page<Experiment>> {
  throw new Error('not yet implemented');
}
export async function searchRuns(_db: Kysely<DB>, _input: SearchRunsInput): Promise<Page<Run>> {
  throw new Error('not yet implemented');
}
export async function searchLoggedModels(_db: Kysely<DB>, _input: SearchLoggedModelsInput): Promise<Page<LoggedModel>> {
  throw new Error('not yet implemented');
}
