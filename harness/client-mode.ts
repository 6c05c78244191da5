// Client mode end to end: resolve the driver (built-in or a command), then run
// each selected client scenario with its own driver process and scripted server.

import { findClientTarget } from '../targets/clients/index.js';
import { ClientCtx, type ClientScenario } from './client.js';
import type { Result, TimingConfig } from './model.js';
import { runScenarios } from './runner.js';
import { type RunHooks, TargetError } from './server-mode.js';

export interface ClientDriverSpec {
  target?: string;
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
  const t = findClientTarget(spec.target!);
  if (!t)
    throw new TargetError(
      `unknown client target ${JSON.stringify(spec.target)} (see: keepalive-spec targets)`,
    );
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
