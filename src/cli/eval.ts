import { readFileSync, writeFileSync } from 'node:fs';
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { Evaluation, EvaluationRequest, SlipwayClient } from '../client/index.js';
import type { EvaluationReport, GateResult } from '../evaluation/report.js';
import { parsePolicy } from '../evaluation/policy.js';
import { showAgainst } from '../evaluation/rules.js';
import { clientCommand, clientFrom, collect, examples, intIn, withJson, type ClientFlags, type Io } from './common.js';
import { CliError, keyValues, printJson, println, progressBar, section, shortTime, table } from './output.js';

type JsonFlags = ClientFlags & { json?: boolean };

/** Exit code of `eval run` when the gate fails, so a pipeline step fails with it. */
export const GATE_FAILED_EXIT = 3;

const num = (v: number | null | undefined) => (v === null || v === undefined || !Number.isFinite(v) ? 'n/a' : Math.abs(v) >= 1000 ? v.toFixed(0) : Number(v.toPrecision(4)).toString());
const signed = (v: number) => (Number.isFinite(v) ? (v > 0 ? '+' : '') + num(v) : 'n/a');

const readText = (file: string): string => {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
};

const quantileSpec = (value: string, previous: Record<string, number> = {}): Record<string, number> => {
  const m = /^(.+):(\d+)$/.exec(value);
  if (!m) throw new InvalidArgumentError('Expected COLUMN:BINS, e.g. age:4.');
  return { ...previous, [m[1]!]: Number(m[2]) };
};
const namedSpec = (value: string, previous: Record<string, string> = {}): Record<string, string> => {
  const i = value.indexOf('=');
  if (i <= 0) throw new InvalidArgumentError(`Expected NAME=FILTER, e.g. "new customers=tenure < 3".`);
  return { ...previous, [value.slice(0, i).trim()]: value.slice(i + 1).trim() };
};

function printGate(io: Io, gate: GateResult): void {
  println(
    io,
    section(
      `Release checks (${gate.passed ? 'PASSED' : 'FAILED'})`,
      ['', 'CHECK', 'MEASURED', 'REQUIRED', 'REASON'],
      gate.rules.map((r) => [r.passed ? 'ok' : 'FAIL', r.rule, r.observed !== null && r.threshold !== null ? showAgainst(r.observed, r.threshold) : num(r.observed), num(r.threshold), r.reason]),
    ),
  );
}

