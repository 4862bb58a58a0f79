import { writeFileSync } from 'node:fs';
import { extname } from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { backtest, parseShift } from '../monitoring/backtest.js';
import { compareFiles, columnOverrides } from '../monitoring/batch.js';
import { readFrameFile } from '../runtimes/frame-file.js';
import { METHOD_NAMES, MIN_ROWS, P_VALUE_METHODS, type DriftOptions } from '../monitoring/drift.js';
import { num, rankedColumns, renderDriftHtml, renderDriftMarkdown, type DriftReport } from '../monitoring/report.js';
import { SlipwayError } from '../core/errors.js';
import type { MonitorBody, MonitorJson, WindowResult } from '../client/index.js';
import { clientCommand, clientFrom, examples, intIn, share, withJson, type ClientFlags, type Io } from './common.js';
import { CliError, keyValues, printJson, println, progressBar, section, shortTime, table } from './output.js';

/** Exit code of `monitor run --fail-on-drift` when the dataset drifted, so a pipeline step fails with it. */
export const DRIFT_EXIT = 3;
/** Exit code of `monitor run --fail-on-drift` when a window is too small to judge: a gate must not pass on no data. */
export const INSUFFICIENT_DATA_EXIT = 4;

const pairs = (value: string, previous: Record<string, string> = {}): Record<string, string> => {
  const out = { ...previous };
  for (const part of value.split(',')) {
    const i = part.indexOf('=');
    if (i <= 0) throw new InvalidArgumentError(`Expected COLUMN=VALUE (comma-separated), got "${part}".`);
    out[part.slice(0, i).trim()] = part.slice(i + 1).trim();
  }
  return out;
};
const list = (v: string, previous: string[] = []): string[] => [...previous, ...v.split(',').map((s) => s.trim()).filter(Boolean)];

const pct = (v: number) => `${(100 * v).toFixed(0)}%`;

function printDrift(io: Io, r: DriftReport): void {
  const d = r.drift;
  const judged = d.columns.filter((c) => c.status === 'ok').length;
  println(io, `${r.current.label} (${r.current.rows} rows) against ${r.reference.label} (${r.reference.rows} rows)`);
  if (d.verdict === 'insufficient_data') println(io, `INSUFFICIENT DATA: ${d.insufficientReason}`);
  else println(io, d.datasetDrift ? `DATASET DRIFT: ${d.driftedColumns} of ${judged} columns drifted (${pct(d.driftedShare)} ≥ ${pct(d.driftShareThreshold)})` : `No dataset drift: ${d.driftedColumns} of ${judged} columns drifted (${pct(d.driftedShare)} < ${pct(d.driftShareThreshold)})`);
  println(
    io,
    section(
      'Columns',
      ['COLUMN', 'DRIFT', 'METHOD', 'STATISTIC', 'THRESHOLD', 'NOISE', 'CHANGE'],
      rankedColumns(d).map((c) => [
        c.column,
        c.status === 'insufficient' ? 'n/a' : c.drifted ? 'YES' : 'no',
        METHOD_NAMES[c.method],
        c.statistic === null ? 'n/a' : c.pValue !== null ? `p=${num(c.adjustedPValue ?? c.pValue)}` : num(c.statistic),
        P_VALUE_METHODS.has(c.method) ? `p<${num(c.threshold)}` : `>=${num(c.threshold)}`,
        num(c.noise),
        c.change,
      ]),
    ),
  );
  if (r.quality.issues.length > 0) println(io, section('Data quality issues', ['COLUMN', 'CHECK', 'ISSUE'], r.quality.issues.map((i) => [i.column ?? '', i.check, i.message])));
  else println(io, '\nData quality: no issues.');
}

