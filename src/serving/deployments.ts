/**
 * Deployments: a named endpoint serving a registered model through an alias (or a pinned version), with a traffic
 * policy. Every change writes a new revision (the whole state, so any revision can be restored) and an audit entry,
 * in one transaction; a change based on a stale revision is refused, so two writers cannot lose each other's work.
 */
import type { Kysely } from 'kysely';
import { recordAudit } from '../access/audit.js';
import type { Actor } from '../core/actor.js';
import { nowMs } from '../core/clock.js';
import { alreadyExists, invalid, invalidState, notFound, SlipwayError } from '../core/errors.js';
import { onDuplicate } from '../db/unique.js';
import type { RenameFollower } from '../core/promotion.js';
import type { ReleaseEligibility } from '../core/release.js';
import type { DB, DeploymentRow } from '../db/schema.js';
import { getVersionByAlias } from '../registry/aliases.js';
import { getModelVersion } from '../registry/versions.js';
import { authorizeExposure, type ExposureDecision, type Override, type ReleaseNote } from './release.js';

export type { Override, ReleaseNote } from './release.js';

export type TrafficMode = 'stable' | 'canary' | 'shadow' | 'ab';

export interface CanaryStep {
  /** Share of requests the candidate answers during this step, 0 < weight ≤ 1. */
  weight: number;
  durationSeconds: number;
}

/** Limits the automated analysis holds the candidate to after each canary step. */
export interface AnalysisThresholds {
  /** Largest error rate allowed above the stable version's, e.g. 0.01 = one point. */
  maxErrorRateIncrease: number;
  /** Largest p99 latency allowed, as a multiple of the stable version's. */
  maxLatencyRatio: number;
  /** Largest shift of the prediction distribution versus stable (two-sample Kolmogorov-Smirnov statistic). */
  maxPredictionShift: number;
  /** Fewest candidate requests in a step before it can be judged. */
  minRequests: number;
  /** Latency differences smaller than this many milliseconds never fail a step, whatever the ratio. */
  latencySlackMs: number;
  /** Largest drop of online accuracy (labels from the feedback API) allowed below stable's, e.g. 0.05 = 5 points. */
  maxAccuracyDrop: number;
  /** Fewest labelled predictions per version before accuracy is judged. */
  minLabels: number;
}

export const DEFAULT_STEPS: CanaryStep[] = [
  { weight: 0.05, durationSeconds: 60 },
  { weight: 0.25, durationSeconds: 120 },
  { weight: 0.5, durationSeconds: 120 },
];
export const DEFAULT_THRESHOLDS: AnalysisThresholds = { maxErrorRateIncrease: 0.01, maxLatencyRatio: 1.5, maxPredictionShift: 0.2, minRequests: 50, latencySlackMs: 5, maxAccuracyDrop: 0.05, minLabels: 30 };

/** How the gateway runs the deployment's ONNX versions (default: in process, no batching). */
export interface RuntimeSettings {
  /** Worker threads running the session; 0 runs it on the event loop. */
  threads: number;
  /** Concurrent requests merged into one model call. */
  batching: { maxBatchRows: number; maxDelayMs: number } | null;
}

export interface DeploymentState {
  name: string;
  model: string;
  /** The alias the deployment follows; null when pinned to `stable`. */
  alias: string | null;
  /** The version answering requests (all of them, outside a rollout). */
  stable: number;
  /** The version being rolled out, mirrored or tested; null outside a rollout. */
  candidate: number | null;
  /** The stable version before the last promotion: a rollback after a promotion returns to it. Kept loaded. */
  previous: number | null;
  /** The last candidate rolled back: the followed alias pointing at it does not start another canary. */
  rejected: number | null;
  mode: TrafficMode;
  /** Candidate share of traffic (canary, A/B) or of mirrored requests (shadow). */
  weight: number;
  canary: { steps: CanaryStep[]; step: number; stepStartedAt: number; thresholds: AnalysisThresholds };
  /** A/B: the request header whose value assigns a caller to a variant, always the same one. */
  stickyHeader: string;
  /** Share of predictions whose inputs and outputs are logged (every prediction gets a log row and an id). */
  samplingRate: number;
  /** Absent in revisions written before it existed: in process, no batching. */
  runtime?: RuntimeSettings | null;
  /**
   * Which versions answer user traffic and why (gate passed, no gate, or an admin override), as decided when the
   * change that made them answer was written. Absent in revisions written before it existed.
   */
  release?: ReleaseNote[];
  /** What the last change was, and why. */
  lastAction: string;
  lastReason: string | null;
}

