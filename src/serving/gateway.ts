/**
 * The inference gateway: which version answers a request (traffic policy, sticky assignment), the loaded models
 * (shared, within a memory budget, the versions a deployment may need pinned), the prediction ids and the log.
 *
 * Configuration comes from the database: each gateway polls deployments' revisions, so stateless replicas sharing a
 * database converge within one poll, and a change made through this process is applied at once.
 */
import { performance } from 'node:perf_hooks';
import type { ArtifactStore } from '../artifacts/store.js';
import { SlipwayError } from '../core/errors.js';
import type { Database } from '../db/database.js';
import { openVersionRuntime } from '../registry/runtime.js';
import { getModelVersion } from '../registry/versions.js';
import type { Frame } from '../runtimes/frame.js';
import { breakerStateOf } from '../runtimes/http.js';
import type { ModelRuntime, Predictions } from '../runtimes/types.js';
import { deploymentRevisions, getDeployment, type Deployment, type RuntimeSettings } from './deployments.js';
import type { GatewayMetrics } from './metrics.js';
import { newPredictionId } from './prediction-id.js';
import type { PredictionLog } from './prediction-log.js';
import type { ServingSketches } from '../monitoring/sketcher.js';
import { exposureOf } from './release.js';

export type Role = 'stable' | 'candidate' | 'shadow';

export interface GatewayOptions {
  /** Bytes of model files kept loaded; the least recently used unpinned ones are unloaded beyond it. */
  memoryBudgetBytes?: number;
  /** How often to look for deployment changes made elsewhere. */
  refreshMs?: number;
  /** Pino-compatible (Fastify's `app.log`): a line per failed prediction (warn for 5xx, info for 4xx), per answered one at debug. */
  logger?: GatewayLogger;
  /** Folds every prediction into the monitoring sketches. */
  sketches?: ServingSketches;
  /** Hosts a model-server version may call: `TrustSettings.modelServerHosts`; default none. */
  modelServerHosts?: readonly string[];
}

export interface GatewayLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

interface Loaded {
  key: string;
  runtime: Promise<ModelRuntime>;
  bytes: number;
  lastUsed: number;
  /** Requests using it now: an unloaded model is closed only once the last one is done. */
  active: number;
  unloaded: boolean;
}

/** The cache key of a loaded model: the same version run two ways is loaded twice. */
function modelKey(model: string, version: number, runtime?: RuntimeSettings | null): string {
  return runtime ? `${model}\u0000${version}\u0000${JSON.stringify(runtime)}` : `${model}\u0000${version}`;
}

