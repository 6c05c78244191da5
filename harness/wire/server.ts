// The scripted raw server of client mode: it listens on a free loopback port,
// parses every request a client sends strictly (pipelined or split alike),
// answers exactly the bytes a script gives, and records one transcript per
// connection: which requests came on which connection is the evidence for reuse.

import * as net from 'node:net';
import { type HttpRequest, type ParseError, Parser } from './parse.js';
import type { Transcript } from './transcript.js';
import { Aborted, Waiters } from './wait.js';

export interface ReceivedRequest {
  msg: HttpRequest;
  /** 1-based position on its connection */
  index: number;
  /** transcript time when its header section was complete */
  headAt: number;
  /** transcript time when it was complete (body included) */
  at: number;
  conn: ServerConn;
}

export type ServerEnd = 'fin' | 'rst';

export class ServerConn {
  readonly label: string;
  readonly requests: ReceivedRequest[] = [];
  readonly parser: Parser;
  /** requests parsed but not yet taken by nextRequest() */
  private readonly queue: ReceivedRequest[] = [];
  readonly openedAt: number;
  clientFinAt?: number;
  clientRstAt?: number;
  serverFinAt?: number;
  /** when the harness reset the connection (RST) */
  serverRstAt?: number;
  closedAt?: number;
  /** bytes received after the last complete request (a partial next one, or garbage) */
  private readonly waiters = new Waiters();
  private headAt = 0;
  private destroyed = false;
  /** called when a request's header section is complete, before its body (early answers) */
  onHead?: (head: HttpRequest) => void;

  constructor(
    readonly socket: net.Socket,
    /** 1-based accept order */
    readonly index: number,
    private readonly transcript: Transcript,
    private readonly signal: AbortSignal,
    /** label prefix: s1, s2 ... for client mode's server; u1, u2 ... for proxy mode's origin */
    prefix = 's',
  ) {
    this.label = `${prefix}${index}`;
    this.openedAt = transcript.now();
    this.parser = new Parser({
      kind: 'request',
      onHead: (head) => {
        this.headAt = this.transcript.now();
        this.onHead?.(head as HttpRequest);
      },
    });
    transcript.record(this.label, 'connect', `client ${socket.remoteAddress}:${socket.remotePort} connected`);
    socket.on('data', (chunk: Buffer) => {
      this.transcript.record(this.label, 'recv', chunk);
      const before = this.parser.messages.length;
      this.parser.push(chunk);
      this.collect(before);
      this.wake();
    });
    socket.on('end', () => {
      this.clientFinAt = this.transcript.now();
      this.transcript.record(this.label, 'fin-recv', 'the client closed its side');
      const before = this.parser.messages.length;
      this.parser.end();
      this.collect(before);
      this.wake();
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ECONNRESET' || e.code === 'EPIPE') {
        if (this.clientRstAt === undefined) {
          this.clientRstAt = this.transcript.now();
          this.transcript.record(this.label, 'rst', `${e.code} (the client reset the connection)`);
        }
      } else this.transcript.record(this.label, 'error', e.code ?? e.message);
      this.wake();
    });
    socket.on('close', () => {
      this.closedAt = this.transcript.now();
      this.wake();
    });
  }

  /** Every chunk received, in order, with its transcript time: for checks on raw bytes (e.g. a body cut short). */
  get bytesIn(): Array<{ at: number; bytes: Buffer }> {
    return this.transcript.events
      .filter((e) => e.conn === this.label && e.type === 'recv' && e.bytes)
      .map((e) => ({ at: e.t, bytes: e.bytes! }));
  }

  /** The strict parser stopped on this: the client sent something that is not HTTP/1.1. */
  get parseError(): ParseError | undefined {
    const e = this.parser.error;
    return e && e.code !== 'incomplete' ? e : undefined;
  }

  get ended(): boolean {
    return this.clientFinAt !== undefined || this.clientRstAt !== undefined || this.closedAt !== undefined;
  }

  /** Bytes of a request that has started but is not complete. */
  get partialBytes(): number {
    return this.parser.pendingBytes;
  }

  private collect(before: number): void {
    const t = this.transcript.now();
    for (let i = before; i < this.parser.messages.length; i++) {
      const r: ReceivedRequest = {
        msg: this.parser.messages[i] as HttpRequest,
        index: this.requests.length + 1,
        headAt: this.headAt || t,
        at: t,
        conn: this,
      };
      this.requests.push(r);
      this.queue.push(r);
    }
  }

  /** The next complete request, or why there is none. */
  async nextRequest(timeoutMs: number): Promise<ReceivedRequest | 'end' | 'timeout' | 'error'> {
    const r = await this.until(
      () => this.queue.shift() ?? (this.parseError ? 'error' : this.ended ? 'end' : undefined),
      timeoutMs,
    );
    return r;
  }

  /** Write bytes; false if the connection is gone. */
  write(data: Buffer | string): Promise<boolean> {
    if (this.destroyed || this.socket.destroyed || this.socket.writableEnded) return Promise.resolve(false);
    const buf = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
    this.transcript.record(this.label, 'send', buf);
    return new Promise((resolve) => {
      this.socket.write(buf, (err) => resolve(!err));
    });
  }

  /** shutdown(SHUT_WR): the client sees FIN; the harness keeps reading. */
  halfClose(): void {
    if (this.socket.writableEnded || this.destroyed) return;
    this.serverFinAt = this.transcript.now();
    this.transcript.record(this.label, 'fin-sent');
    this.socket.end();
  }

  /** Close both directions (FIN; the kernel sends RST only if unread data remains). */
  close(): void {
    this.halfClose();
    this.destroyed = true;
    this.socket.destroySoon();
  }

  /** Abortive close: RST at once (SO_LINGER 0). */
  reset(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.serverRstAt = this.transcript.now();
    this.transcript.record(this.label, 'rst', 'the harness reset the connection');
    // Right after halfClose() the shutdown is still in flight: resetting then fails
    // (EINVAL) and leaks the socket handle (Node 20), so reset once it is done.
    if (this.socket.writableEnded && !this.socket.writableFinished)
      this.socket.once('finish', () => this.socket.resetAndDestroy());
    else this.socket.resetAndDestroy();
  }

  /** Wait for the client to end the connection. */
  async waitEnd(timeoutMs: number): Promise<ServerEnd | 'open'> {
    const r = await this.until(
      () =>
        this.clientRstAt !== undefined
          ? 'rst'
          : this.clientFinAt !== undefined
            ? 'fin'
            : this.closedAt !== undefined
              ? 'rst'
              : undefined,
      timeoutMs,
    );
    return r === 'timeout' ? 'open' : (r as ServerEnd);
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.socket.destroy();
    this.wake();
  }

  private wake(): void {
    this.waiters.wake();
  }

  private async until<T>(check: () => T | undefined, timeoutMs: number): Promise<T | 'timeout'> {
    const r = await this.waiters.until(check, timeoutMs, this.signal);
    if (r === 'timeout') this.transcript.expiredWaits++;
    return r;
  }
}

