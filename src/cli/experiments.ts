import { Option, type Command } from 'commander';
import { SlipwayApiError, type Experiment, type ExperimentPage, type SlipwayClient } from '../client/index.js';
import { clientCommand, clientFrom, examples, intIn, isDigits, withJson, type ClientFlags, type Io } from './common.js';
import { keyValues, printJson, println, section, shortTime, table, truncate } from './output.js';

interface ListFlags extends ClientFlags {
  filter?: string;
  orderBy?: string[];
  view?: 'active' | 'deleted' | 'all';
  maxResults?: number;
  all?: boolean;
  json?: boolean;
}

export function registerExperiments(program: Command, io: Io): void {
  const experiments = program.command('experiments').description('List and inspect experiments');

  const list = withJson(clientCommand(experiments, 'list', 'List experiments, optionally filtered and ordered'))
    .option('--filter <filter>', "MLflow filter grammar plus OR and parentheses, e.g. \"name LIKE 'churn%' OR tags.team = 'risk'\"")
    .option('--order-by <clause...>', "order, e.g. 'name ASC' 'creation_time DESC' (repeatable)")
    .addOption(new Option('--view <view>', 'which lifecycle stages to show').choices(['active', 'deleted', 'all']))
    .option('--max-results <n>', 'page size (server default 1000)', intIn(1, 50_000))
    .option('--all', 'follow page tokens until every match is listed')
    .action(async (flags: ListFlags) => {
      const client = clientFrom(io, flags);
      const query = { filter: flags.filter, orderBy: flags.orderBy, view: flags.view, maxResults: flags.maxResults };
      let page: ExperimentPage = await client.searchExperiments(query);
      if (flags.all) {
        const all = [...page.experiments];
        while (page.nextPageToken) {
          page = await client.searchExperiments({ ...query, pageToken: page.nextPageToken });
          all.push(...page.experiments);
        }
        page = { experiments: all, nextPageToken: null };
      }
      if (flags.json) return printJson(io, page);
      if (page.experiments.length === 0) return println(io, 'No experiments match.');
      println(
        io,
        table(
          ['ID', 'NAME', 'STAGE', 'CREATED', 'UPDATED', 'TAGS'],
          page.experiments.map((e) => [e.id, e.name, e.lifecycleStage, shortTime(e.createdAt), shortTime(e.updatedAt), tagSummary(e.tags)]),
          { right: [0] },
        ),
      );
      if (page.nextPageToken) println(io, `(more: pass --all, or raise --max-results)`);
    });
  examples(list, [
    'slipway experiments list',
    `slipway experiments list --filter "name LIKE 'churn%' OR tags.team = 'risk'" --order-by 'name ASC'`,
    'slipway experiments list --view deleted --json',
  ]);

  const show = withJson(clientCommand(experiments, 'show', 'Show one experiment: its details and tags'))
    .argument('<id-or-name>', 'experiment id (all digits) or name')
    .action(async (idOrName: string, flags: ClientFlags & { json?: boolean }) => {
      const experiment = await findExperiment(clientFrom(io, flags), idOrName);
      if (flags.json) return printJson(io, { experiment });
      println(io, describeExperiment(experiment));
    });
  examples(show, ['slipway experiments show 1', 'slipway experiments show churn-model --json']);
}

/** By id when it is all digits (falling back to the name, since names may be digits too), else by name. */
export async function findExperiment(client: SlipwayClient, idOrName: string): Promise<Experiment> {
  if (isDigits(idOrName)) {
    try {
      return (await client.getExperiment(idOrName)).experiment;
    } catch (err) {
      if (!(err instanceof SlipwayApiError && err.code === 'NOT_FOUND')) throw err;
      try {
        return (await client.getExperimentByName(idOrName)).experiment;
      } catch {
        throw err;
      }
    }
  }
  return (await client.getExperimentByName(idOrName)).experiment;
}

function describeExperiment(e: Experiment): string {
  const info = keyValues([
    ['ID', e.id],
    ['Name', e.name],
    ['Stage', e.lifecycleStage],
    ['Created', shortTime(e.createdAt)],
    ['Updated', shortTime(e.updatedAt)],
    ['Artifacts', e.artifactLocation],
  ]);
  const tags = Object.entries(e.tags).sort(([a], [b]) => a.localeCompare(b));
  return `${info}\n\n${section('Tags', ['KEY', 'VALUE'], tags)}`;
}

const tagSummary = (tags: Record<string, string>): string => {
  const entries = Object.entries(tags).filter(([k]) => !k.startsWith('mlflow.'));
  return truncate(entries.map(([k, v]) => `${k}=${v}`).join(', '), 50) || '-';
};
