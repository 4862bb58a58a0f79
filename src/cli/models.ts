import type { Command } from 'commander';
import { SlipwayApiError, type ModelVersion } from '../client/index.js';
import { clientCommand, clientFrom, examples, intIn, withJson, type ClientFlags, type Io } from './common.js';
import { printRefusal } from './eval.js';
import { CliError, keyValues, printJson, println, section, shortTime, table } from './output.js';

type JsonFlags = ClientFlags & { json?: boolean };

const aliasList = (aliases: Record<string, number>) =>
  Object.entries(aliases)
    .map(([a, v]) => `@${a}→v${v}`)
    .join(' ');

const versionRow = (v: ModelVersion) => [`v${v.version}`, v.stage, v.aliases.map((a) => `@${a}`).join(' '), v.runId ?? '', shortTime(v.createdAt), v.source];

/** `slipway models ...`: the model registry. */
export function registerModels(program: Command, io: Io): void {
  const models = program.command('models').description('List and inspect registered models, move aliases');

  const list = withJson(clientCommand(models, 'list', 'List registered models'))
    .option('--filter <filter>', "MLflow filter grammar plus OR, e.g. \"name LIKE 'churn%'\"")
    .option('--max-results <n>', 'page size', intIn(1, 1000))
    .action(async (flags: JsonFlags & { filter?: string; maxResults?: number }) => {
      const page = await clientFrom(io, flags).searchModels({ filter: flags.filter, maxResults: flags.maxResults });
      if (flags.json) return printJson(io, page);
      if (page.models.length === 0) return println(io, 'No registered models match.');
      println(
        io,
        table(
          ['NAME', 'LATEST', 'ALIASES', 'UPDATED', 'DESCRIPTION'],
          page.models.map((m) => [
            m.name,
            m.latestVersions.length ? `v${Math.max(...m.latestVersions.map((v) => v.version))}` : '-',
            aliasList(m.aliases),
            shortTime(m.updatedAt),
            m.description ?? '',
          ]),
        ),
      );
    });
  examples(list, ['slipway models list', `slipway models list --filter "name LIKE 'churn%'" --json`]);

  const show = withJson(clientCommand(models, 'show', 'Show a registered model: description, tags, aliases and versions'))
    .argument('<name>')
    .action(async (name: string, flags: JsonFlags) => {
      const { model } = await clientFrom(io, flags).getModel(name);
      if (flags.json) return printJson(io, { model });
      println(io, keyValues([['Name', model.name], ['Description', model.description ?? ''], ['Aliases', aliasList(model.aliases)], ['Updated', shortTime(model.updatedAt)]]));
      if (Object.keys(model.tags).length) println(io, section('Tags', ['KEY', 'VALUE'], Object.entries(model.tags)));
      println(io, section('Versions', ['VERSION', 'STAGE', 'ALIASES', 'RUN', 'CREATED', 'SOURCE'], model.versions.map(versionRow)));
    });
  examples(show, ['slipway models show churn']);

  const versions = withJson(clientCommand(models, 'versions', "List a model's versions, newest first"))
    .argument('<name>')
    .action(async (name: string, flags: JsonFlags) => {
      const { model } = await clientFrom(io, flags).getModel(name);
      if (flags.json) return printJson(io, { versions: model.versions });
      println(io, table(['VERSION', 'STAGE', 'ALIASES', 'RUN', 'CREATED', 'SOURCE'], model.versions.map(versionRow)));
    });
  examples(versions, ['slipway models versions churn --json']);

  const alias = models.command('alias').description('Set or remove an alias of a model version');
  const set = clientCommand(alias, 'set', 'Point an alias at a version (moving it if it points elsewhere)')
    .argument('<name>')
    .argument('<alias>')
    .argument('<version>', 'version number', intIn(1, Number.MAX_SAFE_INTEGER))
    .action(async (name: string, aliasName: string, version: number, flags: ClientFlags) => {
      await clientFrom(io, flags).setModelAlias(name, aliasName, version);
      println(io, `${name}@${aliasName} → v${version}`);
    });
  examples(set, ['slipway models alias set churn champion 3']);
  const rm = clientCommand(alias, 'rm', 'Remove an alias')
    .argument('<name>')
    .argument('<alias>')
    .action(async (name: string, aliasName: string, flags: ClientFlags) => {
      await clientFrom(io, flags).deleteModelAlias(name, aliasName);
      println(io, `Removed ${name}@${aliasName}.`);
    });
  examples(rm, ['slipway models alias rm churn challenger']);

  const promote = clientCommand(models, 'promote', "Promote a version: move an alias (production by default) to it, through the model's release gate")
    .argument('<name>')
    .argument('<version>', 'version number', intIn(1, Number.MAX_SAFE_INTEGER))
    .option('--alias <alias>', 'the alias to move', 'production')
    .option('--override', 'move despite the release gate (admins only; audited)')
    .option('--reason <text>', 'with --override: why, in words a reviewer will read later')
    .action(async (name: string, version: number, flags: ClientFlags & { alias: string; override?: boolean; reason?: string }) => {
      if (flags.override && !flags.reason) throw new CliError('--override needs --reason "why this version goes out without passing its gate"');
      const client = clientFrom(io, flags);
      const before = await client.getModelVersionByAlias(name, flags.alias).then(
        (r) => r.version.version,
        () => null,
      );
      try {
        await client.setModelAlias(name, flags.alias, version, flags.override ? { reason: flags.reason! } : undefined);
      } catch (err) {
        if (err instanceof SlipwayApiError) throw new SlipwayApiError(err.status, err.code, printRefusal(io, err.details, err.message), err.details);
        throw err;
      }
      println(io, `${name}@${flags.alias}: ${before === null ? 'unset' : `v${before}`} → v${version}${flags.override ? ' (gate overridden)' : ''}`);
    });
  examples(promote, ['slipway models promote churn 4', 'slipway models promote churn 4 --alias staging', 'slipway models promote churn 1 --override --reason "first release, evaluated offline"']);
}
