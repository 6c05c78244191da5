#!/usr/bin/env node
// Entry point of the keepalive-spec command; everything else is in program.ts.

import { killAllLaunched, stopAllLaunched } from '../harness/launch/process.js';
import { main } from './program.js';

let dying = false;

function die(e: Error): void {
  process.stderr.write(`keepalive-spec: internal error: ${e.stack ?? e.message}\n`);
  if (dying) return;
  dying = true;
  // SIGTERM first, so that drivers and servers remove their temporary files; then SIGKILL.
  setTimeout(() => {
    killAllLaunched();
    process.exit(2);
  }, 2000);
  void stopAllLaunched(500).finally(() => process.exit(2));
}

// A reader that went away (`| head`) is not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
});
process.on('uncaughtException', die);
main(process.argv.slice(2)).then(async (code) => {
  await stopAllLaunched();
  process.exitCode = code;
  // Nothing should be left running; if something is, it must not keep the command alive.
  setTimeout(() => process.exit(code), 1000).unref();
}, die);