/** A hash of a request key as a share in [0, 1): the same key always lands on the same side of a weight. */
export function bucketOf(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  // FNV alone barely moves its top bits for keys that differ at the end (user-1, user-2): finish with MurmurHash3's
  // fmix32 so every input bit reaches the share.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}

export interface Served {
  deployment: Deployment;
  version: number;
  role: Exclude<Role, 'shadow'>;
  runtime: ModelRuntime;
  /** Call once the request is done with the runtime. */
  release(): void;
}

export interface Answer {
  predictions: Predictions;
  ids: string[];
  version: number;
  role: Exclude<Role, 'shadow'>;
  latencyMs: number;
}

export class Gateway {
  private readonly deployments = new Map<string, Deployment>();
  private readonly models = new Map<string, Loaded>();
  private timer: NodeJS.Timeout | null = null;
  private refreshing: Promise<void> | null = null;
  private readonly budget: number;

  constructor(
    private readonly database: Database,
    private readonly store: ArtifactStore,
    readonly log: PredictionLog,
    readonly metrics: GatewayMetrics,
    private readonly options: GatewayOptions = {},
  ) {
    this.budget = options.memoryBudgetBytes ?? 2 * 1024 ** 3;
    metrics.models = () => this.loadedRuntimes();
  }

  private readonly settled = new Map<string, ModelRuntime>();

  /** Loaded runtimes (those whose load finished), for the metrics. */
  private loadedRuntimes(): { model: string; version: number; breaker: string | null }[] {
    return [...this.models.keys()].flatMap((key) => {
      const rt = this.settled.get(key);
      if (!rt) return [];
      const [model, version] = key.split('\u0000');
      return [{ model: model!, version: Number(version), breaker: breakerStateOf(rt) }];
    });
  }

  /** Loads the deployments and their models, then keeps polling for changes. */
  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.refresh().catch(() => {}), this.options.refreshMs ?? 500);
    this.timer.unref();
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.refreshing?.catch(() => {});
    await this.log.close();
    await this.options.sketches?.close().catch(() => {});
    await Promise.all([...this.models.values()].map(async (m) => (await m.runtime.catch(() => null))?.close()));
    this.models.clear();
    this.settled.clear();
  }

  /** Re-reads deployments whose revision changed, and preloads the versions they serve. */
  refresh(): Promise<void> {
    this.refreshing ??= (async () => {
      try {
        const revisions = await deploymentRevisions(this.database.db);
        for (const name of this.deployments.keys()) if (!revisions.has(name)) this.deployments.delete(name);
        for (const [name, revision] of revisions) {
          if (this.deployments.get(name)?.revision === revision) continue;
          await this.apply(await getDeployment(this.database.db, name));
        }
      } finally {
        this.refreshing = null;
      }
    })();
    return this.refreshing;
  }

  /** Takes a deployment's new state into use now (the API calls this after a change, so no poll is awaited). */
  async apply(d: Deployment): Promise<void> {
    const known = this.deployments.get(d.name);
    if (known && known.revision >= d.revision) return;
    // Load before switching, so the first requests after a change never wait for a model.
    await Promise.all([d.stable, d.candidate, d.previous].filter((v): v is number => v !== null).map((v) => this.model(d.model, v, d.runtime).catch(() => null)));
    const again = this.deployments.get(d.name);
    if (!again || again.revision < d.revision) this.deployments.set(d.name, d);
    this.evict();
  }

  /** The deployment's current state, as this gateway serves it. */
  deployment(name: string): Deployment {
    const d = this.deployments.get(name);
    if (!d) throw new SlipwayError('NOT_FOUND', `No deployment named "${name}" on this gateway.`, { deployment: name });
    return d;
  }

  /** The model versions loaded on this gateway, as `model/version`. */
  loaded(): string[] {
    return [...this.models.keys()].map((k) => k.split('\u0000').slice(0, 2).join('/')).sort();
  }

  list(): Deployment[] {
    return [...this.deployments.values()];
  }

  /** A loaded runtime for a version (loading it once; concurrent callers share the load). */
  model(model: string, version: number, runtime?: RuntimeSettings | null): Promise<ModelRuntime> {
    const key = modelKey(model, version, runtime);
    const hit = this.models.get(key);
    if (hit) {
      hit.lastUsed = performance.now();
      return hit.runtime;
    }
    const entry: Loaded = { key, runtime: Promise.resolve(null as unknown as ModelRuntime), bytes: 0, lastUsed: performance.now(), active: 0, unloaded: false };
    entry.runtime = (async () => {
      const v = await getModelVersion(this.database.db, model, version);
      entry.bytes = v.size ?? 0;
      const rt = await openVersionRuntime(this.database.db, this.store, v, {
        purpose: 'serve',
        modelServerHosts: this.options.modelServerHosts ?? [],
        ...(runtime ? { onnx: { threads: runtime.threads, ...(runtime.batching ? { batching: runtime.batching } : {}) } } : {}),
      });
      this.settled.set(key, rt);
      return rt;
    })();
    entry.runtime.catch(() => this.models.delete(key));
    this.models.set(key, entry);
    return entry.runtime;
  }

  /** Unloads least recently used models beyond the budget, never one a deployment serves or may roll back to. */
  private evict(): void {
    const pinned = new Set<string>();
    for (const d of this.deployments.values()) for (const v of [d.stable, d.candidate, d.previous]) if (v !== null) pinned.add(modelKey(d.model, v, d.runtime));
    let total = 0;
    for (const m of this.models.values()) total += m.bytes;
    const victims = [...this.models.values()].filter((m) => !pinned.has(m.key)).sort((a, b) => a.lastUsed - b.lastUsed);
    for (const m of victims) {
      if (total <= this.budget) break;
      this.models.delete(m.key);
      this.settled.delete(m.key);
      total -= m.bytes;
      m.unloaded = true;
      if (m.active === 0) void m.runtime.then((r) => r.close()).catch(() => {});
    }
  }

  /** A runtime held for one request: an eviction meanwhile waits for the release before closing it. */
  private async acquire(model: string, version: number, settings?: RuntimeSettings | null): Promise<{ runtime: ModelRuntime; release: () => void }> {
    const runtime = await this.model(model, version, settings);
    const entry = this.models.get(modelKey(model, version, settings));
    if (!entry) return { runtime, release: () => {} };
    entry.active++;
    let released = false;
    return {
      runtime,
      release: () => {
        if (released) return;
        released = true;
        entry.active--;
        if (entry.unloaded && entry.active === 0) void runtime.close().catch(() => {});
      },
    };
  }

  /** A request refused before prediction because its fields did not match the model's (for monitoring). */
  refused(served: Served, missing: readonly string[], unexpected: readonly string[]): void {
    this.options.sketches?.observeRefused(served.deployment.name, served.version, missing, unexpected);
  }

  /** Which version answers: the candidate for its share of traffic (by request key when given), else stable. */
  route(d: Deployment, requestKey: string | null): { version: number; role: Exclude<Role, 'shadow'> } {
    if (d.candidate !== null && (d.mode === 'canary' || d.mode === 'ab') && d.weight > 0) {
      const u = requestKey ? bucketOf(`${d.name}\u0000${requestKey}`) : Math.random();
      if (u < d.weight) return { version: d.candidate, role: 'candidate' };
    }
    return { version: d.stable, role: 'stable' };
  }

  /** The runtime that will answer a request to a deployment (a version it serves, when pinned by the caller). */
  async serve(name: string, requestKey: string | null, pinned?: number): Promise<Served> {
    const deployment = this.deployment(name);
    let { version, role } = this.route(deployment, requestKey);
    if (pinned !== undefined && pinned !== version) {
      // Only a version that answers traffic may be asked by number: a shadow candidate answers nobody.
      const answering = [...exposureOf(deployment).keys()];
      if (!answering.includes(pinned)) {
        throw new SlipwayError('NOT_FOUND', `Deployment "${name}" does not answer with version ${pinned}; it answers with ${answering.map((v) => `v${v}`).join(' and ')}.`);
      }
      version = pinned;
      role = pinned === deployment.stable ? 'stable' : 'candidate';
    }
    const { runtime, release } = await this.acquire(deployment.model, version, deployment.runtime);
    return { deployment, version, role, runtime, release };
  }

  /**
   * Predicts, logs every row with its own id (payload sampled at the deployment's rate) and, in shadow mode,
   * mirrors a share of requests to the candidate without waiting for it.
   */
  async predict(served: Served, frame: Frame, requestKey: string | null, payload: (row: number, p: Predictions) => { inputs: unknown; outputs: unknown }): Promise<Answer> {
    const { deployment: d, version, role, runtime } = served;
    const started = performance.now();
    let predictions: Predictions;
    try {
      predictions = await runtime.predict(frame);
    } catch (err) {
      const latencyMs = performance.now() - started;
      const status = err instanceof SlipwayError ? err.status : 500;
      this.metrics.observe(d.name, version, role, status, latencyMs / 1000);
      this.options.sketches?.observeError(d.name, version, latencyMs);
      const id = newPredictionId();
      // The model failing (5xx) is a warning; a request it refused (4xx) is the caller's business.
      this.options.logger?.[status >= 500 ? 'warn' : 'info']({ deployment: d.name, version, role, predictionId: id, status, latencyMs, error: (err as Error).message }, 'prediction failed');
      this.log.log({ id, deployment: d.name, modelVersion: version, role, at: Date.now(), latencyMs, status, inputs: null, outputs: null, error: (err as Error).message, requestKey, sampled: false });
      throw err;
    }
    const latencyMs = performance.now() - started;
    this.metrics.observe(d.name, version, role, 200, latencyMs / 1000, frame.rows);
    this.options.sketches?.observe(d.name, version, frame, predictions, latencyMs);
    const ids = this.record(d, version, role, frame, predictions, latencyMs, requestKey, payload);
    this.options.logger?.debug({ deployment: d.name, version, role, predictionId: ids[0], ...(ids.length > 1 ? { predictionIds: ids.slice(0, 100), rows: ids.length } : {}), latencyMs }, 'prediction');
    if (d.mode === 'shadow' && d.candidate !== null && Math.random() < d.weight) void this.shadow(d, d.candidate, frame, ids, payload);
    return { predictions, ids, version, role, latencyMs };
  }

  private record(d: Deployment, version: number, role: Role, frame: Frame, p: Predictions, latencyMs: number, requestKey: string | null, payload: (row: number, p: Predictions) => { inputs: unknown; outputs: unknown }, of?: string[]): string[] {
    const ids: string[] = [];
    const at = Date.now();
    const perRow = latencyMs / Math.max(1, frame.rows);
    for (let r = 0; r < frame.rows; r++) {
      const id = newPredictionId();
      ids.push(id);
      const sampled = d.samplingRate >= 1 || Math.random() < d.samplingRate;
      const body = sampled ? payload(r, p) : null;
      this.log.log({
        id,
        deployment: d.name,
        modelVersion: version,
        role,
        at,
        latencyMs: perRow,
        status: 200,
        inputs: body ? body.inputs : null,
        outputs: body ? body.outputs : null,
        error: null,
        // A shadow prediction points at the prediction it shadows, so the comparison can pair them.
        requestKey: of ? of[r]! : requestKey,
        sampled,
      });
    }
    return ids;
  }

  private async shadow(d: Deployment, version: number, frame: Frame, primaryIds: string[], payload: (row: number, p: Predictions) => { inputs: unknown; outputs: unknown }): Promise<void> {
    const started = performance.now();
    let release = () => {};
    try {
      const held = await this.acquire(d.model, version, d.runtime);
      release = held.release;
      const p = await held.runtime.predict(frame);
      const latencyMs = performance.now() - started;
      this.metrics.observe(d.name, version, 'shadow', 200, latencyMs / 1000, frame.rows);
      this.options.sketches?.observe(d.name, version, frame, p, latencyMs);
      this.record(d, version, 'shadow', frame, p, latencyMs, null, payload, primaryIds);
    } catch (err) {
      const latencyMs = performance.now() - started;
      this.metrics.observe(d.name, version, 'shadow', 500, latencyMs / 1000);
      const id = newPredictionId();
      this.options.logger?.warn({ deployment: d.name, version, role: 'shadow', predictionId: id, shadows: primaryIds[0], latencyMs, error: (err as Error).message }, 'shadow prediction failed');
      this.log.log({ id, deployment: d.name, modelVersion: version, role: 'shadow', at: Date.now(), latencyMs, status: 500, inputs: null, outputs: null, error: (err as Error).message, requestKey: primaryIds[0] ?? null, sampled: false });
    } finally {
      release();
    }
  }
}
