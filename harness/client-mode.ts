// Client mode end to end: resolve the driver (built-in or a command), then run
// each selected client scenario with its own driver process and scripted server.

import { ClientCtx, type ClientScenario } from './client-context.js';
import { type DriverPlan, type DriverRun, runDriver, startupLimit } from './launch/driver.js';
import type { Result, TimingConfig } from './model.js';
import { runScenarios } from './runner.js';
import { type RunHooks, TargetError } from './server-mode.js';
import type { ClientTarget } from './targets.js';
import { buildResponse } from './wire/build.js';
import { ScriptedServer, type ServerConn } from './wire/server.js';
import { Transcript } from './wire/transcript.js';

export interface ClientDriverSpec {
  /** a built-in driver, resolved by the caller (targets/clients/index.ts: resolveClientTarget) */
  target?: ClientTarget;
  driver?: string;
}

/** The driver command line, or TargetError. */
export function resolveDriver(spec: ClientDriverSpec): { command: string; description: string } {
  const given = [spec.target, spec.driver].filter((x) => x !== undefined).length;
  if (given !== 1) throw new TargetError('give exactly one of --target <name> or --driver "<cmd>"');
  if (spec.driver !== undefined) {
    if (!spec.driver.trim()) throw new TargetError('--driver needs a command');
    return { command: spec.driver, description: `driver: ${spec.driver}` };
  }
  const t = spec.target!;
  if (t.installed && !t.installed())
    throw new TargetError(
      `client target ${t.name} needs ${t.requires ?? 'a program'}, which is not installed${t.install ? ` (Debian/Ubuntu: ${t.install})` : ''}`,
    );
  return { command: t.command(), description: `${t.name} (${t.description})` };
}

export async function runClientSuite(
  command: string,
  opts: { scenarios: ClientScenario[]; timing: TimingConfig; strict: boolean; concurrency: number },
  hooks: RunHooks,
): Promise<Result[]> {
  return runScenarios<ClientCtx>({
    scenarios: opts.scenarios,
    concurrency: opts.concurrency,
    timing: opts.timing,
    strict: opts.strict,
    signal: hooks.signal,
    makeContext: (_s, transcript, signal, timing) => new ClientCtx(command, timing, transcript, signal),
    onStart: hooks.onStart,
    onResult: hooks.onResult,
  });
}

/** The plain GET of checkDriver: one request, answered 200 "ok". */
const CHECK_PATH = '/keepalive-spec-check';

/**
 * Before the run, the driver performs one plain HTTP/1.1 GET against a scripted server
 * on loopback. A driver that cannot (not found, exits at once, breaks the protocol,
 * reports an error) would fail every scenario alike: TargetError, with its own words.
 * Cancelled by `signal` (Ctrl-C), it passes: the run is then cut short as usual.
 */
export async function checkDriver(command: string, timing: TimingConfig, signal: AbortSignal): Promise<void> {
  const ac = new AbortController();
  const both = AbortSignal.any([signal, ac.signal]);
  const transcript = new Transcript();
  const server = new ScriptedServer(transcript, both, (conn) => void answerOk(conn, timing));
  try {
    const base = await server.listen();
    const plan: DriverPlan = {
      version: 1,
      httpVersion: '1.1',
      concurrent: false,
      requests: [{ id: 'check', method: 'GET', url: new URL(CHECK_PATH, base).href }],
    };
    const run = await runDriver(command, plan, {
      deadlineMs: 10_000 + timing.timeoutMs,
      startupMs: startupLimit(timing.timeoutMs),
      signal: both,
      transcript,
      firstConnectionAt: () => server.conns[0]?.openedAt,
    });
    const why = signal.aborted ? undefined : cannotRun(run);
    if (why) throw new TargetError(`the driver cannot run a plain GET: ${why}${lastWords(run.stderr)}`);
  } finally {
    ac.abort();
    await server.close();
  }
}

/** Answer every request on the connection with 200 "ok" until it ends. */
async function answerOk(conn: ServerConn, timing: TimingConfig): Promise<void> {
  const ok = buildResponse({ status: 200, headers: [['Content-Type', 'text/plain']], body: 'ok' });
  try {
    while (typeof (await conn.nextRequest(timing.timeoutMs + 10_000)) !== 'string')
      if (!(await conn.write(ok))) return;
  } catch {
    // aborted: the check is over
  }
}

/** Why the driver's run of the plain GET does not count, or undefined when it does. */
function cannotRun(run: DriverRun): string | undefined {
  if (run.timedOut) return 'it was still running at its deadline and was killed';
  if (run.unsupported) return 'exited with status 3 (unsupported) for a plain HTTP/1.1 GET';
  // Its exit status says most ("exited with status 127"); a missing line follows from it.
  const exit = run.problems.find((p) => p.startsWith('the driver '));
  if (exit) return exit.slice('the driver '.length);
  if (run.problems.length > 0) return `it broke the driver protocol: ${run.problems.join('; ')}`;
  const error = run.lines.get('check')?.error;
  return error === undefined ? undefined : `it reported an error for the GET: ${error}`;
}

/** The last lines the driver wrote on stderr, in one line: its own account of what went wrong. */
function lastWords(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .slice(-3);
  return lines.length ? `: ${lines.join(' | ').slice(0, 400)}` : '';
}
