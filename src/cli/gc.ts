import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import type { GcBody, GcResult } from '../client/index.js';
import { clientCommand, clientFrom, collect, examples, nonNegative, withJson, type ClientFlags, type Io } from './common.js';
import { CliError, eprintln, plural, printJson, println, progressBar } from './output.js';

interface GcFlags extends ClientFlags {
  olderThanDays?: number;
  experiment?: string[];
  run?: string[];
  dryRun?: boolean;
  yes?: boolean;
  json?: boolean;
}

/** Run ids per purge request: small enough for a quick request, a progress step and a bounded retry. */
export const GC_CHUNK = 100;

export function registerGc(program: Command, io: Io): void {
  const gc = withJson(clientCommand(program, 'gc', 'Permanently remove deleted runs and experiments, with their data and artifacts (admin only)'))
    .option('--older-than-days <n>', 'only what was deleted at least this many days ago', nonNegative)
    .option('--experiment <id>', 'only this deleted experiment (repeatable)', collect)
    .option('--run <id>', 'only this deleted run (repeatable)', collect)
    .option('--dry-run', 'list what would be removed, remove nothing')
    .option('-y, --yes', 'do not ask for confirmation')
    .action(async (flags: GcFlags) => {
      const client = clientFrom(io, flags);
      const scope: GcBody = { olderThanDays: flags.olderThanDays, experimentIds: flags.experiment, runIds: flags.run };
      const plan = await client.gc({ ...scope, dryRun: true });
      const count = plan.runs.length + plan.experiments.length + plan.loggedModels.length;

      if (flags.dryRun || count === 0) {
        if (flags.json) return printJson(io, plan);
        if (count === 0) return println(io, 'Nothing to remove.');
        println(io, `Would remove ${describe(plan)}:`);
        printIds(io, plan, Infinity);
        return;
      }

      if (!flags.yes) {
        if (!io.stdin.isTTY) throw new CliError(`gc would remove ${describe(plan)} for good; pass --yes to confirm when not at a terminal.`);
        eprintln(io, `This removes ${describe(plan)} for good, with their metrics, params, tags and artifacts:`);
        printIds(io, plan, 10, true);
        if (!(await confirm(io, 'Proceed? [y/N] '))) throw new CliError('Aborted; nothing was removed.');
      }

      const done: GcResult = { experiments: [], runs: [], loggedModels: [], skippedArtifacts: [] };
      const add = (r: GcResult) => {
        for (const key of ['experiments', 'runs', 'loggedModels', 'skippedArtifacts'] as const) {
          for (const item of r[key]) if (!done[key].includes(item)) done[key].push(item);
        }
      };
      const total = plan.runs.length + plan.experiments.length;
      const bar = progressBar(io, 'Removing {bar} {value}/{total} runs and experiments', total);
      let progress = 0;
      try {
        // Runs first, a chunk per request, then the experiments (with any runs they still hold).
        for (const runIds of chunks(plan.runs, GC_CHUNK)) {
          add(await client.gc({ olderThanDays: flags.olderThanDays, runIds }));
          bar.update((progress += runIds.length));
        }
        for (const experimentIds of chunks(plan.experiments, GC_CHUNK)) {
          add(await client.gc({ olderThanDays: flags.olderThanDays, experimentIds }));
          bar.update((progress += experimentIds.length));
        }
        // Logged models go with experiments; when no experiment is due, ask for the same scope as the plan.
        if (plan.loggedModels.length > 0 && plan.experiments.length === 0) add(await client.gc(scope));
      } finally {
        bar.stop();
      }

      if (flags.json) return printJson(io, done);
      println(io, `Removed ${describe(done)}.`);
      const missed = plan.runs.filter((id) => !done.runs.includes(id)).length + plan.experiments.filter((id) => !done.experiments.includes(id)).length;
      if (missed > 0) println(io, `${plural(missed, 'item')} listed by the dry run changed meanwhile and were kept (restored, or a run was added).`);
      if (done.skippedArtifacts.length > 0) {
        println(io, `Left ${plural(done.skippedArtifacts.length, 'artifact location')} outside this server's store in place:`);
        for (const uri of done.skippedArtifacts) println(io, `  ${uri}`);
      }
    });
  examples(gc, [
    'slipway gc --dry-run',
    'slipway gc --older-than-days 30 --yes',
    'slipway gc --experiment 7 --run 0f8e5a1b2c3d4e5f60718293a4b5c6d7',
  ]);
}

const describe = (r: GcResult): string =>
  [plural(r.runs.length, 'run'), plural(r.experiments.length, 'experiment'), plural(r.loggedModels.length, 'logged model')].join(', ');

function printIds(io: Io, plan: GcResult, max: number, toStderr = false): void {
  const out = toStderr ? eprintln : println;
  const list = (title: string, ids: string[]) => {
    if (ids.length === 0) return;
    out(io, `  ${title}:`);
    for (const id of ids.slice(0, max)) out(io, `    ${id}`);
    if (ids.length > max) out(io, `    ... and ${ids.length - max} more`);
  };
  list('experiments', plan.experiments);
  list('runs', plan.runs);
  list('logged models', plan.loggedModels);
}

async function confirm(io: Io, question: string): Promise<boolean> {
  const rl = createInterface({ input: io.stdin, output: io.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

function* chunks<T>(items: T[], size: number): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}
