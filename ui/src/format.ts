import type { Run } from '../../src/client/index.js';

export type MetricNumber = number;

/** The API sends non-finite metric values as strings. */
export const metricNumber = (v: number | string): MetricNumber => (typeof v === 'number' ? v : v === 'NaN' ? NaN : v === '-Infinity' ? -Infinity : Infinity);

export function formatNumber(v: number | string): string {
  const n = metricNumber(v);
  if (!Number.isFinite(n)) return String(v);
  if (Number.isInteger(n) && Math.abs(n) < 1e15) return String(n);
  const a = Math.abs(n);
  return a !== 0 && (a < 1e-4 || a >= 1e6) ? n.toExponential(4) : String(Number(n.toPrecision(6)));
}

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

export function formatDuration(run: Pick<Run, 'startTime' | 'endTime' | 'status'>): string {
  const start = Date.parse(run.startTime);
  const end = run.endTime ? Date.parse(run.endTime) : run.status === 'RUNNING' ? Date.now() : NaN;
  if (!Number.isFinite(start) || !Number.isFinite(end)) return '—';
  let s = Math.max(0, Math.round((end - start) / 1000));
  if (s < 60) return `${s}s`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  s %= 60;
  return h ? `${h}h ${m}m` : `${m}m ${s}s`;
}

export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return '';
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

export const runLabel = (run: Pick<Run, 'id' | 'name'>): string => run.name || run.id.slice(0, 8);
