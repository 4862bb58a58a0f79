import { InvalidArgumentError, Option, type Command } from 'commander';
import type { CanaryStep } from '../serving/deployments.js';
import type { Deployment } from '../client/index.js';
import { clientCommand, clientFrom, examples, intIn, share, withJson, type ClientFlags, type Io } from './common.js';
import { keyValues, printJson, println, shortTime, table } from './output.js';

type JsonFlags = ClientFlags & { json?: boolean };


/** `5%:60s,25%:2m,50%:2m` → canary steps. */
const stepsOf = (value: string): CanaryStep[] =>
  value.split(',').map((part) => {
    const m = /^\s*([\d.]+%?)\s*:\s*(\d+)(s|m|h)?\s*$/.exec(part);
    if (!m) throw new InvalidArgumentError(`Expected WEIGHT:DURATION steps such as "5%:60s,25%:2m", got "${part}".`);
    return { weight: share(m[1]!), durationSeconds: Number(m[2]) * ({ s: 1, m: 60, h: 3600 } as const)[(m[3] ?? 's') as 's' | 'm' | 'h'] };
  });

const traffic = (d: Deployment) =>
  d.candidate === null ? `v${d.stable} 100%` : d.mode === 'shadow' ? `v${d.stable} 100%, mirrored to v${d.candidate} ${Math.round(d.weight * 100)}%` : `v${d.stable} ${Math.round((1 - d.weight) * 100)}% / v${d.candidate} ${Math.round(d.weight * 100)}% (${d.mode})`;

/** Who answers and why, one line per version, as the server recorded it when they started answering. */
function answering(d: Deployment): [string, string][] {
  const lines: [string, string][] = (d.release ?? []).map((n) => [
    n.version === d.stable ? 'Answers' : 'Also answers',
    `v${n.version} (${n.exposure === 'full' ? 'stable' : `${d.mode}, ${Math.round(d.weight * 100)}%`}): ${n.override ? `release gate OVERRIDDEN by ${n.override.by}: ${n.override.reason}` : n.why}`,
  ]);
  if (!d.release) lines.push(['Answers', `v${d.stable} (no release check recorded: the revision predates it)`]);
  if (d.candidate !== null && d.mode === 'shadow') lines.push(['Shadow', `v${d.candidate} gets ${Math.round(d.weight * 100)}% of requests mirrored and answers none`]);
  return lines;
}

const overrideOption = ['--override <reason>', 'admin: let a version that has not passed the release gate answer traffic, with this reason (audited)'] as const;
const overrideOf = (flags: { override?: string }) => (flags.override ? { override: { reason: flags.override } } : {});

function show(io: Io, d: Deployment): void {
  println(
    io,
    keyValues([
      ['Deployment', `${d.name} (revision ${d.revision})`],
      ['Model', `${d.model}${d.alias ? ` @${d.alias}` : ' (pinned)'}`],
      ['Traffic', traffic(d)],
      ...answering(d),
      ...(d.previous !== null ? ([['Rollback to', `v${d.previous}`]] as [string, string][]) : []),
      ['Sampling', `${Math.round(d.samplingRate * 100)}% of predictions logged with inputs and outputs`],
      ...(d.runtime ? ([['Runtime', `${d.runtime.threads > 0 ? `${d.runtime.threads} worker thread(s)` : 'event loop'}${d.runtime.batching ? `, batches of up to ${d.runtime.batching.maxBatchRows} rows within ${d.runtime.batching.maxDelayMs} ms` : ''}`]] as [string, string][]) : []),
      ['Last change', `${d.lastAction}${d.lastReason ? `: ${d.lastReason}` : ''} (${shortTime(d.updatedAt)})`],
    ]),
  );
}

