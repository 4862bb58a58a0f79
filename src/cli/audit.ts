import type { Command } from 'commander';
import { clientCommand, clientFrom, examples, intIn, isoTime, withJson, type ClientFlags, type Io } from './common.js';
import { printJson, println, shortTime, table, truncate } from './output.js';

interface AuditFlags extends ClientFlags {
  actor?: string;
  action?: string;
  targetType?: string;
  targetId?: string;
  since?: string;
  beforeId?: number;
  limit?: number;
  json?: boolean;
}

export function registerAudit(program: Command, io: Io): void {
  const audit = withJson(clientCommand(program, 'audit', 'Show the audit log, newest first (admin only)'))
    .option('--actor <name>', 'only what this token (or `local`, `system`) did')
    .option('--action <action>', 'only this action, e.g. run.delete, token.create')
    .option('--target-type <type>', 'only this kind of target, e.g. run, experiment, token')
    .option('--target-id <id>', 'only this target')
    .option('--since <time>', 'only entries at or after this ISO 8601 date or time', isoTime)
    .option('--before-id <id>', 'only entries older than this entry id (paging)', intIn(1))
    .option('--limit <n>', 'at most this many entries (1-1000, default 100)', intIn(1, 1000))
    .action(async (flags: AuditFlags) => {
      const result = await clientFrom(io, flags).audit({
        actor: flags.actor,
        action: flags.action,
        targetType: flags.targetType,
        targetId: flags.targetId,
        since: flags.since,
        beforeId: flags.beforeId,
        limit: flags.limit,
      });
      if (flags.json) return printJson(io, result);
      if (result.entries.length === 0) return println(io, 'No audit entries match.');
      println(
        io,
        table(
          ['ID', 'AT', 'ACTOR', 'ACTION', 'TARGET'],
          result.entries.map((e) => [String(e.id), shortTime(e.at), e.actor, e.action, truncate(`${e.targetType} ${e.targetId}`, 80)]),
          { right: [0] },
        ),
      );
      const limit = flags.limit ?? 100;
      const oldest = result.entries.at(-1);
      if (result.entries.length >= limit && oldest) println(io, `(older entries: --before-id ${oldest.id})`);
    });
  examples(audit, ['slipway audit --since 2024-05-01', 'slipway audit --actor ci-pipeline --action run.delete --limit 20', 'slipway audit --target-type token --json']);
}
