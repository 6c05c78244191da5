// Server mode end to end: resolve the target (URL, built-in, or launched
// command), check it is reachable, run the selected scenarios against it, stop it.

import { findServerTarget } from '../targets/index.js';
import type { Resources, RunningTarget } from '../targets/types.js';
import { ServerCtx, type ServerScenario, type ServerTargetInfo } from './context.js';
import { Sightings, withSightings } from './crosscheck.js';
import { freePort, waitForPort } from './launch/ports.js';
import { launch } from './launch/process.js';
import type { Result, ScenarioInfo, TimingConfig } from './model.js';
import { runScenarios } from './runner.js';
import { buildRequest } from './wire/build.js';
import { ConnectError, openConn } from './wire/conn.js';
import { Transcript } from './wire/transcript.js';

/** The target could not be reached or started: exit status 2, with this one-line reason. */
export class TargetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TargetError';
  }
}

export interface ServerTargetSpec {
  url?: string;
  target?: string;
  launch?: string;
  insecure?: boolean;
  /** idle timeout for built-in targets */
  targetIdleTimeoutMs?: number;
  startupTimeoutMs?: number;
  /** resource overrides from the command line */
  resources?: Partial<Resources>;
}

export interface RunHooks {
  signal: AbortSignal;
  onStart?(s: ScenarioInfo): void;
  onResult?(r: Result): void;
}

export interface ServerRunOptions {
  scenarios: ServerScenario[];
  timing: TimingConfig;
  strict: boolean;
  concurrency: number;
}

/** Parse and check a target URL; errors read well on one line. */
export function parseTargetUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new TargetError(
      `not a URL: ${JSON.stringify(text)} (expected http://host:port/path or https://...)`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new TargetError(`unsupported scheme ${url.protocol} in ${text} (use http:// or https://)`);
  if (!url.hostname) throw new TargetError(`no host in ${text}`);
  return url;
}

export function targetInfo(url: URL, resources: Partial<Resources>, insecure = false): ServerTargetInfo {
  const tls = url.protocol === 'https:';
  const port = url.port ? Number(url.port) : tls ? 443 : 80;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const path = resources.path ?? (url.pathname || '/') + url.search;
  return {
    url,
    endpoint: { host, port, tls, insecure },
    authority: url.host,
    resources: { ...resources, path },
  };
}

/** Start or locate the target. Throws TargetError when it cannot be used. */
export async function startServerTarget(
  spec: ServerTargetSpec,
  timing: TimingConfig,
): Promise<RunningTarget> {
  const given = [spec.url, spec.target, spec.launch].filter((x) => x !== undefined).length;
  if (given !== 1) throw new TargetError('give exactly one of <url>, --target <name>, --launch "<cmd>"');
  const idleTimeoutMs = spec.targetIdleTimeoutMs ?? 2000;
  if (spec.target !== undefined) {
    const t = findServerTarget(spec.target);
    if (!t)
      throw new TargetError(`unknown target ${JSON.stringify(spec.target)} (see: keepalive-spec targets)`);
    if (t.installed && !t.installed())
      throw new TargetError(`${t.name} is not installed (${t.install ?? `needs ${t.requires}`})`);
    try {
      return await t.start({
        idleTimeoutMs,
        ...(spec.startupTimeoutMs !== undefined ? { startupTimeoutMs: spec.startupTimeoutMs } : {}),
      });
    } catch (e) {
      if (e instanceof TargetError) throw e;
      throw new TargetError(`cannot start target ${t.name}: ${(e as Error).message}`);
    }
  }
  if (spec.launch !== undefined) return launchTarget(spec.launch, spec.startupTimeoutMs ?? 10_000);
  const url = parseTargetUrl(spec.url!);
  await preflight(targetInfo(url, {}, spec.insecure), timing);
  return { url, resources: {}, description: url.href, stop: async () => {} };
}

