/**
 * The evaluation service: gate policies per model (versioned), evaluations as recorded jobs (each also a tracking
 * run with its scorecard as artifacts), reviewers' sign-offs, and the release gate the registry consults before an
 * alias or stage moves.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { recordAudit } from '../access/audit.js';
import type { ArtifactStore } from '../artifacts/store.js';
import { roleAllows, type Actor } from '../core/actor.js';
import { nowMs } from '../core/clock.js';
import { invalid, invalidState, notFound, SlipwayError } from '../core/errors.js';
import type { IdentityGuard, RenameFollower, PromotionGuard } from '../core/promotion.js';
import type { ReleaseEligibility } from '../core/release.js';
import type { Database } from '../db/database.js';
import type { DB, EvaluationRow } from '../db/schema.js';
import { getVersionByAlias } from '../registry/aliases.js';
import type { ModelVersion } from '../registry/types.js';
import { getModelVersion } from '../registry/versions.js';
import type { DatasetAccess } from '../tracking/datasets/source-access.js';
import type { DatasetVersion } from '../tracking/datasets/versions.js';
import { resolveDataset } from './dataset.js';
import { modelIdOf } from '../registry/load.js';
import { releaseEligibility } from './eligibility.js';
import { getPolicy, listPolicies, setPolicy } from './policies.js';
import { parsePolicy, settingsOnly, type PolicySpec } from './policy.js';
import { protectedIdentity, releaseGate } from './promotion.js';
import { recordRun } from './record.js';
import type { EvaluationReport } from './report.js';
import { runEvaluation, type Progress } from './run.js';
import { verdictOf } from './scorecard/index.js';

export type { GatePolicy } from './policies.js';

export interface EvaluationRequest {
  model: string;
  version: number;
  /** NAME, NAME@VERSION or NAME@DIGEST; default: the policy's. */
  dataset?: string;
  /** Champion alias; null compares with nothing; default: the policy's `against` or first protected alias. */
  against?: string | null;
  /** Compare with this version instead of an alias. */
  againstVersion?: number;
  /** A policy as YAML text; default: the model's stored policy, if any. */
  policy?: string;
  /** Apply the policy's rules (default true when a policy applies). */
  gate?: boolean;
  label?: string;
  task?: PolicySpec['task'];
  positiveClass?: string;
  predictionColumn?: string;
  scoreColumn?: string;
  sliceColumns?: string[];
  sliceQuantiles?: Record<string, number>;
  namedSlices?: Record<string, string>;
  sensitive?: string[];
  ignoreColumns?: string[];
  resamples?: number;
  seed?: number;
  confidence?: number;
}

export interface Approval {
  approver: string;
  note: string;
  at: number;
}

export interface Evaluation {
  id: string;
  status: EvaluationRow['status'];
  progress: Progress | null;
  error: { code: string; message: string; details?: Record<string, unknown> } | null;
  model: string;
  version: number;
  dataset: { name: string; version: number; digest: string };
  against: string | null;
  championVersion: number | null;
  policyVersion: number | null;
  runId: string | null;
  gatePassed: boolean | null;
  /** The headline of the scorecard, when completed. */
  headline: string | null;
  createdAt: number;
  finishedAt: number | null;
  createdBy: string;
  approvals: Approval[];
  report?: EvaluationReport;
}


export interface Prepared {
  challenger: ModelVersion;
  champion: { version: ModelVersion; alias?: string } | null;
  dataset: DatasetVersion;
  settings: PolicySpec;
  policyVersion: number | null;
  gate: boolean;
  warnings: string[];
}


function toEvaluation(r: EvaluationRow, approvals: Approval[], withReport: boolean): Evaluation {
  const report = r.report ? (JSON.parse(r.report) as EvaluationReport) : null;
  return {
    id: r.id,
    status: r.status,
    progress: r.progress ? (JSON.parse(r.progress) as Progress) : null,
    error: r.error ? (JSON.parse(r.error) as Evaluation['error']) : null,
    model: r.model_name,
    version: Number(r.model_version),
    dataset: { name: r.dataset_name, version: Number(r.dataset_version), digest: r.dataset_digest },
    against: r.against_alias,
    championVersion: r.champion_version === null ? null : Number(r.champion_version),
    policyVersion: r.policy_version === null ? null : Number(r.policy_version),
    runId: r.run_id,
    gatePassed: r.gate_passed === null ? null : r.gate_passed === 1,
    headline: report ? verdictOf(report).headline : null,
    createdAt: Number(r.created_at),
    finishedAt: r.finished_at === null ? null : Number(r.finished_at),
    createdBy: r.created_by,
    approvals,
    ...(withReport && report ? { report } : {}),
  };
}