export interface Deployment extends DeploymentState {
  revision: number;
  createdAt: number;
  updatedAt: number;
  createdBy: string;
}

export interface Revision {
  revision: number;
  action: string;
  reason: string | null;
  actor: string;
  at: number;
  state: DeploymentState;
}

const NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

function toDeployment(r: DeploymentRow): Deployment {
  return { ...(JSON.parse(r.spec) as DeploymentState), revision: Number(r.revision), createdAt: Number(r.created_at), updatedAt: Number(r.updated_at), createdBy: r.created_by };
}

function checkWeight(w: number, what: string): number {
  if (!(w >= 0 && w <= 1)) throw invalid(`${what} must be a share between 0 and 1, got ${w}.`, { field: what });
  return w;
}

function checkSteps(steps: CanaryStep[]): CanaryStep[] {
  if (steps.length === 0 || steps.length > 20) throw invalid('A canary needs 1 to 20 steps.', { field: 'steps' });
  steps.forEach((s, i) => {
    if (!(s.weight > 0 && s.weight <= 1)) throw invalid(`steps[${i}].weight must be in (0, 1], got ${s.weight}.`, { field: `steps[${i}].weight` });
    if (!(Number.isFinite(s.durationSeconds) && s.durationSeconds >= 0 && s.durationSeconds <= 7 * 86400)) {
      throw invalid(`steps[${i}].durationSeconds must be 0 to 604800, got ${s.durationSeconds}.`, { field: `steps[${i}].durationSeconds` });
    }
    if (i > 0 && s.weight < steps[i - 1]!.weight) throw invalid(`steps[${i}].weight goes down (${s.weight} after ${steps[i - 1]!.weight}); canary weights only grow.`, { field: `steps[${i}].weight` });
  });
  return steps;
}

export async function getDeployment(db: Kysely<DB>, name: string): Promise<Deployment> {
  const row = await db.selectFrom('deployments').selectAll().where('name', '=', name).where('deleted_at', 'is', null).executeTakeFirst();
  if (!row) throw notFound(`No deployment named "${name}". \`slipway deploy list\` shows the deployments.`);
  return toDeployment(row);
}

export async function listDeployments(db: Kysely<DB>): Promise<Deployment[]> {
  return (await db.selectFrom('deployments').selectAll().where('deleted_at', 'is', null).orderBy('name').execute()).map(toDeployment);
}

/** Name and revision of every live deployment: what a gateway replica polls to see changes. */
export async function deploymentRevisions(db: Kysely<DB>): Promise<Map<string, number>> {
  const rows = await db.selectFrom('deployments').select(['name', 'revision']).where('deleted_at', 'is', null).execute();
  return new Map(rows.map((r) => [r.name, Number(r.revision)]));
}

export interface CreateDeploymentInput {
  name: string;
  model: string;
  /** Follow this alias (default `production`) … */
  alias?: string;
  /** … or serve this version, pinned. */
  version?: number;
  samplingRate?: number;
  steps?: CanaryStep[];
  thresholds?: Partial<AnalysisThresholds>;
  stickyHeader?: string;
  runtime?: RuntimeSettings;
}

function checkRuntime(r: RuntimeSettings | undefined): RuntimeSettings | null {
  if (!r) return null;
  if (!Number.isInteger(r.threads) || r.threads < 0 || r.threads > 16) throw invalid(`runtime.threads must be 0 to 16, got ${r.threads}.`, { field: 'runtime.threads' });
  const b = r.batching;
  if (b && (!Number.isInteger(b.maxBatchRows) || b.maxBatchRows < 1 || b.maxBatchRows > 10_000)) throw invalid(`runtime.batching.maxBatchRows must be 1 to 10000, got ${b.maxBatchRows}.`, { field: 'runtime.batching.maxBatchRows' });
  if (b && !(b.maxDelayMs >= 0 && b.maxDelayMs <= 100)) throw invalid(`runtime.batching.maxDelayMs must be 0 to 100, got ${b.maxDelayMs}.`, { field: 'runtime.batching.maxDelayMs' });
  return { threads: r.threads, batching: b ? { maxBatchRows: b.maxBatchRows, maxDelayMs: b.maxDelayMs } : null };
}