async function launchTarget(command: string, startupTimeoutMs: number): Promise<RunningTarget> {
  if (!command.includes('{port}'))
    throw new TargetError('--launch command must contain {port}, replaced by a free port');
  const port = await freePort();
  const proc = launch(command.replaceAll('{port}', String(port)));
  try {
    await waitForPort('127.0.0.1', port, startupTimeoutMs, {
      gaveUp: () =>
        proc.exitInfo
          ? `the launched command ${proc.exitInfo} before accepting connections${tailOf(proc.tail())}`
          : undefined,
    });
  } catch (e) {
    await proc.stop();
    throw new TargetError(`cannot start ${JSON.stringify(command)}: ${(e as Error).message}`);
  }
  return {
    url: new URL(`http://127.0.0.1:${port}/`),
    resources: {},
    description: `launched: ${command.replaceAll('{port}', String(port))} (pid ${proc.pid})`,
    stop: () => proc.stop(),
    died: proc.exited.then((info) => `the launched server ${info}${tailOf(proc.tail())}`),
  };
}

function tailOf(tail: string): string {
  const last = tail.split('\n').filter(Boolean).pop();
  return last ? `; last output: ${last.slice(0, 200)}` : '';
}

/** One TCP (or TLS) connection must succeed before anything runs. */
async function preflight(info: ServerTargetInfo, timing: TimingConfig): Promise<void> {
  const ac = new AbortController();
  try {
    const c = await openConn(info.endpoint, {
      label: 'preflight',
      transcript: new Transcript(),
      timeoutMs: timing.timeoutMs,
      signal: ac.signal,
    });
    c.destroy();
  } catch (e) {
    if (e instanceof ConnectError) throw new TargetError(e.message);
    throw new TargetError(`cannot connect to ${info.url.host}: ${(e as Error).message}`);
  } finally {
    ac.abort();
  }
}

/**
 * Resources for a target that declares none (a URL or a launched command):
 * the URL's path serves as POST resource too, and as chunked resource if it answers chunked.
 */
async function discoverResources(
  info: ServerTargetInfo,
  timing: TimingConfig,
  runSignal: AbortSignal,
): Promise<Partial<Resources>> {
  const path = info.resources.path;
  const found: Partial<Resources> = { postPath: path, largePath: path };
  const ac = new AbortController();
  try {
    const c = await openConn(info.endpoint, {
      label: 'probe',
      transcript: new Transcript(),
      timeoutMs: timing.timeoutMs,
      signal: AbortSignal.any([ac.signal, runSignal]),
    });
    await c.send(buildRequest({ host: info.authority, target: path, headers: [['Connection', 'close']] }));
    const r = await c.readResponse();
    if (r.type === 'response' && r.response.framing.kind === 'chunked') found.chunkedPath = path;
    c.destroy();
  } catch {
    // the scenarios will report what is wrong with the target
  } finally {
    ac.abort();
  }
  return found;
}

export async function runServerSuite(
  running: RunningTarget,
  spec: ServerTargetSpec,
  opts: ServerRunOptions,
  hooks: RunHooks,
): Promise<Result[]> {
  const insecure = spec.insecure || running.tlsInsecure;
  const overrides = Object.fromEntries(
    Object.entries(spec.resources ?? {}).filter(([, v]) => v !== undefined),
  );
  let info = targetInfo(running.url, { ...running.resources, ...overrides }, insecure);
  if (Object.keys(running.resources).length === 0) {
    const discovered = await discoverResources(info, opts.timing, hooks.signal);
    info = targetInfo(running.url, { ...discovered, ...info.resources }, insecure);
  }
  const sightings = new Sightings();
  return runScenarios<ServerCtx>({
    scenarios: opts.scenarios,
    concurrency: opts.concurrency,
    timing: opts.timing,
    strict: opts.strict,
    signal: hooks.signal,
    makeContext: (s, transcript, signal, timing, confirming) =>
      new ServerCtx(info, timing, transcript, signal, confirming ? undefined : { scenario: s.id, sightings }),
    finalize: (r, owns) => withSightings(r, sightings.of(owns, r.scenario.id), opts.strict),
    onStart: hooks.onStart,
    onResult: hooks.onResult,
  });
}