export interface EvaluationLimits {
  /** Where dataset bytes may be read from. */
  datasets: DatasetAccess;
  /** Evaluations running at once in this process; the rest wait, in order, with status "queued". */
  maxConcurrent: number;
  /** Bootstrap worker threads; 0 runs on the calling thread. */
  workers?: number | undefined;
  /** Hosts a model-server version may call: `TrustSettings.modelServerHosts`. */
  modelServerHosts: readonly string[];
}

/** An evaluation this process owns: waiting for a slot, or running. */
interface Job {
  id: string;
  actor: Actor;
  prepared: Prepared;
  abort: AbortController;
  finished: Promise<void>;
  finish(): void;
}

export class EvaluationService {
  private readonly jobs = new Map<string, Job>();
  private readonly waiting: Job[] = [];
  private active = 0;
  readonly db: Kysely<DB>;
  /** The release gate the registry consults before an alias or stage moves. */
  readonly guard: PromotionGuard;
  /** Who may rename or delete a protected model. */
  readonly identityGuard: IdentityGuard;
  /** Evaluations are listed under their model's current name. */
  readonly followRename: RenameFollower = async ({ to }) => {
    const id = await modelIdOf(this.db, to);
    if (id) await this.db.updateTable('evaluations').set({ model_name: to }).where('model_id', '=', id).execute();
  };
  /** The release rule serving asks before a version answers a deployment's traffic. */
  readonly release: ReleaseEligibility;

  constructor(
    private readonly database: Database,
    private readonly store: ArtifactStore,
    private readonly limits: EvaluationLimits,
  ) {
    this.db = database.db;
    this.guard = releaseGate(this);
    this.identityGuard = protectedIdentity(this);
    this.release = releaseEligibility(this.db);
  }

  setPolicy = (actor: Actor, model: string, source: string) => setPolicy(this.db, actor, model, source);
  getPolicy = (model: string, version?: number) => getPolicy(this.db, model, version);
  listPolicies = (model: string) => listPolicies(this.db, model);


  // ---- evaluations ----

