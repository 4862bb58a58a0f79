import { createReadStream } from 'node:fs';
import { extname } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parse } from 'csv-parse';
import { InvalidArgumentError, type Command } from 'commander';
import { clientFrom, clientCommand, examples, intIn, withJson, type ClientFlags, type Io } from './common.js';
import { CliError, keyValues, printJson, println, progressBar, table } from './output.js';

type Row = Record<string, unknown>;

const seconds = (value: string): number => {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
  if (!m) throw new InvalidArgumentError('Expected a duration such as 30s, 5m or 1h.');
  return Number(m[1]) * ({ ms: 0.001, s: 1, m: 60, h: 3600 } as const)[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
};

/** Rows of a CSV (numbers parsed) or JSON Lines file. */
async function readRows(file: string): Promise<Row[]> {
  const rows: Row[] = [];
  if (extname(file).toLowerCase() === '.csv') {
    const parser = createReadStream(file).pipe(parse({ columns: true, bom: true, skip_empty_lines: true, cast: (v) => (v === '' ? null : Number.isFinite(Number(v)) ? Number(v) : v) }));
    for await (const r of parser) rows.push(r as Row);
  } else {
    let rest = '';
    for await (const chunk of createReadStream(file, 'utf8')) {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop()!;
      for (const l of lines) if (l.trim()) rows.push(JSON.parse(l) as Row);
    }
    if (rest.trim()) rows.push(JSON.parse(rest) as Row);
  }
  if (rows.length === 0) throw new CliError(`${file} holds no rows.`);
  return rows;
}

const pct = (xs: number[], p: number) => (xs.length ? xs[Math.min(xs.length - 1, Math.floor(xs.length * p))]! : Number.NaN);

/** `slipway load`: replays a dataset against a deployment at a steady rate, for demos and soak tests. */
export function registerLoad(program: Command, io: Io): void {
  const load = withJson(clientCommand(program, 'load', 'Replay a dataset (CSV or JSON Lines) against a deployment at a given rate'))
    .argument('<deployment>')
    .requiredOption('--data <file>', 'rows to send, cycled')
    .option('--rate <n>', 'requests per second', intIn(1, 100_000), 50)
    .option('--duration <time>', 'how long, e.g. 30s, 5m', seconds, 30)
    .option('--batch <n>', 'rows per request', intIn(1, 10_000), 1)
    .option('--concurrency <n>', 'requests in flight at most (beyond it, the rate drops)', intIn(1, 10_000), 64)
    .option('--key-column <column>', "sent as the deployment's sticky header (A/B assignment), removed from the features")
    .option('--label-column <column>', 'removed from the features and sent back as feedback for each prediction')
    .option('--drop <columns>', 'other columns not to send, comma-separated', (v: string) => v.split(',').map((s) => s.trim()).filter(Boolean), [])
    .action(async (name: string, flags: ClientFlags & { json?: boolean; data: string; rate: number; duration: number; batch: number; concurrency: number; keyColumn?: string; labelColumn?: string; drop: string[] }) => {
      const client = clientFrom(io, flags);
      const { deployment } = await client.getDeployment(name);
      const base = (flags.url ?? io.env.SLIPWAY_URL ?? 'http://127.0.0.1:7380').replace(/\/$/, '');
      const token = flags.token ?? io.env.SLIPWAY_TOKEN ?? io.env.MLFLOW_TRACKING_TOKEN;
      const rows = await readRows(flags.data);
      const hidden = new Set([flags.keyColumn, flags.labelColumn, ...flags.drop].filter((c): c is string => Boolean(c)));
      const features = rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !hidden.has(k))));

      const total = Math.max(1, Math.round(flags.rate * flags.duration));
      const bar = progressBar(io, 'load [{bar}] {value}/{total} requests | {errors} errors', total, { errors: 0 });
      const latencies: number[] = [];
      const statuses = new Map<string, number>();
      const versions = new Map<string, number>();
      const feedback: { predictionId: string; label: unknown }[] = [];
      let errors = 0;
      let done = 0;
      let inflight = 0;
      const started = performance.now();
      const pending = new Set<Promise<void>>();
      for (let n = 0; n < total; n++) {
        const due = started + (n * 1000) / flags.rate;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((ok) => setTimeout(ok, wait));
        while (inflight >= flags.concurrency) await Promise.race(pending);
        const first = (n * flags.batch) % rows.length;
        const idx = Array.from({ length: flags.batch }, (_, k) => (first + k) % rows.length);
        const headers: Record<string, string> = { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) };
        const key = flags.keyColumn ? rows[idx[0]!]![flags.keyColumn] : undefined;
        if (key !== undefined && key !== null) headers[deployment.stickyHeader] = String(key);
        inflight++;
        const t = performance.now();
        const p: Promise<void> = fetch(`${base}/deployments/${encodeURIComponent(name)}/predict`, { method: 'POST', headers, body: JSON.stringify({ records: idx.map((i) => features[i]) }) })
          .then(async (res) => {
            await res.arrayBuffer();
            latencies.push(performance.now() - t);
            statuses.set(String(res.status), (statuses.get(String(res.status)) ?? 0) + 1);
            if (!res.ok) errors++;
            const v = res.headers.get('x-model-version');
            if (v) versions.set(v, (versions.get(v) ?? 0) + 1);
            const ids = res.headers.get('x-prediction-id')?.split(',') ?? [];
            if (flags.labelColumn && res.ok) ids.forEach((id, k) => feedback.push({ predictionId: id, label: rows[idx[k]!]![flags.labelColumn!] }));
          })
          .catch(() => {
            errors++;
            statuses.set('network error', (statuses.get('network error') ?? 0) + 1);
          })
          .finally(() => {
            inflight--;
            done++;
            bar.update(done, { errors });
            pending.delete(p);
          });
        pending.add(p);
        if (feedback.length >= 500) await client.sendFeedback(feedback.splice(0)).catch(() => {});
      }
      await Promise.all(pending);
      if (feedback.length) await client.sendFeedback(feedback.splice(0)).catch(() => {});
      bar.stop();
      const elapsed = (performance.now() - started) / 1000;
      latencies.sort((a, b) => a - b);
      const summary = {
        requests: total,
        errors,
        seconds: Number(elapsed.toFixed(2)),
        achievedRate: Number((total / elapsed).toFixed(1)),
        latencyMs: { p50: pct(latencies, 0.5), p95: pct(latencies, 0.95), p99: pct(latencies, 0.99) },
        statuses: Object.fromEntries(statuses),
        versions: Object.fromEntries(versions),
      };
      if (flags.json) printJson(io, summary);
      else {
        println(io, keyValues([['Requests', `${total} in ${summary.seconds} s (${summary.achievedRate}/s)`], ['Errors', String(errors)], ['Latency', `p50 ${summary.latencyMs.p50.toFixed(1)} ms, p95 ${summary.latencyMs.p95.toFixed(1)} ms, p99 ${summary.latencyMs.p99.toFixed(1)} ms`]]));
        println(io, table(['VERSION', 'REQUESTS'], [...versions].map(([v, c]) => [`v${v}`, String(c)])));
      }
      if (errors > 0) throw new CliError(`${errors} of ${total} requests failed`);
    });
  examples(load, ['slipway load churn --data eval.csv --rate 200 --duration 2m --drop churned', 'slipway load churn --data eval.csv --rate 50 --label-column churned --key-column user_id']);
}
