import type { Deployment } from '@slipway/client';
import { ErrorBox, KeyValues, Loading } from '../components/Common';
import { Promote, Rollback, StartRollout } from '../components/deployment/Actions';
import { CanaryProgress, Endpoints, History, LastChange, WhoAnswers } from '../components/deployment/Details';
import { AbCard, ShadowCard, experimentCards } from '../components/deployment/Experiments';
import { ActionBadge, ModeBadge, TrafficBar, isAutoRollback, pct } from '../components/deployment/shared';
import { formatTime } from '../format';
import { usePolled } from '../lib/polling';
import { Link, path } from '../router';

const POLL_MS = 2000;

/** model@alias, or the pinned version. */
function Serves({ d }: { d: Deployment }) {
  return (
    <>
      <Link href={path('models', d.model)}>{d.model}</Link>
      {d.alias ? <span className="alias-suffix">@{d.alias}</span> : <span className="muted"> (pinned to v{d.stable})</span>}
    </>
  );
}

export function DeploymentsPage() {
  const list = usePolled((c) => c.listDeployments(), [], POLL_MS);
  const deployments = list.data?.deployments;
  return (
    <section>
      <h1>Deployments</h1>
      <ErrorBox error={list.error} />
      <Loading when={list.loading && !deployments && !list.error} />
      {deployments && (
        <table className="grid deployments">
          <thead>
            <tr>
              <th>Name</th>
              <th>Model</th>
              <th>Traffic</th>
              <th>Mode</th>
              <th>Last change</th>
              <th>Updated</th>
            </tr>
          </thead>
          <tbody>
            {deployments.map((d) => {
              const auto = isAutoRollback({ action: d.lastAction, reason: d.lastReason });
              return (
                <tr key={d.name} className={auto ? 'auto-rollback' : undefined}>
                  <td>
                    <Link href={path('deployments', d.name)}>{d.name}</Link>
                  </td>
                  <td>
                    <Serves d={d} />
                  </td>
                  <td className="traffic-cell">
                    <TrafficBar traffic={d} size="small" />
                  </td>
                  <td>
                    <ModeBadge mode={d.mode} />
                  </td>
                  <td className="reason">
                    <ActionBadge action={d.lastAction} auto={auto} /> <span className="small">{d.lastReason ?? ''}</span>
                  </td>
                  <td className="nowrap">
                    {formatTime(d.updatedAt)}
                    <div className="small muted">revision {d.revision}</div>
                  </td>
                </tr>
              );
            })}
            {deployments.length === 0 && (
              <tr>
                <td colSpan={6} className="muted">
                  No deployments yet. Create one with <code>slipway deploy create NAME --model MODEL</code>.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      )}
    </section>
  );
}

export function DeploymentPage({ name }: { name: string }) {
  const loaded = usePolled((c) => Promise.all([c.getDeployment(name), c.deploymentHistory(name)]).then(([g, h]) => ({ d: g.deployment, revisions: h.revisions })), [name], POLL_MS);
  const d = loaded.data?.d;
  const revisions = loaded.data?.revisions ?? [];
  const cards = d ? experimentCards(d, revisions) : null;
  const shadowCard = d && cards?.shadow && (
    <div key="shadow">
      <h2>Shadow comparison</h2>
      <ShadowCard d={d} t={cards.shadow} />
    </div>
  );
  const abCard = d && cards?.ab && (
    <div key="ab">
      <h2>A/B test</h2>
      <AbCard d={d} t={cards.ab} />
    </div>
  );
  return (
    <section>
      <nav className="crumbs">
        <Link href="/deployments">Deployments</Link> / <span>{name}</span>
      </nav>
      <h1>
        {name} {d && <ModeBadge mode={d.mode} />}
      </h1>
      <nav className="tabs" aria-label="Deployment pages">
        <Link href={path('deployments', name)} className="tab active" aria-current="page">
          Overview
        </Link>
        <Link href={path('deployments', name, 'monitoring')} className="tab">
          Monitoring
        </Link>
      </nav>
      <ErrorBox error={loaded.error} />
      <Loading when={loaded.loading && !d && !loaded.error} />
      {d && (
        <div className="deploy-layout">
          <div className="deploy-main">
            <p className="deploy-serves">
              Serves <Serves d={d} /> {d.alias ? `(now v${d.stable}; moving the alias starts a canary)` : ''}
            </p>
            <h2>Traffic</h2>
            <TrafficBar traffic={d} />
            <h2>Who answers, and why</h2>
            <WhoAnswers d={d} />
            <CanaryProgress d={d} />
            {cards?.shadowFirst ? [shadowCard, abCard] : [abCard, shadowCard]}
            <h2>Last change</h2>
            <LastChange d={d} latest={revisions[0]} />
            <h2>Endpoints</h2>
            <Endpoints d={d} />
            <h2>History</h2>
            <History d={d} revisions={revisions} onChanged={loaded.reload} />
          </div>
          <aside className="release-panel deploy-actions" aria-label="Actions">
            <h2>Roll back</h2>
            <Rollback d={d} onChanged={loaded.reload} />
            {d.candidate !== null && (
              <>
                <h2>Promote</h2>
                <Promote d={d} onChanged={loaded.reload} />
              </>
            )}
            <h2>Start a rollout</h2>
            <StartRollout d={d} onChanged={loaded.reload} />
            <h2>Settings</h2>
            <KeyValues
              entries={[
                ['Stable', `v${d.stable}`],
                ['Candidate', d.candidate !== null ? `v${d.candidate}` : '—'],
                ['Previous', d.previous !== null ? `v${d.previous} (kept loaded for a rollback)` : '—'],
                ['Rejected', d.rejected !== null ? `v${d.rejected}` : '—'],
                ['Sampling', pct(d.samplingRate)],
                ['Sticky header', <code>{d.stickyHeader}</code>],
                ['Created', `${formatTime(d.createdAt)} by ${d.createdBy}`],
                ['Updated', formatTime(d.updatedAt)],
              ]}
            />
          </aside>
        </div>
      )}
    </section>
  );
}
