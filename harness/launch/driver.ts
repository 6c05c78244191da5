// Client driver protocol v1 (CONTRACT.md): start the driver, write the plan on
// its standard input, collect one JSON line per request, enforce a deadline,
// and kill its process group whatever happens.

import type { Transcript } from '../wire/transcript.js';
import { launch } from './process.js';

export interface PlanRequest {
  id: string;
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: string;
  delayMs?: number;
}

export interface DriverPlan {
  version: 1;
  httpVersion: '1.0' | '1.1';
  concurrent: boolean;
  requests: PlanRequest[];
}

export interface DriverLine {
  id: string;
  status?: number;
  body?: string;
  error?: string;
  headers?: Record<string, string>;
}

export interface DriverRun {
  /** the line for each request id that got one */
  lines: Map<string, DriverLine>;
  /** exit status, if it exited on its own */
  exitCode?: number;
  /** the harness killed it at the deadline (the client under test did not finish) */
  timedOut: boolean;
  /** exit status 3: the client cannot do what the plan asks (e.g. HTTP/1.0) */
  unsupported: boolean;
  /** breaches of the driver protocol: bad JSON, unknown or repeated ids, missing lines, bad exit status */
  problems: string[];
  stderr: string;
  durationMs: number;
}

/** How long a plan may take: its pauses, plus a read timeout per request, plus start-up. */
export function planDeadline(plan: DriverPlan, timeoutMs: number): number {
  const pauses = plan.requests.reduce((n, r) => n + (r.delayMs ?? 0), 0);
  return pauses + timeoutMs * (plan.requests.length + 1) + 2000;
}

export async function runDriver(
  command: string,
  plan: DriverPlan,
  opts: { deadlineMs: number; signal: AbortSignal; transcript: Transcript },
): Promise<DriverRun> {
  const { transcript } = opts;
  const lines = new Map<string, DriverLine>();
  const problems: string[] = [];
  const ids = new Set(plan.requests.map((r) => r.id));
  const started = transcript.now();
  transcript.note(`driver started: ${command}`, 'drv');
  const proc = launch(command, {
    input: JSON.stringify(plan),
    onStdoutLine: (text) => {
      if (!text.trim()) return;
      transcript.note(`driver line: ${text.slice(0, 500)}`, 'drv');
      let line: DriverLine;
      try {
        line = JSON.parse(text) as DriverLine;
      } catch {
        problems.push(`a line that is not JSON: ${text.slice(0, 120)}`);
        return;
      }
      if (typeof line?.id !== 'string' || !ids.has(line.id))
        problems.push(`a line for an unknown request id: ${text.slice(0, 120)}`);
      else if (lines.has(line.id)) problems.push(`a second line for ${line.id}`);
      else if (typeof line.status !== 'number' && typeof line.error !== 'string')
        problems.push(`a line with neither "status" nor "error": ${text.slice(0, 120)}`);
      else lines.set(line.id, line);
    },
  });
  let timedOut = false;
  const deadline = setTimeout(() => {
    timedOut = true;
    transcript.note(`driver still running at its deadline (${opts.deadlineMs} ms): killed`, 'drv');
    void proc.stop(300);
  }, opts.deadlineMs);
  const onAbort = () => void proc.stop(300);
  opts.signal.addEventListener('abort', onAbort, { once: true });
  try {
    await proc.exited;
  } finally {
    clearTimeout(deadline);
    opts.signal.removeEventListener('abort', onAbort);
    await proc.stop(300);
  }
  const exitCode = proc.exitCode;
  const unsupported = exitCode === 3;
  transcript.note(`driver ${proc.exitInfo}`, 'drv');
  if (!timedOut && !unsupported) {
    if (exitCode !== 0) problems.push(`the driver ${proc.exitInfo}`);
    const missing = plan.requests.filter((r) => !lines.has(r.id)).map((r) => r.id);
    if (missing.length) problems.push(`no line for ${missing.join(', ')}`);
  }
  return {
    lines,
    exitCode,
    timedOut,
    unsupported,
    problems,
    stderr: proc.tail(),
    durationMs: transcript.now() - started,
  };
}
