import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { dropPgSchema, testDialect, testPgUrl } from './db.js';

const freePort = () =>
  new Promise<number>((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });

/** Starts `slipway server` from the sources as a child process on a free loopback port; resolves once /health answers. */
export async function startServerProcess(args: string[]): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'server', '--port', String(port), '--log-level', 'error', ...args], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 400; i++) {
    try {
      if ((await fetch(`${url}/health`)).ok) return { child, url };
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  child.kill('SIGKILL');
  throw new Error('server did not start');
}

/** Resolves when the child has exited (at once if it already has). */
export const exited = (child: ChildProcess) =>
  child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', r));

/**
 * A home folder and a store of the dialect under test for a server process: `args` point the server at them,
 * `prepare()` creates the PostgreSQL schema before the first start, `cleanup()` removes both.
 */
export function processStore(prefix: string): { home: string; args: string[]; url: string; pgSchema: string | undefined; prepare(): Promise<void>; cleanup(): Promise<void> } {
  const home = mkdtempSync(join(tmpdir(), `slipway-${prefix}-`));
  const schema = `t_${prefix}_${randomBytes(4).toString('hex')}`;
  const dbUrl = testDialect === 'postgres' ? `${testPgUrl}?options=-c%20search_path%3D${schema}` : `sqlite:${join(home, 'slipway.db')}`;
  return {
    home,
    args: ['--home', home, '--database-url', dbUrl],
    // How a test opens the same store itself (openDatabase(url, { pgSchema })).
    url: testDialect === 'postgres' ? testPgUrl : dbUrl,
    pgSchema: testDialect === 'postgres' ? schema : undefined,
    async prepare() {
      if (testDialect !== 'postgres') return;
      const c = new pg.Client({ connectionString: testPgUrl });
      await c.connect();
      await c.query(`CREATE SCHEMA "${schema}"`);
      await c.end();
    },
    async cleanup() {
      if (testDialect === 'postgres') await dropPgSchema(schema);
      rmSync(home, { recursive: true, force: true });
    },
  };
}