/** The scorecard in the terminal: verdict, metrics, comparison, slices, gate. */
export function printReport(io: Io, e: Evaluation): void {
  println(io, keyValues([['Evaluation', e.id], ['Model', `${e.model} v${e.version}`], ['Dataset', `${e.dataset.name} v${e.dataset.version} (${e.dataset.digest.slice(0, 12)})`], ['Status', e.status], ['Run', e.runId ?? ''], ['Created', `${shortTime(e.createdAt)} by ${e.createdBy}`]]));
  if (e.error) return println(io, `\n${e.status === 'cancelled' ? 'Cancelled' : 'Failed'}: ${e.error.message}`);
  const r = e.report as EvaluationReport | undefined;
  if (!r) return;
  if (e.headline) println(io, `\n${e.headline}`);
  println(io, section('Metrics', ['METRIC', 'VALUE'], Object.entries(r.metrics).map(([k, v]) => [k, num(v)])));
  if (r.comparison) {
    const c = r.comparison;
    println(
      io,
      section(
        `Against ${c.alias ? `@${c.alias} ` : ''}v${c.champion.version} (${c.confidence * 100}% paired bootstrap, ${c.resamples} resamples, seed ${c.seed})`,
        ['METRIC', 'CHAMPION', 'CHALLENGER', 'DELTA', 'INTERVAL', 'VERDICT'],
        c.metrics.map((d) => [d.metric, num(d.champion), num(d.challenger), signed(d.delta), `[${signed(d.low)}, ${signed(d.high)}]`, d.verdict]),
      ),
    );
    if (c.mcnemar) println(io, `McNemar: ${c.mcnemar.b} rows only the champion got right, ${c.mcnemar.c} only the challenger; p = ${num(c.mcnemar.pValue)}`);
    const worse = c.slices.filter((s) => s.deltas.some((d) => d.verdict === 'worse'));
    if (worse.length) {
      println(io, section('Slices that got worse', ['SLICE', 'ROWS', 'METRIC', 'DELTA', 'INTERVAL'], worse.slice(0, 20).flatMap((s) => s.deltas.filter((d) => d.verdict === 'worse').map((d) => [`${s.family}=${s.label}`, String(s.support), d.metric, signed(d.delta), `[${signed(d.low)}, ${signed(d.high)}]`]))));
    }
  }
  if (r.slices.length) {
    println(io, section('Slices', ['SLICE', 'ROWS', r.primaryMetric.toUpperCase()], r.slices.slice(0, 30).map((s) => [`${s.family}=${s.label}`, String(s.support), num(s.metrics[r.primaryMetric])])));
  }
  for (const f of r.fairness ?? []) {
    println(io, `\nFairness over ${f.column}: demographic parity difference ${num(f.demographicParityDifference)}, equal opportunity difference ${num(f.equalOpportunityDifference)}, equalized odds difference ${num(f.equalizedOddsDifference)}, disparate impact ratio ${num(f.disparateImpactRatio)}`);
  }
  if (r.latency) println(io, `Latency: p50 ${num(r.latency.p50Ms)} ms, p99 ${num(r.latency.p99Ms)} ms (single rows); ${num(r.latency.rowsPerSecond)} rows/s in batches`);
  for (const w of r.warnings) println(io, `warning: ${w}`);
  if (r.gate) printGate(io, r.gate);
}

/** Polls a running evaluation, drawing its progress, until it completes or fails. */
async function follow(io: Io, client: SlipwayClient, started: Evaluation): Promise<Evaluation> {
  let e = started;
  const bar = progressBar(io, '{phase} [{bar}] {percentage}%', 100, { phase: 'queued'.padEnd(18) });
  try {
    while (e.status === 'running' || e.status === 'queued') {
      await new Promise((r) => setTimeout(r, 300));
      e = (await client.getEvaluation(e.id)).evaluation;
      if (e.progress) bar.update(e.progress.total > 0 ? Math.round((100 * e.progress.done) / e.progress.total) : 0, { phase: e.progress.phase.padEnd(18) });
    }
  } finally {
    bar.stop();
  }
  return e;
}

