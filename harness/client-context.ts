// Client mode: a scenario is a driver plan, a script for the scripted server,
// and a check over what happened on the wire. The harness starts the driver
// (the client under test), serves it on a free loopback port, and hands the
// check every connection with the requests that arrived on it.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fail, skip } from './check.js';
import {
  type DriverLine,
  type DriverPlan,
  type DriverRun,
  type PlanWebSocket,
  planDeadline,
  runDriver,
  startupLimit,
} from './launch/driver.js';
import { type Finding, harnessError, type Scenario, type ScenarioInfo, type TimingConfig } from './model.js';
import { answer, ok, type Reply } from './reply.js';
import { answerWebSocket, type WsPlay } from './websocket-play.js';
import { type HttpRequest, type ReceivedRequest, ScriptedServer, type ServerConn } from './wire/server.js';
import { TEST_CERT, TEST_KEY } from './wire/test-cert.js';
import type { Transcript } from './wire/transcript.js';
import { Aborted, sleep } from './wire/wait.js';
import { handshakeProblem } from './wire/websocket.js';

export interface PlanStep {
  id: string;
  method?: string;
  /** the request path; unique per step, it is how arrivals are told apart */
  path: string;
  headers?: Record<string, string>;
  body?: string;
  delayMs?: number;
  /** read the head, then abandon the body (driver protocol: discardBody) */
  discardBody?: boolean;
  /** a WebSocket step: its URL is ws:// (wss:// over TLS) */
  websocket?: PlanWebSocket;
}

export interface ClientPlan {
  httpVersion?: '1.0' | '1.1';
  concurrent?: boolean;
  /** the scripted server speaks TLS (https:// and wss:// URLs, the plan's `tls` field) */
  tls?: boolean;
  requests: PlanStep[];
}

/**
 * A reply in client mode: also a switch to WebSocket (a 101, then the play), or (over TLS)
 * the end of the TCP connection without a closure alert once the reply is written.
 */
export type ClientReply = Reply & { webSocket?: WsPlay; bareClose?: boolean };

/** The script: the reply to a request, knowing where it arrived (conn.index, req.index). */
export type Script = (req: ReceivedRequest, conn: ServerConn) => ClientReply | Promise<ClientReply>;

export type { WsPlay };

/** Accept a WebSocket handshake: a 101, then the play. */
export const acceptWebSocket = (play: WsPlay = {}): ClientReply => ({ webSocket: play });

/**
 * An early answer: called when a request's header section is complete, before
 * its body. A reply is written at once (whatever else is pending on the
 * connection) and the request, if it ever completes, is not given to the
 * script; undefined lets the request complete and go to the script as usual.
 */
export type EarlyScript = (head: HttpRequest, conn: ServerConn) => Reply | undefined;

export { ok, type Reply };

/** `200 ok <path>`; a valid WebSocket handshake is accepted (101, then the default play). */
export const defaultScript: Script = (req) =>
  handshakeProblem(req.msg) === undefined ? acceptWebSocket() : ok(`ok ${req.msg.target}`);

export interface ClientObservation {
  plan: ClientPlan;
  run: DriverRun;
  /** connections in accept order */
  conns: ServerConn[];
  /** every complete request, in arrival order */
  received: ReceivedRequest[];
  timing: TimingConfig;
  /** requests that arrived for this step's path, in arrival order */
  arrivals(stepId: string): ReceivedRequest[];
  /** the driver's line for a step */
  line(stepId: string): DriverLine | undefined;
  note(text: string): void;
}

export class ClientCtx {
  constructor(
    readonly driver: string,
    readonly timing: TimingConfig,
    readonly transcript: Transcript,
    readonly signal: AbortSignal,
  ) {}

  private servers: ScriptedServer[] = [];
  private caDir?: string;

  /** The PEM file of the certificate the TLS scripted server serves, for the plan's `tls.ca`. */
  private caFile(): string {
    this.caDir ??= mkdtempSync(join(tmpdir(), 'keepalive-spec-ca-'));
    const file = join(this.caDir, 'ca.pem');
    writeFileSync(file, TEST_CERT);
    return file;
  }

