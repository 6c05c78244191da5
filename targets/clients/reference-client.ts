// The reference client: a raw-socket HTTP/1.x client on our own strict parser
// that follows every client-side rule keepalive-spec checks, speaking driver
// protocol v1. Each decision is a protected method, so a faulty client
// (targets/faulty/clients/) is this client with exactly one method overridden.
//
// Behaviour: a keep-alive pool per origin (no pipelining, at most 6 connections),
// reuse only after a complete, self-delimited response that did not say close,
// idle connections dropped when the server closes them or sends unsolicited bytes,
// one transparent retry of an idempotent request whose reused connection failed
// before any response byte, never a retry of POST. A body the plan discards is not
// read: its connection is closed. WebSocket steps (RFC 6455) on its own frame codec:
// the handshake checked, every frame masked, pings answered, the close handshake
// completed, and the connection never HTTP again. TLS (https:, wss:) trusting the
// plan's CA, with a closure alert before every close it makes, and a close-delimited
// body ended without the server's closure alert reported as incomplete (RFC 9112 §9.8).

import { readFileSync } from 'node:fs';
import * as net from 'node:net';
import * as tls from 'node:tls';
import {
  connectionOptions,
  fieldValue,
  type HttpResponse,
  hasField,
  type ParseError,
  Parser,
} from '../../harness/wire/parse.js';
import { TlsTap } from '../../harness/wire/tls-tap.js';
import {
  acceptFor,
  closeCode,
  closePayload,
  decodeFrame,
  encodeFrame,
  type Frame,
  type FrameSpec,
  handshakeHeaders,
  newWebSocketKey,
  OPCODE,
  upgradeProtocols,
} from '../../harness/wire/websocket.js';

export interface PlanWebSocket {
  text?: string;
  ping?: string;
  waitMs?: number;
  close?: boolean;
}

export interface PlanRequest {
  id: string;
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: string;
  delayMs?: number;
  discardBody?: boolean;
  websocket?: PlanWebSocket;
}

export interface Plan {
  version: number;
  httpVersion: '1.0' | '1.1';
  concurrent: boolean;
  tls?: { ca?: string; insecure?: boolean };
  requests: PlanRequest[];
}

export type Line =
  | {
      id: string;
      status: number;
      body?: string;
      headers: Record<string, string>;
      messages?: string[];
      pong?: string;
      closeCode?: number;
    }
  | { id: string; error: string };

const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'TRACE']);
const MAX_PER_ORIGIN = 6;
/** a request body is written in pieces this large, with a look at the connection between them */
const PIECE = 64 * 1024;

/** after the close handshake, how long the client waits for the server to close TCP first (RFC 6455 §7.1.1) */
const SERVER_CLOSE_WAIT_MS = 500;
/** how long the client waits for the server's close frame after its own */
const CLOSE_REPLY_WAIT_MS = 2000;

/** One pooled connection. */
export class Connection {
  parser = new Parser({ kind: 'response', lenient: true });
  /** after a 101: the WebSocket session that takes every byte */
  onData?: (chunk: Buffer) => void;
  /** a body abandoned on it (discardBody) */
  abandoned = false;
  /** served at least one complete exchange */
  used = false;
  busy = false;
  /** no further request may go on it */
  dead = false;
  ended = false;
  reset = false;
  /** bytes received for the exchange in progress */
  receivedNow = 0;
  private waiters = new Set<() => void>();

