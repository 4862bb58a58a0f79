/**
 * The rollout controller: starts a canary when the alias a deployment follows moves, and after each canary step
 * analyses the candidate against stable, then steps up, promotes, or rolls back with the reason recorded. Every
 * action names the revision it read, so when several gateways run a controller over one database, one acts and the
 * others' stale attempts are refused.
 */
import type { Kysely } from 'kysely';
import { SYSTEM_ACTOR } from '../core/actor.js';
import { Periodic } from '../core/periodic.js';
import { SlipwayError } from '../core/errors.js';
import type { ReleaseEligibility } from '../core/release.js';
import type { DB } from '../db/schema.js';
import { getVersionByAlias, listStageHistory } from '../registry/aliases.js';
import { analyseStep } from './analysis.js';
import { changeDeployment, listDeployments, promoteCandidate, rollback, startRollout, type Deployment } from './deployments.js';
import type { Gateway } from './gateway.js';
import { isReleaseRefusal } from './release.js';

export class RolloutController {
  private readonly loop: Periodic;

  constructor(
    private readonly db: Kysely<DB>,
    private readonly release: ReleaseEligibility,
    private readonly gateway: Gateway,
    intervalMs = 1000,
  ) {
    this.loop = new Periodic(async () => {
      for (const d of await listDeployments(this.db)) await this.step(d).catch((e: unknown) => this.ignoreRace(e));
    }, intervalMs);
  }

  start(): void {
    this.loop.start();
  }

  close(): Promise<void> {
    return this.loop.close();
  }

  /** One pass over every deployment; concurrent calls share the pass. */
  tick(): Promise<void> {
    return this.loop.run();
  }

  /** Another gateway acted first (the revision moved): its action stands, ours is dropped. */
  private ignoreRace(e: unknown): void {
    if (!(e instanceof SlipwayError && e.code === 'INVALID_STATE')) throw e;
  }

  /**
   * Said as it is: the alias moved away from the version answering, or (after an admin override) the deployment was
   * moved off an alias that never moved.
   */
  private async whyHeal(d: Deployment, alias: string, target: number): Promise<string> {
    const moves = await listStageHistory(this.db, d.model, { kind: 'alias', limit: 100 });
    const last = moves.find((m) => m.key === alias);
    if (last && last.to === String(target) && last.at >= d.updatedAt) return `@${alias} moved to v${target}`;
    return `@${alias} points at v${target} while v${d.stable} answers: canary toward v${target}`;
  }

  private async step(d: Deployment): Promise<void> {
    if (d.alias && d.candidate === null) {
      const target = await getVersionByAlias(this.db, d.model, d.alias).then(
        (v) => v.version,
        () => null,
      );
      if (target !== null && target !== d.stable && target !== d.rejected) {
        const next = await startRollout(this.db, this.release, SYSTEM_ACTOR, d.name, { mode: 'canary', version: target }, await this.whyHeal(d, d.alias, target));
        await this.gateway.apply(next);
      }
      return;
    }
    if (d.mode !== 'canary' || d.candidate === null) return;
    const { steps, step, stepStartedAt, thresholds } = d.canary;
    const current = steps[step]!;
    const now = Date.now();
    if (now - stepStartedAt < current.durationSeconds * 1000) return;
    await this.gateway.log.flush();
    const a = await analyseStep(this.db, d.name, d.stable, d.candidate, stepStartedAt, now, thresholds);
    if (a.inconclusive) return;
    let next: Deployment;
    if (!a.passed) {
      next = await rollback(this.db, this.release, SYSTEM_ACTOR, d.name, `canary analysis failed at step ${step + 1} of ${steps.length}: ${a.reasons.join('; ')}`);
    } else if (step + 1 >= steps.length) {
      try {
        next = await promoteCandidate(this.db, this.release, SYSTEM_ACTOR, d.name, `canary passed all ${steps.length} steps (${a.candidate.requests} requests in the last)`);
      } catch (e) {
        // A canary of an ungated version (allowed by its policy) may never take all traffic: it ends here.
        if (!isReleaseRefusal(e)) throw e;
        next = await rollback(this.db, this.release, SYSTEM_ACTOR, d.name, `canary passed all ${steps.length} steps but may not take all traffic: ${e.message}`);
      }
    } else {
      next = await changeDeployment(
        this.db,
        this.release,
        SYSTEM_ACTOR,
        d.name,
        'canary-step',
        (cur) => {
          const { revision: _r, createdAt: _c, updatedAt: _u, createdBy: _b, ...state } = cur;
          return { ...state, weight: steps[step + 1]!.weight, canary: { ...cur.canary, step: step + 1, stepStartedAt: now } };
        },
        { reason: `step ${step + 1} passed: error rate ${(a.candidate.errorRate * 100).toFixed(2)}%, p99 ${a.candidate.p99Ms.toFixed(2)} ms, shift ${a.predictionShift?.toFixed(3) ?? 'n/a'}`, expectRevision: d.revision },
      );
    }
    await this.gateway.apply(next);
  }
}
