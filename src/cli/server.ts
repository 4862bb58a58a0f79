import { Option, type Command } from 'commander';
import { isLoopback, resolveServerConfig, type ServerFlags } from '../core/config.js';
import { startServer, type RunningServer } from '../server/start.js';
import { VERSION } from '../version.js';
import { examples, type Io } from './common.js';
import { CliError, eprintln, println } from './output.js';

export function registerServer(program: Command, io: Io): void {
  const server = program
    .command('server')
    .description('Start the Slipway server: the native API, the MLflow-compatible API and the artifact store')
    .option('--host <host>', 'address to listen on (env SLIPWAY_HOST; default 127.0.0.1)')
    .option('--port <port>', 'port to listen on, 0 for any free one (env SLIPWAY_PORT; default 7380)')
    .option('--home <dir>', 'data directory (env SLIPWAY_HOME; default ./.slipway)')
    .option('--database-url <url>', 'sqlite:<file> or postgres://user:pass@host:5432/db (env SLIPWAY_DATABASE_URL; default sqlite:<home>/slipway.db)')
    .option('--artifacts <uri>', 'artifact store: a directory, file:// or s3://bucket/prefix (env SLIPWAY_ARTIFACTS; default <home>/artifacts)')
    .option('--auth', 'require API tokens (env SLIPWAY_AUTH); the first start prints an admin token')
    .option('--no-auth', 'do not require tokens, even if SLIPWAY_AUTH is set')
    .option('--roles <roles>', 'what to serve: api, gateway or both, comma-separated (env SLIPWAY_ROLES; default api,gateway); gateway-only replicas read deployments from the shared database')
    .option('--monitor-bucket <seconds>', 'width of the time buckets the gateway sketches predictions into for monitoring, 0 to turn it off (env SLIPWAY_MONITOR_BUCKET; default 60)')
    .option('--allowed-hosts <names>', 'Host header names the server answers, comma-separated, * for any (env SLIPWAY_ALLOWED_HOSTS; default loopback names and --host)')
    .option('--cors-origins <origins>', 'browser origins allowed to call the API cross-origin, comma-separated (env SLIPWAY_CORS_ORIGINS; default none)')
    .option('--model-server-hosts <hosts>', 'host or host:port of model servers that http(s) model sources may call, comma-separated (env SLIPWAY_MODEL_SERVER_HOSTS; default none)')
    .option('--data-roots <dirs>', 'folders file:// dataset sources may be read from, comma-separated (env SLIPWAY_DATA_ROOTS; default <home>/data)')
    .option('--max-dataset-mb <mb>', 'largest dataset file the server reads (env SLIPWAY_MAX_DATASET_MB; default 2048)')
    .option('--metrics-public', 'serve /metrics without a token when auth is on (env SLIPWAY_METRICS_PUBLIC)')
    .option('--max-evaluations <n>', 'evaluations that run at once; more wait in a queue (env SLIPWAY_MAX_EVALUATIONS; default 2)')
    .option('--insecure', 'allow a non-loopback address without auth, e.g. behind an authenticating proxy (env SLIPWAY_INSECURE)')
    .addOption(
      new Option('--log-level <level>', 'server log level (env SLIPWAY_LOG_LEVEL; default info)').choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    )
    .action((flags: ServerFlags) => serve(io, flags));
  examples(server, [
    'slipway server',
    'slipway server --host 0.0.0.0 --auth --database-url postgres://slipway@db:5432/slipway --artifacts s3://ml-artifacts/slipway',
    'slipway server --roles gateway --port 8080 --database-url postgres://slipway@db:5432/slipway --artifacts s3://ml-artifacts/slipway',
  ]);
}

/** Starts the server, prints where it is and how to use it, and resolves once SIGINT/SIGTERM has closed it. */
async function serve(io: Io, flags: ServerFlags): Promise<void> {
  const config = resolveServerConfig(flags, io.env);
  let running: RunningServer;
  try {
    running = await startServer(config, io.env);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE') throw new CliError(`${config.host}:${config.port} is already in use: stop what is listening there, or pick another --port.`);
    throw new CliError(e.message ?? String(err));
  }
  const { url } = running;
  println(
    io,
    `Slipway ${VERSION} listening on ${url} (store ${redact(config.databaseUrl)}, artifacts ${config.artifactsUri}, auth ${config.auth ? 'on' : 'off'}). ` +
      `Point MLflow at it: export MLFLOW_TRACKING_URI=${url}`,
  );
  if (!isLoopback(config.host) && !config.trust.allowedHosts.includes('*')) {
    println(io, `Answering only requests addressed to ${config.trust.allowedHosts.join(', ')}: add the names clients use with --allowed-hosts (SLIPWAY_ALLOWED_HOSTS).`);
  }
  if (running.bootstrap.message) println(io, running.bootstrap.message);
  if (running.bootstrapToken) {
    println(io);
    println(io, 'Admin token, shown only now (store it safely; create more with `slipway tokens create`):');
    println(io);
    println(io, `    ${running.bootstrapToken}`);
    println(io);
    println(io, 'Use it with: export SLIPWAY_TOKEN=<token>  (MLflow clients: export MLFLOW_TRACKING_TOKEN=<token>)');
  }

  await new Promise<void>((resolve) => {
    let closing = false;
    const stop = (signal: NodeJS.Signals) => {
      if (closing) {
        eprintln(io, `Received ${signal} again: exiting now.`);
        process.exit(1);
      }
      closing = true;
      eprintln(io, `Received ${signal}: shutting down...`);
      running
        .close()
        .catch((err: Error) => eprintln(io, `error while shutting down: ${err.message}`))
        .finally(() => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          resolve();
        });
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

/** Hides a password in a database URL. */
const redact = (url: string): string => url.replace(/^(\w+:\/\/[^:/@]+:)[^@]*@/, '$1***@');
