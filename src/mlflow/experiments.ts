import type { FastifyRequest } from 'fastify';
import { invalid, notFound } from '../core/errors.js';
import type { App, AppContext } from '../server/app.js';
import * as experiments from '../tracking/experiments.js';
import { validateMaxResults } from '../tracking/limits.js';
import { searchExperiments } from '../tracking/search.js';
import type { ViewType } from '../tracking/types.js';
import { Message, routeOptions } from './request.js';
import { experimentJson, pageJson } from './translate.js';

/** ViewType by protobuf number (index). */
export const VIEW_TYPES: readonly (ViewType | null)[] = [null, 'ACTIVE_ONLY', 'DELETED_ONLY', 'ALL'];

/** MLflow's checks on an experiment's artifact location (handlers.py `_create_experiment`). */
function validateArtifactLocation(location: string | undefined): string | undefined {
  if (!location) return undefined;
  if (location.startsWith('runs:')) throw invalid(`Artifact location cannot be a runs:/ URI. Given: '${location}'`);
  const q = location.indexOf('?');
  const path = q < 0 ? location : location.slice(0, q);
  if (location.includes('#') || path.slice(path.lastIndexOf('/') + 1).includes(';')) {
    throw invalid("'artifact_location' URL can't include fragments or params.");
  }
  let query = q < 0 ? '' : location.slice(q + 1);
  try {
    query = decodeURIComponent(query);
  } catch {
    // checked undecoded
  }
  if (query.includes('..')) throw invalid(`Invalid query string in artifact location '${location}': it may not contain '..'.`);
  return location;
}

/** Experiments: create, get, get-by-name, update, delete, restore, search, set/delete tag. */
export function registerExperimentRoutes(app: App, ctx: AppContext): void {
  const { db } = ctx.database;

  app.post('/experiments/create', routeOptions(), async (req) => {
    const m = Message.of(req);
    const id = await experiments.createExperiment(db, req.actor, {
      name: m.requiredString('name'),
      artifactLocation: validateArtifactLocation(m.string('artifact_location')),
      tags: m.keyValues('tags'),
    });
    return { experiment_id: id };
  });

  app.get('/experiments/get', routeOptions(), async (req) => {
    const m = Message.of(req);
    return { experiment: experimentJson(await experiments.getExperiment(db, m.requiredExperimentId())) };
  });

  app.get('/experiments/get-by-name', routeOptions(), async (req) => {
    const m = Message.of(req);
    return { experiment: experimentJson(await experiments.getExperimentByName(db, m.requiredString('experiment_name'))) };
  });

  app.post('/experiments/update', routeOptions(), async (req) => {
    const m = Message.of(req);
    const id = m.requiredExperimentId();
    await experiments.renameExperiment(db, req.actor, id, m.requiredString('new_name'));
    return {};
  });

  // MLflow looks the experiment up among active ones to delete it and among deleted ones to restore it: 404 otherwise.
  const requireStage = async (id: string, stage: 'active' | 'deleted') => {
    const experiment = await experiments.getExperiment(db, id);
    if (experiment.lifecycleStage !== stage) throw notFound(`No Experiment with id=${experiment.experimentId} exists`);
  };

  app.post('/experiments/delete', routeOptions(), async (req) => {
    const id = Message.of(req).requiredExperimentId();
    await requireStage(id, 'active');
    await experiments.deleteExperiment(db, req.actor, id);
    return {};
  });

  app.post('/experiments/restore', routeOptions(), async (req) => {
    const id = Message.of(req).requiredExperimentId();
    await requireStage(id, 'deleted');
    await experiments.restoreExperiment(db, req.actor, id);
    return {};
  });

  const search = async (req: FastifyRequest) => {
    const m = Message.of(req);
    const page = await searchExperiments(ctx.database, {
      filter: m.string('filter') || undefined,
      orderBy: m.strings('order_by'),
      viewType: m.enumName('view_type', VIEW_TYPES) ?? 'ACTIVE_ONLY',
      // MLflow requires max_results here (issue #10819); omitted, it means the runs' default, as MLflow intends.
      maxResults: validateMaxResults(m.int('max_results')),
      pageToken: m.string('page_token') || undefined,
      allowOr: false,
    });
    return pageJson('experiments', page.items.map(experimentJson), page.nextPageToken);
  };
  app.post('/experiments/search', routeOptions('viewer'), search);
  app.get('/experiments/search', routeOptions(), search);

  app.post('/experiments/set-experiment-tag', routeOptions(), async (req) => {
    const m = Message.of(req);
    const id = m.requiredExperimentId();
    await experiments.setExperimentTag(db, req.actor, id, { key: m.requiredString('key'), value: m.string('value') ?? '' });
    return {};
  });

  app.post('/experiments/delete-experiment-tag', routeOptions(), async (req) => {
    const m = Message.of(req);
    const id = m.requiredExperimentId();
    await experiments.deleteExperimentTag(db, req.actor, id, m.requiredString('key'));
    return {};
  });
}
