import { useEffect, useState } from 'react';
import type { ArtifactList, SlipwayClient } from '@slipway/client';
import { useApi, useApiState } from '../api';
import { formatBytes } from '../format';
import { parseCsv } from '../lib/csv';
import { ErrorBox } from './Common';

type Entry = ArtifactList['files'][number];
const MAX_PREVIEW = 2 * 1024 * 1024;
const IMAGE = /\.(png|jpe?g|gif|svg|webp|bmp|avif)$/i;
const CSV = /\.(csv|tsv)$/i;
const JSONISH = /\.(json|ipynb|jsonl)$/i;
const TEXT = /(\.(txt|log|md|ya?ml|py|toml|cfg|ini|sh|r|sql|html|xml|js|ts|properties)|MLmodel|requirements\.txt|Dockerfile|LICENSE|conda\.yaml)$/i;

const baseName = (p: string) => p.slice(p.lastIndexOf('/') + 1);

/** A lazily expanded tree of a run's artifacts, with a preview of the selected file. */
export function ArtifactBrowser({ runId }: { runId: string }) {
  const [selected, setSelected] = useState<Entry | null>(null);
  return (
    <div className="artifacts">
      <div className="artifact-tree">
        <Folder runId={runId} path="" depth={0} selected={selected} onSelect={setSelected} />
      </div>
      <div className="artifact-preview">{selected ? <Preview runId={runId} entry={selected} /> : <p className="muted">Select a file to preview it.</p>}</div>
    </div>
  );
}

function Folder({ runId, path, depth, selected, onSelect }: { runId: string; path: string; depth: number; selected: Entry | null; onSelect(e: Entry): void }) {
  const list = useApi((c) => c.listArtifacts(runId, path), [runId, path]);
  if (list.error) return <ErrorBox error={list.error} />;
  if (!list.data) return <div className="muted tree-row" style={{ paddingLeft: depth * 14 }}>…</div>;
  if (depth === 0 && list.data.files.length === 0) return <p className="muted">No artifacts.</p>;
  const files = [...list.data.files].sort((a, b) => Number(b.isDir) - Number(a.isDir) || a.path.localeCompare(b.path));
  return (
    <ul className="tree">
      {files.map((f) => (f.isDir ? <Dir key={f.path} runId={runId} entry={f} depth={depth} selected={selected} onSelect={onSelect} /> : (
        <li key={f.path}>
          <button type="button" className={`tree-row${selected?.path === f.path ? ' active' : ''}`} style={{ paddingLeft: depth * 14 + 18 }} onClick={() => onSelect(f)}>
            <span>{baseName(f.path)}</span>
            <span className="muted">{formatBytes(f.size)}</span>
          </button>
        </li>
      )))}
    </ul>
  );
}

function Dir({ runId, entry, depth, selected, onSelect }: { runId: string; entry: Entry; depth: number; selected: Entry | null; onSelect(e: Entry): void }) {
  const [open, setOpen] = useState(false);
  return (
    <li>
      <button type="button" className="tree-row" style={{ paddingLeft: depth * 14 }} onClick={() => setOpen((o) => !o)} aria-expanded={open}>
        <span>
          {open ? '▾' : '▸'} {baseName(entry.path)}/
        </span>
      </button>
      {open && <Folder runId={runId} path={entry.path} depth={depth + 1} selected={selected} onSelect={onSelect} />}
    </li>
  );
}

async function download(client: SlipwayClient, runId: string, path: string) {
  const res = await client.downloadArtifact(runId, path);
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = baseName(path);
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

type Shown = { kind: 'image'; url: string } | { kind: 'text'; text: string } | { kind: 'json'; text: string } | { kind: 'csv'; rows: string[][]; more: boolean } | { kind: 'none'; why: string };

function Preview({ runId, entry }: { runId: string; entry: Entry }) {
  const { client } = useApiState();
  const kind = IMAGE.test(entry.path) ? 'image' : CSV.test(entry.path) ? 'csv' : JSONISH.test(entry.path) ? 'json' : TEXT.test(entry.path) ? 'text' : 'other';
  const tooBig = (entry.size ?? 0) > MAX_PREVIEW && kind !== 'csv';
  const shown = useApi<Shown>(
    async (c) => {
      if (tooBig) return { kind: 'none', why: `Too large to preview (${formatBytes(entry.size)}).` };
      const res = await c.downloadArtifact(runId, entry.path);
      if (kind === 'image') return { kind: 'image', url: URL.createObjectURL(await res.blob()) };
      if (kind === 'csv') return readCsv(res, entry.path.toLowerCase().endsWith('.tsv') ? '\t' : ',');
      const text = await res.text();
      if (kind === 'json') {
        try {
          return { kind: 'json', text: JSON.stringify(JSON.parse(text), null, 2) };
        } catch {
          return { kind: 'text', text };
        }
      }
      // Unknown extensions: show them when they look like text.
      if (kind === 'other' && /[\u0000-\u0008\u000e-\u001a]/.test(text.slice(0, 4096))) return { kind: 'none', why: 'Binary file.' };
      return { kind: 'text', text };
    },
    [runId, entry.path],
  );
  useEffect(() => () => {
    if (shown.data?.kind === 'image') URL.revokeObjectURL(shown.data.url);
  }, [shown.data]);
  return (
    <div>
      <div className="toolbar">
        <strong className="mono grow">{entry.path}</strong>
        <span className="muted">{formatBytes(entry.size)}</span>
        <button type="button" className="secondary" onClick={() => void download(client, runId, entry.path)}>
          Download
        </button>
      </div>
      <ErrorBox error={shown.error} />
      {shown.loading && <p className="muted">Loading…</p>}
      {!shown.loading && shown.data && <Shown value={shown.data} />}
    </div>
  );
}

function Shown({ value }: { value: Shown }) {
  switch (value.kind) {
    case 'image':
      return <img className="preview-image" src={value.url} alt="" />;
    case 'json':
    case 'text':
      return <pre className="preview-text">{value.text}</pre>;
    case 'csv':
      return (
        <div className="table-scroll">
          <table className="grid">
            <thead>
              <tr>{value.rows[0]?.map((h, i) => <th key={i}>{h}</th>)}</tr>
            </thead>
            <tbody>
              {value.rows.slice(1).map((r, i) => (
                <tr key={i}>{r.map((c, j) => <td key={j}>{c}</td>)}</tr>
              ))}
            </tbody>
          </table>
          {value.more && <p className="muted">First {value.rows.length - 1} rows shown.</p>}
        </div>
      );
    case 'none':
      return <p className="muted">{value.why}</p>;
  }
}

const CSV_ROWS = 100;

/** Reads only as much of the file as the first rows need, then cancels the download. */
async function readCsv(res: Response, sep: string): Promise<Shown> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let done = false;
  while (!done && text.split('\n').length <= CSV_ROWS + 2 && text.length < MAX_PREVIEW) {
    const chunk = await reader.read();
    done = chunk.done;
    if (chunk.value) text += decoder.decode(chunk.value, { stream: true });
  }
  if (!done) await reader.cancel();
  const rows = parseCsv(text, sep, CSV_ROWS + 1);
  return { kind: 'csv', rows, more: !done || rows.length > CSV_ROWS };
}