  /** Validates a request and resolves everything it names; throws before anything is recorded. */
  async prepare(req: EvaluationRequest): Promise<Prepared> {
    const challenger = await getModelVersion(this.db, req.model, req.version);
    let settings: PolicySpec;
    let policyVersion: number | null = null;
    let hasPolicy = false;
    if (req.policy !== undefined) {
      settings = parsePolicy(req.policy, 'policy');
      hasPolicy = true;
    } else {
      const stored = await getPolicy(this.db, challenger.name);
      settings = stored ? stored.spec : settingsOnly();
      policyVersion = stored?.version ?? null;
      hasPolicy = stored !== null;
    }
    settings = structuredClone(settings);
    if (req.label !== undefined) settings.label = req.label;
    if (req.task !== undefined) settings.task = req.task;
    if (req.positiveClass !== undefined) settings.positiveClass = req.positiveClass;
    if (req.predictionColumn !== undefined) settings.predictionColumn = req.predictionColumn;
    if (req.scoreColumn !== undefined) settings.scoreColumn = req.scoreColumn;
    if (req.sliceColumns) settings.slices.columns = req.sliceColumns;
    if (req.sliceQuantiles) settings.slices.quantiles = Object.entries(req.sliceQuantiles).map(([column, bins]) => ({ column, bins }));
    if (req.namedSlices) settings.slices.named = Object.entries(req.namedSlices).map(([name, filter]) => ({ name, filter }));
    if (req.sensitive) settings.sensitive = req.sensitive;
    if (req.ignoreColumns) settings.ignoreColumns = req.ignoreColumns;
    if (req.resamples !== undefined) settings.resamples = req.resamples;
    if (req.seed !== undefined) settings.seed = req.seed;
    if (req.confidence !== undefined) settings.confidence = req.confidence;
    const gate = (req.gate ?? true) && hasPolicy && settings.rules.length > 0;
    // Only an evaluation run as the stored policy says is one "under" it, which promotions reuse and deployments
    // trust: another dataset, champion or setting (predictions read from the label column...) makes it ad hoc.
    if (policyVersion !== null && Object.entries(req).some(([k, v]) => v !== undefined && k !== 'model' && k !== 'version' && k !== 'gate')) policyVersion = null;

    const datasetRef = req.dataset ?? settings.dataset;
    if (!datasetRef) throw invalid(`Which dataset? Pass dataset NAME@DIGEST (CLI: --dataset), or set \`dataset\` in ${challenger.name}'s gate policy.`);
    const dataset = await resolveDataset(this.db, datasetRef);

    const warnings: string[] = [];
    let champion: Prepared['champion'] = null;
    if (req.againstVersion !== undefined) {
      champion = { version: await getModelVersion(this.db, challenger.name, req.againstVersion) };
    } else {
      const alias = req.against === undefined ? (hasPolicy ? (settings.against ?? settings.protect[0]) : undefined) : req.against;
      if (alias) {
        try {
          champion = { version: await getVersionByAlias(this.db, challenger.name, alias), alias };
        } catch (err) {
          if (!(err instanceof SlipwayError && err.code === 'NOT_FOUND')) throw err;
          if (settings.noChampion !== 'skip') {
            throw invalid(
              `Alias "${alias}" of model "${challenger.name}" points to no version, so there is no champion to compare with. For a first release, promote with an admin override (slipway models promote ${challenger.name} ${challenger.version} --alias ${alias} --override --reason "..."), set \`no_champion: skip\` in the policy, or compare with nothing (--against none).`,
              { alias },
            );
          }
          warnings.push(`Alias "${alias}" points to no version yet: there is no champion to compare with.`);
        }
      }
    }
    if (champion && champion.version.version === challenger.version) {
      warnings.push(`The challenger is the champion (v${challenger.version}): nothing to compare.`);
      champion = null;
    }
    return { challenger, champion, dataset, settings, policyVersion, gate, warnings };
  }

  /**
   * Records an evaluation and runs it in the background, or queues it while `maxConcurrent` others run; returns it
   * running or queued.
   */
  async start(actor: Actor, req: EvaluationRequest): Promise<Evaluation> {
    const p = await this.prepare(req);
    const id = randomUUID().replace(/-/g, '');
    // The slot is taken before any await, so concurrent starts never exceed the limit.
    const runNow = this.active < Math.max(1, this.limits.maxConcurrent);
    if (runNow) this.active++;
    const row: EvaluationRow = {
      id,
      model_id: await modelIdOf(this.db, p.challenger.name),
      model_name: p.challenger.name,
      model_version: p.challenger.version,
      dataset_name: p.dataset.name,
      dataset_version: p.dataset.version,
      dataset_digest: p.dataset.digest,
      against_alias: p.champion?.alias ?? null,
      champion_version: p.champion?.version.version ?? null,
      policy_version: p.policyVersion,
      config: JSON.stringify({ request: req, settings: p.settings }),
      status: runNow ? 'running' : 'queued',
      progress: null,
      error: null,
      run_id: null,
      report: null,
      gate_passed: null,
      created_at: nowMs(),
      finished_at: null,
      created_by: actor.name,
    };
    try {
      await this.db.transaction().execute(async (trx) => {
        await trx.insertInto('evaluations').values(row).execute();
        await recordAudit(trx, actor, {
          action: 'evaluation.start',
          targetType: 'model_version',
          targetId: `${row.model_name}/${row.model_version}`,
          after: { id, dataset: `${row.dataset_name}@${row.dataset_digest}`, against: row.against_alias, championVersion: row.champion_version, policyVersion: row.policy_version },
        });
      });
    } catch (err) {
      if (runNow) this.freeSlot();
      throw err;
    }
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    const job: Job = { id, actor, prepared: p, abort: new AbortController(), finished, finish };
    this.jobs.set(id, job);
    if (runNow) void this.run(job);
    else {
      this.waiting.push(job);
      // A slot may have freed while the row was being written.
      this.pump();
    }
    return this.get(id);
  }

