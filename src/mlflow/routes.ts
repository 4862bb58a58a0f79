import type { App, AppContext } from '../server/app.js';
import { acceptJsonBodies } from '../server/body.js';
import { registerArtifactService, registerGetArtifactRoute, registerRunArtifactRoutes } from './artifacts.js';
import { registerExperimentRoutes } from './experiments.js';
import { registerLoggedModelFileRoute, registerLoggedModelRoutes } from './logged-models.js';
import { registerLoggingRoutes } from './logging.js';
import { registerMetricRoutes } from './metrics.js';
import { registerRegistryRoutes } from './registry.js';
import { parseJsonBody } from './request.js';
import { registerRunRoutes } from './runs.js';

/** MLflow serves every endpoint under both; the UI uses /ajax-api. */
const BASES = ['/api/2.0', '/ajax-api/2.0'] as const;

/**
 * MLflow REST API 2.0 compatibility: a thin translation onto tracking. Errors thrown here are rendered in MLflow's
 * `{error_code, message}` shape by the app's error handler (it recognises the /api/2.0 and /ajax-api/2.0 paths).
 */
export async function registerMlflowRoutes(app: App, ctx: AppContext): Promise<void> {
  // MLflow's own clients and UI send application/json; a JSON body is read as MLflow reads it (an empty body as {}).
  acceptJsonBodies(app, parseJsonBody);

  for (const base of BASES) {
    await app.register(
      async (api) => {
        const mlflow = api as App;
        registerExperimentRoutes(mlflow, ctx);
        registerRunRoutes(mlflow, ctx);
        registerLoggingRoutes(mlflow, ctx);
        registerMetricRoutes(mlflow, ctx);
        registerRunArtifactRoutes(mlflow, ctx);
        registerLoggedModelRoutes(mlflow, ctx);
        registerRegistryRoutes(mlflow, ctx);
        if (base === '/ajax-api/2.0') registerLoggedModelFileRoute(mlflow, ctx);
      },
      { prefix: `${base}/mlflow` },
    );
    await app.register(async (api) => registerArtifactService(api as App, ctx), { prefix: `${base}/mlflow-artifacts` });
  }
  registerGetArtifactRoute(app, ctx);
}
