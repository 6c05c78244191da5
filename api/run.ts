// The public entry points: run the server suite or the client suite from code,
// with the same target resolution, selection, verdicts and reports as the CLI
// (which is built on these).

import {
  type ClientDriverSpec,
  checkDriver,
  resolveDriver,
  runClientSuite as runClients,
} from '../harness/client-mode.js';
import { TargetError, UsageError } from '../harness/errors.js';
import type { Expectations } from '../harness/expectations.js';
import type { Area, Result, Role, ScenarioInfo, TimingConfig } from '../harness/model.js';
import { exitCodeOf } from '../harness/outcome.js';
import {
  type ProxyTargetSpec,
  runProxySuite as runProxies,
  startProxyTarget,
} from '../harness/proxy-mode.js';
import type { Reporter } from '../harness/reporter.js';
import { defaultConcurrency } from '../harness/runner.js';
import {
  runServerSuite as runServers,
  type ServerTargetSpec,
  startServerTarget,
} from '../harness/server-mode.js';
import { runSession, type SessionEnd } from '../harness/session.js';
import type { ClientTarget, ProxyTarget, Resources, ServerTarget } from '../harness/targets.js';
import { clientScenarios, proxyScenarios, serverScenarios } from '../suites/index.js';
import { resolveClientTarget } from '../targets/clients/index.js';
import { resolveServerTarget } from '../targets/index.js';
import { resolveProxyTarget } from '../targets/proxies/index.js';
import { type Expectation, expectationsOf } from './expect-file.js';

export interface SuiteOptions {
  /** run only these areas (default: all) */
  areas?: Area[];
  /** run only scenarios whose id or title matches (a string is a case-insensitive regular expression) */
  grep?: RegExp | string;
  /** leave out scenarios whose id or title matches */
  exclude?: RegExp | string;
  /** SHOULD-level violations count as failures */
  strict?: boolean;
  /** the longest a single read waits (default 3000 ms) */
  timeoutMs?: number;
  /** the longest any scenario waits for a peer idle timeout (default 10000 ms) */
  idleMaxMs?: number;
  /** scenarios at once (default: sized to the machine and the mode) */
  concurrency?: number;
  /** aborting it ends the run cleanly: targets stopped, unrun scenarios reported as skipped */
  signal?: AbortSignal;
  /**
   * The first Ctrl-C or SIGTERM during the run ends it cleanly, as in the CLI (exitCode 130);
   * a second one is the process's own. Default false: a library leaves signals to its caller.
   */
  handleSignals?: boolean;
  /** report formats (reports: consoleReporter, junitReporter, jsonReporter, htmlReporter, githubReporter) */
  reporters?: Reporter[];
  /**
   * Known failures (scenario id -> reason; api: readExpectations): such a failure is
   * marked expected in every report and does not make exitCode 1.
   */
  expected?: Expectations | readonly Expectation[];
  onStart?(s: ScenarioInfo): void;
  onResult?(r: Result): void;
}

export interface ServerSuiteOptions extends SuiteOptions {
  /** exactly one of url, launch (a command with {port}) and target (a built-in target or its name) */
  url?: string | URL;
  launch?: string;
  target?: string | ServerTarget;
  /** https:// without certificate checks */
  insecure?: boolean;
  /** resources for scenarios that need a particular kind (default: the URL path) */
  resources?: Partial<Resources>;
  /** idle timeout of a built-in target (default 2000 ms) */
  targetIdleMs?: number;
  /** how long a launched server may take to accept connections (default 10000 ms) */
  startupTimeoutMs?: number;
}

export interface ClientSuiteOptions extends SuiteOptions {
  /** exactly one of driver (a driver command, protocol v1) and target (a built-in driver or its name) */
  driver?: string;
  target?: string | ClientTarget;
}

export interface ProxySuiteOptions extends SuiteOptions {
  /**
   * Exactly one of: url (an intermediary already running) with originPort (the port on 127.0.0.1
   * it forwards to, where the harness listens as the origin); launch (a command with {port}, where
   * it listens, and {origin}, host:port of the harness's origin; {config} with `config`); target
   * (a built-in intermediary or its name).
   */
  url?: string | URL;
  originPort?: number;
  launch?: string;
  /** a configuration template for `launch`: {port} and {origin} filled in, its path is {config} */
  config?: string;
  target?: string | ProxyTarget;
  /** idle timeout of a built-in intermediary (default 2000 ms) */
  targetIdleMs?: number;
  /** how long a launched intermediary may take to accept connections (default 10000 ms) */
  startupTimeoutMs?: number;
}

export interface SuiteRun extends SessionEnd {
  /** as the CLI's: 0 no failure, 1 a failure, 2 harness error / target error / a report not written, 130 aborted */
  exitCode: 0 | 1 | 2 | 130;
}

const asRegex = (r: RegExp | string | undefined) => (typeof r === 'string' ? new RegExp(r, 'i') : r);

function common(o: SuiteOptions, mode: Role, targetConcurrency?: number) {
  const timing: TimingConfig = { timeoutMs: o.timeoutMs ?? 3000, idleMaxMs: o.idleMaxMs ?? 10_000 };
  const concurrency =
    o.concurrency ?? Math.min(targetConcurrency ?? Number.POSITIVE_INFINITY, defaultConcurrency(mode));
  const reporters: Reporter[] = [...(o.reporters ?? [])];
  if (o.onStart || o.onResult)
    reporters.push({ started: (s) => o.onStart?.(s), result: (r) => o.onResult?.(r) });
  const expected = Array.isArray(o.expected)
    ? expectationsOf(o.expected)
    : (o.expected as Expectations | undefined);
  return { timing, concurrency, reporters, strict: o.strict ?? false, signal: o.signal, expected };
}

