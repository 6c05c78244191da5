// Client driver protocol v1 (README, docs/cli.md): start the driver, write the plan on
// its standard input, collect one JSON line per request, enforce a deadline,
// and kill its process group whatever happens.

import { performance } from 'node:perf_hooks';
import { load } from '../load.js';
import type { Transcript } from '../wire/transcript.js';
import { launch } from './process.js';

/**
 * A WebSocket step (url `ws://` or `wss://`): open a WebSocket with the client's own
 * library, send `text` (a text message) and then `ping` (a ping with that payload) if
 * given, take server frames for `waitMs` (the library answers the server's pings), then,
 * unless `close` is false, close with code 1000 and wait for the server's close frame.
 */
export interface PlanWebSocket {
  text?: string;
  ping?: string;
  waitMs?: number;
  close?: boolean;
}

/** TLS for `https://` and `wss://` URLs: trust the PEM file `ca`, or (`insecure`) skip verification. */
export interface PlanTls {
  /** the certificate the harness serves (self-signed, for 127.0.0.1 and localhost), a PEM file */
  ca: string;
  /** a driver that cannot load a CA file may skip certificate verification instead */
  insecure: boolean;
}

export interface PlanRequest {
  id: string;
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: string;
  delayMs?: number;
  /** read the response's head, then abandon its body (the client must not reuse a connection with it unread) */
  discardBody?: boolean;
  websocket?: PlanWebSocket;
}

export interface DriverPlan {
  version: 1;
  httpVersion: '1.0' | '1.1';
  concurrent: boolean;
  tls?: PlanTls;
  requests: PlanRequest[];
}

export interface DriverLine {
  id: string;
  status?: number;
  body?: string;
  error?: string;
  headers?: Record<string, string>;
  /** a WebSocket step: the text messages received, in order */
  messages?: string[];
  /** a WebSocket step: the payload of the pong that answered the step's ping */
  pong?: string;
  /** a WebSocket step: the status code of the server's close frame */
  closeCode?: number;
}

export interface DriverRun {
  /** the line for each request id that got one */
  lines: Map<string, DriverLine>;
  /** exit status, if it exited on its own */
  exitCode?: number;
  /** transcript time when the driver process was gone */
  exitedAt: number;
  /** the harness killed it at the deadline (the client under test did not finish) */
  timedOut: boolean;
  /** exit status 3: the client cannot do what the plan asks (e.g. HTTP/1.0) */
  unsupported: boolean;
  /** breaches of the driver protocol: bad JSON, unknown or repeated ids, missing lines, bad exit status */
  problems: string[];
  stderr: string;
  durationMs: number;
}

/**
 * How long a plan may take once the driver has connected: its pauses, plus a
 * read timeout per request, plus a margin. Start-up is not in it: see startupLimit.
 */
export function planDeadline(plan: DriverPlan, timeoutMs: number): number {
  const pauses = plan.requests.reduce((n, r) => n + (r.delayMs ?? 0) + (r.websocket?.waitMs ?? 0), 0);
  return pauses + timeoutMs * (plan.requests.length + 1) + 2000;
}

/**
 * How long a driver may take from its start to its first connection. A driver
 * process (an interpreter, a runtime) starting on a busy machine can take
 * seconds; that is the machine, not the client under test.
 */
export function startupLimit(timeoutMs: number): number {
  return Math.max(10_000, 3 * timeoutMs);
}

export async function runDriver(
  command: string,
  plan: DriverPlan,
  opts: {
    /** from the driver's first connection (see startupLimit for the time before it) */
    deadlineMs: number;
    signal: AbortSignal;
    transcript: Transcript;
    /** the longest from the start to the first connection (default: startupLimit of 3 s reads) */
    startupMs?: number;
    /**
     * transcript time of the driver's first connection to the scripted server, once there is
     * one; without it the deadline runs from the start
     */
    firstConnectionAt?: () => number | undefined;
  },
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
  const startup = opts.startupMs ?? startupLimit(3000);
  const firstConnectionAt = opts.firstConnectionAt ?? (() => started);
  const startedPerf = performance.now();
  // The plan's deadline runs from the first connection; until then the start-up limit applies.
  // Both move back by the time the harness itself was stalled (a busy machine).
  const dueAt = (): { at: number; what: string } => {
    const first = firstConnectionAt();
    const stalled = load.stalledMs(startedPerf);
    return first === undefined
      ? { at: started + startup + stalled, what: `made no connection within ${startup} ms of starting` }
      : {
          at: first + opts.deadlineMs + stalled,
          what: opts.firstConnectionAt
            ? `still running ${opts.deadlineMs} ms after its first connection (${Math.round(first - started)} ms after it started)`
            : `still running at its deadline (${opts.deadlineMs} ms)`,
        };
  };
  let deadline: NodeJS.Timeout | undefined;
  const arm = (ms: number) => {
    deadline = setTimeout(() => {
      const due = dueAt();
      const left = due.at - transcript.now();
      if (left > 1) return arm(left);
      timedOut = true;
      transcript.expiredWaits++;
      transcript.note(`driver ${due.what}: killed`, 'drv');
      void proc.stop(300);
    }, ms);
  };
  arm(Math.min(startup, opts.deadlineMs));
  const onAbort = () => void proc.stop(300);
  opts.signal.addEventListener('abort', onAbort, { once: true });
  try {
    await proc.exited;
  } finally {
    clearTimeout(deadline);
    opts.signal.removeEventListener('abort', onAbort);
    await proc.stop(300);
  }
  const exitedAt = transcript.now();
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
    exitedAt,
    durationMs: exitedAt - started,
  };
}
