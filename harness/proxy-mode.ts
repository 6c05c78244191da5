// Proxy mode end to end: start the harness's origin, then the intermediary in
// front of it (built-in, a launched command given {port} and {origin}, or a URL
// of one already running that forwards to --origin-port), check that one GET
// goes through to the origin, run the scenarios on both hops, stop both.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { TargetError } from './errors.js';
import { freePort } from './launch/ports.js';
import type { Result, TimingConfig } from './model.js';
import { probeGet } from './probe.js';
import { ProxyCtx, type ProxyScenario } from './proxy-context.js';
import { Origin } from './proxy-origin.js';
import { runScenarios } from './runner.js';
import { launchTarget, parseTargetUrl, type RunHooks, targetInfo } from './server-mode.js';
import type { ProxyTarget, RunningTarget } from './targets.js';

export interface ProxyTargetSpec {
  /** an intermediary already running, configured to forward to 127.0.0.1:<originPort> */
  url?: string;
  originPort?: number;
  /** a built-in intermediary, resolved by the caller (targets/proxies: resolveProxyTarget) */
  target?: ProxyTarget;
  /** a command with {port} (where it listens) and {origin} (host:port it forwards to); {config} */
  launch?: string;
  /** a configuration template: {port}, {origin} and {dir} filled in, written to a file whose path is {config} */
  configTemplate?: string;
  /** idle timeout for built-in intermediaries (downstream and upstream) */
  targetIdleTimeoutMs?: number;
  startupTimeoutMs?: number;
}

export interface ProxyRunOptions {
  scenarios: ProxyScenario[];
  timing: TimingConfig;
  strict: boolean;
  concurrency: number;
}

/** The intermediary and the origin behind it, both running. */
export interface RunningProxy {
  proxy: RunningTarget;
  origin: Origin;
  description: string;
  stop(): Promise<void>;
}

export async function startProxyTarget(
  spec: ProxyTargetSpec,
  timing: TimingConfig,
  signal: AbortSignal = new AbortController().signal,
): Promise<RunningProxy> {
  const given = [spec.url, spec.target, spec.launch].filter((x) => x !== undefined).length;
  if (given !== 1)
    throw new TargetError('give exactly one of <url> --origin-port N, --target <name>, --launch "<cmd>"');
  if (spec.url !== undefined && spec.originPort === undefined)
    throw new TargetError(
      'a proxy given by URL needs --origin-port N: the port on 127.0.0.1 it forwards to, where the harness listens as the origin',
    );
  if (spec.configTemplate !== undefined && spec.launch === undefined)
    throw new TargetError('--config goes with --launch (its path is {config} in the command)');
  const origin = new Origin();
  try {
    await origin.listen(spec.originPort ?? 0);
  } catch (e) {
    throw new TargetError(
      `the origin cannot listen on 127.0.0.1:${spec.originPort ?? 0}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  let proxy: RunningTarget | undefined;
  try {
    proxy = await startIntermediary(spec, origin);
    await preflight(proxy, origin, timing, signal);
  } catch (e) {
    await proxy?.stop();
    await origin.close();
    throw e;
  }
  const running = proxy;
  return {
    proxy: running,
    origin,
    description: `${running.description}, origin 127.0.0.1:${origin.port}`,
    stop: async () => {
      await running.stop();
      await origin.close();
    },
  };
}

async function startIntermediary(spec: ProxyTargetSpec, origin: Origin): Promise<RunningTarget> {
  const idleTimeoutMs = spec.targetIdleTimeoutMs ?? 2000;
  if (spec.target) {
    const t = spec.target;
    if (t.installed && !t.installed())
      throw new TargetError(`${t.name} is not installed (${t.install ?? `needs ${t.requires}`})`);
    try {
      return await t.start({
        idleTimeoutMs,
        origin: origin.address,
        ...(spec.startupTimeoutMs !== undefined ? { startupTimeoutMs: spec.startupTimeoutMs } : {}),
      });
    } catch (e) {
      if (e instanceof TargetError) throw e;
      throw new TargetError(`cannot start ${t.name}: ${(e as Error).message}`);
    }
  }
  if (spec.launch !== undefined) {
    if (!spec.launch.includes('{origin}') && !spec.configTemplate)
      throw new TargetError(
        '--launch needs {origin} (host:port of the harness origin) in the command, or a --config template that holds it',
      );
    return launchWithConfig(spec.launch, spec.configTemplate, origin, spec.startupTimeoutMs ?? 10_000);
  }
  const url = parseTargetUrl(spec.url!);
  return { url, resources: {}, description: url.href, stop: async () => {} };
}

/**
 * A proxy that reads a configuration file: the template's {port} and {origin} are filled
 * in once the port is chosen, and the command's {config} is the file's path. {dir} is the
 * temporary directory that holds it (for pid files, logs, caches), removed at the end.
 */
async function launchWithConfig(
  command: string,
  template: string | undefined,
  origin: Origin,
  startupTimeoutMs: number,
): Promise<RunningTarget> {
  if (!template) return launchTarget(command, startupTimeoutMs, { origin: origin.address });
  let text: string;
  try {
    text = readFileSync(template, 'utf8');
  } catch (e) {
    throw new TargetError(`cannot read --config ${template}: ${(e as NodeJS.ErrnoException).code}`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'keepalive-spec-proxy-'));
  const file = join(dir, basename(template).replace(/\.(tmpl|template|in)$/, ''));
  try {
    const port = await freePort();
    writeFileSync(
      file,
      text.replaceAll('{origin}', origin.address).replaceAll('{port}', String(port)).replaceAll('{dir}', dir),
    );
    const running = await launchTarget(
      command.replaceAll('{config}', file).replaceAll('{dir}', dir),
      startupTimeoutMs,
      { origin: origin.address },
      port,
    );
    const stop = running.stop;
    return {
      ...running,
      tempDir: dir,
      stop: async () => {
        await stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

/** One GET through the intermediary must reach the origin and come back, or nothing runs. */
async function preflight(proxy: RunningTarget, origin: Origin, timing: TimingConfig, signal: AbortSignal) {
  const nonce = '00000000f11e'; // hex, as every nonce
  const path = `/ksp-${nonce}/preflight`;
  const info = targetInfo(proxy.url, { path });
  const probe = await probeGet(info, timing, signal);
  const reached = origin.arrivals(nonce).length > 0;
  if (probe.ok && probe.response?.status === 200 && reached) return;
  if (signal.aborted) return;
  const answered = probe.ok
    ? `it answered ${probe.response?.status ?? 'something'}`
    : `no HTTP response (${probe.reason})`;
  throw new TargetError(
    `GET ${path} through the proxy at ${proxy.url.host}: ${answered}, and the origin at ${origin.address} ${reached ? 'saw the request' : 'saw nothing'}: is the proxy forwarding to ${origin.address}?`,
  );
}

export async function runProxySuite(
  running: RunningProxy,
  opts: ProxyRunOptions,
  hooks: RunHooks,
): Promise<Result[]> {
  const info = targetInfo(running.proxy.url, { path: '/' });
  return runScenarios<ProxyCtx>({
    scenarios: opts.scenarios,
    concurrency: opts.concurrency,
    confirmConcurrency: 1,
    timing: opts.timing,
    strict: opts.strict,
    signal: hooks.signal,
    makeContext: (s, transcript, signal, timing) =>
      new ProxyCtx(info, running.origin, timing, transcript, signal, s.area),
    onStart: hooks.onStart,
    onResult: hooks.onResult,
  });
}