  /** Run a plan against a script; everything the check needs comes back. */
  async exercise(
    plan: ClientPlan,
    script: Script,
    settleMs = 0,
    early?: EarlyScript,
  ): Promise<ClientObservation> {
    const server = new ScriptedServer(
      this.transcript,
      this.signal,
      (conn) => void this.serve(conn, script, early),
      {
        holdUpgrades: true,
        ...(plan.tls ? { tls: { key: TEST_KEY, cert: TEST_CERT } } : {}),
      },
    );
    this.servers.push(server);
    const base = await server.listen();
    const wsBase = new URL(base.href.replace(/^http/, 'ws'));
    const wire: DriverPlan = {
      version: 1,
      httpVersion: plan.httpVersion ?? '1.1',
      concurrent: plan.concurrent ?? false,
      ...(plan.tls ? { tls: { ca: this.caFile(), insecure: true } } : {}),
      requests: plan.requests.map((s) => ({
        id: s.id,
        method: s.method ?? 'GET',
        url: new URL(s.path, s.websocket ? wsBase : base).href,
        ...(s.headers ? { headers: s.headers } : {}),
        ...(s.body !== undefined ? { body: s.body } : {}),
        ...(s.delayMs ? { delayMs: s.delayMs } : {}),
        ...(s.discardBody ? { discardBody: true } : {}),
        ...(s.websocket ? { websocket: s.websocket } : {}),
      })),
    };
    const run = await runDriver(this.driver, wire, {
      deadlineMs: planDeadline(wire, this.timing.timeoutMs) + handOverMs(plan),
      startupMs: startupLimit(this.timing.timeoutMs),
      signal: this.signal,
      transcript: this.transcript,
      firstConnectionAt: () => server.conns[0]?.openedAt,
    });
    if (this.signal.aborted) throw new Aborted();
    if (settleMs > 0) await this.settle(server, settleMs);
    const received = server.conns.flatMap((c) => c.requests).sort((a, b) => a.at - b.at);
    const pathOf = (id: string) => plan.requests.find((s) => s.id === id)?.path;
    return {
      plan,
      run,
      conns: server.conns,
      received,
      timing: this.timing,
      arrivals: (id) => received.filter((r) => r.msg.target.split('?')[0] === pathOf(id)?.split('?')[0]),
      line: (id) => run.lines.get(id),
      note: (text) => this.transcript.note(text),
    };
  }

  /** After the driver exits, give open connections a moment to show how they end. */
  private async settle(server: ScriptedServer, ms: number): Promise<void> {
    await Promise.all(server.conns.map((c) => c.waitEnd(ms)));
  }

  /** Answer requests on one connection, in order, as the script says. */
  private async serve(conn: ServerConn, script: Script, early?: EarlyScript): Promise<void> {
    /** positions (req.index) of the requests answered at their header section */
    const answeredEarly = new Set<number>();
    if (early)
      conn.onHead = (head) => {
        const reply = early(head, conn);
        if (!reply) return;
        answeredEarly.add(conn.parser.messages.length + 1);
        void answer(conn, reply, this.signal).catch((e) => {
          if (!(e instanceof Aborted)) throw e;
        });
      };
    try {
      for (;;) {
        const req = await conn.nextRequest(this.timing.idleMaxMs + this.timing.timeoutMs * 10);
        if (typeof req === 'string') return;
        if (answeredEarly.has(req.index)) continue;
        const reply = await script(req, conn);
        if (reply.webSocket) {
          await answerWebSocket(conn, req, reply.webSocket, this.timing, this.signal);
          return;
        }
        if (!(await answer(conn, reply, this.signal))) return;
        if (reply.bareClose) {
          conn.closeBare();
          return;
        }
        // An upgrade offer answered without a 101 was declined: the bytes behind it are HTTP.
        if (conn.parser.upgraded) conn.resumeHttp();
      }
    } catch (e) {
      if (!(e instanceof Aborted)) throw e;
    }
  }

  sleep(ms: number): Promise<void> {
    return sleep(ms, this.signal);
  }

  async cleanup(): Promise<void> {
    await Promise.all(this.servers.map((s) => s.close()));
    this.servers = [];
    if (this.caDir) rmSync(this.caDir, { recursive: true, force: true });
    this.caDir = undefined;
  }
}

export type ClientScenario = Scenario<ClientCtx> & { role: 'client' };

