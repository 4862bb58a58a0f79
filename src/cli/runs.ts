import { Option, type Command } from 'commander';
import type { Run, RunPage, SlipwayClient } from '../client/index.js';
import { clientCommand, clientFrom, collect, examples, intIn, isDigits, withJson, type ClientFlags, type Io } from './common.js';
import { findExperiment } from './experiments.js';
import { formatDuration, formatMetric, keyValues, printJson, println, progressBar, section, shortTime, table, truncate } from './output.js';

interface ListFlags extends ClientFlags {
  experiment: string[];
  filter?: string;
  orderBy?: string[];
  view?: 'active' | 'deleted' | 'all';
  maxResults?: number;
  all?: boolean;
  json?: boolean;
}

export function registerRuns(program: Command, io: Io): void {
  const runs = program.command('runs').description('Search and inspect runs');

  const list = withJson(clientCommand(runs, 'list', 'List the runs of one or more experiments, optionally filtered and ordered'))
    .requiredOption('--experiment <id>', 'experiment id or name (repeatable)', collect)
    .option('--filter <filter>', "MLflow filter grammar plus OR and parentheses, e.g. \"metrics.auc > 0.9 OR params.model = 'xgb'\"")
    .option('--order-by <clause...>', "order, e.g. 'metrics.auc DESC' 'start_time ASC' (repeatable)")
    .addOption(new Option('--view <view>', 'which lifecycle stages to show').choices(['active', 'deleted', 'all']))
    .option('--max-results <n>', 'page size (server default 1000)', intIn(1, 50_000))
    .option('--all', 'follow page tokens until every match is listed (progress on stderr when it is a terminal)')
    .action(async (flags: ListFlags) => {
      const client = clientFrom(io, flags);
      const experimentIds = await resolveExperimentIds(client, flags.experiment);
      const body = { experimentIds, filter: flags.filter, orderBy: flags.orderBy, view: flags.view, maxResults: flags.maxResults };
      let page: RunPage = await client.searchRuns(body);
      if (flags.all && page.nextPageToken) {
        const all = [...page.runs];
        const pageSize = flags.maxResults ?? Math.max(page.runs.length, 1);
        let pages = 1;
        const bar = progressBar(io, 'Fetching runs {bar} {value} runs, page {page}', all.length + pageSize, { page: pages });
        try {
          while (page.nextPageToken) {
            page = await client.searchRuns({ ...body, pageToken: page.nextPageToken });
            all.push(...page.runs);
            pages += 1;
            bar.setTotal(all.length + (page.nextPageToken ? pageSize : 0));
            bar.update(all.length, { page: pages });
          }
        } finally {
          bar.stop();
        }
        page = { runs: all, nextPageToken: null };
      }
      if (flags.json) return printJson(io, page);
      if (page.runs.length === 0) return println(io, 'No runs match.');
      println(
        io,
        table(
          ['RUN ID', 'NAME', 'EXP', 'STATUS', 'STARTED', 'DURATION', 'METRICS'],
          page.runs.map((r) => [
            r.id,
            truncate(r.name, 30),
            r.experimentId,
            r.status,
            shortTime(r.startTime),
            formatDuration(r.startTime, r.endTime),
            metricSummary(r),
          ]),
          { right: [2, 5] },
        ),
      );
      if (page.nextPageToken) println(io, '(more: pass --all, or raise --max-results)');
    });
  examples(list, [
    'slipway runs list --experiment 1',
    `slipway runs list --experiment 1 --experiment 2 --filter "metrics.auc > 0.9 OR (params.model = 'xgb' AND attributes.status = 'FINISHED')" --order-by 'metrics.auc DESC'`,
    'slipway runs list --experiment churn --all --json > runs.json',
  ]);

  const show = withJson(clientCommand(runs, 'show', 'Show one run: info, params, latest metrics, tags and datasets'))
    .argument('<run-id>', 'the run id (32 hex characters)')
    .action(async (runId: string, flags: ClientFlags & { json?: boolean }) => {
      const { run } = await clientFrom(io, flags).getRun(runId);
      if (flags.json) return printJson(io, { run });
      println(io, describeRun(run));
    });
  examples(show, ['slipway runs show 0f8e5a1b2c3d4e5f60718293a4b5c6d7', 'slipway runs show 0f8e5a1b2c3d4e5f60718293a4b5c6d7 --json | jq .run.metrics']);
}

/** Ids as given; names looked up. */
async function resolveExperimentIds(client: SlipwayClient, given: string[]): Promise<string[]> {
  return Promise.all(given.map(async (g) => (isDigits(g) ? g : (await findExperiment(client, g)).id)));
}

const metricSummary = (r: Run): string => {
  const entries = Object.entries(r.metrics).sort(([a], [b]) => a.localeCompare(b));
  if (entries.length === 0) return '-';
  const shown = entries.slice(0, 3).map(([k, m]) => `${k}=${formatMetric(m.value)}`);
  return shown.join(', ') + (entries.length > 3 ? `, +${entries.length - 3} more` : '');
};

function describeRun(r: Run): string {
  const byKey = <T>(entries: [string, T][]) => entries.sort(([a], [b]) => a.localeCompare(b));
  const parts: string[] = [];
  const info: [string, string][] = [
    ['Run', r.id],
    ['Name', r.name],
    ['Experiment', r.experimentId],
    ['Status', r.status],
    ['Stage', r.lifecycleStage],
    ['User', r.userId],
    ['Started', shortTime(r.startTime)],
    ['Ended', shortTime(r.endTime)],
    ['Duration', formatDuration(r.startTime, r.endTime)],
    ['Artifacts', r.artifactUri],
  ];
  parts.push(keyValues(info));
  parts.push(section('Params', ['KEY', 'VALUE'], byKey(Object.entries(r.params)).map(([k, v]) => [k, truncate(v, 120)])));
  parts.push(
    section(
      'Metrics (latest)',
      ['KEY', 'VALUE', 'STEP', 'LOGGED'],
      byKey(Object.entries(r.metrics)).map(([k, m]) => [k, formatMetric(m.value), String(m.step), shortTime(m.timestamp)]),
      { right: [1, 2] },
    ),
  );
  parts.push(section('Tags', ['KEY', 'VALUE'], byKey(Object.entries(r.tags)).map(([k, v]) => [k, truncate(v, 120)])));
  parts.push(
    section(
      'Datasets',
      ['NAME', 'DIGEST', 'SOURCE TYPE', 'SOURCE', 'TAGS'],
      r.inputs.datasets.map((d) => [
        d.name,
        d.digest,
        d.sourceType,
        truncate(d.source, 60),
        Object.entries(d.tags)
          .map(([k, v]) => `${k}=${v}`)
          .join(', ') || '-',
      ]),
    ),
  );
  if (r.inputs.models.length > 0) parts.push(`Input models: ${r.inputs.models.join(', ')}`);
  if (r.outputs.models.length > 0) parts.push(`Output models: ${r.outputs.models.map((m) => `${m.modelId} (step ${m.step})`).join(', ')}`);
  return parts.join('\n\n');
}