/** `slipway monitor ...`: drift and data-quality checks. */
export function registerMonitor(program: Command, io: Io): void {
  const monitor = program.command('monitor').description('Drift and data-quality monitoring');

  const run = monitor
    .command('run')
    .description('Compare a current data file with a reference (CSV, JSON Lines or Parquet): drift per column, dataset drift, data quality. Runs locally, no server needed.')
    .requiredOption('--reference <file>', 'the reference data (e.g. the training set)')
    .requiredOption('--current <file>', 'the data to check')
    .option('--columns <a,b>', 'only these columns (repeatable)', list)
    .option('--ignore <a,b>', 'leave these columns out, e.g. ids and timestamps (repeatable)', list)
    .option('--method <col=method>', `per-column method: ${Object.keys(METHOD_NAMES).join(', ')} (repeatable, comma-separated)`, pairs)
    .option('--threshold <col=value>', 'per-column threshold: a p-value for ks/chisquare/ztest, a distance otherwise (repeatable)', pairs)
    .option('--drift-share <share>', 'dataset drift when at least this share of columns drift', share, 0.5)
    .addOption(new Option('--correction <kind>', 'multiple-testing correction across columns').choices(['none', 'bh']).default('none'))
    .option('--min-rows <n>', 'fewer rows than this in either file (or values in a column) is "insufficient data"', intIn(1), MIN_ROWS)
    .option('-o, --output <file>', 'also write the report: .html, .md or .json by extension')
    .option('--fail-on-drift', `exit with ${DRIFT_EXIT} when the dataset drifted, ${INSUFFICIENT_DATA_EXIT} when a window has too few rows to judge`)
    .option('--json', 'print the report as JSON, nothing else');
  examples(run, [
    'slipway monitor run --reference train.csv --current today.parquet',
    'slipway monitor run --reference train.csv --current today.csv --ignore id,ts --method plan=psi --threshold plan=0.2 -o drift.html',
    'slipway monitor run --reference ref.jsonl --current cur.jsonl --correction bh --fail-on-drift --json',
  ]);
  run.action(
    async (f: { reference: string; current: string; columns?: string[]; ignore?: string[]; method?: Record<string, string>; threshold?: Record<string, string>; driftShare: number; correction: 'none' | 'bh'; minRows: number; output?: string; failOnDrift?: boolean; json?: boolean }) => {
      let report: DriftReport;
      try {
        report = await compareFiles(f.reference, f.current, {
          ...(f.columns ? { include: f.columns } : {}),
          ...(f.ignore ? { exclude: f.ignore } : {}),
          columns: columnOverrides(f.method ?? {}, f.threshold ?? {}),
          driftShare: f.driftShare,
          correction: f.correction,
          minRows: f.minRows,
        });
      } catch (e) {
        if (e instanceof SlipwayError) throw new CliError(e.message);
        throw e;
      }
      if (f.output) {
        const ext = extname(f.output).toLowerCase();
        const body = ext === '.html' || ext === '.htm' ? renderDriftHtml(report) : ext === '.md' || ext === '.markdown' ? renderDriftMarkdown(report) : ext === '.json' ? JSON.stringify(report, jsonReplacer, 2) : null;
        if (body === null) throw new CliError(`Cannot tell the report format from ${f.output}: use .html, .md or .json.`);
        writeFileSync(f.output, body);
      }
      if (f.json) printJson(io, JSON.parse(JSON.stringify(report, jsonReplacer)));
      else {
        printDrift(io, report);
        if (f.output) println(io, `\nReport written to ${f.output}`);
      }
      if (f.failOnDrift && report.drift.verdict === 'insufficient_data') throw new CliError(`not enough data to judge drift: ${report.drift.insufficientReason}`, INSUFFICIENT_DATA_EXIT);
      if (f.failOnDrift && report.drift.datasetDrift) throw new CliError('the dataset drifted', DRIFT_EXIT);
    },
  );

  const bt = monitor
    .command('backtest')
    .description("Replay historical data through drift and quality checks (optionally with an injected shift): false alarms per 100,000 predictions before the shift, detection delay after it. Runs locally.")
    .requiredOption('--reference <file>', 'the reference data')
    .requiredOption('--data <file>', 'historical data, in time order')
    .option('--window-rows <n>', 'rows per window', intIn(2), 10_000)
    .option('--step-rows <n>', 'rows between windows (default: the window)', intIn(1))
    .option('--shift <spec>', 'inject a shift: COLUMN:+0.5sd, COLUMN:*1.2 or COLUMN:=VALUE~30%, optionally @ROW or @PERCENT% (default @50%)')
    .option('--time-column <column>', 'a column of times, to report delays in stream time')
    .option('--columns <a,b>', 'only these columns (repeatable)', list)
    .option('--ignore <a,b>', 'leave these columns out (repeatable)', list)
    .option('--method <col=method>', 'per-column method (repeatable)', pairs)
    .option('--threshold <col=value>', 'per-column threshold (repeatable)', pairs)
    .option('--drift-share <share>', 'dataset drift when at least this share of columns drift', share, 0.5)
    .addOption(new Option('--correction <kind>', 'multiple-testing correction').choices(['none', 'bh']).default('none'))
    .option('--monitor <name>', "use a server monitor's features, methods and thresholds (with --url / SLIPWAY_URL)")
    .option('--url <url>', 'server URL for --monitor')
    .option('--token <token>', 'API token for --monitor')
    .option('--json', 'print the result as JSON');
  examples(bt, [
    'slipway monitor backtest --reference train.csv --data last-quarter.csv --window-rows 20000 --shift delay:+0.5sd@50% --time-column ts --ignore ts',
    'slipway monitor backtest --reference train.parquet --data history.parquet --monitor churn-drift --window-rows 5000',
  ]);
  bt.action(
    async (f: ClientFlags & { reference: string; data: string; windowRows: number; stepRows?: number; shift?: string; timeColumn?: string; columns?: string[]; ignore?: string[]; method?: Record<string, string>; threshold?: Record<string, string>; driftShare: number; correction: 'none' | 'bh'; monitor?: string; json?: boolean }) => {
      try {
        const [reference, data] = await Promise.all([readFrameFile(f.reference), readFrameFile(f.data)]);
        let features = (f.columns ?? [...reference.columns.keys()]).filter((c) => !(f.ignore ?? []).includes(c) && c !== f.timeColumn);
        let drift: DriftOptions = { columns: columnOverrides(f.method ?? {}, f.threshold ?? {}), driftShare: f.driftShare, correction: f.correction };
        if (f.monitor) {
          const { monitor: m } = await clientFrom(io, f).getMonitor(f.monitor);
          if (m.features) features = m.features.filter((c) => reference.columns.has(c));
          const columns: NonNullable<DriftOptions['columns']> = {};
          for (const [c, method] of Object.entries(m.drift.methods)) columns[c] = { ...columns[c], method };
          for (const [c, threshold] of Object.entries(m.drift.thresholds)) columns[c] = { ...columns[c], threshold };
          drift = { columns, driftShare: m.drift.driftShare, correction: m.drift.correction, minRows: m.drift.minRows };
        }
        const bar = progressBar(io, 'replaying [{bar}] {value}/{total} windows', 1);
        const result = backtest(reference, data, { windowRows: f.windowRows, ...(f.stepRows ? { stepRows: f.stepRows } : {}), features, drift, ...(f.shift ? { shift: parseShift(f.shift, data.rows) } : {}), ...(f.timeColumn ? { timeColumn: f.timeColumn } : {}) }, (done, total) => {
          bar.setTotal(total);
          bar.update(done);
        });
        bar.stop();
        if (f.json) return printJson(io, result);
        const shiftText = result.shift ? `${f.shift} from row ${result.shift.at}` : 'none';
        println(io, `${result.windows} windows of ${result.windowRows} rows (step ${result.stepRows}) over ${result.rows} rows; shift: ${shiftText}`);
        const dur = (ms: number | null) => (ms === null ? '' : ms >= 86_400_000 ? ` (${(ms / 86_400_000).toFixed(1)} d)` : ms >= 3_600_000 ? ` (${(ms / 3_600_000).toFixed(1)} h)` : ` (${Math.round(ms / 60_000)} min)`);
        println(
          io,
          table(
            ['CHECK', 'FALSE ALARMS', 'PER 100K', ...(result.shift ? ['DETECTED AFTER'] : [])],
            result.checks.map((c) => [c.check, String(c.falseAlarms), c.falseAlarmsPer100k.toFixed(1), ...(result.shift ? [c.delayRows === null ? 'never' : `${c.delayRows} rows${dur(c.delayMs)}`] : [])]),
          ),
        );
      } catch (e) {
        if (e instanceof SlipwayError) throw new CliError(e.message);
        throw e;
      }
    },
  );

  registerMonitorServerCommands(monitor, io);
}

