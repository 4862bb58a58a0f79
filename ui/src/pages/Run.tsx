import { useMemo, type ReactNode } from 'react';
import { useApi } from '../api';
import { ArtifactBrowser } from '../components/Artifacts';
import { ErrorBox, KeyValues, Loading, Tags } from '../components/Common';
import { MetricCharts } from '../components/MetricCharts';
import { formatDuration, formatNumber, formatTime, runLabel } from '../format';
import { Link, path, setQuery, useLocation } from '../router';

const TABS = ['overview', 'metrics', 'artifacts'] as const;

export function RunPage({ runId }: { runId: string }) {
  const { query } = useLocation();
  const tab = (TABS as readonly string[]).includes(query.get('tab') ?? '') ? query.get('tab')! : 'overview';
  const run = useApi((c) => c.getRun(runId), [runId]);
  const r = run.data?.run;
  const experiment = useApi((c) => (r ? c.getExperiment(r.experimentId) : Promise.resolve(null)), [r?.experimentId]);
  const chartRuns = useMemo(() => (r ? [{ id: r.id, label: runLabel(r) }] : []), [r]);
  const metricKeys = useMemo(() => (r ? Object.keys(r.metrics).sort() : []), [r]);

  if (!r) {
    return (
      <section>
        <ErrorBox error={run.error} />
        <Loading when={run.loading} />
      </section>
    );
  }
  const parent = r.tags['mlflow.parentRunId'];
  return (
    <section>
      <nav className="crumbs">
        <Link href="/">Experiments</Link> / <Link href={path('experiments', r.experimentId)}>{experiment.data?.experiment.name ?? r.experimentId}</Link> /{' '}
        <span>{runLabel(r)}</span>
      </nav>
      <h1>
        {runLabel(r)} <span className={`status status-${r.status.toLowerCase()}`}>{r.status}</span>
      </h1>
      <div className="tabs" role="tablist">
        {TABS.map((t) => (
          <button key={t} type="button" role="tab" aria-selected={tab === t} className={tab === t ? 'tab active' : 'tab'} onClick={() => setQuery({ tab: t === 'overview' ? null : t })}>
            {t}
            {t === 'metrics' ? ` (${metricKeys.length})` : ''}
          </button>
        ))}
      </div>
      {tab === 'overview' && (
        <div className="columns">
          <div>
            <h2>Run</h2>
            <KeyValues
              entries={[
                ['ID', <span className="mono">{r.id}</span>],
                ['Experiment', <Link href={path('experiments', r.experimentId)}>{experiment.data?.experiment.name ?? r.experimentId}</Link>],
                ['Status', r.status],
                ['Started', formatTime(r.startTime)],
                ['Ended', formatTime(r.endTime)],
                ['Duration', formatDuration(r)],
                ['User', r.userId || '—'],
                ['Artifact URI', <span className="mono">{r.artifactUri}</span>],
                ...(parent ? [['Parent run', <Link href={path('runs', parent)}>{parent}</Link>] as [string, ReactNode]] : []),
                ...(r.lifecycleStage === 'deleted' ? [['Lifecycle', 'deleted'] as [string, string]] : []),
              ]}
            />
            <h2>Parameters</h2>
            <KeyValues entries={Object.entries(r.params).sort().map(([k, v]) => [k, <span className="mono">{v}</span>])} empty="No parameters" />
            <h2>Latest metrics</h2>
            <KeyValues
              entries={metricKeys.map((k) => [k, <span className="mono" title={`step ${r.metrics[k]!.step}, ${formatTime(r.metrics[k]!.timestamp)}`}>{formatNumber(r.metrics[k]!.value)}</span>])}
              empty="No metrics"
            />
          </div>
          <div>
            <h2>Registered as</h2>
            <RegisteredAs runId={r.id} />
            <h2>Tags</h2>
            <Tags tags={r.tags} />
            <h2>Dataset inputs</h2>
            {r.inputs.datasets.length === 0 ? (
              <p className="muted">No datasets</p>
            ) : (
              <table className="grid">
                <thead>
                  <tr>
                    <th>Name</th>
                    <th>Context</th>
                    <th>Digest</th>
                    <th>Source</th>
                  </tr>
                </thead>
                <tbody>
                  {r.inputs.datasets.map((d, i) => (
                    <tr key={`${d.name}-${d.digest}-${i}`}>
                      <td>{d.name}</td>
                      <td>{d.tags['mlflow.data.context'] ?? ''}</td>
                      <td className="mono">{d.digest}</td>
                      <td className="mono" title={d.source}>
                        {d.sourceType}: {d.source.length > 80 ? d.source.slice(0, 80) + '…' : d.source}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
            {r.outputs.models.length > 0 && (
              <>
                <h2>Logged models</h2>
                <ul>
                  {r.outputs.models.map((m) => (
                    <li key={m.modelId} className="mono">
                      {m.modelId} (step {m.step})
                    </li>
                  ))}
                </ul>
              </>
            )}
          </div>
        </div>
      )}
      {tab === 'metrics' && <MetricCharts runs={chartRuns} keys={metricKeys} />}
      {tab === 'artifacts' && <ArtifactBrowser runId={r.id} />}
    </section>
  );
}

/** The model versions registered from this run: the way from a run to its lineage. */
function RegisteredAs({ runId }: { runId: string }) {
  const loaded = useApi((c) => c.modelVersionsOfRun(runId), [runId]);
  const versions = loaded.data?.versions ?? [];
  if (loaded.error) return <ErrorBox error={loaded.error} />;
  if (versions.length === 0) return <p className="muted">{loaded.loading ? 'Loading…' : 'Not registered'}</p>;
  return (
    <ul className="plain">
      {versions.map((v) => (
        <li key={`${v.name}/${v.version}`}>
          <Link href={path('models', v.name, 'versions', v.version)}>
            {v.name} v{v.version}
          </Link>{' '}
          {v.aliases.map((a) => `@${a}`).join(' ')}
        </li>
      ))}
    </ul>
  );
}