export async function createDeployment(db: Kysely<DB>, release: ReleaseEligibility, actor: Actor, input: CreateDeploymentInput, override?: Override): Promise<Deployment> {
  if (!NAME.test(input.name)) throw invalid(`Invalid deployment name "${input.name}": use 1-63 lowercase letters, digits and dashes, starting with a letter or digit.`, { field: 'name' });
  if (input.alias !== undefined && input.version !== undefined) throw invalid('Give an alias to follow or a version to pin, not both.', { field: 'version' });
  const alias = input.version === undefined ? (input.alias ?? 'production') : null;
  const version = alias ? await getVersionByAlias(db, input.model, alias) : await getModelVersion(db, input.model, input.version);
  const state: DeploymentState = {
    name: input.name,
    model: version.name,
    alias,
    stable: version.version,
    candidate: null,
    previous: null,
    rejected: null,
    mode: 'stable',
    weight: 0,
    canary: { steps: checkSteps(input.steps ?? DEFAULT_STEPS), step: 0, stepStartedAt: 0, thresholds: { ...DEFAULT_THRESHOLDS, ...input.thresholds } },
    stickyHeader: (input.stickyHeader ?? 'x-user-id').toLowerCase(),
    samplingRate: checkWeight(input.samplingRate ?? 1, 'samplingRate'),
    runtime: checkRuntime(input.runtime),
    lastAction: 'create',
    lastReason: null,
  };
  const decision = await authorizeExposure(release, actor, null, state, override);
  state.release = decision.notes;
  const now = nowMs();
  // Two creates of one name both pass the check on PostgreSQL; the second then fails on the key.
  return onDuplicate(() => db.transaction().execute(async (trx) => {
    const existing = await trx.selectFrom('deployments').select(['name', 'deleted_at']).where('name', '=', input.name).executeTakeFirst();
    if (existing && existing.deleted_at === null) throw alreadyExists(`A deployment named "${input.name}" already exists.`);
    if (existing) await trx.deleteFrom('deployments').where('name', '=', input.name).execute();
    const last = await trx.selectFrom('deployment_revisions').select((eb) => eb.fn.max('revision').as('r')).where('name', '=', input.name).executeTakeFirst();
    const revision = Number(last?.r ?? 0) + 1;
    const row: DeploymentRow = { name: input.name, model_name: state.model, revision, spec: JSON.stringify(state), created_at: now, updated_at: now, created_by: actor.name, deleted_at: null };
    await trx.insertInto('deployments').values(row).execute();
    await trx.insertInto('deployment_revisions').values({ name: input.name, revision, spec: row.spec, action: 'create', reason: overrideReason(decision), actor: actor.name, at: now }).execute();
    await recordAudit(trx, actor, { action: 'deployment.create', targetType: 'deployment', targetId: input.name, after: state });
    await auditOverrides(trx, actor, input.name, revision, decision);
    return toDeployment(row);
  }), () => alreadyExists(`A deployment named "${input.name}" already exists.`));
}

export interface ChangeOptions {
  reason?: string | null;
  /** Refuse the change when the deployment is no longer at this revision. */
  expectRevision?: number;
  /** An admin's written reason to let a version that has not passed the release gate answer traffic. */
  override?: Override;
}

/**
 * Applies a change: reads the current state, lets `change` return the next one (or throw to refuse), checks who
 * would answer traffic against the release rule, and writes it as a new revision. A change that leaves the state as
 * it is writes nothing and returns the current revision. With `expectRevision`, a deployment changed by someone
 * else since is refused.
 */
export async function changeDeployment(
  db: Kysely<DB>,
  release: ReleaseEligibility,
  actor: Actor,
  name: string,
  action: string,
  change: (current: Deployment) => DeploymentState,
  options: ChangeOptions = {},
): Promise<Deployment> {
  // The release check reads other domains' rows and may not run inside the write transaction (SQLite has one
  // connection), so it runs on a read of the state and the write insists that state is still current.
  for (let attempt = 1; ; attempt++) {
    const current = await getDeployment(db, name);
    if (options.expectRevision !== undefined && options.expectRevision !== current.revision) {
      throw invalidState(`Deployment "${name}" changed since revision ${options.expectRevision} (it is at ${current.revision}); read it again and retry.`);
    }
    const before = strip(current);
    const proposed = change(current);
    if (sameState(before, proposed)) return current;
    const decision = await authorizeExposure(release, actor, before, proposed, options.override);
    const next: DeploymentState = { ...proposed, release: decision.notes, lastAction: action, lastReason: options.reason ?? null };
    try {
      return await db.transaction().execute(async (trx) => {
        const revision = current.revision + 1;
        const now = nowMs();
        const spec = JSON.stringify(next);
        const updated = await trx
          .updateTable('deployments')
          .set({ spec, revision, updated_at: now })
          .where('name', '=', name)
          .where('revision', '=', current.revision)
          .where('deleted_at', 'is', null)
          .executeTakeFirst();
        if (Number(updated.numUpdatedRows) !== 1) throw new StaleRead();
        const reason = [options.reason ?? null, overrideReason(decision)].filter((r) => r !== null).join('; ') || null;
        await trx.insertInto('deployment_revisions').values({ name, revision, spec, action, reason, actor: actor.name, at: now }).execute();
        await recordAudit(trx, actor, { action: `deployment.${action}`, targetType: 'deployment', targetId: name, before, after: next });
        await auditOverrides(trx, actor, name, revision, decision);
        return { ...next, revision, createdAt: current.createdAt, updatedAt: now, createdBy: current.createdBy };
      });
    } catch (e) {
      if (!(e instanceof StaleRead)) throw e;
      if (options.expectRevision !== undefined || attempt >= 3) throw invalidState(`Deployment "${name}" changed while this change was made; retry.`);
    }
  }
}

