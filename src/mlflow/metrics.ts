import { invalid } from '../core/errors.js';
import type { App, AppContext } from '../server/app.js';
import { getMetricHistory, getMetricHistoryBulkInterval, getMetricHistoryJson } from '../tracking/history.js';
import { Message, routeOptions } from './request.js';
import { compact, metricJson, pageJson } from './translate.js';

/** Metric histories: get-history (paged) and get-history-bulk-interval (sampled, for charts of several runs). */
export function registerMetricRoutes(app: App, ctx: AppContext): void {
  const { db } = ctx.database;

  app.get('/metrics/get-history', routeOptions(), async (req, reply) => {
    const m = Message.of(req);
    const runId = m.runId();
    const key = m.requiredString('metric_key');
    const maxResults = m.int('max_results');
    if (maxResults !== undefined && maxResults < 1) {
      throw invalid(`Invalid value ${maxResults} for parameter 'max_results' supplied: it must be a positive integer.`);
    }
    const pageToken = m.string('page_token') || undefined;
    // Without max_results the whole history comes back in one page (MLflow 3.4's LIMIT 1 is a bug, fixed upstream).
    if (maxResults === undefined && pageToken === undefined) {
      const json = await getMetricHistoryJson(ctx.database, runId, key, 'timestamp');
      return reply.type('application/json').send(json === '[]' ? '{}' : `{"metrics":${json}}`);
    }
    const page = await getMetricHistory(db, runId, key, { maxResults, pageToken, orderBy: 'timestamp' });
    return pageJson('metrics', page.metrics.map(metricJson), page.nextPageToken);
  });

  app.get('/metrics/get-history-bulk-interval', routeOptions(), async (req) => {
    const m = Message.of(req);
    const metrics = await getMetricHistoryBulkInterval(db, {
      runIds: m.strings('run_ids'),
      key: m.requiredString('metric_key'),
      startStep: m.int('start_step'),
      endStep: m.int('end_step'),
      maxResults: m.int('max_results'),
    });
    return compact({ metrics: metrics.map((x) => ({ ...metricJson(x), run_id: x.runId })) });
  });
}
