// Proxy mode's origin: one scripted server behind the intermediary, shared by
// every scenario of the run (the intermediary is configured once, with one
// upstream). A scenario's requests carry its nonce in the path (/ksp-<nonce>/...),
// which is how the origin finds whose script answers them, and how a scenario
// finds its requests, and the upstream connections that carried them, among all
// the others. Every upstream byte goes into one transcript, on one clock.

import { setMaxListeners } from 'node:events';
import { answer, ok, type Reply } from './reply.js';
import { answerWebSocket, type WsPlay } from './websocket-play.js';
import type { HttpRequest } from './wire/parse.js';
import { type ReceivedRequest, ScriptedServer, type ServerConn } from './wire/server.js';
import { Transcript } from './wire/transcript.js';
import { Aborted, Waiters } from './wire/wait.js';

/** What the origin answers with: a reply, or a switch to WebSocket (a 101, then the play). */
export type OriginReply = Reply & { webSocket?: WsPlay };

/** What the origin answers one of a scenario's requests with. */
export type OriginScript = (req: ReceivedRequest, conn: ServerConn) => OriginReply | Promise<OriginReply>;

/** How long the origin's side of a WebSocket waits for frames: the longest any scenario runs. */
const WS_TIMING = { timeoutMs: 30_000, idleMaxMs: 60_000 };

/** An answer at a request's header section, before its body (100-continue, an early 413); undefined: wait for the body. */
export type OriginEarly = (head: HttpRequest, conn: ServerConn) => Reply | undefined;

export interface OriginRoute {
  script: OriginScript;
  early?: OriginEarly;
}

const NONCE_IN_PATH = /\/ksp-([0-9a-f]{12})(?=[/?]|$)/;

/** The nonce a request target carries, if any. */
export function nonceOf(target: string): string | undefined {
  return NONCE_IN_PATH.exec(target)?.[1];
}

/** The default answer: 200, a body that names the path. */
export const echoPath: OriginScript = (req) => ok(`origin ${req.msg.target}`);

export class Origin {
  /** every upstream connection, on one clock (connections labelled u1, u2, ...) */
  readonly transcript = new Transcript();
  private readonly server: ScriptedServer;
  private readonly routes = new Map<string, OriginRoute>();
  private readonly waiters = new Waiters();
  private readonly ac = new AbortController();
  port = 0;

  constructor() {
    // Every upstream connection waits on this signal: many listeners, no leak.
    setMaxListeners(0, this.ac.signal);
    // An upgrade offer holds the connection until its script answers: a 101 hands the bytes behind
    // it to WebSocket, any other answer resumes HTTP.
    this.server = new ScriptedServer(this.transcript, this.ac.signal, (conn) => void this.serve(conn), {
      prefix: 'u',
      holdUpgrades: true,
    });
  }

  /** Listen on loopback, on `port` (--origin-port) or a free one; the port. */
  async listen(port = 0): Promise<number> {
    const url = await this.server.listen('127.0.0.1', port);
    this.port = Number(url.port);
    return this.port;
  }

  /** host:port, for {origin} in a launch command or a proxy's configuration */
  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  get conns(): readonly ServerConn[] {
    return this.server.conns;
  }

  register(nonce: string, route: OriginRoute): void {
    this.routes.set(nonce, route);
  }

  unregister(nonce: string): void {
    this.routes.delete(nonce);
  }

  /** Every complete request that carries `nonce`, in arrival order. */
  arrivals(nonce: string): ReceivedRequest[] {
    return this.server.conns
      .flatMap((c) => c.requests)
      .filter((r) => nonceOf(r.msg.target) === nonce)
      .sort((a, b) => a.at - b.at);
  }

  /** Upstream connections whose bytes mention `nonce`: those that carried the scenario's requests, even malformed ones. */
  connsOf(nonce: string): ServerConn[] {
    const needle = `ksp-${nonce}`;
    return this.server.conns.filter(
      (c) =>
        c.requests.some((r) => nonceOf(r.msg.target) === nonce) ||
        c.bytesIn.some((b) => b.bytes.includes(needle, 0, 'latin1')),
    );
  }

  /** Wait until `check` yields a value (checked on every upstream event), or the time is up. */
  async until<T>(check: () => T | undefined, timeoutMs: number, signal: AbortSignal): Promise<T | 'timeout'> {
    return this.waiters.until(check, timeoutMs, AbortSignal.any([signal, this.ac.signal]));
  }

  async close(): Promise<void> {
    this.ac.abort();
    await this.server.close();
  }

  private route(target: string): OriginRoute | undefined {
    const nonce = nonceOf(target);
    return nonce ? this.routes.get(nonce) : undefined;
  }

  /** Answer the requests of one upstream connection, in order, each as its scenario says. */
  private async serve(conn: ServerConn): Promise<void> {
    const answeredEarly = new Set<number>();
    const wake = () => this.waiters.wake();
    conn.socket.on('data', wake);
    conn.socket.on('end', wake);
    conn.socket.on('close', wake);
    conn.onHead = (head) => {
      const reply = this.route(head.target)?.early?.(head, conn);
      wake();
      if (!reply) return;
      answeredEarly.add(conn.parser.messages.length + 1);
      void answer(conn, reply, this.ac.signal).catch(() => {});
    };
    this.waiters.wake();
    try {
      for (;;) {
        // The origin lives as long as the run; the intermediary decides how long a connection idles.
        const req = await conn.nextRequest(24 * 3600_000);
        if (typeof req === 'string') return;
        wake();
        if (answeredEarly.has(req.index)) continue;
        const script = this.route(req.msg.target)?.script ?? echoPath;
        let reply: OriginReply;
        try {
          reply = await script(req, conn);
        } catch (e) {
          if (e instanceof Aborted) throw e;
          reply = { response: { status: 500, body: `origin script failed: ${(e as Error).message}` } };
        }
        if (reply.webSocket) {
          await answerWebSocket(conn, req, reply.webSocket, WS_TIMING, this.ac.signal);
          return;
        }
        if (!(await answer(conn, reply, this.ac.signal))) return;
        if (conn.parser.upgraded) conn.resumeHttp();
        wake();
      }
    } catch (e) {
      if (!(e instanceof Aborted)) throw e;
    } finally {
      wake();
    }
  }
}
