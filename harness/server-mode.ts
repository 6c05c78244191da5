// Server mode end to end: resolve the target (URL, built-in, or launched
// command), check it is reachable, run the selected scenarios against it, stop it.

import { Sightings, withSightings } from './crosscheck.js';
import { TargetError } from './errors.js';
import { freePort, waitForPort } from './launch/ports.js';
import { launch } from './launch/process.js';
import type { Result, ScenarioInfo, TimingConfig } from './model.js';
import { probeGet, probePipelining, probePost } from './probe.js';
import { runScenarios } from './runner.js';
import { ServerCtx, type ServerScenario, type ServerTargetInfo } from './server-context.js';
import type { Resources, RunningTarget, ServerTarget } from './targets.js';
import type { HttpResponse } from './wire/parse.js';

/** Doubtful verdicts rerun side by side: a few sockets each, far from the batch's load. */
const SERVER_RERUNS_AT_ONCE = 4;

export { TargetError };

export interface ServerTargetSpec {
  url?: string;
  /** a built-in target, resolved by the caller (targets/index.ts: resolveServerTarget) */
  target?: ServerTarget;
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

/**
 * Start or locate the target. Throws TargetError when it cannot be used; a URL or a
 * launched command must also answer one plain GET with HTTP (`signal`: Ctrl-C meanwhile).
 */
export async function startServerTarget(
  spec: ServerTargetSpec,
  timing: TimingConfig,
  signal: AbortSignal = new AbortController().signal,
): Promise<RunningTarget> {
  const given = [spec.url, spec.target, spec.launch].filter((x) => x !== undefined).length;
  if (given !== 1) throw new TargetError('give exactly one of <url>, --target <name>, --launch "<cmd>"');
  const idleTimeoutMs = spec.targetIdleTimeoutMs ?? 2000;
  if (spec.target !== undefined) {
    const t = spec.target;
    if (t.installed && !t.installed())
      throw new TargetError(`${t.name} is not installed (${t.install ?? `needs ${t.requires}`})`);
    let running: RunningTarget;
    try {
      running = await t.start({
        idleTimeoutMs,
        ...(spec.startupTimeoutMs !== undefined ? { startupTimeoutMs: spec.startupTimeoutMs } : {}),
      });
    } catch (e) {
      if (e instanceof TargetError) throw e;
      throw new TargetError(`cannot start target ${t.name}: ${(e as Error).message}`);
    }
    return withChunkedPath(running, spec, timing, signal);
  }
  if (spec.launch !== undefined) {
    const running = await launchTarget(spec.launch, spec.startupTimeoutMs ?? 10_000);
    try {
      return { ...running, resources: await preflight(running.url, spec, timing, signal) };
    } catch (e) {
      await running.stop();
      throw e;
    }
  }
  const url = parseTargetUrl(spec.url!);
  const resources = await preflight(url, spec, timing, signal);
  return { url, resources, description: url.href, stop: async () => {} };
}

/**
 * Start a command that contains {port}, replaced by a free port, and wait until it accepts
 * connections there. `vars` fills further placeholders (proxy mode: {origin}, {config}).
 */
export async function launchTarget(
  command: string,
  startupTimeoutMs: number,
  vars: Record<string, string> = {},
  /** the port, when the caller chose it already (e.g. written into a config file) */
  chosenPort?: number,
): Promise<RunningTarget> {
  if (!command.includes('{port}') && chosenPort === undefined)
    throw new TargetError('--launch command must contain {port}, replaced by a free port');
  const port = chosenPort ?? (await freePort());
  let filled = command.replaceAll('{port}', String(port));
  for (const [name, value] of Object.entries(vars)) filled = filled.replaceAll(`{${name}}`, value);
  const proc = launch(filled);
  try {
    await waitForPort('127.0.0.1', port, startupTimeoutMs, {
      gaveUp: () =>
        proc.exitInfo
          ? `the launched command ${proc.exitInfo} before accepting connections${tailOf(proc.tail())}`
          : undefined,
    });
  } catch (e) {
    await proc.stop();
    throw new TargetError(`cannot start ${JSON.stringify(filled)}: ${(e as Error).message}`);
  }
  return {
    url: new URL(`http://127.0.0.1:${port}/`),
    resources: {},
    description: `launched: ${filled} (pid ${proc.pid})`,
    stop: () => proc.stop(),
    died: proc.exited.then(
      (info) => `the launched ${vars.origin ? 'proxy' : 'server'} ${info}${tailOf(proc.tail())}`,
    ),
    processGroups: [proc.pid],
  };
}

function tailOf(tail: string): string {
  const last = tail.split('\n').filter(Boolean).pop();
  return last ? `; last output: ${last.slice(0, 200)}` : '';
}

/**
 * One plain GET must get an HTTP response before anything runs; what it answered
 * also says which resources the path can be (the target declares none).
 */
async function preflight(
  url: URL,
  spec: ServerTargetSpec,
  timing: TimingConfig,
  signal: AbortSignal,
): Promise<Partial<Resources>> {
  const info = targetInfo(url, spec.resources ?? {}, spec.insecure);
  const probe = await probeGet(info, timing, signal);
  if (!probe.ok) throw new TargetError(probe.reason);
  return discovered(info.resources.path, probe.response);
}

/** The path serves as POST and large resource too, and as chunked one if it answered chunked. */
function discovered(path: string, res: HttpResponse | undefined): Partial<Resources> {
  const chunked = res?.framing.kind === 'chunked';
  return { postPath: path, largePath: path, ...(chunked ? { chunkedPath: path } : {}) };
}

/**
 * A built-in target that declares no chunked resource, run without --chunked-path: as for a
 * URL (preflight), its own path is the chunked resource if one plain GET is answered chunked.
 */
async function withChunkedPath(
  running: RunningTarget,
  spec: ServerTargetSpec,
  timing: TimingConfig,
  signal: AbortSignal,
): Promise<RunningTarget> {
  if (running.resources.chunkedPath || spec.resources?.chunkedPath || signal.aborted) return running;
  const overrides = Object.fromEntries(
    Object.entries(spec.resources ?? {}).filter(([, v]) => v !== undefined),
  );
  const info = targetInfo(
    running.url,
    { ...running.resources, ...overrides },
    spec.insecure || running.tlsInsecure,
  );
  const probe = await probeGet(info, timing, signal);
  if (probe.ok && probe.response?.framing.kind === 'chunked')
    running.resources = { ...running.resources, chunkedPath: info.resources.path };
  return running;
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
  const info = targetInfo(running.url, { ...running.resources, ...overrides }, insecure);
  // Where POST is refused, every scenario that sends a body is skipped with the reason (context.ts).
  const postPath = info.resources.postPath ?? info.resources.path;
  if (!hooks.signal.aborted) info.postRefused = await probePost(info, postPath, opts.timing, hooks.signal);
  // One root cause, one failure: a target that drops pipelined requests fails the pipelining
  // scenarios; the others send their follow-up request after the response (context.ts).
  if (!hooks.signal.aborted) info.pipelineBroken = await probePipelining(info, opts.timing, hooks.signal);
  const sightings = new Sightings();
  return runScenarios<ServerCtx>({
    scenarios: opts.scenarios,
    concurrency: opts.concurrency,
    confirmConcurrency: Math.min(SERVER_RERUNS_AT_ONCE, opts.concurrency),
    timing: opts.timing,
    strict: opts.strict,
    signal: hooks.signal,
    makeContext: (s, transcript, signal, timing, confirming) =>
      new ServerCtx(
        info,
        timing,
        transcript,
        signal,
        confirming ? undefined : { scenario: s.id, sightings },
        s.area,
      ),
    finalize: (r, owns) => withSightings(r, sightings.of(owns, r.scenario.id), opts.strict),
    onStart: hooks.onStart,
    onResult: hooks.onResult,
  });
}
