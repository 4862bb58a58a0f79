import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { createServer } from 'node:net';

/** A free loopback port. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

export interface BenchServer {
  url: string;
  port: number;
  child: ChildProcess;
  rssMb(): number;
  stop(): Promise<void>;
}

/** Starts the built server (dist/) as its own process, so client and server each get a core. */
export async function startBenchServer(args: string[], env: NodeJS.ProcessEnv = {}, nodeArgs: string[] = []): Promise<BenchServer> {
  const port = await freePort();
  // SLIPWAY_BENCH_FROM_SOURCE=1 runs the checkout's sources through tsx instead of a build that may be stale.
  const entry = process.env.SLIPWAY_BENCH_FROM_SOURCE === '1' ? ['--import', 'tsx', 'src/cli/main.ts'] : ['dist/cli/main.js'];
  const child = spawn(process.execPath, [...nodeArgs, ...entry, 'server', '--port', String(port), '--log-level', 'warn', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      const res = await fetch(`${url}/health`);
      if (res.ok) break;
    } catch {
      if (i > 300) throw new Error('server did not start');
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    url,
    port,
    child,
    rssMb: () => {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
    },
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

/** A minimal keep-alive JSON request; fetch adds overhead that would be measured as the server's. */
export function post(url: string, body: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return send('POST', url, body, headers);
}

export function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return send('GET', url, undefined, headers);
}

function send(method: string, url: string, body: string | undefined, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method, agent, headers: body === undefined ? headers : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

export const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

export async function createRun(url: string, name: string): Promise<string> {
  const exp = JSON.parse((await post(`${url}/api/2.0/mlflow/experiments/create`, JSON.stringify({ name }))).body) as { experiment_id: string };
  const run = JSON.parse((await post(`${url}/api/2.0/mlflow/runs/create`, JSON.stringify({ experiment_id: exp.experiment_id, start_time: Date.now() }))).body) as {
    run: { info: { run_id: string } };
  };
  return run.run.info.run_id;
}
