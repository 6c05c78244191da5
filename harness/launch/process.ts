// Child processes (launched servers, client drivers) run in their own process
// group so that a shell and everything it started are signalled together.

import { execa, type ResultPromise } from 'execa';

export interface Launched {
  pid: number;
  /** resolves when the process has exited, with a one-line description */
  exited: Promise<string>;
  /** set once exited */
  exitInfo?: string;
  /** the exit status once exited (undefined if killed by a signal) */
  exitCode?: number;
  /** the last lines the process wrote on stderr/stdout */
  tail(): string;
  /** SIGTERM to the group, SIGKILL after `graceMs`; resolves when it is gone */
  stop(graceMs?: number): Promise<void>;
}

const live = new Set<Launched>();
let exitGuard: unknown;

export interface LaunchOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** written to standard input, which is then closed (default: no standard input) */
  input?: string;
  /** called with each complete line the process writes on standard output */
  onStdoutLine?: (line: string) => void;
}

/** Start `command` through the shell, detached into its own process group. */
export function launch(command: string, opts: LaunchOptions = {}): Launched {
  const child: ResultPromise = execa(command, {
    shell: true,
    detached: true,
    reject: false,
    stdin: opts.input === undefined ? 'ignore' : 'pipe',
    buffer: false,
    env: opts.env,
    cwd: opts.cwd,
    forceKillAfterDelay: false,
  });
  if (opts.input !== undefined) {
    child.stdin?.on('error', () => {}); // a driver may exit without reading its plan
    child.stdin?.end(opts.input);
  }
  const lines: string[] = [];
  const keep = (chunk: Buffer | string) => {
    for (const line of chunk.toString().split('\n')) if (line.trim()) lines.push(line);
    if (lines.length > 40) lines.splice(0, lines.length - 40);
  };
  let partial = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    if (!opts.onStdoutLine) return keep(chunk);
    partial += chunk.toString();
    const parts = partial.split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) opts.onStdoutLine(line);
  });
  child.stdout?.on('end', () => {
    if (opts.onStdoutLine && partial) opts.onStdoutLine(partial);
  });
  child.stderr?.on('data', keep);
  const pid = child.pid;
  if (pid === undefined) throw new Error(`cannot start: ${command}`);
  const handle: Launched = {
    pid,
    exited: child.then((r) => {
      const info = r.signal ? `killed by ${r.signal}` : `exited with status ${r.exitCode}`;
      handle.exitInfo = info;
      handle.exitCode = r.signal ? undefined : r.exitCode;
      live.delete(handle);
      return info;
    }),
    tail: () => lines.slice(-10).join('\n'),
    stop: async (graceMs = 2000) => {
      if (handle.exitInfo) return;
      signalGroup(pid, 'SIGTERM');
      const timer = setTimeout(() => signalGroup(pid, 'SIGKILL'), graceMs);
      await handle.exited;
      clearTimeout(timer);
      // The leader may exit before its children: make sure the group is gone.
      signalGroup(pid, 'SIGKILL');
    },
  };
  live.add(handle);
  // Whatever ends this process (a test runner's process.exit, say), no group outlives it.
  if (!exitGuard) exitGuard = process.once('exit', killAllLaunched);
  return handle;
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/** Last resort on exit paths: no child survives the harness. */
export function killAllLaunched(): void {
  for (const h of live) signalGroup(h.pid, 'SIGKILL');
}

/** Stop every process still running (Ctrl-C, uncaught errors). */
export async function stopAllLaunched(graceMs = 1000): Promise<void> {
  await Promise.all([...live].map((h) => h.stop(graceMs)));
}
