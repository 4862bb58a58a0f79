import { Readable, Writable } from 'node:stream';
import { runCli } from '../src/cli/program.js';

/** Runs the CLI in-process with its own streams and only the given environment. */
export async function cli(args: string[], env: Record<string, string>): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const stdout = new Writable({ write: (c, _e, cb) => ((out += String(c)), cb()) });
  const stderr = new Writable({ write: (c, _e, cb) => ((err += String(c)), cb()) });
  const code = await runCli(args, { stdout, stderr, stdin: Readable.from([]), env });
  return { code, out, err };
}
