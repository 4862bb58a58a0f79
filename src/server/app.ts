import { tmpdir } from 'node:os';
import { join } from 'node:path';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { TokenVerifier } from '../access/tokens.js';
import { registerAccessRoutes } from '../access/routes.js';
import { registerAlerting } from '../alerts/routes.js';
import type { ArtifactStore } from '../artifacts/store.js';
import type { ServerRole } from '../core/config.js';
import type { IdentityGuard, PromotionGuard, RenameFollower } from '../core/promotion.js';
import { checkJsonDepth } from '../core/limits.js';
import type { ReleaseEligibility } from '../core/release.js';
import { defaultTrust, type TrustSettings } from '../core/trust.js';
import type { Database } from '../db/database.js';
import { datasetAccess } from '../tracking/datasets/source-access.js';
import { registerEvaluationRoutes } from '../evaluation/routes.js';
import { RolloutController } from '../serving/controller.js';
import { Gateway } from '../serving/gateway.js';
import { GatewayMetrics } from '../serving/metrics.js';
import { registerMonitoring } from '../monitoring/service.js';
import { ServingSketches } from '../monitoring/sketcher.js';
import { PredictionLog } from '../serving/prediction-log.js';
import { followModelRename } from '../serving/deployments.js';
import { registerDeploymentControl, registerServingRoutes } from '../serving/routes.js';
import { EvaluationService } from '../evaluation/service.js';
import { registerMlflowRoutes } from '../mlflow/routes.js';
import { registerRegistryRoutes } from '../registry/routes.js';
import { registerTrackingRoutes } from '../tracking/routes.js';
import { VERSION } from '../version.js';
import { registerAuth } from './auth.js';
import { registerJsonBodies } from './body.js';
import { sendError, sendNotFound } from './errors.js';
import { registerOriginGuard } from './origin.js';
import { defaultUiRoot, registerUi } from './ui.js';

export interface AppContext {
  database: Database;
  artifacts: ArtifactStore;
  auth: boolean;
  verifier: TokenVerifier;
  evaluations: EvaluationService;
  /** Consulted before an alias or stage moves (release gates). */
  promotionGuard: PromotionGuard;
  /** Consulted before a model is renamed or deleted. */
  identityGuard: IdentityGuard;
  /** Move what other domains keep under a model's name after it is renamed. */
  renameFollowers: RenameFollower[];
  /** Asked before a version answers a deployment's traffic (release gates). */
  release: ReleaseEligibility;
  /** What the server answers and may reach on a caller's behalf. */
  trust: TrustSettings;
}

export type App = FastifyInstance<any, any, any, FastifyBaseLogger, TypeBoxTypeProvider>;

export interface BuildAppOptions {
  database: Database;
  artifacts: ArtifactStore;
  auth: boolean;
  logger?: boolean | { level: string };
  /** Folder of the built web UI (index.html and assets); default dist/ui. null serves no UI. */
  uiRoot?: string | null;
  /** Worker threads for evaluation bootstraps (default: one per core; 0 runs them on the main thread). */
  evaluationWorkers?: number;
  /** Where the prediction log spills when the store is slow or down (default: a folder in the OS temp dir). */
  spillDir?: string;
  /** Bytes of model files the gateway keeps loaded. */
  gatewayMemoryBytes?: number;
  /** How often the rollout controller checks canaries and followed aliases (default 1 s). */
  rolloutIntervalMs?: number;
  /** Width of the monitoring sketches' time buckets (default 60 s; 0 turns sketching off). */
  monitorBucketMs?: number;
  /** How often monitors look for closed windows (default 5 s). */
  monitorIntervalMs?: number;
  /** What to serve (default both): `api` everything but inference; `gateway` inference, health and /metrics. */
  roles?: ServerRole[];
  /** What the server answers and may reach (default: loopback only, nothing reachable, a fresh secret key). */
  trust?: TrustSettings;
}

