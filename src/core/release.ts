import type { Actor } from './actor.js';

/**
 * How much user traffic a version answers: `full` as a deployment's stable version, `partial` as a canary or A/B
 * candidate. A shadow candidate answers nothing (its predictions are only logged), so it is never asked about.
 */
export type Exposure = 'full' | 'partial';

/** "May version V of model M answer this share of the traffic of a deployment that follows `alias`?" */
export interface ReleaseQuestion {
  model: string;
  version: number;
  /** The alias the deployment follows; null for a pinned deployment (the model's protected alias then applies). */
  alias: string | null;
  exposure: Exposure;
  /** Who asks: a reviewer sign-off the policy demands must come from someone else. */
  actor: Actor;
}

export interface ReleaseVerdict {
  allowed: boolean;
  /** The protected alias whose gate was applied; null when no gate protects this deployment. */
  gate: string | null;
  /** Plain words, true in both cases: why the version may answer, or what it lacks and what to do. */
  why: string;
}

/**
 * Answers a ReleaseQuestion from recorded facts only (it never starts an evaluation, so it is quick). Implemented
 * by the evaluation layer, which owns gate policies, and handed to serving at start-up so serving never imports it.
 */
export type ReleaseEligibility = (question: ReleaseQuestion) => Promise<ReleaseVerdict>;

/** For servers without gate policies (and tests of serving alone): every version may answer. */
export const NO_GATES: ReleaseEligibility = async (q) => ({ allowed: true, gate: null, why: `no release gate protects ${q.model}` });
