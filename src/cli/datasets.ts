import { createReadStream } from 'node:fs';
import { basename, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { Option, type Command } from 'commander';
import type { DatasetVersion } from '../client/index.js';
import { profileFile, type DatasetFormat } from '../tracking/datasets/profile.js';
import { clientCommand, clientFrom, examples, withJson, type ClientFlags, type Io } from './common.js';
import { keyValues, printJson, println, progressBar, shortTime, table } from './output.js';

type JsonFlags = ClientFlags & { json?: boolean };

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const fmt = (v: unknown) => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toPrecision(4)) : v === null || v === undefined ? '' : String(v));

/** `slipway datasets ...`: register files as dataset versions (profiled here, streamed) and read them back. */
export function registerDatasets(program: Command, io: Io): void {
  const datasets = program.command('datasets').description('Register and inspect dataset versions (content digest, schema, profile)');

  const register = withJson(clientCommand(datasets, 'register', 'Profile a CSV, JSON Lines or Parquet file, upload it to the server\'s artifact store and register it as a dataset version'))
    .argument('<file>')
    .option('--name <name>', 'dataset name (default: the file name without extension)')
    .addOption(new Option('--format <format>', 'file format (default: from the extension)').choices(['csv', 'jsonl', 'parquet']))
    .option('--run <run-id>', 'also record it as an input of this run (as MLflow log-inputs does)')
    .option('--context <context>', 'with --run: how the run used it, e.g. train or eval', 'train')
    .option('--in-place', 'register the file where it is instead of uploading it (the server must see it inside one of its data roots)')
    .action(async (file: string, flags: JsonFlags & { name?: string; format?: DatasetFormat; run?: string; context: string; inPlace?: boolean }) => {
      const path = resolve(file);
      const bar = progressBar(io, 'profiling [{bar}] {percentage}% | {value}/{total} MB', 1);
      let started = false;
      const profiled = await profileFile(path, {
        format: flags.format,
        onProgress: (bytes, total) => {
          if (!started) bar.setTotal(Math.max(1, Math.round(total / 1048576)));
          started = true;
          bar.update(Math.round(bytes / 1048576));
        },
      }).finally(() => bar.stop());
      const name = flags.name ?? basename(path).replace(/\.[^.]+$/, '');
      const client = clientFrom(io, flags);
      // Uploading is the default: the server then reads only its own store, never the file system it runs on.
      const source = flags.inPlace
        ? pathToFileURL(path).href
        : (await client.uploadDataset(profiled.digest, Readable.toWeb(createReadStream(path)) as ReadableStream<Uint8Array>)).source;
      const sourceType = flags.inPlace ? 'local' : 'artifact';
      const { version, created } = await client.registerDataset({
        name,
        digest: profiled.digest,
        source,
        sourceType,
        format: profiled.format,
        sizeBytes: profiled.sizeBytes,
        rowCount: profiled.rowCount,
        schema: profiled.schema,
        profile: profiled.profile as unknown as Record<string, unknown>[],
      });
      if (flags.run) {
        await client.logInputs(flags.run, {
          datasets: [
            {
              name,
              digest: profiled.digest,
              sourceType,
              source,
              schema: JSON.stringify({ columns: profiled.schema }),
              // MLflow keeps run-input profiles small (16 kB); the full profile stays with the dataset version.
              profile: JSON.stringify({ num_rows: profiled.rowCount, num_columns: profiled.schema.length }),
              tags: { 'mlflow.data.context': flags.context },
            },
          ],
        });
      }
      if (flags.json) return printJson(io, { version, created });
      println(
        io,
        created
          ? `Registered ${name} v${version.version}: ${version.rowCount} rows, ${version.schema instanceof Array ? version.schema.length : 0} columns, sha256 ${version.digest}`
          : `Unchanged: these bytes are already ${name} v${version.version} (sha256 ${version.digest}).`,
      );
      if (flags.run) println(io, `Recorded as a ${flags.context} input of run ${flags.run}.`);
    });
  examples(register, ['slipway datasets register data/train.csv --name churn-train', 'slipway datasets register /srv/data/big.parquet --in-place', 'slipway datasets register eval.parquet --run <run-id> --context eval']);

  const list = withJson(clientCommand(datasets, 'list', 'List datasets with their newest version')).action(async (flags: JsonFlags) => {
    const { datasets: all } = await clientFrom(io, flags).listDatasets();
    if (flags.json) return printJson(io, { datasets: all });
    if (all.length === 0) return println(io, 'No datasets registered yet: `slipway datasets register FILE`.');
    println(io, table(['NAME', 'LATEST', 'ROWS', 'SIZE', 'DIGEST', 'REGISTERED'], all.map((d) => [d.name, `v${d.version}`, String(d.rowCount), mb(d.sizeBytes), d.digest.slice(0, 12), shortTime(d.createdAt)])));
  });
  examples(list, ['slipway datasets list --json']);

  const show = withJson(clientCommand(datasets, 'show', 'Show a dataset version: schema and per-column profile'))
    .argument('<name>')
    .argument('[version]', 'version number or digest (default: the newest)')
    .action(async (name: string, which: string | undefined, flags: JsonFlags) => {
      const client = clientFrom(io, flags);
      const version: DatasetVersion = which ? (await client.getDatasetVersion(name, which)).version : (await client.datasetVersions(name)).versions[0]!;
      if (flags.json) return printJson(io, { version });
      println(io, keyValues([['Name', `${version.name} v${version.version}`], ['Digest', version.digest], ['Source', version.source], ['Rows', String(version.rowCount)], ['Size', mb(version.sizeBytes)], ['Registered', `${shortTime(version.createdAt)} by ${version.createdBy}`]]));
      const columns = (version.profile as Record<string, unknown>[]) ?? [];
      println(io);
      println(
        io,
        table(
          ['COLUMN', 'TYPE', 'MISSING', 'MIN', 'MEAN', 'MAX', 'TOP'],
          columns.map((c) => [
            String(c.name ?? ''),
            String(c.type ?? ''),
            typeof c.missingShare === 'number' ? `${(c.missingShare * 100).toFixed(1)}%` : '',
            fmt(c.min),
            fmt(c.mean),
            fmt(c.max),
            Array.isArray(c.topCategories) ? (c.topCategories as { value: string }[]).slice(0, 3).map((t) => t.value).join(', ') : '',
          ]),
        ),
      );
    });
  examples(show, ['slipway datasets show churn-train', 'slipway datasets show churn-train 2 --json']);
}