class StaleRead extends Error {}

/**
 * Deployments follow their model through a rename: each serving it moves to the new name in a revision of its own
 * (action `model-renamed`), so a replica resolving `<name>@<alias>` keeps finding the same model.
 */
export function followModelRename(db: Kysely<DB>, release: ReleaseEligibility): RenameFollower {
  return async ({ from, to, actor }) => {
    const serving = (await listDeployments(db)).filter((d) => d.model === from);
    for (const d of serving) {
      await changeDeployment(db, release, actor, d.name, 'model-renamed', (current) => ({ ...strip(current), model: to }), { reason: `model ${from} renamed to ${to}` });
      await db.updateTable('deployments').set({ model_name: to }).where('name', '=', d.name).execute();
    }
  };
}

/** Equal as deployment states, ignoring the notes of the last change: an identical request is a no-op. */
function sameState(a: DeploymentState, b: DeploymentState): boolean {
  const key = (s: DeploymentState) => {
    const { lastAction: _a, lastReason: _r, release: _n, ...rest } = s;
    return canonical(rest);
  };
  return key(a) === key(b);
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, x]) => `${JSON.stringify(k)}:${canonical(x)}`)
      .join(',')}}`;
  }
  return JSON.stringify(v ?? null);
}

function overrideReason(d: ExposureDecision): string | null {
  return d.overridden.length === 0 ? null : d.overridden.map((n) => `release gate overridden for v${n.version}: ${n.override!.reason}`).join('; ');
}

/** Every use of the override gets its own audit entry, so a reviewer can list them. */
async function auditOverrides(trx: Kysely<DB>, actor: Actor, name: string, revision: number, d: ExposureDecision): Promise<void> {
  for (const n of d.overridden) {
    await recordAudit(trx, actor, { action: 'deployment.gate_override', targetType: 'deployment', targetId: name, after: { revision, version: n.version, exposure: n.exposure, gate: n.gate, reason: n.override!.reason } });
  }
}

export interface RolloutInput {
  mode: Exclude<TrafficMode, 'stable'>;
  version: number;
  /** shadow / A/B: the candidate's share; canary: taken from the first step. */
  weight?: number;
  steps?: CanaryStep[];
  thresholds?: Partial<AnalysisThresholds>;
  stickyHeader?: string;
}

/**
 * Starts a canary, a shadow or an A/B test of another version of the deployment's model against the stable one.
 * Asking again for the rollout already running changes nothing (its step and timer go on).
 */
export async function startRollout(db: Kysely<DB>, release: ReleaseEligibility, actor: Actor, name: string, input: RolloutInput, reason?: string, override?: Override): Promise<Deployment> {
  const d = await getDeployment(db, name);
  const v = await getModelVersion(db, d.model, input.version);
  if (v.version === d.stable) throw invalid(`v${v.version} is already the stable version of "${name}".`, { field: 'version' });
  const steps = input.steps ? checkSteps(input.steps) : d.canary.steps;
  return changeDeployment(
    db,
    release,
    actor,
    name,
    input.mode,
    (cur) => {
      if (cur.candidate !== null && cur.candidate !== v.version) {
        throw invalidState(`"${name}" is already running a ${cur.mode} of v${cur.candidate}; promote it or roll it back first.`);
      }
      const weight = input.mode === 'canary' ? steps[0]!.weight : checkWeight(input.weight ?? 0.5, 'weight');
      const thresholds = { ...cur.canary.thresholds, ...input.thresholds };
      const stickyHeader = (input.stickyHeader ?? cur.stickyHeader).toLowerCase();
      const running = cur.candidate === v.version && cur.mode === input.mode;
      const unchanged = running && (input.mode === 'canary' || cur.weight === weight) && sameSteps(cur.canary.steps, steps) && sameThresholds(cur.canary.thresholds, thresholds) && cur.stickyHeader === stickyHeader;
      if (unchanged) return strip(cur);
      return {
        ...strip(cur),
        candidate: v.version,
        rejected: null,
        mode: input.mode,
        weight,
        canary: { steps, step: 0, stepStartedAt: nowMs(), thresholds },
        stickyHeader,
      };
    },
    { reason: reason ?? null, ...(override ? { override } : {}) },
  );
}

const sameSteps = (a: CanaryStep[], b: CanaryStep[]) => a.length === b.length && a.every((s, i) => s.weight === b[i]!.weight && s.durationSeconds === b[i]!.durationSeconds);
const sameThresholds = (a: AnalysisThresholds, b: AnalysisThresholds) => (Object.keys(b) as (keyof AnalysisThresholds)[]).every((k) => a[k] === b[k]);

/** The candidate becomes the stable version and takes all traffic. */
export async function promoteCandidate(db: Kysely<DB>, release: ReleaseEligibility, actor: Actor, name: string, reason?: string, override?: Override): Promise<Deployment> {
  return changeDeployment(
    db,
    release,
    actor,
    name,
    'promote',
    (cur) => {
      if (cur.candidate === null) throw invalidState(`"${name}" has no candidate to promote.`);
      return { ...strip(cur), stable: cur.candidate, previous: cur.stable, candidate: null, mode: 'stable', weight: 0 };
    },
    { reason: reason ?? null, ...(override ? { override } : {}) },
  );
}

/**
 * Returns all traffic to the last stable version at once: during a rollout, the stable version (the candidate is
 * dropped); after a promotion, the version it replaced (which must still be allowed to answer).
 */
export async function rollback(db: Kysely<DB>, release: ReleaseEligibility, actor: Actor, name: string, reason: string, override?: Override): Promise<Deployment> {
  return changeDeployment(
    db,
    release,
    actor,
    name,
    'rollback',
    (cur) => {
      if (cur.candidate !== null) return { ...strip(cur), candidate: null, rejected: cur.candidate, mode: 'stable', weight: 0 };
      if (cur.previous !== null) return { ...strip(cur), stable: cur.previous, previous: null, mode: 'stable', weight: 0 };
      throw invalidState(`"${name}" has nothing to roll back to: no rollout is running and v${cur.stable} was not promoted over another version.`);
    },
    { reason, ...(override ? { override } : {}) },
  );
}

export async function listRevisions(db: Kysely<DB>, name: string): Promise<Revision[]> {
  const rows = await db.selectFrom('deployment_revisions').selectAll().where('name', '=', name).orderBy('revision', 'desc').execute();
  if (rows.length === 0) throw notFound(`No deployment named "${name}".`);
  return rows.map((r) => ({ revision: Number(r.revision), action: r.action, reason: r.reason, actor: r.actor, at: Number(r.at), state: JSON.parse(r.spec) as DeploymentState }));
}

/** Makes an earlier revision's state current again (as a new revision). */
export async function restoreRevision(db: Kysely<DB>, release: ReleaseEligibility, actor: Actor, name: string, revision: number, override?: Override): Promise<Deployment> {
  const row = await db.selectFrom('deployment_revisions').select('spec').where('name', '=', name).where('revision', '=', revision).executeTakeFirst();
  if (!row) throw notFound(`Deployment "${name}" has no revision ${revision}.`);
  const old = JSON.parse(row.spec) as DeploymentState;
  for (const v of [old.stable, old.candidate]) {
    if (v !== null) {
      await getModelVersion(db, old.model, v).catch((e: unknown) => {
        throw e instanceof SlipwayError && e.code === 'NOT_FOUND' ? invalidState(`Revision ${revision} serves v${v} of ${old.model}, which no longer exists.`) : e;
      });
    }
  }
  return changeDeployment(db, release, actor, name, 'restore', () => ({ ...old }), { reason: `restored revision ${revision}`, ...(override ? { override } : {}) });
}

export async function deleteDeployment(db: Kysely<DB>, actor: Actor, name: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const res = await trx.updateTable('deployments').set({ deleted_at: nowMs() }).where('name', '=', name).where('deleted_at', 'is', null).executeTakeFirst();
    if (Number(res.numUpdatedRows) !== 1) throw notFound(`No deployment named "${name}".`);
    await recordAudit(trx, actor, { action: 'deployment.delete', targetType: 'deployment', targetId: name });
  });
}

const strip = (d: Deployment): DeploymentState => {
  const { revision: _r, createdAt: _c, updatedAt: _u, createdBy: _b, ...state } = d;
  return state;
};
