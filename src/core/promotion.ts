import type { Actor } from './actor.js';
import { invalid, SlipwayError } from './errors.js';

/** An alias or stage move about to happen, as the registry asks the layers above to judge it. */
export interface ProposedMove {
  model: string;
  version: number;
  kind: 'alias' | 'stage';
  /** The alias, or the stage name. */
  key: string;
  actor: Actor;
  /** An admin's audited decision to move despite the gate. */
  override?: { reason: string };
}

/**
 * Decides whether a move may happen: resolves to let it through, throws a coded error to refuse it. Registered at
 * start-up by the evaluation layer (release gates) so the registry never imports it. It runs before the move's
 * transaction, since it may take long (it can run an evaluation).
 */
export type PromotionGuard = (move: ProposedMove) => Promise<void>;

export const ALLOW_ALL: PromotionGuard = async () => {};

/** A change of what a model's name stands for (a rename, a delete), as the registry asks the layers above to judge it. */
export interface IdentityChange {
  model: string;
  kind: 'rename' | 'delete';
  actor: Actor;
}

/**
 * Decides whether a model may be renamed or deleted: once its name is free, another model could take it and be
 * followed by the deployments serving that name. Registered at start-up by the evaluation layer, like the guard above.
 */
export type IdentityGuard = (change: IdentityChange) => Promise<void>;

export const ALLOW_ANY_CHANGE: IdentityGuard = async () => {};

/** A model's name changed (its identity did not). */
export interface ModelRenamed {
  from: string;
  to: string;
  actor: Actor;
}

/**
 * Moves what a higher layer keeps under a model's name (deployments that serve it, evaluations listed under it) to
 * its new name, after the rename committed. Registered at start-up, like the guards above.
 */
export type RenameFollower = (change: ModelRenamed) => Promise<void>;

/**
 * The one rule for overriding a release gate, wherever it is overridden (an alias move, a deployment): only an admin,
 * and only with a written reason of at least 10 characters. Returns the trimmed reason to audit; `what` names the
 * act in the refusal.
 */
export function gateOverrideReason(actor: Actor, override: { reason: string }, what: string): string {
  if (actor.role !== 'admin') throw new SlipwayError('PERMISSION_DENIED', `Only an admin can ${what}; ${actor.name} is ${actor.role}.`);
  const reason = override.reason.trim();
  if (reason.length < 10) throw invalid('An override needs a written reason of at least 10 characters, e.g. --reason "hotfix for incident 123, evaluation rerun tomorrow".', { field: 'override.reason' });
  return reason;
}