export class ScriptedServer {
  readonly conns: ServerConn[] = [];
  private readonly server: net.Server;
  private readonly waiters = new Waiters();

  constructor(
    transcript: Transcript,
    private readonly signal: AbortSignal,
    /** called for each accepted connection; it drives the conversation */
    onConnection: (conn: ServerConn) => void,
    prefix = 's',
  ) {
    this.server = net.createServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
      socket.on('error', () => {});
      const conn = new ServerConn(socket, this.conns.length + 1, transcript, signal, prefix);
      this.conns.push(conn);
      this.waiters.wake();
      onConnection(conn);
    });
    signal.addEventListener('abort', () => void this.close(), { once: true });
  }

  /** Listen on `port` (default: a free one). */
  async listen(host = '127.0.0.1', port = 0): Promise<URL> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve());
    });
    const bound = (this.server.address() as net.AddressInfo).port;
    return new URL(`http://${host}:${bound}/`);
  }

  /** Connections open right now. */
  get open(): ServerConn[] {
    return this.conns.filter((c) => c.closedAt === undefined);
  }

  async close(): Promise<void> {
    for (const c of this.conns) c.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Resolve when `n` connections have been accepted, or after timeoutMs. */
  async waitForConnections(n: number, timeoutMs: number): Promise<boolean> {
    try {
      return (
        (await this.waiters.until(
          () => (this.conns.length >= n ? true : undefined),
          timeoutMs,
          this.signal,
        )) === true
      );
    } catch (e) {
      if (e instanceof Aborted) return false;
      throw e;
    }
  }
}

export type { HttpRequest };