  constructor(
    readonly socket: net.Socket,
    readonly origin: string,
    private readonly client: ReferenceClient,
    /** over TLS: the record layer under the TLS socket (closure alerts) */
    readonly tap?: TlsTap,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      if (this.onData) {
        this.onData(chunk);
        this.wake();
        return;
      }
      if (!this.busy) {
        this.client.onIdleData(this, chunk);
        return;
      }
      this.receivedNow += chunk.length;
      this.client.receive(this, chunk);
      this.wake();
    });
    socket.on('end', () => {
      this.ended = true;
      if (!this.busy) this.client.onIdleEnd(this);
      this.parser.end();
      this.wake();
    });
    socket.on('error', () => {
      this.reset = true;
      this.ended = true;
      this.dead = true;
      this.wake();
    });
    socket.on('close', () => {
      this.ended = true;
      this.dead = true;
      this.wake();
    });
  }

  /** The next final response (1xx skipped), or why there is none. */
  async response(method: string): Promise<HttpResponse | { failure: string; beforeAnyByte: boolean }> {
    this.parser.expectResponseTo(method);
    for (;;) {
      const m = this.parser.messages.shift() as HttpResponse | undefined;
      if (m) {
        // A 101 ends HTTP on the connection: it is the answer (an upgrade), not an interim response.
        if (m.interim && m.status !== 101) continue;
        return m;
      }
      const err: ParseError | undefined = this.parser.error;
      if (err) return { failure: err.message, beforeAnyByte: false };
      if (this.ended) {
        const why = this.reset ? 'connection reset' : 'connection closed';
        return { failure: `${why} before a complete response`, beforeAnyByte: this.receivedNow === 0 };
      }
      await new Promise<void>((resolve) => {
        this.waiters.add(resolve);
      });
    }
  }

  /**
   * The head of the next final response (its body may still be on its way: `complete` false),
   * or why there is none.
   */
  async head(
    method: string,
  ): Promise<{ res: HttpResponse; complete: boolean } | { failure: string; beforeAnyByte: boolean }> {
    this.parser.expectResponseTo(method);
    for (;;) {
      while ((this.parser.messages[0] as HttpResponse | undefined)?.interim) this.parser.messages.shift();
      const m = this.parser.messages.shift() as HttpResponse | undefined;
      if (m) return { res: m, complete: true };
      const partial = this.parser.inBody as HttpResponse | undefined;
      if (partial) return { res: partial, complete: false };
      const err: ParseError | undefined = this.parser.error;
      if (err) return { failure: err.message, beforeAnyByte: false };
      if (this.ended) return { failure: 'connection closed before a response head', beforeAnyByte: true };
      await new Promise<void>((resolve) => this.waiters.add(resolve));
    }
  }

  /** Wait until `done()` or `ms` passed. */
  async waitFor(done: () => boolean, ms: number): Promise<boolean> {
    const until = Date.now() + ms;
    while (!done()) {
      const left = until - Date.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.add(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return true;
  }

  private wake(): void {
    const ws = [...this.waiters];
    this.waiters.clear();
    for (const w of ws) w();
  }

  /** Close our side; the server sees FIN (over TLS: a closure alert, then FIN). */
  close(): void {
    this.dead = true;
    this.client.endTransport(this);
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }
}

/** The client's side of one WebSocket (RFC 6455), on a connection after its 101. */
export class WsSession {
  readonly messages: string[] = [];
  pong?: string;
  closeCode?: number;
  closeSent = false;
  closeReceived = false;
  /** the server sent something that is not a WebSocket frame: the connection was failed */
  failed?: string;
  private buf = Buffer.alloc(0);
  private fragments: Buffer[] = [];

  constructor(
    readonly conn: Connection,
    private readonly client: ReferenceClient,
    rest: Buffer,
  ) {
    conn.onData = (chunk) => this.feed(chunk);
    this.feed(rest);
  }

  private feed(chunk: Buffer): void {
    if (this.failed) return;
    this.buf = Buffer.concat([this.buf, chunk]);
    for (;;) {
      const d = decodeFrame(this.buf);
      if ('incomplete' in d) return;
      if ('error' in d) {
        this.failed = d.error;
        this.conn.socket.destroy();
        return;
      }
      this.buf = this.buf.subarray(d.frame.size);
      this.client.onServerFrame(this, d.frame);
    }
  }

  /** A text message, completed from its fragments. */
  takeText(f: Frame): void {
    this.fragments.push(f.payload);
    if (!f.fin) return;
    this.messages.push(Buffer.concat(this.fragments).toString('utf8'));
    this.fragments = [];
  }

  send(spec: FrameSpec): void {
    if (this.closeSent || this.conn.socket.destroyed) return;
    if (spec.opcode === OPCODE.close) this.closeSent = true;
    this.conn.socket.write(this.client.frameBytes(spec));
  }
}

export class ReferenceClient {
  protected readonly pool = new Map<string, Connection[]>();
  /** connections being opened, per origin: they count toward MAX_PER_ORIGIN */
  private readonly connecting = new Map<string, number>();
  protected httpVersion: '1.0' | '1.1' = '1.1';
  /** the plan's TLS settings: the CA trusted for https: and wss: */
  protected tlsOptions: { ca?: Buffer; insecure: boolean } = { insecure: false };

  // ---- the pool ---------------------------------------------------------------

  /** An idle live connection to the origin, or a new one. */
  protected async acquire(url: URL): Promise<Connection> {
    const secure = url.protocol === 'https:' || url.protocol === 'wss:';
    const port = Number(url.port || (secure ? 443 : 80));
    const origin = `${secure ? 'tls' : 'tcp'}:${url.hostname}:${port}`;
    const list = this.pool.get(origin) ?? [];
    this.pool.set(origin, list);
    for (;;) {
      const idle = list.find((c) => !c.busy && !c.dead && this.reusable(c));
      if (idle) {
        idle.busy = true;
        return idle;
      }
      const live = list.filter((c) => !c.dead);
      if (live.length + (this.connecting.get(origin) ?? 0) < MAX_PER_ORIGIN) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    this.connecting.set(origin, (this.connecting.get(origin) ?? 0) + 1);
    const raw = net.connect({ host: url.hostname, port });
    let socket: net.Socket = raw;
    let tap: TlsTap | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        raw.once('connect', () => resolve());
        raw.once('error', reject);
      });
      if (secure) {
        tap = new TlsTap(raw);
        socket = tls.connect({
          socket: tap.duplex,
          ca: this.tlsOptions.ca,
          rejectUnauthorized: !this.tlsOptions.insecure || this.tlsOptions.ca !== undefined,
          servername: net.isIP(url.hostname) ? undefined : url.hostname,
          ALPNProtocols: ['http/1.1'],
        });
        await new Promise<void>((resolve, reject) => {
          socket.once('secureConnect', () => resolve());
          socket.once('error', reject);
        });
      }
    } catch (e) {
      socket.destroy();
      raw.destroy();
      throw e;
    } finally {
      this.connecting.set(origin, (this.connecting.get(origin) ?? 1) - 1);
    }
    const conn = new Connection(socket, origin, this, tap);
    conn.busy = true;
    list.push(conn);
    return conn;
  }

  /** May an idle connection carry another request? */
  protected reusable(c: Connection): boolean {
    return !c.ended;
  }

  /** Bytes of the response in progress arrived: the connection's parser frames them. */
  receive(c: Connection, chunk: Buffer): void {
    c.parser.push(chunk);
  }

  /** Data on an idle connection is not a response (RFC 9112 §9.2): drop the connection, unless it is only CRLFs. */
  onIdleData(c: Connection, chunk: Buffer): void {
    if (/^[\r\n]*$/.test(chunk.toString('latin1'))) return;
    c.close();
  }

  /** The server closed an idle connection: it is gone from the pool. */
  onIdleEnd(c: Connection): void {
    c.close();
  }

  /** End our side of the connection: FIN, over TLS a closure alert first (RFC 9112 §9.8: Node's end() sends it). */
  endTransport(c: Connection): void {
    if (!c.socket.destroyed) c.socket.end();
  }

  // ---- requests -----------------------------------------------------------------

  /** The request bytes: Host, the plan's headers, Content-Length for a body. */
  protected requestBytes(req: PlanRequest, url: URL): Buffer {
    const lines = [
      `${req.method} ${url.pathname}${url.search} HTTP/${this.httpVersion}`,
      `Host: ${url.host}`,
    ];
    const headers = { ...(req.headers ?? {}) };
    if (this.httpVersion === '1.0' && !Object.keys(headers).some((h) => h.toLowerCase() === 'connection'))
      headers.Connection = 'keep-alive';
    for (const [n, v] of Object.entries(headers)) lines.push(`${n}: ${v}`);
    const body = req.body !== undefined ? Buffer.from(req.body) : undefined;
    if (body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-length'))
      lines.push(`Content-Length: ${body.length}`);
    return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), body ?? Buffer.alloc(0)]);
  }

  /** After a complete response: may the connection carry another request? (RFC 9112 §9.3, §9.6) */
  protected keepAfter(req: PlanRequest, res: HttpResponse): boolean {
    const sent = connectionOptions(
      Object.entries(req.headers ?? {}).map(([name, value]) => ({ name, value })),
    );
    if (sent.has('close')) return false;
    const opts = connectionOptions(res.headers);
    if (opts.has('close')) return false;
    // After a 101 the connection is no longer HTTP (RFC 9110 §7.8).
    if (res.status === 101) return false;
    if (res.framing.kind === 'close-delimited') return false;
    if (res.clAndTe) return false;
    // An HTTP/1.0 message with Transfer-Encoding has faulty framing: close after it (RFC 9112 §6.1).
    if (res.version === 'HTTP/1.0' && hasField(res.headers, 'transfer-encoding')) return false;
    if (res.version === 'HTTP/1.0') return opts.has('keep-alive');
    if (this.httpVersion === '1.0') return opts.has('keep-alive');
    return true;
  }

  /** Bytes beyond the response already arrived: they are no response (RFC 9112 §6.3), so the connection goes. */
  protected poisoned(c: Connection): boolean {
    return c.parser.messages.length > 0 || c.parser.pendingBytes > 0 || c.parser.error !== undefined;
  }

  /** A connection that may carry no further request is closed at once, not left for the server to reap (RFC 9112 §9.6). */
  protected retire(c: Connection): void {
    c.close();
  }

  /** May this failed request be sent again, transparently? (RFC 9110 §9.2.2) */
  protected mayRetry(req: PlanRequest, conn: Connection, beforeAnyByte: boolean, attempt: number): boolean {
    return attempt === 0 && conn.used && beforeAnyByte && IDEMPOTENT.has(req.method.toUpperCase());
  }

  /**
   * Write the request; a body goes in pieces, and between them the client looks
   * at the connection (RFC 9112 §9.5): once the server has closed its side, or
   * the client is closing after an early response, the rest is not sent.
   * True when every byte was written.
   */
  protected async send(conn: Connection, bytes: Buffer): Promise<boolean> {
    for (let at = 0; at < bytes.length; at += PIECE) {
      if (at > 0) {
        await new Promise((resolve) => setImmediate(resolve));
        if (conn.dead || conn.ended) return false;
      }
      const piece = bytes.subarray(at, at + PIECE);
      const written = await new Promise<boolean>((resolve) => conn.socket.write(piece, (e) => resolve(!e)));
      if (!written) return false;
    }
    return true;
  }

  /**
   * A close-delimited body over TLS is complete only if the server's closure alert came
   * before its TCP FIN (RFC 9112 §9.8); without it the body may be cut short: an error.
   */
  protected async truncated(c: Connection, res: HttpResponse): Promise<string | undefined> {
    if (!c.tap || res.framing.kind !== 'close-delimited') return undefined;
    const closure = c.tap.closureBeforeFin((c.socket as tls.TLSSocket).getProtocol?.() ?? null);
    if (closure?.alert) return undefined;
    return `the close-delimited response ended without a TLS closure alert (${closure?.how ?? 'no record'}): it may be truncated (RFC 9112 §9.8)`;
  }

  /** The plan gave up a body before reading it: close the connection, so the rest is never taken for a response. */
  protected abandonBody(c: Connection): void {
    c.abandoned = true;
    this.retire(c);
  }

  /** A connection for the request (pooled or new) with the request being written, or the line of a failed connect. */
  protected async begin(
    req: PlanRequest,
    url: URL,
  ): Promise<{ conn: Connection; sent: Promise<boolean> } | Line> {
    let conn: Connection;
    try {
      conn = await this.acquire(url);
    } catch (e) {
      return { id: req.id, error: `connect failed: ${(e as Error).message}` };
    }
    conn.receivedNow = 0;
    return { conn, sent: this.send(conn, this.requestBytes(req, url)) };
  }

  /** Read the head, not the body (discardBody): a complete response keeps its connection as usual. */
  protected async performDiscarding(req: PlanRequest): Promise<Line> {
    const started = await this.begin(req, new URL(req.url));
    if (!('conn' in started)) return started;
    const { conn, sent } = started;
    const h = await conn.head(req.method.toUpperCase());
    if ('failure' in h) {
      conn.close();
      return { id: req.id, error: h.failure };
    }
    conn.used = true;
    const headers: Record<string, string> = {};
    for (const x of h.res.headers) headers[x.name.toLowerCase()] = x.value;
    if (!h.complete) {
      this.abandonBody(conn);
      conn.busy = false;
      return { id: req.id, status: h.res.status, headers };
    }
    const keep = this.keepAfter(req, h.res);
    const whole = await sent;
    conn.busy = false;
    if (!keep || !whole || this.poisoned(conn)) this.retire(conn);
    return { id: req.id, status: h.res.status, headers };
  }

  async perform(req: PlanRequest): Promise<Line> {
    if (req.websocket) return this.webSocket(req, req.websocket);
    if (req.discardBody) return this.performDiscarding(req);
    const url = new URL(req.url);
    for (let attempt = 0; ; attempt++) {
      const started = await this.begin(req, url);
      if (!('conn' in started)) return started;
      const { conn, sent } = started;
      const r = await conn.response(req.method.toUpperCase());
      if ('failure' in r) {
        conn.close();
        if (this.mayRetry(req, conn, r.beforeAnyByte, attempt)) continue;
        return { id: req.id, error: r.failure };
      }
      conn.used = true;
      const keep = this.keepAfter(req, r);
      // Closing: a body still being sent stops at its next piece (RFC 9112 §9.5).
      if (!keep) this.retire(conn);
      const whole = await sent;
      conn.busy = false;
      if (!keep || !whole || this.poisoned(conn)) this.retire(conn);
      const cut = await this.truncated(conn, r);
      if (cut) return { id: req.id, error: cut };
      const headers: Record<string, string> = {};
      for (const h of r.headers) headers[h.name.toLowerCase()] = h.value;
      return { id: req.id, status: r.status, body: r.body.toString('latin1'), headers };
    }
  }

  // ---- WebSocket (RFC 6455) --------------------------------------------------------

  /** Why a 101 does not complete the handshake (RFC 6455 §4.1), or undefined. */
  protected handshakeProblem(key: string, res: HttpResponse): string | undefined {
    if (!upgradeProtocols(res.headers).includes('websocket'))
      return 'the 101 does not say Upgrade: websocket';
    if (!connectionOptions(res.headers).has('upgrade')) return 'the 101 does not say Connection: Upgrade';
    const accept = fieldValue(res.headers, 'sec-websocket-accept')?.trim();
    if (accept !== acceptFor(key))
      return `Sec-WebSocket-Accept ${JSON.stringify(accept ?? null)} is not ${acceptFor(key)}, the value for our key: the WebSocket connection is failed (RFC 6455 §4.1)`;
    return undefined;
  }

  /** A frame's bytes: a client masks every frame (RFC 6455 §5.3). */
  frameBytes(spec: FrameSpec): Buffer {
    return encodeFrame({ ...spec, mask: true });
  }

  /** A frame from the server. */
  onServerFrame(s: WsSession, f: Frame): void {
    switch (f.opcode) {
      case OPCODE.ping:
        if (!s.closeReceived) this.answerPing(s, f.payload);
        return;
      case OPCODE.pong:
        s.pong ??= f.payload.toString('utf8');
        return;
      case OPCODE.text:
      case OPCODE.continuation:
        s.takeText(f);
        return;
      case OPCODE.close:
        s.closeReceived = true;
        s.closeCode = closeCode(f.payload);
        if (!s.closeSent) this.answerClose(s, s.closeCode);
        return;
    }
  }

  /** A ping is answered with a pong that carries its payload (RFC 6455 §5.5.2, §5.5.3). */
  protected answerPing(s: WsSession, payload: Buffer): void {
    s.send({ opcode: OPCODE.pong, payload });
  }

  /** A close frame that we did not start is answered with a close frame (RFC 6455 §5.5.1). */
  protected answerClose(s: WsSession, code: number | undefined): void {
    s.send({ opcode: OPCODE.close, payload: code === undefined ? Buffer.alloc(0) : closePayload(code) });
  }

  /** Start the closing handshake: a close frame, 1000 (RFC 6455 §7.1.2). */
  protected closeWebSocket(s: WsSession): void {
    s.send({ opcode: OPCODE.close, payload: closePayload(1000) });
  }

  /** After a WebSocket the connection is never HTTP again (RFC 9110 §7.8): it is closed. */
  protected afterWebSocket(c: Connection): void {
    this.retire(c);
  }

  protected async webSocket(req: PlanRequest, ws: PlanWebSocket): Promise<Line> {
    const url = new URL(req.url);
    const key = newWebSocketKey();
    const headers = { ...Object.fromEntries(handshakeHeaders(key)), ...(req.headers ?? {}) };
    const started = await this.begin({ ...req, method: 'GET', headers, body: undefined }, url);
    if (!('conn' in started)) return started;
    const { conn } = started;
    const r = await conn.response('GET');
    if ('failure' in r) {
      conn.close();
      return { id: req.id, error: r.failure };
    }
    conn.used = true;
    if (r.status !== 101) {
      conn.busy = false;
      if (!this.keepAfter(req, r) || this.poisoned(conn)) this.retire(conn);
      return { id: req.id, error: `the server did not switch protocols: ${r.status} ${r.reason}` };
    }
    const problem = this.handshakeProblem(key, r);
    if (problem) {
      // _Fail the WebSocket Connection_: no frame, the TCP connection closed.
      this.retire(conn);
      return { id: req.id, error: problem };
    }
    const s = new WsSession(conn, this, conn.parser.takeRest());
    if (ws.text !== undefined) s.send({ opcode: OPCODE.text, payload: ws.text });
    if (ws.ping !== undefined) s.send({ opcode: OPCODE.ping, payload: ws.ping });
    const over = () => s.closeReceived || conn.ended || s.failed !== undefined;
    if (ws.waitMs) await conn.waitFor(over, ws.waitMs);
    if (ws.close !== false) {
      if (!s.closeSent && !over()) this.closeWebSocket(s);
      await conn.waitFor(over, CLOSE_REPLY_WAIT_MS);
      // The server closes TCP first (RFC 6455 §7.1.1); then, or after a while, so do we.
      await conn.waitFor(() => conn.ended, SERVER_CLOSE_WAIT_MS);
      this.afterWebSocket(conn);
    }
    if (s.failed) return { id: req.id, error: `not a WebSocket frame from the server: ${s.failed}` };
    const head: Record<string, string> = {};
    for (const h of r.headers) head[h.name.toLowerCase()] = h.value;
    return {
      id: req.id,
      status: 101,
      headers: head,
      messages: s.messages,
      ...(s.pong !== undefined ? { pong: s.pong } : {}),
      ...(s.closeCode !== undefined ? { closeCode: s.closeCode } : {}),
    };
  }

  async runPlan(plan: Plan, emit: (line: Line) => void): Promise<void> {
    this.httpVersion = plan.httpVersion;
    if (plan.tls)
      this.tlsOptions = {
        ca: plan.tls.ca ? readFileSync(plan.tls.ca) : undefined,
        insecure: plan.tls.insecure === true,
      };
    if (plan.concurrent) {
      await Promise.all(plan.requests.map(async (r) => emit(await this.perform(r))));
    } else {
      for (const r of plan.requests) {
        if (r.delayMs) await new Promise((res) => setTimeout(res, r.delayMs));
        emit(await this.perform(r));
      }
    }
    for (const list of this.pool.values()) for (const c of list) c.close();
  }
}

/** Read the plan from stdin, run it, print one JSON line per request, exit 0. */
export async function driverMain(client: ReferenceClient): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const plan = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Plan;
  await client.runPlan(plan, (line) => process.stdout.write(`${JSON.stringify(line)}\n`));
  // Our FINs are on their way; half-open sockets must not keep the driver alive.
  setTimeout(() => process.exit(0), 50);
}