/** `slipway deploy ...`: deployments served by the gateway: create, roll out, promote, roll back. */
export function registerDeploy(program: Command, io: Io): void {
  const deploy = program.command('deploy').description('Serve registered models: deployments, canary / shadow / A-B rollouts, rollback');

  const create = withJson(clientCommand(deploy, 'create', 'Create a deployment serving a model through an alias (or a pinned version)'))
    .argument('<name>', 'lowercase letters, digits and dashes; the endpoint is /v2/models/<name>/infer')
    .requiredOption('--model <model>', 'registered model')
    .option('--alias <alias>', 'follow this alias (default production)')
    .option('--version <n>', 'pin this version instead', intIn(1))
    .option('--sampling <share>', 'share of predictions logged with their inputs and outputs (default 100%)', share)
    .option('--steps <steps>', 'canary steps, e.g. "5%:60s,25%:2m,50%:2m"', stepsOf)
    .option('--threads <n>', 'run ONNX sessions on this many worker threads (heavy models; default: on the event loop)', intIn(0, 16))
    .option('--batch <rows:ms>', 'merge concurrent requests into batches of up to ROWS, waiting at most MS, e.g. 64:1', (v: string) => {
      const m = /^(\d+):(\d+(?:\.\d+)?)$/.exec(v.trim());
      if (!m) throw new InvalidArgumentError('Expected ROWS:MS, e.g. 64:1.');
      return { maxBatchRows: Number(m[1]), maxDelayMs: Number(m[2]) };
    })
    .option(...overrideOption)
    .action(async (name: string, flags: JsonFlags & { model: string; alias?: string; version?: number; sampling?: number; steps?: CanaryStep[]; threads?: number; batch?: { maxBatchRows: number; maxDelayMs: number }; override?: string }) => {
      const { deployment } = await clientFrom(io, flags).createDeployment({
        name,
        model: flags.model,
        ...(flags.alias ? { alias: flags.alias } : {}),
        ...(flags.version ? { version: flags.version } : {}),
        ...(flags.sampling !== undefined ? { samplingRate: flags.sampling } : {}),
        ...(flags.steps ? { steps: flags.steps } : {}),
        ...(flags.threads !== undefined || flags.batch ? { runtime: { threads: flags.threads ?? 0, batching: flags.batch ?? null } } : {}),
        ...overrideOf(flags),
      });
      if (flags.json) return printJson(io, { deployment });
      show(io, deployment);
    });
  examples(create, ['slipway deploy create churn --model churn', 'slipway deploy create churn-v3 --model churn --version 3 --sampling 10%', 'slipway deploy create ranker --model ranker --threads 1 --batch 64:1']);

  const list = withJson(clientCommand(deploy, 'list', 'List deployments')).action(async (flags: JsonFlags) => {
    const { deployments } = await clientFrom(io, flags).listDeployments();
    if (flags.json) return printJson(io, { deployments });
    if (deployments.length === 0) return println(io, 'No deployments yet: `slipway deploy create NAME --model MODEL`.');
    println(io, table(['NAME', 'MODEL', 'TRAFFIC', 'REVISION', 'UPDATED'], deployments.map((d) => [d.name, `${d.model}${d.alias ? `@${d.alias}` : ''}`, traffic(d), String(d.revision), shortTime(d.updatedAt)])));
  });
  examples(list, ['slipway deploy list --json']);

  withJson(clientCommand(deploy, 'show', 'Show a deployment'))
    .argument('<name>')
    .action(async (name: string, flags: JsonFlags) => {
      const { deployment } = await clientFrom(io, flags).getDeployment(name);
      if (flags.json) return printJson(io, { deployment });
      show(io, deployment);
    });

  const rollout = withJson(clientCommand(deploy, 'rollout', 'Start a canary, shadow or A/B rollout of another version'))
    .argument('<name>')
    .argument('<version>', 'the candidate version', intIn(1))
    .addOption(new Option('--mode <mode>', 'canary: stepped traffic; shadow: mirrored, never answers; ab: a fixed split').choices(['canary', 'shadow', 'ab']).default('canary'))
    .option('--weight <share>', 'shadow / ab: the candidate share (default 50%)', share)
    .option('--steps <steps>', 'canary steps, e.g. "5%:60s,25%:2m,50%:2m"', stepsOf)
    .option('--sticky-header <header>', 'ab: the request header that keeps a caller on one variant')
    .option('--reason <text>')
    .option(...overrideOption)
    .action(async (name: string, version: number, flags: JsonFlags & { mode: 'canary' | 'shadow' | 'ab'; weight?: number; steps?: CanaryStep[]; stickyHeader?: string; reason?: string; override?: string }) => {
      const { deployment } = await clientFrom(io, flags).startRollout(name, {
        mode: flags.mode,
        version,
        ...(flags.weight !== undefined ? { weight: flags.weight } : {}),
        ...(flags.steps ? { steps: flags.steps } : {}),
        ...(flags.stickyHeader ? { stickyHeader: flags.stickyHeader } : {}),
        ...(flags.reason ? { reason: flags.reason } : {}),
        ...overrideOf(flags),
      });
      if (flags.json) return printJson(io, { deployment });
      show(io, deployment);
    });
  examples(rollout, ['slipway deploy rollout churn 4', 'slipway deploy rollout churn 4 --mode shadow --weight 20%', 'slipway deploy rollout churn 4 --mode ab --weight 50% --sticky-header x-user-id']);

  for (const [verb, what] of [
    ['promote', 'Make the candidate the stable version'],
    ['rollback', 'Return all traffic to the last stable version, now'],
  ] as const) {
    withJson(clientCommand(deploy, verb, what))
      .argument('<name>')
      .option('--reason <text>', 'recorded with the change')
      .option(...overrideOption)
      .action(async (name: string, flags: JsonFlags & { reason?: string; override?: string }) => {
        const client = clientFrom(io, flags);
        const override = overrideOf(flags).override;
        const { deployment } = verb === 'promote' ? await client.promoteDeployment(name, flags.reason, override) : await client.rollbackDeployment(name, flags.reason, override);
        if (flags.json) return printJson(io, { deployment });
        show(io, deployment);
      });
  }

  withJson(clientCommand(deploy, 'history', "List a deployment's revisions, newest first"))
    .argument('<name>')
    .action(async (name: string, flags: JsonFlags) => {
      const { revisions } = await clientFrom(io, flags).deploymentHistory(name);
      if (flags.json) return printJson(io, { revisions });
      println(io, table(['REVISION', 'ACTION', 'TRAFFIC', 'BY', 'AT', 'REASON'], revisions.map((r) => [String(r.revision), r.action, traffic({ ...r.state, revision: r.revision, createdAt: r.at, updatedAt: r.at, createdBy: r.actor }), r.actor, shortTime(r.at), r.reason ?? ''])));
    });

  withJson(clientCommand(deploy, 'restore', 'Make an earlier revision current again'))
    .argument('<name>')
    .argument('<revision>', 'from `slipway deploy history`', intIn(1))
    .option(...overrideOption)
    .action(async (name: string, revision: number, flags: JsonFlags & { override?: string }) => {
      const { deployment } = await clientFrom(io, flags).restoreDeployment(name, revision, overrideOf(flags).override);
      if (flags.json) return printJson(io, { deployment });
      show(io, deployment);
    });

  clientCommand(deploy, 'delete', 'Delete a deployment (its history and prediction log stay)')
    .argument('<name>')
    .action(async (name: string, flags: ClientFlags) => {
      await clientFrom(io, flags).deleteDeployment(name);
      println(io, `Deleted deployment ${name}.`);
    });
}
