import { Option, type Command } from 'commander';
import type { TokenInfo } from '../client/index.js';
import { clientCommand, clientFrom, examples, isoTime, withJson, type ClientFlags, type Io } from './common.js';
import { keyValues, printJson, println, shortTime, table } from './output.js';

type Role = 'viewer' | 'editor' | 'reviewer' | 'admin';

export function registerTokens(program: Command, io: Io): void {
  const tokens = program.command('tokens').description('Manage API tokens (admin only)');

  const create = withJson(clientCommand(tokens, 'create', 'Create an API token; its secret is printed once'))
    .requiredOption('--name <name>', 'a unique name: letters, digits, _ . @ -')
    .addOption(new Option('--role <role>', 'what it may do').choices(['viewer', 'editor', 'reviewer', 'admin']).makeOptionMandatory())
    .option('--expires-at <time>', 'ISO 8601 date or time after which it stops working', isoTime)
    .action(async (flags: ClientFlags & { name: string; role: Role; expiresAt?: string; json?: boolean }) => {
      const created = await clientFrom(io, flags).createToken({ name: flags.name, role: flags.role, expiresAt: flags.expiresAt });
      if (flags.json) return printJson(io, created);
      const { info } = created;
      println(io, `Created ${info.role} token "${info.name}" (id ${info.id}${info.expiresAt ? `, expires ${shortTime(info.expiresAt)}` : ''}).`);
      println(io);
      println(io, `    ${created.token}`);
      println(io);
      println(io, 'Copy it now: the secret is shown only this once. Use it with:');
      println(io, '  export SLIPWAY_TOKEN=<token>          # slipway CLI and client');
      println(io, '  export MLFLOW_TRACKING_TOKEN=<token>  # MLflow clients');
    });
  examples(create, ['slipway tokens create --name ci-pipeline --role editor', 'slipway tokens create --name dashboard --role viewer --expires-at 2026-01-01']);

  const list = withJson(clientCommand(tokens, 'list', 'List API tokens (never their secrets)'))
    .option('--all', 'include revoked and expired tokens')
    .action(async (flags: ClientFlags & { all?: boolean; json?: boolean }) => {
      const result = await clientFrom(io, flags).listTokens(flags.all ?? false);
      if (flags.json) return printJson(io, result);
      if (result.tokens.length === 0) return println(io, 'No tokens.');
      println(
        io,
        table(
          ['ID', 'NAME', 'ROLE', 'PREFIX', 'STATUS', 'CREATED', 'BY', 'LAST USED', 'EXPIRES'],
          result.tokens.map((t) => [t.id, t.name, t.role, t.prefix, statusOf(t), shortTime(t.createdAt), t.createdBy, shortTime(t.lastUsedAt), shortTime(t.expiresAt)]),
        ),
      );
    });
  examples(list, ['slipway tokens list', 'slipway tokens list --all --json']);

  const revoke = withJson(clientCommand(tokens, 'revoke', 'Revoke an API token at once'))
    .argument('<id-or-name>', "the token's id or name")
    .action(async (idOrName: string, flags: ClientFlags & { json?: boolean }) => {
      const result = await clientFrom(io, flags).revokeToken(idOrName);
      if (flags.json) return printJson(io, result);
      const t = result.token;
      println(io, `Revoked token "${t.name}".`);
      println(io, keyValues([['ID', t.id], ['Role', t.role], ['Revoked', shortTime(t.revokedAt)]], '  '));
    });
  examples(revoke, ['slipway tokens revoke ci-pipeline', 'slipway tokens revoke 3f2c9d4e-8a51-4c07-9a0e-1b2c3d4e5f60']);
}

function statusOf(t: TokenInfo): string {
  if (t.revokedAt) return 'revoked';
  if (t.expiresAt && Date.parse(t.expiresAt) <= Date.now()) return 'expired';
  return 'active';
}
