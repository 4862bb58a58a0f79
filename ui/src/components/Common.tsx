import type { ReactNode } from 'react';
import { SlipwayApiError } from '../api';

export function ErrorBox({ error, source }: { error: Error | undefined; source?: string }) {
  if (!error) return null;
  const api = error instanceof SlipwayApiError ? error : null;
  const position = api && typeof api.details.position === 'number' ? api.details.position : null;
  return (
    <div className="error" role="alert">
      <strong>{api ? `${api.code}${api.status ? ` (${api.status})` : ''}` : 'Error'}</strong> {error.message}
      {source !== undefined && position !== null && (
        <pre className="caret">
          {source}
          {'\n'}
          {' '.repeat(position)}^
        </pre>
      )}
    </div>
  );
}

export function Loading({ when }: { when: boolean }) {
  return when ? <div className="loading">Loading…</div> : null;
}

export function KeyValues({ entries, empty = 'None' }: { entries: [string, ReactNode][]; empty?: string }) {
  if (entries.length === 0) return <p className="muted">{empty}</p>;
  return (
    <table className="kv">
      <tbody>
        {entries.map(([k, v]) => (
          <tr key={k}>
            <th>{k}</th>
            <td>{v}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function Tags({ tags }: { tags: Record<string, string> }) {
  const entries = Object.entries(tags).filter(([k]) => !k.startsWith('mlflow.'));
  const system = Object.entries(tags).filter(([k]) => k.startsWith('mlflow.'));
  return (
    <>
      <KeyValues entries={entries.sort().map(([k, v]) => [k, v])} empty="No tags" />
      {system.length > 0 && (
        <details>
          <summary className="muted">{system.length} system tags</summary>
          <KeyValues entries={system.sort().map(([k, v]) => [k, <span className="mono">{v}</span>])} />
        </details>
      )}
    </>
  );
}