  /** Waits for an evaluation to end and returns it (completed, failed or cancelled). */
  async wait(id: string): Promise<Evaluation> {
    await this.jobs.get(id)?.finished;
    return this.get(id);
  }

  /**
   * Cancels a queued or running evaluation: it ends with status "cancelled" and no gate result. Cancelling one
   * that already ended is refused; cancelling it twice answers the same.
   */
  async cancel(actor: Actor, id: string): Promise<Evaluation> {
    const e = await this.get(id);
    if (e.status === 'cancelled') return e;
    if (e.status !== 'queued' && e.status !== 'running') throw invalidState(`Evaluation ${id} is ${e.status}; only a queued or running evaluation can be cancelled.`);
    const error = { code: 'INVALID_STATE', message: `Cancelled by ${actor.name}.` };
    const changed = await this.db.transaction().execute(async (trx) => {
      const updated = await trx
        .updateTable('evaluations')
        .set({ status: 'cancelled', progress: null, error: JSON.stringify(error), gate_passed: null, finished_at: nowMs() })
        .where('id', '=', id)
        .where('status', 'in', ['queued', 'running'])
        .executeTakeFirst();
      // It ended between the read above and this write: nothing to cancel, nothing to audit.
      if (Number(updated.numUpdatedRows) === 0) return false;
      await recordAudit(trx, actor, { action: 'evaluation.cancel', targetType: 'evaluation', targetId: id, before: { status: e.status }, after: { status: 'cancelled' } });
      return true;
    });
    if (!changed) {
      const now = await this.get(id);
      if (now.status === 'cancelled') return now;
      throw invalidState(`Evaluation ${id} is ${now.status}; only a queued or running evaluation can be cancelled.`);
    }
    const job = this.jobs.get(id);
    if (job) {
      const at = this.waiting.indexOf(job);
      if (at >= 0) {
        this.waiting.splice(at, 1);
        this.jobs.delete(id);
        job.finish();
      } else job.abort.abort();
    }
    return this.get(id);
  }

  /** Frees a slot and starts the oldest queued evaluation. */
  private freeSlot(): void {
    this.active--;
    this.pump();
  }

  private pump(): void {
    while (this.active < Math.max(1, this.limits.maxConcurrent) && this.waiting.length > 0) {
      this.active++;
      void this.run(this.waiting.shift()!);
    }
  }

  private async run(job: Job): Promise<void> {
    try {
      // Queued rows may have been cancelled through another replica: start only what is still queued here.
      const started = await this.db.updateTable('evaluations').set({ status: 'running' }).where('id', '=', job.id).where('status', 'in', ['queued', 'running']).executeTakeFirst();
      if (Number(started.numUpdatedRows) > 0) await this.execute(job.actor, job.id, job.prepared, job.abort.signal);
    } catch {
      // execute records its own failures; a database error here leaves the row for failInterrupted at next start.
    } finally {
      this.jobs.delete(job.id);
      job.finish();
      this.freeSlot();
    }
  }

