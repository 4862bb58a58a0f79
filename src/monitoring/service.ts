/** Wires monitoring into the api server: reference profiles, the scheduler feeding the alert rules, the routes. */
import type { AlertEngine } from '../alerts/engine.js';
import { registerSignal } from '../alerts/signals.js';
import type { App, AppContext } from '../server/app.js';
import { datasetAccess } from '../tracking/datasets/source-access.js';
import { ReferenceProfiles } from './reference.js';
import { registerMonitorRoutes } from './routes.js';
import { MonitorScheduler } from './scheduler.js';

export interface MonitoringOptions {
  intervalMs?: number | undefined;
  /** Writes this process's open sketch buckets (so "run now" sees the latest traffic). */
  flush?: (() => Promise<void>) | undefined;
}

registerSignal({ name: 'quality.refused_share', description: 'Share of requests refused because fields the model reads were missing', unit: 'share', labels: ['deployment', 'model', 'version', 'monitor'] });
registerSignal({ name: 'performance.mae', description: 'Mean absolute error on labelled predictions (regression)', unit: 'value', labels: ['deployment', 'model', 'version', 'monitor'] });

export async function registerMonitoring(app: App, ctx: AppContext, alerts: AlertEngine, options: MonitoringOptions = {}): Promise<MonitorScheduler> {
  const { db } = ctx.database;
  const scheduler = new MonitorScheduler(db, new ReferenceProfiles(db, ctx.artifacts, datasetAccess(ctx.trust, ctx.artifacts), ctx.trust.modelServerHosts), {
    ...(options.intervalMs !== undefined ? { intervalMs: options.intervalMs } : {}),
    onSamples: (samples) => alerts.evaluate(samples),
    onError: (monitor, e) => app.log.warn({ monitor, err: e }, 'monitor evaluation failed; retried at the next tick'),
  });
  scheduler.start();
  app.decorate('monitors', scheduler);
  app.addHook('onClose', async () => scheduler.close());
  await app.register(async (api) => registerMonitorRoutes(api as App, db, ctx.artifacts, ctx.trust.modelServerHosts, scheduler, options.flush), { prefix: '/api/v1' });
  return scheduler;
}
