// The scripted raw server of client mode: it listens on a free loopback port,
// parses every request a client sends strictly (pipelined or split alike),
// answers exactly the bytes a script gives, and records one transcript per
// connection: which requests came on which connection is the evidence for reuse.

import * as net from 'node:net';
import * as tls from 'node:tls';
import { type HttpRequest, type ParseError, Parser } from './parse.js';
import { TlsTap } from './tls-tap.js';
import type { Transcript } from './transcript.js';
import { Aborted, Waiters } from './wait.js';
import { decodeFrame, describeFrame, encodeFrame, type Frame, type FrameSpec } from './websocket.js';

export interface ServerConnOptions {
  /** label prefix: s1, s2 ... for client mode's server; u1, u2 ... for proxy mode's origin */
  prefix?: string;
  /** stop parsing after a request that offers an upgrade, until resumeHttp() or switchToWebSocket() */
  holdUpgrades?: boolean;
  /** over TLS: the tap on the TCP socket under the TLS socket (closure alerts, a bare TCP close) */
  tap?: TlsTap;
}

/** A WebSocket frame the client sent, with its arrival time. */
export interface ReceivedFrame {
  frame: Frame;
  at: number;
}

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
  /** after a 101 (switchToWebSocket): every frame the client sent, in order */
  readonly frames: ReceivedFrame[] = [];
  /** after a 101: where the client's bytes stopped being WebSocket frames, and those bytes */
  frameError?: { at: number; error: string; bytes: Buffer };
  /** bytes after a 101 not yet decoded; undefined while the connection speaks HTTP */
  private wsBuf?: Buffer;
  private framesTaken = 0;
  /** over TLS: the record layer under the TLS socket */
  readonly tap?: TlsTap;

  constructor(
    /** the TCP socket, or over TLS the TLS socket (on `opts.tap`) */
    readonly socket: net.Socket,
    /** 1-based accept order */
    readonly index: number,
    private readonly transcript: Transcript,
    private readonly signal: AbortSignal,
    opts: ServerConnOptions | string = {},
  ) {
    const o = typeof opts === 'string' ? { prefix: opts } : opts;
    this.label = `${o.prefix ?? 's'}${index}`;
    this.tap = o.tap;
    this.openedAt = transcript.now();
    this.parser = new Parser({
      kind: 'request',
      holdUpgrades: o.holdUpgrades,
      onHead: (head) => {
        this.headAt = this.transcript.now();
        this.onHead?.(head as HttpRequest);
      },
    });
    const tcp = o.tap?.raw ?? socket;
    transcript.record(
      this.label,
      'connect',
      `client ${tcp.remoteAddress}:${tcp.remotePort} connected${o.tap ? ' (TLS handshake next)' : ''}`,
    );
    if (o.tap)
      socket.once('secure', () =>
        transcript.note(`TLS established (${(socket as tls.TLSSocket).getProtocol() ?? 'TLS'})`, this.label),
      );
    socket.on('data', (chunk: Buffer) => {
      this.transcript.record(this.label, 'recv', chunk);
      if (this.wsBuf !== undefined) {
        this.wsBuf = Buffer.concat([this.wsBuf, chunk]);
        this.decodeFrames();
        this.wake();
        return;
      }
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
      } else this.transcript.record(this.label, 'error', e.code ? `${e.code}: ${e.message}` : e.message);
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

  /** Every chunk the harness wrote, in order, with its transcript time (e.g. when a body's last byte went out). */
  get bytesOut(): Array<{ at: number; bytes: Buffer }> {
    return this.transcript.events
      .filter((e) => e.conn === this.label && e.type === 'send' && e.bytes)
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

  /** After a held upgrade offer that the script declined: the bytes behind it are HTTP again. */
  resumeHttp(): void {
    const before = this.parser.messages.length;
    this.parser.resume();
    this.collect(before);
    this.wake();
  }

  /** After a 101 (or as it is written): the bytes behind the request are WebSocket frames. */
  switchToWebSocket(): void {
    if (this.wsBuf !== undefined) return;
    this.wsBuf = this.parser.takeRest();
    this.transcript.note('the connection speaks WebSocket from here on', this.label);
    this.decodeFrames();
    this.wake();
  }

  /** True once switchToWebSocket() was called. */
  get webSocket(): boolean {
    return this.wsBuf !== undefined;
  }

  private decodeFrames(): void {
    if (this.frameError) {
      this.frameError.bytes = Buffer.concat([this.frameError.bytes, this.wsBuf!]);
      this.wsBuf = Buffer.alloc(0);
      return;
    }
    for (;;) {
      const d = decodeFrame(this.wsBuf!);
      if ('incomplete' in d) return;
      const at = this.transcript.now();
      if ('error' in d) {
        this.frameError = { at, error: d.error, bytes: this.wsBuf! };
        this.wsBuf = Buffer.alloc(0);
        this.transcript.note(`not a WebSocket frame from the client: ${d.error}`, this.label);
        return;
      }
      this.wsBuf = this.wsBuf!.subarray(d.frame.size);
      this.frames.push({ frame: d.frame, at });
      this.transcript.note(`WebSocket frame from the client: ${describeFrame(d.frame)}`, this.label);
    }
  }

  /** After a 101: the next frame the client sent, or why there is none. */
  async nextFrame(timeoutMs: number): Promise<ReceivedFrame | 'end' | 'timeout' | 'error'> {
    return this.until(() => {
      const f = this.frames[this.framesTaken];
      if (f) {
        this.framesTaken++;
        return f;
      }
      return this.frameError ? 'error' : this.ended ? 'end' : undefined;
    }, timeoutMs);
  }

  /** After a 101: send one frame, unmasked unless said otherwise (a server masks nothing: RFC 6455 §5.1). */
  sendFrame(spec: FrameSpec): Promise<boolean> {
    const bytes = encodeFrame({ mask: false, ...spec });
    const d = decodeFrame(bytes);
    if ('frame' in d)
      this.transcript.note(`WebSocket frame to the client: ${describeFrame(d.frame)}`, this.label);
    return this.write(bytes);
  }

  /** Over TLS: whether the client sent a closure alert before its TCP FIN (RFC 9112 §9.8). */
  closureAlert(): { alert: boolean; how: string } | undefined {
    return this.tap?.closureBeforeFin((this.socket as tls.TLSSocket).getProtocol?.() ?? null);
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

  /**
   * Over TLS: end the TCP connection without a closure alert (an incomplete close, RFC 9112 §9.8);
   * over plain TCP the same as close().
   */
  closeBare(): void {
    if (!this.tap) {
      this.close();
      return;
    }
    if (this.destroyed) return;
    this.serverFinAt = this.transcript.now();
    this.transcript.record(this.label, 'fin-sent', 'TCP FIN without a TLS closure alert');
    this.destroyed = true;
    const raw = this.tap.raw;
    raw.end();
    setTimeout(() => raw.destroy(), 1000).unref();
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

  private readonly tls?: { key: string | Buffer; cert: string | Buffer };

  constructor(
    transcript: Transcript,
    private readonly signal: AbortSignal,
    /** called for each accepted connection; it drives the conversation */
    onConnection: (conn: ServerConn) => void,
    opts:
      | string
      | {
          prefix?: string;
          holdUpgrades?: boolean;
          /** serve TLS with this key and certificate (client mode's https:// and wss:// URLs) */
          tls?: { key: string | Buffer; cert: string | Buffer };
        } = 's',
  ) {
    const o = typeof opts === 'string' ? { prefix: opts } : opts;
    this.tls = o.tls;
    this.server = net.createServer({ allowHalfOpen: true, noDelay: true }, (raw) => {
      raw.on('error', () => {});
      let socket: net.Socket = raw;
      let tap: TlsTap | undefined;
      if (o.tls) {
        // TLS over a tap that sees the record layer: the client's closure alerts can be judged.
        // (The TLS socket takes allowHalfOpen from the tap's duplex: the harness decides who closes.)
        tap = new TlsTap(raw);
        socket = new tls.TLSSocket(tap.duplex, {
          isServer: true,
          key: o.tls.key,
          cert: o.tls.cert,
          // TLS 1.2 at most: a closure alert is then an alert record (type 21) on the wire, which
          // cannot be mistaken for a short encrypted data record as in TLS 1.3.
          maxVersion: 'TLSv1.2',
          ALPNProtocols: ['http/1.1'],
        });
        socket.on('error', () => {});
      }
      const conn = new ServerConn(socket, this.conns.length + 1, transcript, signal, {
        prefix: o.prefix,
        holdUpgrades: o.holdUpgrades,
        tap,
      });
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
    return new URL(`${this.tls ? 'https' : 'http'}://${host}:${bound}/`);
  }

  /** Connections open right now. */
  get open(): ServerConn[] {
    return this.conns.filter((c) => c.closedAt === undefined);
  }

  async close(): Promise<void> {
    for (const c of this.conns) {
      c.destroy();
      c.tap?.raw.destroy();
    }
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
