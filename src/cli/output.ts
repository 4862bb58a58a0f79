import cliProgress from 'cli-progress';
import { SlipwayApiError } from '../client/index.js';
import type { Io } from './common.js';

/** Human and JSON output, and the one place where errors become messages and exit codes. */

/** An error meant for the user as is: printed as `error: <message>`, exit code 1, no stack trace. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export const println = (io: Io, text = ''): void => {
  io.stdout.write(`${text}\n`);
};
export const eprintln = (io: Io, text = ''): void => {
  io.stderr.write(`${text}\n`);
};

/** The API's JSON, nothing else, on stdout. */
export const printJson = (io: Io, value: unknown): void => println(io, JSON.stringify(value, null, 2));

/** '2024-05-01T12:34:56.789Z' → '2024-05-01 12:34:56' (UTC, as the API gives it); '-' for none. */
export function shortTime(iso: string | null | undefined): string {
  if (!iso) return '-';
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})/.exec(iso);
  return m ? `${m[1]} ${m[2]}` : iso;
}

/** Six significant digits, no float noise: 0.9123456789 → 0.912346, 12 → 12, 1.5e-9 → 1.5e-9. */
export function formatMetric(value: number | string): string {
  if (typeof value === 'string') return value;
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value) && Math.abs(value) < 1e15) return String(value);
  return String(Number(value.toPrecision(6)));
}

/** '1h 02m', '3m 04s', '12.3s'; '-' while a run has not ended. */
export function formatDuration(startIso: string, endIso: string | null): string {
  if (!endIso) return '-';
  const ms = Date.parse(endIso) - Date.parse(startIso);
  if (!Number.isFinite(ms) || ms < 0) return '-';
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  const pad = (n: number) => String(n).padStart(2, '0');
  if (s < 3600) return `${Math.floor(s / 60)}m ${pad(s % 60)}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ${pad(Math.floor((s % 3600) / 60))}m`;
  return `${Math.floor(s / 86_400)}d ${pad(Math.floor((s % 86_400) / 3600))}h`;
}

export const truncate = (text: string, max: number): string => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

export interface TableOptions {
  /** Columns to right-align (numbers). */
  right?: number[];
  /** Prefix of every line. */
  indent?: string;
}

/** Columns aligned with two spaces between them; newlines in cells are shown as spaces. */
export function table(headers: string[], rows: string[][], options: TableOptions = {}): string {
  const clean = (cell: string | undefined) => (cell ?? '').replace(/[\r\n\t]+/g, ' ');
  const all = [headers, ...rows].map((row) => headers.map((_, i) => clean(row[i])));
  const widths = headers.map((_, i) => Math.max(...all.map((row) => [...row[i]!].length)));
  const right = new Set(options.right ?? []);
  return all
    .map((row) =>
      (options.indent ?? '') +
      row
        .map((cell, i) => {
          const pad = ' '.repeat(widths[i]! - [...cell].length);
          return right.has(i) ? pad + cell : i === row.length - 1 ? cell : cell + pad;
        })
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** 'Key:   value' lines, the values aligned. */
export function keyValues(pairs: [string, string][], indent = ''): string {
  const width = Math.max(0, ...pairs.map(([k]) => k.length)) + 1;
  return pairs.map(([k, v]) => `${indent}${`${k}:`.padEnd(width)}  ${v}`).join('\n');
}

/** A titled section: a table, or '(none)' when it has no rows. */
export function section(title: string, headers: string[], rows: string[][], options: TableOptions = {}): string {
  if (rows.length === 0) return `${title}: (none)`;
  return `${title}:\n${table(headers, rows, { indent: '  ', ...options })}`;
}

export const plural = (n: number, word: string, words = `${word}s`): string => `${n} ${n === 1 ? word : words}`;

/** Prints an error the way a user wants to read it and returns the exit code. */
export function reportError(io: Io, err: unknown): number {
  if (err instanceof SlipwayApiError) {
    if (err.code === 'UNREACHABLE') {
      eprintln(io, `error: ${err.message}`);
      eprintln(io, 'Start a server with `slipway server`, or point the CLI at one with --url or SLIPWAY_URL.');
      return 1;
    }
    eprintln(io, `error: ${err.message} [${err.code}]`);
    if (err.code === 'UNAUTHENTICATED') eprintln(io, 'Pass a token with --token or SLIPWAY_TOKEN.');
    return 1;
  }
  if (err instanceof CliError) {
    eprintln(io, `error: ${err.message}`);
    return err.exitCode;
  }
  const e = err as Error | undefined;
  eprintln(io, `error: ${e?.message ?? String(err)}`);
  if (io.env.SLIPWAY_DEBUG && e?.stack) eprintln(io, e.stack);
  return 1;
}

/** A cli-progress bar on stderr when stderr is a terminal; silent otherwise (pipes, CI, tests). */
export interface Progress {
  update(value: number, payload?: Record<string, unknown>): void;
  setTotal(total: number): void;
  stop(): void;
}

export function progressBar(io: Io, format: string, total: number, payload: Record<string, unknown> = {}): Progress {
  if (!io.stderr.isTTY) return { update() {}, setTotal() {}, stop() {} };
  const bar = new cliProgress.SingleBar({ format, stream: io.stderr, hideCursor: true, clearOnComplete: false }, cliProgress.Presets.shades_classic);
  bar.start(total, 0, payload);
  return {
    update: (value, p) => bar.update(value, p),
    setTotal: (t) => bar.setTotal(t),
    stop: () => bar.stop(),
  };
}