export interface ClientScenarioSpec extends Omit<ScenarioInfo, 'role'> {
  /** the plan, or a plan derived from the timing (e.g. an idle pause bounded by --idle-max) */
  plan: ClientPlan | ((t: TimingConfig) => ClientPlan);
  script?: Script;
  /** answers given at a request's header section, before its body (e.g. an early 413) */
  early?: EarlyScript;
  /** after the driver exits, how long to watch the connections end (e.g. for the client's FIN) */
  settleMs?: number | ((t: TimingConfig) => number);
  check(obs: ClientObservation): Finding;
}

/**
 * Extra time for a plan with large bodies: the driver takes the whole plan in
 * before its first request, and on a busy machine 8 MiB through a pipe took
 * seconds. 1 s per MiB of body.
 */
function handOverMs(plan: ClientPlan): number {
  const bytes = plan.requests.reduce((n, r) => n + (r.body?.length ?? 0), 0);
  return Math.ceil(bytes / (1024 * 1024)) * 1000;
}

/** A client scenario from its declarative parts. */
export function clientScenario(spec: ClientScenarioSpec): ClientScenario {
  const { plan: planSpec, script, early, settleMs, check, ...info } = spec;
  const settle = (t: TimingConfig) => (typeof settleMs === 'function' ? settleMs(t) : (settleMs ?? 0));
  const planOf = (t: TimingConfig) => (typeof planSpec === 'function' ? planSpec(t) : planSpec);
  return {
    ...info,
    role: 'client',
    budgetMs: (t) => {
      const plan = planOf(t);
      return (
        plan.requests.reduce((n, r) => n + (r.delayMs ?? 0) + (r.websocket?.waitMs ?? 0), 0) +
        t.timeoutMs * (plan.requests.length + 1) +
        handOverMs(plan) +
        settle(t)
      );
    },
    async run(ctx) {
      const obs = await ctx.exercise(planOf(ctx.timing), script ?? defaultScript, settle(ctx.timing), early);
      return judge(obs, check);
    },
  };
}

/** Driver trouble is the harness's, not the client's; exit 3 means "cannot", a skip. */
function judge(obs: ClientObservation, check: (o: ClientObservation) => Finding): Finding {
  const { run } = obs;
  if (run.unsupported)
    skip(
      `the driver cannot do this plan (exit status 3)${run.stderr ? `: ${run.stderr.split('\n').pop()}` : ''}`,
    );
  if (run.problems.length > 0)
    return harnessError(
      `driver error: ${run.problems.join('; ')}${run.stderr ? ` (stderr: ${run.stderr.split('\n').slice(-3).join(' | ')})` : ''}`,
    );
  return check(obs);
}

// ---- helpers for checks -------------------------------------------------------

/** How a connection of the scripted server ended, in words: 'client FIN', 'server closed', 'open'... */
export function connEnd(c: ServerConn): string {
  if (c.clientRstAt !== undefined) return 'client RST';
  if (c.clientFinAt !== undefined) return 'client FIN';
  if (c.serverRstAt !== undefined) return 'server reset';
  return c.serverFinAt !== undefined ? 'server closed' : 'open';
}

/** 's1: GET /a, GET /b; s2: GET /c' */
export function describeConns(obs: ClientObservation): string {
  if (obs.conns.length === 0) return 'no connection was made';
  return obs.conns
    .map((c) => {
      const reqs = c.requests.map((r) => `${r.msg.method} ${r.msg.target}`).join(', ') || 'no request';
      const err = c.parseError ? `, unparsable bytes: ${c.parseError.message}` : '';
      return `${c.label}: ${reqs}, ${connEnd(c)}${err}`;
    })
    .join('; ');
}

/** 'status 200, body "ok /a"' or 'error "socket hang up"' or 'no line (the driver was killed at its deadline)' */
export function describeLine(obs: ClientObservation, id: string): string {
  const l = obs.line(id);
  if (!l)
    return obs.run.timedOut
      ? 'no result: the client was still busy when the harness stopped it (a hang)'
      : 'no result';
  if (l.error !== undefined) return `error ${JSON.stringify(l.error.slice(0, 200))}`;
  return `status ${l.status}, body ${JSON.stringify((l.body ?? '').slice(0, 120))}`;
}

/** The one arrival of a step, or a violation. */
export function arrivalOf(obs: ClientObservation, id: string): ReceivedRequest {
  const a = obs.arrivals(id);
  if (a.length === 0)
    fail({
      summary: `the request ${id} never reached the server`,
      expected: `the client to send ${id}`,
      seen: `${describeConns(obs)}; driver: ${describeLine(obs, id)}`,
    });
  return a[0]!;
}
