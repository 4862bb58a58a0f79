import type { Deployment, DeploymentRevision } from '@slipway/client';

type DeploymentState = DeploymentRevision['state'];
type Traffic = Pick<DeploymentState, 'stable' | 'candidate' | 'mode' | 'weight'>;

/** A share as a percentage: 0.3 → "30%", 0.055 → "5.5%". */
export const pct = (share: number): string => `${Number((share * 100).toFixed(1))}%`;

export const MODE_LABEL: Record<DeploymentState['mode'], string> = { stable: 'STABLE', canary: 'CANARY', shadow: 'SHADOW', ab: 'A/B' };

/** The mode in a sentence: "the canary of v2", "start A/B test". */
export const MODE_WORD: Record<DeploymentState['mode'], string> = { stable: 'stable', canary: 'canary', shadow: 'shadow', ab: 'A/B test' };

export function ModeBadge({ mode }: { mode: DeploymentState['mode'] }) {
  return <span className={`mode-badge mode-${mode}`}>{MODE_LABEL[mode]}</span>;
}

/** The share of requests each version answers (a shadow candidate answers none: it gets copies). */
export function shares(t: Traffic): { stable: number; candidate: number } {
  if (t.candidate === null || t.mode === 'stable' || t.mode === 'shadow') return { stable: 1, candidate: 0 };
  return { stable: 1 - t.weight, candidate: t.weight };
}

/** One line of text: "v1 70% · v2 30%", "v1 100% · v2 shadows 30%", "v1 100%". */
export function trafficText(t: Traffic): string {
  if (t.candidate === null || t.mode === 'stable') return `v${t.stable} 100%`;
  if (t.mode === 'shadow') return `v${t.stable} 100% · v${t.candidate} shadows ${pct(t.weight)}`;
  const s = shares(t);
  return `v${t.stable} ${pct(s.stable)} · v${t.candidate} ${pct(s.candidate)}`;
}

/**
 * Stable versus candidate as a bar, with the versions and shares. In shadow mode the candidate answers nothing:
 * a second, striped bar shows the share of requests mirrored to it.
 */
export function TrafficBar({ traffic: t, size = 'large' }: { traffic: Traffic; size?: 'large' | 'small' }) {
  const s = shares(t);
  // Small bars (the list) have no room for text inside: the legend under them names the versions.
  const label = (share: number) => size === 'large' && share >= 0.12;
  return (
    <div className={`traffic traffic-${size}`} data-testid="traffic">
      <div className="traffic-bar" role="img" aria-label={`traffic: ${trafficText(t)}`}>
        {s.stable > 0 && (
          <div className="traffic-seg traffic-stable" style={{ width: `${s.stable * 100}%` }} title={`stable v${t.stable}: ${pct(s.stable)}`}>
            {label(s.stable) && (
              <span>
                v{t.stable} · {pct(s.stable)}
              </span>
            )}
          </div>
        )}
        {s.candidate > 0 && (
          <div className="traffic-seg traffic-candidate" style={{ width: `${s.candidate * 100}%` }} title={`candidate v${t.candidate}: ${pct(s.candidate)}`}>
            {label(s.candidate) && (
              <span>
                v{t.candidate} · {pct(s.candidate)}
              </span>
            )}
          </div>
        )}
      </div>
      {t.mode === 'shadow' && t.candidate !== null && (
        <div className="traffic-bar traffic-mirror" aria-hidden="true">
          <div className="traffic-seg traffic-shadow" style={{ width: `${t.weight * 100}%` }} title={`v${t.candidate} gets a copy of ${pct(t.weight)} of requests`} />
        </div>
      )}
      <div className="traffic-legend">
        <span>
          <span className="swatch traffic-stable" />
          stable <strong>v{t.stable}</strong> {pct(s.stable)}
        </span>
        {t.candidate !== null && t.mode !== 'stable' && (
          <span>
            <span className={`swatch ${t.mode === 'shadow' ? 'traffic-shadow' : 'traffic-candidate'}`} />
            {t.mode === 'shadow' ? 'shadow' : 'candidate'} <strong>v{t.candidate}</strong> {t.mode === 'shadow' ? `gets copies of ${pct(t.weight)}, answers none` : pct(s.candidate)}
          </span>
        )}
      </div>
    </div>
  );
}

/** A rollback the rollout controller made because the candidate failed a canary step. */
export const isAutoRollback = (r: { action: string; reason: string | null; actor?: string }): boolean =>
  r.action === 'rollback' && (r.actor === undefined || r.actor === 'system') && (r.reason ?? '').startsWith('canary analysis failed');

export function ActionBadge({ action, auto }: { action: string; auto?: boolean }) {
  return (
    <span className={`action-badge action-${action.replace(/[^a-z-]/g, '')}${auto ? ' action-auto' : ''}`}>
      {action}
      {auto && ' · automatic'}
    </span>
  );
}

/** What a rollback would do now, or null when there is nothing to roll back to. */
export function rollbackTarget(d: Deployment): string | null {
  if (d.candidate !== null) return `drops the ${MODE_WORD[d.mode]} of v${d.candidate}: v${d.stable} answers all requests`;
  if (d.previous !== null) return `returns to v${d.previous}, the version v${d.stable} was promoted over`;
  return null;
}
