// Ctrl-C (SIGINT) and SIGTERM during a run. The first signal is the caller's to
// handle (save the reports, then wind down in order). A second one stops every
// launched process, SIGTERM first so that drivers and servers remove their
// temporary files, SIGKILL after a moment, and exits 130; a third exits at once.

import { killAllLaunched, stopAllLaunched } from './launch/process.js';

/** How long launched processes get to exit on their own after a second signal. */
const GRACE_MS = 1000;

/**
 * Install the handlers. The returned function says the run is over (its reports are
 * final): from then on a signal stops at once, as a second one does. The handlers stay:
 * a signal while the process ends still exits 130 with everything stopped.
 */
export function onInterrupt(first: (signal: NodeJS.Signals) => void): () => void {
  let count = 0;
  const handler = (signal: NodeJS.Signals) => {
    count++;
    if (count === 1) return first(signal);
    if (count === 2) return void stopNow(signal);
    killAllLaunched();
    process.exit(130);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    count = Math.max(count, 1);
  };
}

/** Stop the launched processes and exit 130 (temporary directories go at 'exit'). */
async function stopNow(signal: NodeJS.Signals): Promise<void> {
  process.stderr.write(`keepalive-spec: ${signal}: stopping now\n`);
  // Whatever happens to the graceful stop, the process ends.
  setTimeout(() => {
    killAllLaunched();
    process.exit(130);
  }, GRACE_MS + 1500);
  await stopAllLaunched(GRACE_MS).catch(() => {});
  process.exit(130);
}
