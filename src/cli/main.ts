#!/usr/bin/env node
import { runCli } from './program.js';

// `slipway runs list | head`: a reader that goes away early is not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

const code = await runCli(process.argv.slice(2));
process.exitCode = code;
// Nothing should be left running, but a handle left open (say, a store a failed start opened) must not hang the CLI.
setTimeout(() => process.exit(code), 2000).unref();
