import type { Command } from 'commander';
import type { Lineage } from '../client/index.js';
import { clientCommand, clientFrom, examples, withJson, type ClientFlags, type Io } from './common.js';
import { printJson, println, shortTime } from './output.js';

/** A lineage as an indented tree, model version at the root, data at the leaves. */
export function lineageTree(l: Lineage): string {
  const lines: string[] = [];
  const v = l.modelVersion;
  if (v) {
    lines.push(`${v.name} v${v.version}${v.aliases.length ? ` (${v.aliases.map((a) => `@${a}`).join(', ')})` : ''}  stage ${v.stage}`);
    lines.push(`├─ source ${v.source}${v.contentDigest ? `  sha256 ${v.contentDigest.slice(0, 12)}…` : ''}`);
    lines.push(`├─ registered ${shortTime(v.createdAt)}${v.userId ? ` by ${v.userId}` : ''}`);
    for (const p of l.promotions) {
      lines.push(`├─ ${shortTime(p.at)} ${p.actor}: ${p.kind === 'alias' ? `@${p.key}` : 'stage'} ${p.from ?? '∅'} → ${p.to ?? '∅'}`);
    }
  } else if (l.loggedModelId) {
    lines.push(`logged model ${l.loggedModelId}`);
  }
  const r = l.run;
  if (!r) {
    lines.push(`└─ no source run recorded`);
    return lines.join('\n');
  }
  const pad = v || l.loggedModelId ? '   ' : '';
  lines.push(`${v || l.loggedModelId ? '└─ ' : ''}run ${r.id} "${r.name}" (${r.status}) in experiment ${l.experiment?.name ?? r.experimentId}`);
  const c = l.code;
  const code = c?.gitCommit ? `${c.gitCommit.slice(0, 12)}${c.dirty ? ' (dirty)' : c.dirty === false ? ' (clean)' : ''}${c.repoUrl ? ` ${c.repoUrl}` : ''}` : 'not recorded';
  lines.push(`${pad}├─ code ${code}${c?.sourceName ? `  ${c.sourceName}` : ''}`);
  lines.push(`${pad}├─ started ${shortTime(r.startTime)} by ${r.userId}${r.parentRunId ? `, child of ${r.parentRunId}` : ''}`);
  const params = Object.entries(r.params);
  lines.push(`${pad}├─ params ${params.length ? params.map(([k, val]) => `${k}=${val}`).join(', ') : 'none'}`);
  if (l.datasets.length === 0) lines.push(`${pad}└─ datasets none recorded`);
  l.datasets.forEach((d, i) => {
    const last = i === l.datasets.length - 1;
    lines.push(`${pad}${last ? '└─' : '├─'} ${d.context ?? 'input'} dataset ${d.name} digest ${d.digest}  ${d.source}`);
  });
  return lines.join('\n');
}

export function registerLineage(program: Command, io: Io): void {
  const cmd = withJson(clientCommand(program, 'lineage', 'Show where a model version or run comes from: run, params, code, data, promotions'))
    .argument('<ref>', 'models:/<name>@<alias>, models:/<name>/<version>, runs:/<run_id> or a run id')
    .action(async (ref: string, flags: ClientFlags & { json?: boolean }) => {
      const lineage = await clientFrom(io, flags).lineage(ref);
      if (flags.json) return printJson(io, lineage);
      println(io, lineageTree(lineage));
    });
  examples(cmd, ['slipway lineage models:/churn@production', 'slipway lineage models:/churn/3 --json']);
}
