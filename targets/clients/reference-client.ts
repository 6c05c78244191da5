// The reference client: a raw-socket HTTP/1.x client on our own strict parser
// that follows every client-side rule keepalive-spec checks, speaking driver
// protocol v1. Each decision is a protected method, so a faulty client
// (targets/faulty/clients/) is this client with exactly one method overridden.
//
// Behaviour: a keep-alive pool per origin (no pipelining, at most 6 connections),
// reuse only after a complete, self-delimited response that did not say close,
// idle connections dropped when the server closes them or sends unsolicited bytes,
// one transparent retry of an idempotent request whose reused connection failed
// before any response byte, never a retry of POST.

import * as net from 'node:net';
import {
  connectionOptions,
  type HttpResponse,
  hasField,
  type ParseError,
  Parser,
} from '../../harness/wire/parse.js';

export interface PlanRequest {
  id: string;
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: string;
  delayMs?: number;
}

export interface Plan {
  version: number;
  httpVersion: '1.0' | '1.1';
  concurrent: boolean;
  requests: PlanRequest[];
}

export type Line =
  | { id: string; status: number; body: string; headers: Record<string, string> }
  | { id: string; error: string };

const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'TRACE']);
const MAX_PER_ORIGIN = 6;
/** a request body is written in pieces this large, with a look at the connection between them */
const PIECE = 64 * 1024;

/** One pooled connection. */
export class Connection {
  readonly parser = new Parser({ kind: 'response', lenient: true });
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
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
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
        if (m.interim) continue;
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

  private wake(): void {
    const ws = [...this.waiters];
    this.waiters.clear();
    for (const w of ws) w();
  }

  /** Close our side; the server sees FIN. */
  close(): void {
    this.dead = true;
    if (!this.socket.destroyed) this.socket.end();
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }
}

export class ReferenceClient {
  protected readonly pool = new Map<string, Connection[]>();
  /** connections being opened, per origin: they count toward MAX_PER_ORIGIN */
  private readonly connecting = new Map<string, number>();
  protected httpVersion: '1.0' | '1.1' = '1.1';

  // ---- the pool ---------------------------------------------------------------

  /** An idle live connection to the origin, or a new one. */
  protected async acquire(url: URL): Promise<Connection> {
    const origin = `${url.hostname}:${url.port || 80}`;
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
    const socket = net.connect({ host: url.hostname, port: Number(url.port || 80) });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', () => resolve());
        socket.once('error', reject);
      });
    } finally {
      this.connecting.set(origin, (this.connecting.get(origin) ?? 1) - 1);
    }
    const conn = new Connection(socket, origin, this);
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

  async perform(req: PlanRequest): Promise<Line> {
    const url = new URL(req.url);
    for (let attempt = 0; ; attempt++) {
      let conn: Connection;
      try {
        conn = await this.acquire(url);
      } catch (e) {
        return { id: req.id, error: `connect failed: ${(e as Error).message}` };
      }
      conn.receivedNow = 0;
      const sent = this.send(conn, this.requestBytes(req, url));
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
      const headers: Record<string, string> = {};
      for (const h of r.headers) headers[h.name.toLowerCase()] = h.value;
      return { id: req.id, status: r.status, body: r.body.toString('latin1'), headers };
    }
  }

  async runPlan(plan: Plan, emit: (line: Line) => void): Promise<void> {
    this.httpVersion = plan.httpVersion;
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
