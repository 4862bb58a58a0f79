/**
 * Who may answer a deployment's traffic. Every change of a deployment (create, roll out, promote, roll back,
 * restore, the controller's own moves) passes its next state through `authorizeExposure`, the one place serving
 * applies the release rule; the rule itself (has this version passed the gate?) is answered by the evaluation layer
 * through core/release.ts.
 */
import type { Actor } from '../core/actor.js';
import { SlipwayError } from '../core/errors.js';
import { gateOverrideReason } from '../core/promotion.js';
import type { Exposure, ReleaseEligibility } from '../core/release.js';

/** An admin's decision to let a version answer traffic although it has not passed the gate. */
export interface Override {
  reason: string;
}

/** Why one version answers a deployment's traffic, as recorded on the revision that made it answer. */
export interface ReleaseNote {
  version: number;
  exposure: Exposure;
  /** The protected alias whose gate applies; null when none does. */
  gate: string | null;
  why: string;
  /** Set when an admin let the version answer without passing the gate. */
  override?: { by: string; reason: string };
}

/** The part of a deployment's state that says who answers. */
export interface Answering {
  model: string;
  alias: string | null;
  stable: number;
  candidate: number | null;
  mode: 'stable' | 'canary' | 'shadow' | 'ab';
  weight: number;
  release?: ReleaseNote[];
}

const RANK: Record<Exposure | 'none', number> = { none: 0, partial: 1, full: 2 };

/** The versions that answer user traffic in a state: stable fully, a canary or A/B candidate partly; a shadow none. */
export function exposureOf(s: Answering): Map<number, Exposure> {
  const out = new Map<number, Exposure>([[s.stable, 'full']]);
  if (s.candidate !== null && s.candidate !== s.stable && (s.mode === 'canary' || s.mode === 'ab') && s.weight > 0) out.set(s.candidate, 'partial');
  return out;
}

/** What the decision needs to be written down: the notes for the revision, and the override to audit if one was used. */
export interface ExposureDecision {
  notes: ReleaseNote[];
  overridden: ReleaseNote[];
}

/**
 * The release rule of serving: a version whose exposure grows (nothing → canary/A-B → all traffic) must have passed
 * the gate protecting the alias the deployment follows (for a pinned deployment, the model's protected alias), or
 * an admin overrides with a written reason. Versions whose exposure does not grow keep answering, and their note
 * says truthfully why. Throws INVALID_STATE (details.release) to refuse.
 */
export async function authorizeExposure(release: ReleaseEligibility, actor: Actor, before: Answering | null, next: Answering, override?: Override): Promise<ExposureDecision> {
  const was = before ? exposureOf(before) : new Map<number, Exposure>();
  const notes: ReleaseNote[] = [];
  const overridden: ReleaseNote[] = [];
  for (const [version, exposure] of exposureOf(next)) {
    const verdict = await release({ model: next.model, version, alias: next.alias, exposure, actor });
    const grew = RANK[exposure] > RANK[was.get(version) ?? 'none'];
    const base = { version, exposure, gate: verdict.gate };
    if (verdict.allowed) {
      notes.push({ ...base, why: verdict.why });
      continue;
    }
    if (!grew) {
      const earlier = before?.release?.find((n) => n.version === version && n.override);
      notes.push(earlier ? { ...earlier, exposure } : { ...base, why: `answered before this change, although ${verdict.why}` });
      continue;
    }
    if (!override) throw new SlipwayError('INVALID_STATE', verdict.why, { release: { version, exposure, gate: verdict.gate } });
    const reason = gateOverrideReason(actor, override, 'let a version that has not passed the release gate answer traffic');
    const note = { ...base, why: `${actor.name} (admin) overrode the gate of @${verdict.gate}: ${reason}`, override: { by: actor.name, reason } };
    notes.push(note);
    overridden.push(note);
  }
  return { notes, overridden };
}

/** A refusal by the release rule (as opposed to a race or another invalid state). */
export const isReleaseRefusal = (e: unknown): e is SlipwayError =>
  e instanceof SlipwayError && e.code === 'INVALID_STATE' && typeof e.details === 'object' && e.details !== null && 'release' in e.details;
