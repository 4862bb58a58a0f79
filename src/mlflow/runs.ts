import { invalid } from '../core/errors.js';
import type { App, AppContext } from '../server/app.js';
import { validateMaxResults } from '../tracking/limits.js';
import * as runs from '../tracking/runs.js';
import { searchRuns } from '../tracking/search.js';
import { TAG, type RunStatus } from '../tracking/types.js';
import { VIEW_TYPES } from './experiments.js';
import { Message, routeOptions } from './request.js';
import { pageJson, runInfoJson, runJson } from './translate.js';

/** RunStatus by protobuf number (index). */
export const RUN_STATUSES: readonly (RunStatus | null)[] = [null, 'RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED'];

/** Runs: create, get, update, delete, restore, search, set-tag, delete-tag. Logging is in logging.ts. */
export function registerRunRoutes(app: App, ctx: AppContext): void {
  const { db } = ctx.database;

  app.post('/runs/create', routeOptions(), async (req) => {
    const m = Message.of(req);
    const tags = m.keyValues('tags');
    const runName = m.string('run_name') || undefined;
    const nameTag = tags.findLast((t) => t.key === TAG.runName)?.value;
    if (runName && nameTag && runName !== nameTag) {
      throw invalid(
        `Both 'run_name' argument and 'mlflow.runName' tag are specified, but with different values (run_name='${runName}', mlflow.runName='${nameTag}').`,
      );
    }
    const run = await runs.createRun(db, req.actor, {
      experimentId: m.experimentId() || undefined,
      userId: m.string('user_id') || undefined,
      runName,
      // MLflow stores 0 when start_time is omitted; the time of creation is what such a client means.
      startTime: m.int('start_time'),
      tags,
    });
    return { run: runJson(run) };
  });

  app.get('/runs/get', routeOptions(), async (req) => ({ run: runJson(await runs.getRun(db, Message.of(req).runId())) }));

  app.post('/runs/update', routeOptions(), async (req) => {
    const m = Message.of(req);
    const runId = m.runId();
    const info = await runs.updateRun(db, req.actor, runId, {
      status: m.enumName('status', RUN_STATUSES),
      endTime: m.int('end_time'),
      runName: m.string('run_name') || undefined,
    });
    return { run_info: runInfoJson(info) };
  });

  app.post('/runs/delete', routeOptions(), async (req) => {
    await runs.deleteRun(db, req.actor, Message.of(req).runId());
    return {};
  });

  app.post('/runs/restore', routeOptions(), async (req) => {
    await runs.restoreRun(db, req.actor, Message.of(req).runId());
    return {};
  });

  app.post('/runs/search', routeOptions('viewer'), async (req) => {
    const m = Message.of(req);
    const page = await searchRuns(ctx.database, {
      experimentIds: m.strings('experiment_ids', { ids: true }),
      filter: m.string('filter') || undefined,
      orderBy: m.strings('order_by'),
      viewType: m.enumName('run_view_type', VIEW_TYPES) ?? 'ACTIVE_ONLY',
      maxResults: validateMaxResults(m.int('max_results')),
      pageToken: m.string('page_token') || undefined,
      allowOr: false,
    });
    return pageJson('runs', page.items.map(runJson), page.nextPageToken);
  });

  app.post('/runs/set-tag', routeOptions(), async (req) => {
    const m = Message.of(req);
    const runId = m.runId();
    await runs.setRunTag(db, req.actor, runId, { key: m.requiredString('key'), value: m.string('value') ?? '' });
    return {};
  });

  app.post('/runs/delete-tag', routeOptions(), async (req) => {
    const m = Message.of(req);
    const runId = m.runId();
    await runs.deleteRunTag(db, req.actor, runId, m.requiredString('key'));
    return {};
  });
}