/** `slipway eval ...`: run evaluations, read scorecards, compare versions, manage gate policies and sign-offs. */
export function registerEval(program: Command, io: Io): void {
  const ev = program.command('eval').description('Evaluate model versions on dataset versions, compare with the champion, apply release gates');

  const addSettings = (cmd: Command) =>
    cmd
      .option('--dataset <ref>', "NAME, NAME@VERSION or NAME@DIGEST (default: the gate policy's)")
      .option('--policy <file>', "a gate policy YAML file (default: the model's stored policy)")
      .option('--label <column>', 'the label column')
      .addOption(new Option('--task <task>', 'default: from the model').choices(['binary', 'multiclass', 'regression']))
      .option('--positive-class <value>', 'binary: the positive class (default: the second class)')
      .option('--prediction-column <column>', 'evaluate this dataset column as the predictions, not the model')
      .option('--score-column <column>', 'with --prediction-column: P(positive class)')
      .option('--slice <column>', 'one slice per value of this column (repeatable)', collect)
      .option('--quantiles <column:bins>', 'equal-frequency bins of a numeric column (repeatable)', quantileSpec)
      .option('--named-slice <name=filter>', `a named slice, e.g. "new=tenure < 3" (repeatable)`, namedSpec)
      .option('--sensitive <column>', 'fairness metrics over this column (repeatable)', collect)
      .option('--ignore-columns <a,b>', 'dataset columns that are neither features nor labels', (v: string) => v.split(',').map((s) => s.trim()).filter(Boolean))
      .option('--resamples <n>', 'bootstrap resamples', intIn(100, 100_000))
      .option('--seed <n>', 'bootstrap seed', intIn(0, 4_294_967_295))
      .option('--no-wait', 'start it and print its id without waiting');

  type SettingsFlags = JsonFlags & {
    dataset?: string;
    policy?: string;
    label?: string;
    task?: EvaluationRequest['task'];
    positiveClass?: string;
    predictionColumn?: string;
    scoreColumn?: string;
    slice?: string[];
    quantiles?: Record<string, number>;
    namedSlice?: Record<string, string>;
    sensitive?: string[];
    ignoreColumns?: string[];
    resamples?: number;
    seed?: number;
    wait: boolean;
  };
  const requestOf = (f: SettingsFlags): Omit<EvaluationRequest, 'model' | 'version'> => ({
    ...(f.dataset ? { dataset: f.dataset } : {}),
    ...(f.policy ? { policy: readText(f.policy) } : {}),
    ...(f.label ? { label: f.label } : {}),
    ...(f.task ? { task: f.task } : {}),
    ...(f.positiveClass ? { positiveClass: f.positiveClass } : {}),
    ...(f.predictionColumn ? { predictionColumn: f.predictionColumn } : {}),
    ...(f.scoreColumn ? { scoreColumn: f.scoreColumn } : {}),
    ...(f.slice ? { sliceColumns: f.slice } : {}),
    ...(f.quantiles ? { sliceQuantiles: f.quantiles } : {}),
    ...(f.namedSlice ? { namedSlices: f.namedSlice } : {}),
    ...(f.sensitive ? { sensitive: f.sensitive } : {}),
    ...(f.ignoreColumns ? { ignoreColumns: f.ignoreColumns } : {}),
    ...(f.resamples !== undefined ? { resamples: f.resamples } : {}),
    ...(f.seed !== undefined ? { seed: f.seed } : {}),
  });
  const runAndReport = async (flags: SettingsFlags, body: EvaluationRequest) => {
    const client = clientFrom(io, flags);
    const { evaluation: started } = await client.startEvaluation(body);
    if (!flags.wait) return flags.json ? printJson(io, { evaluation: started }) : println(io, `Started evaluation ${started.id}; follow it with \`slipway eval show ${started.id}\`.`);
    const done = await follow(io, client, started);
    if (flags.json) printJson(io, { evaluation: done });
    else printReport(io, done);
    if (done.status === 'failed' || done.status === 'cancelled') throw new CliError(`evaluation ${done.id} ${done.status === 'cancelled' ? 'was cancelled' : 'failed'}: ${done.error?.message}`);
    if (done.gatePassed === false) throw new CliError(`the release gate failed (evaluation ${done.id})`, GATE_FAILED_EXIT);
  };

  const run = addSettings(
    withJson(clientCommand(ev, 'run', 'Evaluate a model version on a dataset version (against the champion, through the gate policy)'))
      .requiredOption('--model <name>', 'registered model')
      .requiredOption('--version <n>', 'model version', intIn(1))
      .option('--against <alias>', "champion alias, or 'none' (default: the policy's)")
      .option('--against-version <n>', 'compare with this version instead of an alias', intIn(1))
      .option('--no-gate', "don't apply the policy's rules"),
  ).action(async (flags: SettingsFlags & { model: string; version: number; against?: string; againstVersion?: number; gate: boolean }) => {
    await runAndReport(flags, {
      model: flags.model,
      version: flags.version,
      ...requestOf(flags),
      ...(flags.against !== undefined ? { against: flags.against === 'none' ? null : flags.against } : {}),
      ...(flags.againstVersion !== undefined ? { againstVersion: flags.againstVersion } : {}),
      ...(flags.gate ? {} : { gate: false }),
    });
  });
  examples(run, [
    'slipway eval run --model churn --version 4 --dataset churn-eval@3f2a9c1e --against production',
    'slipway eval run --model churn --version 4 --dataset churn-eval --label churned --policy gate.yaml',
    'slipway eval run --model churn --version 4 --dataset scored --label churned --prediction-column pred --score-column p',
  ]);
  run.addHelpText('after', `\nExit codes: 0 done (gate passed or none), 1 error, ${GATE_FAILED_EXIT} the release gate failed.\n`);

  const compare = addSettings(
    withJson(clientCommand(ev, 'compare', 'Compare two versions of a model on the same dataset (paired bootstrap, McNemar, per-slice deltas)'))
      .argument('<model>')
      .argument('<champion-version>', 'the baseline', intIn(1))
      .argument('<challenger-version>', 'the new version', intIn(1)),
  ).action(async (model: string, champion: number, challenger: number, flags: SettingsFlags) => {
    await runAndReport(flags, { model, version: challenger, againstVersion: champion, gate: false, ...requestOf(flags) });
  });
  examples(compare, ['slipway eval compare churn 3 4 --dataset churn-eval --label churned --slice region']);

  const show = withJson(clientCommand(ev, 'show', 'Show an evaluation: verdict, metrics, comparison, slices, gate'))
    .argument('<id>')
    .addOption(new Option('--format <format>', 'text, or the scorecard as Markdown or HTML').choices(['text', 'md', 'html']).default('text'))
    .option('-o, --out <file>', 'write the scorecard to a file')
    .action(async (id: string, flags: JsonFlags & { format: 'text' | 'md' | 'html'; out?: string }) => {
      const client = clientFrom(io, flags);
      if (flags.format !== 'text') {
        const text = await client.scorecard(id, flags.format);
        if (flags.out) {
          writeFileSync(flags.out, text);
          return println(io, `Wrote ${flags.out}.`);
        }
        return void io.stdout.write(text);
      }
      const { evaluation } = await client.getEvaluation(id);
      if (flags.json) return printJson(io, { evaluation });
      printReport(io, evaluation);
    });
  examples(show, ['slipway eval show 9f0c…', 'slipway eval show 9f0c… --format html -o scorecard.html']);

  const list = withJson(clientCommand(ev, 'list', "List a model's evaluations, newest first"))
    .requiredOption('--model <name>')
    .option('--version <n>', 'only this version', intIn(1))
    .action(async (flags: JsonFlags & { model: string; version?: number }) => {
      const { evaluations } = await clientFrom(io, flags).listEvaluations(flags.model, flags.version);
      if (flags.json) return printJson(io, { evaluations });
      if (evaluations.length === 0) return println(io, `No evaluations of ${flags.model} yet: \`slipway eval run --model ${flags.model} --version N --dataset NAME\`.`);
      println(
        io,
        table(
          ['ID', 'VERSION', 'DATASET', 'CHAMPION', 'STATUS', 'GATE', 'CREATED'],
          evaluations.map((e) => [e.id, `v${e.version}`, `${e.dataset.name} v${e.dataset.version}`, e.championVersion ? `v${e.championVersion}` : '-', e.status, e.gatePassed === null ? '-' : e.gatePassed ? 'passed' : 'FAILED', shortTime(e.createdAt)]),
        ),
      );
    });
  examples(list, ['slipway eval list --model churn --version 4']);

  const approve = withJson(clientCommand(ev, 'approve', 'Sign off an evaluation (reviewer role; not the person who started it)'))
    .argument('<id>')
    .requiredOption('--note <text>', 'what you checked')
    .action(async (id: string, flags: JsonFlags & { note: string }) => {
      const { evaluation } = await clientFrom(io, flags).approveEvaluation(id, flags.note);
      if (flags.json) return printJson(io, { evaluation });
      println(io, `Approved evaluation ${id} of ${evaluation.model} v${evaluation.version}.`);
    });
  examples(approve, ['slipway eval approve 9f0c… --note "checked the EU slice by hand"']);

  const cancel = withJson(clientCommand(ev, 'cancel', 'Cancel a queued or running evaluation (it records no gate result)'))
    .argument('<id>')
    .action(async (id: string, flags: JsonFlags) => {
      const { evaluation } = await clientFrom(io, flags).cancelEvaluation(id);
      if (flags.json) return printJson(io, { evaluation });
      println(io, `Cancelled evaluation ${id} of ${evaluation.model} v${evaluation.version}.`);
    });
  examples(cancel, ['slipway eval cancel 9f0c…']);

  const policy = ev.command('policy').description("A model's gate policy: the checks a version must pass before a protected alias moves to it");
  policy.addHelpText(
    'after',
    `
A policy is YAML:
  protect: [production]          # aliases it guards (stages of the same name too)
  against: production            # the champion to compare with (default: the first protected alias)
  dataset: churn-eval            # NAME, NAME@VERSION or NAME@DIGEST
  label: churned
  slices: { columns: [region], quantiles: { tenure: 4 }, named: { new customers: "tenure < 3" } }
  sensitive: [gender]
  signoff: true                  # a reviewer must approve the evaluation
  rules:
    - min: { metric: roc_auc, value: 0.8 }
    - no_regression: { metric: roc_auc, margin: 0.01, confidence: 0.95, slices: true, min_support: 200 }
    - fairness: { column: gender, metric: demographic_parity_difference, max: 0.1 }
    - latency: { p99_ms: 20 }
    - artifact_size: { max_mb: 100 }
`,
  );
  const set = withJson(clientCommand(policy, 'set', 'Store a new version of the policy from a YAML file'))
    .argument('<model>')
    .argument('<file>')
    .action(async (model: string, file: string, flags: JsonFlags) => {
      const { policy: p } = await clientFrom(io, flags).setGatePolicy(model, readText(file));
      if (flags.json) return printJson(io, { policy: p });
      println(io, `Stored gate policy v${p.version} of ${model}.`);
    });
  examples(set, ['slipway eval policy set churn gate.yaml']);
  const showPolicy = withJson(clientCommand(policy, 'show', "Print a model's policy as written"))
    .argument('<model>')
    .option('--version <n>', 'an older version', intIn(1))
    .action(async (model: string, flags: JsonFlags & { version?: number }) => {
      const { policy: p } = await clientFrom(io, flags).getGatePolicy(model, flags.version);
      if (flags.json) return printJson(io, { policy: p });
      println(io, `# ${model} gate policy v${p.version}, ${shortTime(p.createdAt)} by ${p.createdBy}`);
      io.stdout.write(p.source.endsWith('\n') ? p.source : `${p.source}\n`);
    });
  examples(showPolicy, ['slipway eval policy show churn']);
  const check = withJson(policy.command('check').description('Validate a policy file locally (no server needed)'))
    .argument('<file>')
    .action((file: string, flags: { json?: boolean }) => {
      const spec = parsePolicy(readText(file), file);
      if (flags.json) return printJson(io, { policy: spec });
      println(io, `${file}: valid; ${spec.rules.length} rules, protects ${spec.protect.join(', ')}.`);
    });
  examples(check, ['slipway eval policy check gate.yaml']);
}

/**
 * Prints the checks of a refused promotion as a table, when the server sent them, and returns the one-line error to
 * end with: the server's summary without the checks just shown (or the message itself when there was no table).
 */
export function printRefusal(io: Io, details: Record<string, unknown> | undefined, message: string): string {
  const gate = details?.gate as GateResult | undefined;
  if (!gate) return message;
  printGate(io, gate);
  return typeof details?.summary === 'string' ? details.summary : message;
}