type JsonFlags = ClientFlags & { json?: boolean };
const ms = (v: number) => (v % 86_400_000 === 0 ? `${v / 86_400_000}d` : v % 3_600_000 === 0 ? `${v / 3_600_000}h` : v % 60_000 === 0 ? `${v / 60_000}m` : `${v / 1000}s`);

function showMonitor(io: Io, m: MonitorJson): void {
  const ref = m.reference.type === 'training' ? "the served version's training data" : m.reference.type === 'dataset' ? `dataset ${m.reference.dataset}` : `production ${new Date(m.reference.from).toISOString()} – ${new Date(m.reference.to).toISOString()}`;
  println(
    io,
    keyValues([
      ['Monitor', m.name],
      ['Deployment', m.deployment],
      ['Window', `${ms(m.windowMs)} every ${ms(m.stepMs)}`],
      ['Reference', ref],
      ['Features', m.features ? m.features.join(', ') : 'all'],
      ['Dataset drift', `when ≥ ${Math.round(m.drift.driftShare * 100)}% of columns drift${m.drift.correction === 'bh' ? ' (Benjamini–Hochberg)' : ''}`],
      ['Evaluated until', m.evaluatedUntil ? shortTime(m.evaluatedUntil) : 'not yet'],
    ]),
  );
}