/** The caller's signal, and with handleSignals the first SIGINT/SIGTERM while `run` lasts. */
async function withSignals<T>(o: SuiteOptions, run: (signal?: AbortSignal) => Promise<T>): Promise<T> {
  if (!o.handleSignals) return run(o.signal);
  const ac = new AbortController();
  const follow = () => ac.abort(o.signal?.reason);
  if (o.signal?.aborted) follow();
  o.signal?.addEventListener('abort', follow, { once: true });
  const onSignal = (sig: NodeJS.Signals) => ac.abort(new Error(`interrupted (${sig})`));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await run(ac.signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    o.signal?.removeEventListener('abort', follow);
  }
}

function selection(o: SuiteOptions) {
  return { areas: o.areas, grep: asRegex(o.grep), exclude: asRegex(o.exclude) };
}

function ended(end: SessionEnd): SuiteRun {
  const exitCode = end.cutShort
    ? end.cutShort.targetDied
      ? 2
      : 130
    : end.unwritten.length
      ? 2
      : exitCodeOf(end.results.filter((r) => !r.expected).map((r) => r.outcome));
  return { ...end, exitCode };
}

/** Run the server suite: the harness is the client. Throws TargetError or UsageError before any scenario runs. */
export async function runServerSuite(o: ServerSuiteOptions): Promise<SuiteRun> {
  const target = typeof o.target === 'string' ? resolveServerTarget(o.target) : o.target;
  const c = common(o, 'server', target?.concurrency);
  const scenarios = serverScenarios(selection(o));
  if (scenarios.length === 0)
    throw new UsageError('no scenario matches the selection (areas, grep, exclude)');
  const spec: ServerTargetSpec = {
    ...(o.url !== undefined ? { url: String(o.url) } : {}),
    ...(target ? { target } : {}),
    ...(o.launch !== undefined ? { launch: o.launch } : {}),
    insecure: o.insecure ?? false,
    targetIdleTimeoutMs: o.targetIdleMs ?? 2000,
    ...(o.startupTimeoutMs !== undefined ? { startupTimeoutMs: o.startupTimeoutMs } : {}),
    resources: o.resources ?? {},
  };
  const end = await withSignals(o, (signal) =>
    runSession(
      {
        mode: 'server',
        scenarios,
        start: async (signal) => {
          const running = await startServerTarget(spec, c.timing, signal);
          return {
            description: running.description,
            ...(running.died ? { died: running.died } : {}),
            stop: () => running.stop(),
            run: (hooks) =>
              runServers(
                running,
                spec,
                { scenarios, timing: c.timing, strict: c.strict, concurrency: c.concurrency },
                hooks,
              ),
          };
        },
      },
      { ...c, signal },
    ),
  );
  return ended(end);
}

/** Run the client suite: the harness is the server, the client runs through its driver. */
export async function runClientSuite(o: ClientSuiteOptions): Promise<SuiteRun> {
  const c = common(o, 'client');
  const scenarios = clientScenarios(selection(o));
  if (scenarios.length === 0)
    throw new UsageError('no scenario matches the selection (areas, grep, exclude)');
  const spec: ClientDriverSpec = {
    ...(o.driver !== undefined ? { driver: o.driver } : {}),
    ...(o.target !== undefined
      ? { target: typeof o.target === 'string' ? resolveClientTarget(o.target) : o.target }
      : {}),
  };
  const driver = resolveDriver(spec);
  const end = await withSignals(o, (signal) =>
    runSession(
      {
        mode: 'client',
        scenarios,
        start: async (signal) => {
          // A driver that cannot run one plain GET would fail every scenario the same way.
          await checkDriver(driver.command, c.timing, signal);
          return {
            description: driver.description,
            stop: async () => {},
            run: (hooks) =>
              runClients(
                driver.command,
                { scenarios, timing: c.timing, strict: c.strict, concurrency: c.concurrency },
                hooks,
              ),
          };
        },
      },
      { ...c, signal },
    ),
  );
  return ended(end);
}

/**
 * Run the proxy suite: the harness is the intermediary's client and its origin, and judges
 * what the intermediary forwards, reuses and retries by comparing both hops.
 */
export async function runProxySuite(o: ProxySuiteOptions): Promise<SuiteRun> {
  const target = typeof o.target === 'string' ? resolveProxyTarget(o.target) : o.target;
  const c = common(o, 'proxy', target?.concurrency);
  const scenarios = proxyScenarios(selection(o));
  if (scenarios.length === 0)
    throw new UsageError('no scenario matches the selection (areas, grep, exclude)');
  const spec: ProxyTargetSpec = {
    ...(o.url !== undefined ? { url: String(o.url) } : {}),
    ...(o.originPort !== undefined ? { originPort: o.originPort } : {}),
    ...(target ? { target } : {}),
    ...(o.launch !== undefined ? { launch: o.launch } : {}),
    ...(o.config !== undefined ? { configTemplate: o.config } : {}),
    targetIdleTimeoutMs: o.targetIdleMs ?? 2000,
    ...(o.startupTimeoutMs !== undefined ? { startupTimeoutMs: o.startupTimeoutMs } : {}),
  };
  const end = await withSignals(o, (signal) =>
    runSession(
      {
        mode: 'proxy',
        scenarios,
        start: async (signal) => {
          const running = await startProxyTarget(spec, c.timing, signal);
          return {
            description: running.description,
            ...(running.proxy.died ? { died: running.proxy.died } : {}),
            stop: () => running.stop(),
            run: (hooks) =>
              runProxies(
                running,
                { scenarios, timing: c.timing, strict: c.strict, concurrency: c.concurrency },
                hooks,
              ),
          };
        },
      },
      { ...c, signal },
    ),
  );
  return ended(end);
}

export { TargetError, UsageError };