  private async execute(actor: Actor, id: string, p: Prepared, signal: AbortSignal): Promise<void> {
    let lastWrite = 0;
    const onProgress = (progress: Progress) => {
      const now = Date.now();
      if (now - lastWrite < 250 && progress.done < progress.total) return;
      lastWrite = now;
      void this.db.updateTable('evaluations').set({ progress: JSON.stringify(progress) }).where('id', '=', id).where('status', '=', 'running').execute().catch(() => {});
    };
    try {
      const report = await runEvaluation(this.db, this.store, {
        id,
        challenger: p.challenger,
        champion: p.champion,
        dataset: p.dataset,
        datasets: this.limits.datasets,
        settings: p.settings,
        ...(p.gate ? { gate: { policyVersion: p.policyVersion } } : {}),
        ...(this.limits.workers !== undefined ? { workers: this.limits.workers } : {}),
        modelServerHosts: this.limits.modelServerHosts,
        onProgress,
        signal,
      });
      signal.throwIfAborted();
      report.warnings.unshift(...p.warnings);
      onProgress({ phase: 'writing scorecard', done: 0, total: 1 });
      const runId = await recordRun(this.database, this.store, actor, { report, dataset: p.dataset, settings: p.settings, policyVersion: p.policyVersion, gate: p.gate });
      await this.db
        .updateTable('evaluations')
        .set({ status: 'completed', progress: null, report: JSON.stringify(report), run_id: runId, gate_passed: report.gate ? (report.gate.passed ? 1 : 0) : null, finished_at: nowMs() })
        .where('id', '=', id)
        .where('status', '=', 'running')
        .execute();
    } catch (err) {
      // cancel() has already recorded the outcome.
      if (signal.aborted) return;
      const e = err instanceof SlipwayError ? { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) } : { code: 'INTERNAL', message: (err as Error).message ?? String(err) };
      // A failed evaluation records no gate result, so nothing can mistake it for a pass.
      await this.db.updateTable('evaluations').set({ status: 'failed', progress: null, error: JSON.stringify(e), gate_passed: null, finished_at: nowMs() }).where('id', '=', id).where('status', '=', 'running').execute();
    }
  }

  private async approvalsOf(ids: string[]): Promise<Map<string, Approval[]>> {
    const out = new Map<string, Approval[]>();
    if (ids.length === 0) return out;
    const rows = await this.db.selectFrom('evaluation_approvals').selectAll().where('evaluation_id', 'in', ids).orderBy('at').execute();
    for (const r of rows) {
      const list = out.get(r.evaluation_id) ?? [];
      list.push({ approver: r.approver, note: r.note, at: Number(r.at) });
      out.set(r.evaluation_id, list);
    }
    return out;
  }

  async get(id: string): Promise<Evaluation> {
    const row = await this.db.selectFrom('evaluations').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound(`No evaluation ${id}.`);
    return toEvaluation(row, (await this.approvalsOf([id])).get(id) ?? [], true);
  }

  /** Evaluations of a model (or one version), newest first, without their reports. */
  async list(model: string, version?: number, limit = 100): Promise<Evaluation[]> {
    let q = this.db.selectFrom('evaluations').selectAll().where('model_name', '=', model);
    if (version !== undefined) q = q.where('model_version', '=', version);
    const rows = await q.orderBy('created_at', 'desc').limit(limit).execute();
    const approvals = await this.approvalsOf(rows.map((r) => r.id));
    return rows.map((r) => toEvaluation(r, approvals.get(r.id) ?? [], false));
  }

  /** A reviewer's sign-off on a completed evaluation; the reviewer cannot be the one who started it. */
  async approve(actor: Actor, id: string, note: string): Promise<Evaluation> {
    if (!roleAllows(actor.role, 'reviewer')) throw new SlipwayError('PERMISSION_DENIED', `Approving an evaluation needs the reviewer role; ${actor.name} is ${actor.role}.`);
    const e = await this.get(id);
    if (e.status !== 'completed') throw invalidState(`Evaluation ${id} is ${e.status}; only a completed evaluation can be approved.`);
    if (e.createdBy === actor.name) throw invalidState(`${actor.name} started evaluation ${id}; a sign-off must come from a second person.`);
    if (e.approvals.some((a) => a.approver === actor.name)) return e;
    await this.db.transaction().execute(async (trx) => {
      await trx.insertInto('evaluation_approvals').values({ evaluation_id: id, approver: actor.name, note, at: nowMs() }).execute();
      await recordAudit(trx, actor, { action: 'evaluation.approve', targetType: 'evaluation', targetId: id, after: { note, model: e.model, version: e.version } });
    });
    return this.get(id);
  }

  /** Marks evaluations left running or queued by a stopped server as failed (the queue lives in its memory). */
  async failInterrupted(): Promise<void> {
    await this.db
      .updateTable('evaluations')
      .set({ status: 'failed', progress: null, error: JSON.stringify({ code: 'INTERNAL', message: 'The server stopped while this evaluation ran or waited; start it again.' }), finished_at: nowMs() })
      .where('status', 'in', ['running', 'queued'])
      .execute();
  }
}
