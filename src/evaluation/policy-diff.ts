/**
 * What a new version of a gate policy changes, in words a reviewer reads in the audit log, with every change that
 * lets more versions through (a weakening) singled out.
 */
import type { PolicySpec } from './policy.js';
import { describeRule, type Rule } from './rules.js';

export interface PolicyDiff {
  /** Changes that let more versions through: fewer protected aliases, rules or sign-offs, looser bounds. */
  weakenings: string[];
  /** Every change, weakening or not, one line each. */
  changes: string[];
}

/** Rules are matched by what they check (kind and metric or column), so a changed bound reads as a change. */
const ruleKey = (r: Rule): string => `${r.kind}:${'metric' in r ? r.metric : ''}:${'column' in r ? r.column : ''}`;

/** Compares two policies; `before` null means the model had none (nothing can be weaker than no gate). */
export function diffPolicies(before: PolicySpec | null, after: PolicySpec): PolicyDiff {
  const weakenings: string[] = [];
  const changes: string[] = [];
  const weaker = (line: string) => {
    weakenings.push(line);
    changes.push(`WEAKER: ${line}`);
  };
  if (!before) {
    changes.push(`new policy protecting ${after.protect.map((a) => `@${a}`).join(', ')} with ${after.rules.length} rule(s)`);
    return { weakenings, changes };
  }
  for (const a of before.protect) if (!after.protect.includes(a)) weaker(`@${a} is no longer protected`);
  for (const a of after.protect) if (!before.protect.includes(a)) changes.push(`@${a} is now protected`);
  if (before.signoff && !after.signoff) weaker('reviewer sign-off is no longer required');
  if (!before.signoff && after.signoff) changes.push('reviewer sign-off is now required');
  if (before.noChampion === 'fail' && after.noChampion === 'skip') weaker('comparison rules now pass when there is no champion (no_champion: skip)');
  if ((before.canaryUngated ?? 'refuse') === 'refuse' && after.canaryUngated === 'allow') weaker('versions that have not passed the gate may now answer canary and A/B traffic (canary_ungated: allow)');
  if (before.dataset !== after.dataset) changes.push(`gate dataset ${before.dataset ?? '(none)'} → ${after.dataset ?? '(none)'}`);
  if (before.against !== after.against) changes.push(`champion alias ${before.against ?? '(first protected)'} → ${after.against ?? '(first protected)'}`);

  const next = new Map(after.rules.map((r) => [ruleKey(r), r]));
  const prev = new Map(before.rules.map((r) => [ruleKey(r), r]));
  for (const [key, r] of prev) {
    const n = next.get(key);
    if (!n) weaker(`rule removed: ${describeRule(r)}`);
    else for (const line of looser(r, n)) weaker(line);
    if (n && describeRule(n) !== describeRule(r) && looser(r, n).length === 0) changes.push(`rule ${describeRule(r)} → ${describeRule(n)}`);
  }
  for (const [key, r] of next) if (!prev.has(key)) changes.push(`rule added: ${describeRule(r)}`);
  return { weakenings, changes };
}

/** How rule `b` lets through more than rule `a` checking the same thing; empty when it does not. */
function looser(a: Rule, b: Rule): string[] {
  const out: string[] = [];
  const was = describeRule(a);
  const now = describeRule(b);
  const bound = (what: string, x: number | undefined, y: number | undefined, higherIsLooser: boolean) => {
    if (x === undefined) return;
    if (y === undefined) out.push(`${what} bound dropped from rule ${was} (now ${now})`);
    else if (higherIsLooser ? y > x : y < x) out.push(`${what} ${higherIsLooser ? 'raised' : 'lowered'} from ${x} to ${y} in rule ${was}`);
  };
  if (a.kind === 'min' && b.kind === 'min') bound(`minimum ${a.metric}`, a.value, b.value, false);
  if (a.kind === 'max' && b.kind === 'max') bound(`maximum ${a.metric}`, a.value, b.value, true);
  if (a.kind === 'no_regression' && b.kind === 'no_regression') {
    bound('allowed regression margin', a.margin, b.margin, true);
    bound('confidence', a.confidence, b.confidence, false);
    bound('minimum slice support', a.minSupport, b.minSupport, true);
    if (a.slices && !b.slices) out.push(`per-slice checks dropped from rule ${was}`);
  }
  if (a.kind === 'fairness' && b.kind === 'fairness') {
    bound(`lower bound of ${a.metric}`, a.min, b.min, false);
    bound(`upper bound of ${a.metric}`, a.max, b.max, true);
  }
  if (a.kind === 'latency' && b.kind === 'latency') {
    bound('p50 latency budget', a.p50Ms, b.p50Ms, true);
    bound('p99 latency budget', a.p99Ms, b.p99Ms, true);
  }
  if (a.kind === 'artifact_size' && b.kind === 'artifact_size') bound('artifact size limit', a.maxMb, b.maxMb, true);
  return out;
}
