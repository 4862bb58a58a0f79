import { useState, type ReactNode } from 'react';
import type { ModelVersion } from '@slipway/client';
import { useApi } from '../api';
import { ErrorBox, KeyValues, Loading, Tags } from '../components/Common';
import { ModeBadge, trafficText } from '../components/deployment/shared';
import { LineageGraph } from '../components/LineageGraph';
import { VersionNav } from '../components/VersionNav';
import { formatBytes, formatTime } from '../format';
import { Link, path, setQuery, useLocation } from '../router';

export function ModelsPage() {
  const { query } = useLocation();
  const filter = query.get('filter') ?? '';
  const [draft, setDraft] = useState(filter);
  const models = useApi((c) => c.searchModels({ filter: filter || undefined, maxResults: 1000, orderBy: 'name ASC' }), [filter]);
  return (
    <section>
      <h1>Models</h1>
      <form
        className="toolbar"
        onSubmit={(e) => {
          e.preventDefault();
          setQuery({ filter: draft.trim() });
        }}
      >
        <input className="grow mono" value={draft} onChange={(e) => setDraft(e.target.value)} placeholder="name LIKE 'fraud%' OR tags.team = 'risk'" aria-label="Filter models" />
        <button type="submit">Search</button>
      </form>
      <ErrorBox error={models.error} source={filter} />
      <Loading when={models.loading && !models.data} />
      {models.data && (
        <table className="grid">
          <thead>
            <tr>
              <th>Name</th>
              <th>Latest versions</th>
              <th>Aliases</th>
              <th>Updated</th>
              <th>Description</th>
            </tr>
          </thead>
          <tbody>
            {models.data.models.map((m) => (
              <tr key={m.name}>
                <td>
                  <Link href={path('models', m.name)}>{m.name}</Link>
                </td>
                <td>
                  {m.latestVersions.map((v) => (
                    <Link key={v.version} className="chip" href={path('models', m.name, 'versions', v.version)}>
                      v{v.version}
                      {v.stage !== 'None' ? ` · ${v.stage}` : ''}
                    </Link>
                  ))}
                </td>
                <td>
                  {Object.entries(m.aliases).map(([a, v]) => (
                    <span key={a} className="chip alias">
                      @{a} → v{v}
                    </span>
                  ))}
                </td>
                <td>{formatTime(m.updatedAt)}</td>
                <td>{m.description}</td>
              </tr>
            ))}
            {models.data.models.length === 0 && (
              <tr>
                <td colSpan={5} className="muted">
                  No registered models.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      )}
    </section>
  );
}

export function ModelPage({ name }: { name: string }) {
  const model = useApi((c) => c.getModel(name), [name]);
  const history = useApi((c) => c.modelHistory(name, { limit: 50 }), [name]);
  // A store without the gateway (or a viewer without access) just shows no deployments.
  const deployments = useApi((c) => c.listDeployments().then((r) => r.deployments.filter((d) => d.model === name), () => null), [name]);
  const m = model.data?.model;
  return (
    <section>
      <nav className="crumbs">
        <Link href="/models">Models</Link> / <span>{name}</span>
      </nav>
      <h1>{name}</h1>
      <ErrorBox error={model.error} />
      <Loading when={model.loading && !m} />
      {m && (
        <>
          {m.description && <p>{m.description}</p>}
          <div className="columns">
            <div>
              <h2>Aliases</h2>
              <KeyValues
                entries={Object.entries(m.aliases).map(([a, v]) => [`@${a}`, <Link href={path('models', name, 'versions', v)}>version {v}</Link>])}
                empty="No aliases"
              />
            </div>
            <div>
              <h2>Tags</h2>
              <Tags tags={m.tags} />
            </div>
          </div>
          {deployments.data && deployments.data.length > 0 && (
            <>
              <h2>Deployments</h2>
              <ul className="model-deployments" data-testid="model-deployments">
                {deployments.data.map((d) => (
                  <li key={d.name}>
                    <Link href={path('deployments', d.name)}>{d.name}</Link> <ModeBadge mode={d.mode} /> <span className="small muted">{d.alias ? `@${d.alias} · ` : 'pinned · '}</span>
                    <span className="small">{trafficText(d)}</span>
                  </li>
                ))}
              </ul>
            </>
          )}
          <h2>Versions</h2>
          <table className="grid">
            <thead>
              <tr>
                <th>Version</th>
                <th>Stage</th>
                <th>Aliases</th>
                <th>Status</th>
                <th>Source run</th>
                <th>Created</th>
                <th>Tags</th>
              </tr>
            </thead>
            <tbody>
              {m.versions.map((v) => (
                <tr key={v.version}>
                  <td>
                    <Link href={path('models', name, 'versions', v.version)}>v{v.version}</Link>
                  </td>
                  <td>{v.stage !== 'None' && <span className={`stage stage-${v.stage.toLowerCase()}`}>{v.stage}</span>}</td>
                  <td>
                    {v.aliases.map((a) => (
                      <span key={a} className="chip alias">
                        @{a}
                      </span>
                    ))}
                  </td>
                  <td>{v.status}</td>
                  <td>{v.runId ? <Link href={path('runs', v.runId)} className="mono">{v.runId.slice(0, 8)}</Link> : '—'}</td>
                  <td>{formatTime(v.createdAt)}</td>
                  <td>
                    {Object.entries(v.tags).map(([k, t]) => (
                      <span key={k} className="chip">
                        {k}={t}
                      </span>
                    ))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <h2>Alias and stage history</h2>
          <ErrorBox error={history.error} />
          {history.data &&
            (history.data.entries.length === 0 ? (
              <p className="muted">No moves yet.</p>
            ) : (
              <table className="grid">
                <thead>
                  <tr>
                    <th>When</th>
                    <th>What</th>
                    <th>Version</th>
                    <th>From → to</th>
                    <th>By</th>
                  </tr>
                </thead>
                <tbody>
                  {history.data.entries.map((h) => (
                    <tr key={h.id}>
                      <td>{formatTime(h.at)}</td>
                      <td>{h.kind === 'alias' ? `alias @${h.key}` : 'stage'}</td>
                      <td>v{h.version}</td>
                      <td>
                        {h.from ?? '∅'} → {h.to ?? '∅'}
                      </td>
                      <td>{h.actor}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            ))}
        </>
      )}
    </section>
  );
}

interface SignatureColumn {
  name?: string;
  type?: string;
  shape?: unknown;
  required?: boolean;
}

/** MLflow signatures hold inputs/outputs as column lists (sometimes JSON-encoded strings); anything else is shown as JSON. */
function columnsOf(part: unknown): SignatureColumn[] | null {
  let v = part;
  if (typeof v === 'string') {
    try {
      v = JSON.parse(v);
    } catch {
      return null;
    }
  }
  return Array.isArray(v) && v.every((c) => c && typeof c === 'object') ? (v as SignatureColumn[]) : null;
}

function Signature({ signature }: { signature: unknown }) {
  if (signature === null || signature === undefined) return <p className="muted">No signature recorded.</p>;
  const sig = signature as Record<string, unknown>;
  const parts = (['inputs', 'outputs', 'params'] as const).map((k) => [k, columnsOf(sig[k])] as const).filter(([, cols]) => cols !== null);
  if (parts.length === 0) return <pre className="preview-text">{JSON.stringify(signature, null, 2)}</pre>;
  return (
    <div className="columns">
      {parts.map(([k, cols]) => (
        <div key={k}>
          <h3>{k}</h3>
          <table className="grid">
            <thead>
              <tr>
                <th>Name</th>
                <th>Type</th>
                <th>Shape</th>
              </tr>
            </thead>
            <tbody>
              {cols!.map((c, i) => (
                <tr key={i}>
                  <td>{c.name ?? <span className="muted">(unnamed)</span>}</td>
                  <td className="mono">{c.type ?? ''}</td>
                  <td className="mono">{c.shape !== undefined ? JSON.stringify(c.shape) : ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ))}
    </div>
  );
}

export function VersionPage({ name, version }: { name: string; version: number }) {
  const loaded = useApi((c) => c.getModelVersion(name, version), [name, version]);
  const v: ModelVersion | undefined = loaded.data?.version;
  return (
    <section>
      <nav className="crumbs">
        <Link href="/models">Models</Link> / <Link href={path('models', name)}>{name}</Link> / <span>v{version}</span>
      </nav>
      <h1>
        {name} v{version} {v && v.stage !== 'None' && <span className={`stage stage-${v.stage.toLowerCase()}`}>{v.stage}</span>}
      </h1>
      <VersionNav name={name} version={version} active="overview" />
      <ErrorBox error={loaded.error} />
      <Loading when={loaded.loading && !v} />
      {v && (
        <>
          {v.description && <p>{v.description}</p>}
          <div className="columns">
            <div>
              <h2>Version</h2>
              <KeyValues
                entries={
                  [
                    ['Status', v.statusMessage ? `${v.status}: ${v.statusMessage}` : v.status],
                    ['Aliases', v.aliases.length ? v.aliases.map((a) => `@${a}`).join(', ') : '—'],
                    ['Source', <span className="mono">{v.source}</span>],
                    ['Source run', v.runId ? <Link href={path('runs', v.runId)} className="mono">{v.runId}</Link> : '—'],
                    ...(v.modelId ? [['Logged model', <span className="mono">{v.modelId}</span>]] : []),
                    ...(v.runLink ? [['Run link', <a href={v.runLink}>{v.runLink}</a>]] : []),
                    ['Flavor', v.flavor ?? '—'],
                    ['Content digest', v.contentDigest ? <span className="mono">sha256:{v.contentDigest}</span> : '—'],
                    ['Size', v.size !== null ? formatBytes(v.size) : '—'],
                    ['Created', formatTime(v.createdAt)],
                    ['Updated', formatTime(v.updatedAt)],
                    ['Created by', v.userId ?? '—'],
                  ] as [string, ReactNode][]
                }
              />
            </div>
            <div>
              <h2>Tags</h2>
              <Tags tags={v.tags} />
            </div>
          </div>
          <h2>Signature</h2>
          <Signature signature={v.signature} />
          <h2>Lineage</h2>
          <LineageGraph refText={`models:/${name}/${version}`} />
        </>
      )}
    </section>
  );
}