function windowLine(r: WindowResult): string[] {
  const d = r.drift;
  const judged = d ? d.columns.filter((c) => c.status === 'ok').length : 0;
  return [
    new Date(r.windowEnd).toISOString().replace('T', ' ').slice(0, 19),
    r.status,
    d && judged > 0 ? `${d.driftedColumns}/${judged}${d.datasetDrift ? ' DRIFT' : ''}` : '-',
    String(r.quality?.issues.length ?? 0),
    String(r.operations.requests),
    r.operations.latencyMs.p99 === null ? '-' : r.operations.latencyMs.p99.toFixed(1),
    r.performance.value === null ? '-' : r.performance.value.toFixed(3),
    r.performance.estimatedAccuracy === null ? '-' : r.performance.estimatedAccuracy.toFixed(3),
  ];
}
const WINDOW_HEADERS = ['WINDOW END (UTC)', 'STATUS', 'DRIFTED', 'ISSUES', 'REQUESTS', 'P99 MS', 'ACCURACY', 'EST. ACC.'];

function registerMonitorServerCommands(monitor: Command, io: Io): void {
  const create = clientCommand(monitor, 'create <name>', 'Create a monitor on a deployment (it runs on the server as windows close)')
    .requiredOption('--deployment <name>', 'the deployment to watch')
    .option('--window <duration>', 'traffic each evaluation reads, e.g. 1h', '1h')
    .option('--step <duration>', 'how often it runs (default: the window)')
    .option('--reference-dataset <ref>', "NAME or NAME@VERSION (default: the served version's training data)")
    .option('--reference-window <from,to>', 'a past production window, two ISO 8601 times')
    .option('--features <a,b>', 'only these inputs (default: every input and the prediction)', list)
    .option('--method <col=method>', 'per-column drift method (repeatable)', pairs)
    .option('--threshold <col=value>', 'per-column drift threshold (repeatable)', pairs)
    .option('--drift-share <share>', 'dataset drift when at least this share of columns drift', share)
    .addOption(new Option('--correction <kind>', 'multiple-testing correction').choices(['none', 'bh']))
    .option('--label <column>', "the reference dataset's label column (calibrates estimated accuracy)")
    .option('--baseline-windows <n>', 'labelled windows that set the SPC limits', intIn(2, 1000));
  withJson(create);
  examples(create, ['slipway monitor create churn-drift --deployment churn --window 1h --step 5m --label churned', 'slipway monitor create churn-spring --deployment churn --reference-dataset churn-2025-spring --method plan=psi --threshold plan=0.2']);
  create.action(
    async (
      name: string,
      f: JsonFlags & { deployment: string; window: string; step?: string; referenceDataset?: string; referenceWindow?: string; features?: string[]; method?: Record<string, string>; threshold?: Record<string, string>; driftShare?: number; correction?: 'none' | 'bh'; label?: string; baselineWindows?: number },
    ) => {
      if (f.referenceDataset && f.referenceWindow) throw new CliError('Give --reference-dataset or --reference-window, not both.');
      let reference: MonitorBody['reference'];
      if (f.referenceDataset) reference = { dataset: f.referenceDataset };
      if (f.referenceWindow) {
        const [from, to] = f.referenceWindow.split(',');
        if (!from || !to) throw new CliError('--reference-window takes two ISO 8601 times separated by a comma.');
        reference = { from, to };
      }
      const thresholds: Record<string, number> = {};
      for (const [k, v] of Object.entries(f.threshold ?? {})) {
        const n = Number(v);
        if (v.trim() === '' || !Number.isFinite(n) || n < 0) throw new CliError(`--threshold ${k}=${v}: expected a non-negative number.`);
        thresholds[k] = n;
      }
      const { monitor: m } = await clientFrom(io, f).createMonitor({
        name,
        deployment: f.deployment,
        window: f.window,
        ...(f.step ? { step: f.step } : {}),
        ...(reference ? { reference } : {}),
        ...(f.features ? { features: f.features } : {}),
        drift: { ...(f.method ? { methods: f.method } : {}), thresholds, ...(f.driftShare !== undefined ? { driftShare: f.driftShare } : {}), ...(f.correction ? { correction: f.correction } : {}) },
        ...(f.label || f.baselineWindows ? { performance: { ...(f.label ? { label: f.label } : {}), ...(f.baselineWindows ? { baselineWindows: f.baselineWindows } : {}) } } : {}),
      });
      if (f.json) return printJson(io, m);
      println(io, `Created monitor ${m.name}.`);
      showMonitor(io, m);
    },
  );

  const ls = withJson(clientCommand(monitor, 'list', 'List monitors').option('--deployment <name>', 'only those of this deployment'));
  ls.action(async (f: JsonFlags & { deployment?: string }) => {
    const { monitors } = await clientFrom(io, f).listMonitors(f.deployment);
    if (f.json) return printJson(io, monitors);
    if (monitors.length === 0) return println(io, 'No monitors. Create one with `slipway monitor create NAME --deployment D`.');
    println(io, table(['NAME', 'DEPLOYMENT', 'WINDOW', 'STEP', 'EVALUATED UNTIL'], monitors.map((m) => [m.name, m.deployment, ms(m.windowMs), ms(m.stepMs), m.evaluatedUntil ? shortTime(m.evaluatedUntil) : '-'])));
  });

  const show = withJson(clientCommand(monitor, 'show <name>', 'Show a monitor and its latest windows').option('--limit <n>', 'windows to show', intIn(1, 1000), 10));
  show.action(async (name: string, f: JsonFlags & { limit: number }) => {
    const client = clientFrom(io, f);
    const [{ monitor: m }, { results }] = await Promise.all([client.getMonitor(name), client.monitorResults(name, { limit: f.limit })]);
    if (f.json) return printJson(io, { monitor: m, results });
    showMonitor(io, m);
    println(io, results.length === 0 ? '\nNo window evaluated yet.' : section('Latest windows', WINDOW_HEADERS, results.map(windowLine)));
  });

  const results = withJson(
    clientCommand(monitor, 'results <name>', 'Results per window, newest first')
      .option('--since <time>', 'ISO 8601')
      .option('--until <time>', 'ISO 8601')
      .option('--limit <n>', 'at most this many windows', intIn(1, 5000), 50),
  );
  results.action(async (name: string, f: JsonFlags & { since?: string; until?: string; limit: number }) => {
    const { results: rs } = await clientFrom(io, f).monitorResults(name, { ...(f.since ? { since: f.since } : {}), ...(f.until ? { until: f.until } : {}), limit: f.limit });
    if (f.json) return printJson(io, rs);
    println(io, rs.length === 0 ? 'No window evaluated yet.' : table(WINDOW_HEADERS, rs.map(windowLine)));
  });

  const runNow = withJson(clientCommand(monitor, 'evaluate <name>', 'Evaluate now: the windows closed since the last run, or one window ending at --at').option('--at <time>', '"now" or ISO 8601'));
  runNow.action(async (name: string, f: JsonFlags & { at?: string }) => {
    const { results: rs } = await clientFrom(io, f).runMonitor(name, f.at);
    if (f.json) return printJson(io, rs);
    println(io, rs.length === 0 ? 'No window has closed since the last evaluation.' : table(WINDOW_HEADERS, rs.map(windowLine)));
  });

  const report = clientCommand(monitor, 'report <name>', "A window's drift report (the latest by default)")
    .option('--window <time>', 'the end of the window (ISO 8601)')
    .addOption(new Option('--format <format>', 'html or md').choices(['html', 'md']).default('md'))
    .option('-o, --output <file>', 'write it to a file instead of printing it');
  report.action(async (name: string, f: ClientFlags & { window?: string; format: 'html' | 'md'; output?: string }) => {
    const text = await clientFrom(io, f).monitorReport(name, f.format, f.window);
    if (f.output) {
      writeFileSync(f.output, text);
      println(io, `Report written to ${f.output}`);
    } else io.stdout.write(text);
  });

  const rm = clientCommand(monitor, 'delete <name>', 'Delete a monitor and its results');
  rm.action(async (name: string, f: ClientFlags) => {
    await clientFrom(io, f).deleteMonitor(name);
    println(io, `Deleted monitor ${name}.`);
  });
}

/** Maps and typed arrays as plain JSON. */
function jsonReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Map) return Object.fromEntries(value);
  if (ArrayBuffer.isView(value)) return Array.from(value as unknown as ArrayLike<number>);
  return value;
}