/** Assembles the HTTP server: auth, error mapping, OpenAPI and every domain's routes. Does not listen. */
export async function buildApp(options: BuildAppOptions): Promise<App> {
  const app = Fastify({
    logger: options.logger ?? false,
    // log-batch with 100 params of 6000 characters and 100 tags of 8000 is ~1.5 MB: leave room above it.
    bodyLimit: 16 * 1024 * 1024,
    ajv: { customOptions: { coerceTypes: 'array', removeAdditional: false, allErrors: false } },
    // A log line per request would cost more than the metric batch it carries; errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    routerOptions: { maxParamLength: 2000 },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.setErrorHandler((err, request, reply) => sendError(request, reply, err));
  app.setNotFoundHandler((request, reply) => sendNotFound(request, reply));
  // Every parsed body, native, MLflow or gateway, before any validator or handler recurses into it.
  app.addHook('preValidation', async (request) => checkJsonDepth(request.body, 'the request body'));
  const trust = options.trust ?? defaultTrust();
  registerJsonBodies(app);
  registerOriginGuard(app, trust);
  const verifier = registerAuth(app, options.database, options.auth);
  const evaluations = new EvaluationService(options.database, options.artifacts, {
    datasets: datasetAccess(trust, options.artifacts),
    maxConcurrent: trust.maxConcurrentEvaluations,
    workers: options.evaluationWorkers,
    modelServerHosts: trust.modelServerHosts,
  });
  const roles = new Set(options.roles ?? ['api', 'gateway']);
  // Evaluations run inside the api process: any left running belong to a server that stopped.
  if (roles.has('api')) await evaluations.failInterrupted();
  const ctx: AppContext = { database: options.database, artifacts: options.artifacts, auth: options.auth, verifier, evaluations, promotionGuard: evaluations.guard, identityGuard: evaluations.identityGuard, renameFollowers: [evaluations.followRename, followModelRename(options.database.db, evaluations.release)], release: evaluations.release, trust };

  await app.register(swagger, {
    openapi: {
      info: { title: 'Slipway API', version: VERSION, description: 'Native API of Slipway. MLflow clients use /api/2.0/mlflow/... instead.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });

  app.get('/health', { config: { public: true }, schema: { hide: true } }, async (_req, reply) => reply.type('text/plain').send('OK'));
  app.get('/version', { config: { public: true }, schema: { hide: true } }, async (_req, reply) => reply.type('text/plain').send(VERSION));
  app.get('/api/v1/openapi.json', { config: { public: true }, schema: { hide: true } }, async () => app.swagger());

  let gateway: Gateway | null = null;
  let sketches: ServingSketches | null = null;
  if (roles.has('gateway')) {
    // monitorBucketMs 0 turns the sketches off (monitors then see no traffic).
    if (options.monitorBucketMs !== 0) {
      sketches = new ServingSketches(options.database.db, { ...(options.monitorBucketMs ? { bucketMs: options.monitorBucketMs, flushMs: Math.min(1000, options.monitorBucketMs / 2) } : {}), onError: (e) => app.log.warn({ err: e }, 'monitoring sketches not written; retrying') });
    }
    // The sketches' counts commit with the log's rows, so a crash never leaves them disagreeing.
    let commitSketches = (): Promise<void> => Promise.resolve();
    const predictionLog = new PredictionLog(options.database.db, {
      spillDir: options.spillDir ?? join(tmpdir(), `slipway-spill-${process.pid}`),
      sqlite: options.database.sqlite,
      ...(sketches ? { companion: sketches.companion(() => commitSketches()) } : {}),
    });
    commitSketches = () => predictionLog.commitCompanion();
    sketches?.start();
    const gw = (gateway = new Gateway(options.database, options.artifacts, predictionLog, new GatewayMetrics(() => predictionLog.stats()), {
      logger: app.log,
      modelServerHosts: trust.modelServerHosts,
      ...(sketches ? { sketches } : {}),
      ...(options.gatewayMemoryBytes !== undefined ? { memoryBudgetBytes: options.gatewayMemoryBytes } : {}),
    }));
    await gw.start();
    app.decorate('gateway', gw);
    const controller = new RolloutController(options.database.db, evaluations.release, gw, options.rolloutIntervalMs);
    controller.start();
    app.addHook('onClose', async () => {
      await controller.close();
      await gw.close();
    });
    await registerServingRoutes(app, gw, trust);
  }
  if (roles.has('api')) {
    await app.register(async (api) => registerTrackingRoutes(api as App, ctx), { prefix: '/api/v1' });
    await app.register(async (api) => registerRegistryRoutes(api as App, ctx), { prefix: '/api/v1' });
    await app.register(async (api) => registerAccessRoutes(api as App, ctx), { prefix: '/api/v1' });
    await app.register(async (api) => registerEvaluationRoutes(api as App, ctx), { prefix: '/api/v1' });
    await registerDeploymentControl(app, ctx, gateway);
    const alerts = await registerAlerting(app, ctx, gateway);
    await registerMonitoring(app, ctx, alerts, { intervalMs: options.monitorIntervalMs, flush: gateway ? async () => void (await Promise.all([sketches?.flush(), gateway?.log.flush().catch(() => {})])) : undefined });
    await app.register(async (mlflow) => registerMlflowRoutes(mlflow as App, ctx));
    await registerUi(app, options.uiRoot === undefined ? defaultUiRoot() : options.uiRoot);
  }
  return app;
}
