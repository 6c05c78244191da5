// The embedded reference server: a raw HTTP/1.1 server on our own strict
// parser that follows every server-side rule keepalive-spec checks. Each
// decision is a protected method, so a faulty target (targets/faulty/) is this
// server with exactly one method overridden.

import * as net from 'node:net';
import * as tls from 'node:tls';
import { buildResponse, chunkedBody, type HeaderList } from '../../harness/wire/build.js';
import {
  connectionOptions,
  fieldValue,
  fieldValues,
  type HttpMessage,
  type HttpRequest,
  type ParseError,
  Parser,
} from '../../harness/wire/parse.js';
import { acceptFor, handshakeProblem } from '../../harness/wire/websocket.js';
import { WebSocketSession } from './websocket-session.js';

export interface ReferenceOptions {
  /** idle keep-alive timeout; also the limit for a stalled request */
  idleTimeoutMs?: number;
  /** requests served on one connection; the last response says close */
  maxRequests?: number;
  /** how long a closing connection keeps draining input after its FIN */
  lingerMs?: number;
  host?: string;
  port?: number;
  /** serve HTTPS with this key and certificate (PEM) */
  tls?: { key: Buffer; cert: Buffer };
}

/** Over TLS: the TCP socket under a connection's TLS socket (a faulty target may close it bare). */
export const rawSocketOf = new WeakMap<net.Socket, net.Socket>();

/** Paths the reference serves; scenarios find them through the target's resources. */
export const REFERENCE_RESOURCES = {
  path: '/',
  chunkedPath: '/stream',
  postPath: '/',
  largePath: '/large',
  slowPath: '/slow',
  noContentPath: '/204',
  echoPath: '/echo',
  wsPath: '/ws',
};

export const ETAG = '"ka-ref-1"';
export const LAST_MODIFIED = 'Mon, 02 Nov 2026 10:00:00 GMT';
export const INDEX_BODY = 'keepalive-spec reference target\n';
const LARGE_BODY = Buffer.alloc(256 * 1024, 'keepalive-spec large body line.\n');
const STREAM_CHUNKS = ['streamed chunk one\n', 'streamed chunk two\n', 'streamed chunk three\n'];
/** request bodies announced larger than this are refused with 413 before they are read */
export const MAX_BODY_BYTES = 1024 * 1024;

/** What a handler decided to answer; framing and connection headers are added when it is written. */
export interface ResponsePlan {
  status: number;
  headers: Array<[string, string]>;
  /** a length-delimited body */
  body?: Buffer;
  /** a body of unknown length: chunked toward HTTP/1.1, buffered toward HTTP/1.0 */
  chunks?: Buffer[];
  /** the handler's own decision to close after this response (errors) */
  close?: boolean;
  /** processing time before the response is written */
  delayMs?: number;
  /** a 101: the connection speaks this protocol after it */
  switchTo?: 'websocket';
}

type QueueItem = { kind: 'request'; req: HttpRequest } | { kind: 'error'; error: ParseError };

export type ConnectionClass = new (
  socket: net.Socket,
  opts: Required<ReferenceOptions>,
) => ReferenceConnection;

export class ReferenceServer {
  readonly opts: Required<ReferenceOptions>;
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();

  constructor(opts: ReferenceOptions = {}, Connection: ConnectionClass = ReferenceConnection) {
    this.opts = {
      idleTimeoutMs: opts.idleTimeoutMs ?? 2000,
      maxRequests: opts.maxRequests ?? 100,
      lingerMs: opts.lingerMs ?? 1000,
      host: opts.host ?? '127.0.0.1',
      port: opts.port ?? 0,
      tls: opts.tls,
    } as Required<ReferenceOptions>;
    const tlsOpts = opts.tls;
    this.server = net.createServer({ allowHalfOpen: true, noDelay: true }, (raw) => {
      this.sockets.add(raw);
      raw.on('close', () => this.sockets.delete(raw));
      raw.on('error', () => {});
      if (!tlsOpts) {
        new Connection(raw, this.opts);
        return;
      }
      // TLS over the raw socket we hold, so a faulty target can end TCP without a closure alert.
      const socket = new tls.TLSSocket(raw, { isServer: true, ...tlsOpts, ALPNProtocols: ['http/1.1'] });
      socket.on('error', () => raw.destroy());
      rawSocketOf.set(socket, raw);
      socket.once('secure', () => new Connection(socket, this.opts));
    });
  }

  async listen(): Promise<URL> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.opts.port, this.opts.host, () => resolve());
    });
    const addr = this.server.address() as net.AddressInfo;
    return new URL(`${this.opts.tls ? 'https' : 'http'}://${this.opts.host}:${addr.port}/`);
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

export class ReferenceConnection {
  /** A request parser feeding this connection (a faulty twin may start over with a fresh one). */
  protected newParser(): Parser {
    // Held after an upgrade offer: the bytes behind it are HTTP only if we decline (RFC 9110 §7.8).
    return new Parser({ kind: 'request', onHead: (head) => this.onHead(head), holdUpgrades: true });
  }

  protected parser: Parser;
  protected readonly queue: QueueItem[] = [];
  /** requests answered on this connection */
  protected served = 0;
  protected busy = false;
  protected closing = false;
  protected clientEnded = false;
  /** a request head waiting for 100 Continue, sent once everything before it is answered */
  protected pendingContinue?: HttpMessage;
  /** after a 101: the WebSocket that owns the connection */
  protected webSocket?: WebSocketSession;
  private timer?: NodeJS.Timeout;

  constructor(
    protected readonly socket: net.Socket,
    protected readonly opts: Required<ReferenceOptions>,
  ) {
    this.parser = this.newParser();
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.onClientEnd());
    socket.on('close', () => clearTimeout(this.timer));
    this.armTimer();
  }

  // ---- input --------------------------------------------------------------

  protected onData(chunk: Buffer): void {
    if (this.webSocket) {
      this.webSocket.feed(chunk);
      return;
    }
    if (this.closing) return; // lingering close: drain and discard
    this.feed(chunk);
    this.armTimer();
    void this.process();
  }

  /** Hand bytes to the parser and queue what it completed. */
  protected feed(chunk: Buffer): void {
    this.parser.push(chunk);
    this.collect();
  }

  protected collect(): void {
    while (this.parser.messages.length > 0)
      this.queue.push({ kind: 'request', req: this.parser.messages.shift() as HttpRequest });
    if (this.parser.error && !this.queue.some((q) => q.kind === 'error'))
      this.queue.push({ kind: 'error', error: this.parser.error });
    // Back-pressure a deep pipeline through TCP flow control instead of buffering it all.
    if (this.queue.length > 32) this.socket.pause();
  }

  protected onHead(head: HttpMessage): void {
    if (this.rejectTooLarge(head)) return;
    const expect = fieldValue(head.headers, 'expect');
    const hasBody =
      head.framing.kind === 'chunked' || (head.framing.kind === 'content-length' && head.framing.length > 0);
    if (expect?.toLowerCase() === '100-continue' && head.version === 'HTTP/1.1' && hasBody) {
      this.pendingContinue = head;
      this.maybeSendContinue();
    }
  }

  /**
   * A Content-Length above MAX_BODY_BYTES is refused before the body is read
   * (RFC 9110 §15.5.14): 413 + close, then the lingering close drains what the
   * client still sends (RFC 9112 §9.6), as nginx does above client_max_body_size.
   * Only when nothing else is pending, so that responses stay in request order.
   */
  protected rejectTooLarge(head: HttpMessage): boolean {
    if (head.framing.kind !== 'content-length' || head.framing.length <= MAX_BODY_BYTES) return false;
    if (this.busy || this.closing || this.queue.length > 0 || this.parser.messages.length > 0) return false;
    const plan = text(413, `request body larger than ${MAX_BODY_BYTES} bytes\n`, true);
    const headers: HeaderList = [
      ['Server', 'keepalive-spec-reference'],
      ...plan.headers,
      ['Connection', 'close'],
    ];
    this.socket.write(buildResponse({ status: 413, headers, body: plan.body }));
    this.closeGracefully();
    return true;
  }

  protected maybeSendContinue(): void {
    if (!this.pendingContinue || this.busy || this.queue.length > 0 || this.closing) return;
    this.pendingContinue = undefined;
    this.socket.write('HTTP/1.1 100 Continue\r\n\r\n');
  }

  protected onClientEnd(): void {
    this.clientEnded = true;
    if (this.webSocket) {
      this.webSocket.onEnd();
      return;
    }
    if (this.closing) {
      this.socket.destroy();
      return;
    }
    this.parser.end();
    this.collect();
    void this.process();
  }

  // ---- processing -----------------------------------------------------------

  protected async process(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      while (this.queue.length > 0 && !this.closing && !this.webSocket) {
        const item = this.queue.shift()!;
        if (this.queue.length <= 32 && this.socket.isPaused()) this.socket.resume();
        if (item.kind === 'error') {
          this.writeError(item.error);
          return;
        }
        await this.answer(item.req);
      }
    } finally {
      this.busy = false;
    }
    if (this.closing || this.webSocket) return;
    if (this.clientEnded && this.queue.length === 0) {
      // The client finished sending and everything is answered: our side ends too.
      this.closeNow();
      return;
    }
    this.maybeSendContinue();
    this.armTimer();
  }

  protected async answer(req: HttpRequest): Promise<void> {
    const plan = this.handle(req);
    if (plan.delayMs) await new Promise((r) => setTimeout(r, plan.delayMs));
    if (this.socket.destroyed) return;
    this.served++;
    if (plan.switchTo) {
      this.switchProtocols(req, plan);
      return;
    }
    const close = this.shouldClose(req, plan);
    const ok = this.socket.write(this.serialize(req, plan, close));
    if (close) {
      this.closeGracefully();
      return;
    }
    this.declineUpgrade();
    if (!ok) await new Promise<void>((r) => this.socket.once('drain', () => r()));
  }

  /** After answering an upgrade offer in HTTP: the bytes behind it are the next requests. */
  protected declineUpgrade(): void {
    if (!this.parser.upgraded) return;
    this.parser.resume();
    this.collect();
  }

  /** Write the 101 and hand the connection, with the bytes already behind the request, to the new protocol. */
  protected switchProtocols(req: HttpRequest, plan: ResponsePlan): void {
    clearTimeout(this.timer);
    this.queue.length = 0;
    this.socket.write(
      buildResponse({
        status: 101,
        headers: [['Server', 'keepalive-spec-reference'], ...plan.headers],
        contentLength: false,
      }),
    );
    this.webSocket = this.newWebSocket(this.parser.takeRest(), req);
  }

  protected newWebSocket(initial: Buffer, _req: HttpRequest): WebSocketSession {
    const idle = this.opts.idleTimeoutMs;
    return new WebSocketSession(
      this.socket,
      // A ping of our own after half the idle timeout of silence; the close (1001) after all of it.
      { pingAfterMs: idle / 2, idleCloseMs: idle, closeWaitMs: this.opts.lingerMs },
      initial,
    );
  }

  /**
   * The WebSocket resource (RFC 6455 §4.2): a valid opening handshake is switched; anything
   * else is an HTTP request like any other and gets a 400 (with the version we speak).
   */
  protected webSocketHandshake(req: HttpRequest): ResponsePlan {
    const problem = handshakeProblem(req);
    if (problem) {
      const plan = text(400, `not a WebSocket opening handshake: ${problem}\n`);
      return { ...plan, headers: [...plan.headers, ['Sec-WebSocket-Version', '13']] };
    }
    const key = fieldValue(req.headers, 'sec-websocket-key')!.trim();
    return {
      status: 101,
      headers: this.switchHeaders(key),
      switchTo: 'websocket',
    };
  }

  protected switchHeaders(key: string): Array<[string, string]> {
    return [
      ['Upgrade', 'websocket'],
      ['Connection', 'Upgrade'],
      ['Sec-WebSocket-Accept', acceptFor(key)],
    ];
  }

  /** The resources of the reference target. */
  protected handle(req: HttpRequest): ResponsePlan {
    const path = pathOf(req.target);
    const method = req.method;
    const host = fieldValues(req.headers, 'host');
    if (req.version === 'HTTP/1.1' && host.length !== 1)
      return text(400, host.length === 0 ? 'missing Host header\n' : 'more than one Host\n', true);
    const known = method === 'GET' || method === 'HEAD';
    switch (path) {
      case '/':
      case '/index.html': {
        if (method === 'POST' || method === 'PUT') return text(200, `received ${req.body.length} bytes\n`);
        if (method === 'OPTIONS')
          return {
            status: 200,
            headers: [['Allow', 'GET, HEAD, POST, PUT, OPTIONS']],
            body: Buffer.alloc(0),
          };
        if (!known)
          return {
            ...text(405, 'method not allowed\n'),
            headers: [['Allow', 'GET, HEAD, POST, PUT, OPTIONS'], ...TEXT],
          };
        const validators: Array<[string, string]> = [
          ['ETag', ETAG],
          ['Last-Modified', LAST_MODIFIED],
        ];
        if (notModified(req)) return { status: 304, headers: validators };
        return { status: 200, headers: [...TEXT, ...validators], body: Buffer.from(INDEX_BODY) };
      }
      case '/echo':
        return { status: 200, headers: [['Content-Type', 'application/octet-stream']], body: req.body };
      case '/stream':
        if (!known) return text(405, 'method not allowed\n');
        return { status: 200, headers: TEXT, chunks: STREAM_CHUNKS.map((c) => Buffer.from(c)) };
      case '/large':
        if (!known) return text(405, 'method not allowed\n');
        return { status: 200, headers: TEXT, body: LARGE_BODY };
      case '/slow':
        return { ...text(200, 'slow response\n'), delayMs: 150 };
      case '/204':
        return { status: 204, headers: [] };
      case '/ws':
        return this.webSocketHandshake(req);
      default:
        return text(404, `no resource at ${path.slice(0, 200)}\n`);
    }
  }

  /** RFC 9112 §9.3 and §9.6: whether this response is the last on the connection. */
  protected shouldClose(req: HttpRequest, plan: ResponsePlan): boolean {
    if (plan.close) return true;
    const options = connectionOptions(req.headers);
    if (options.has('close')) return true;
    if (req.version === 'HTTP/1.0') {
      if (!options.has('keep-alive')) return true;
      // RFC 9112 §6.1: Transfer-Encoding in an HTTP/1.0 message means faulty framing.
      if (fieldValues(req.headers, 'transfer-encoding').length > 0) return true;
    }
    // RFC 9112 §6.1: after Content-Length with Transfer-Encoding the server MUST close.
    if (req.clAndTe) return true;
    return this.served >= this.opts.maxRequests;
  }

  /** Connection management headers; Keep-Alive is always paired with the keep-alive token. */
  protected connectionHeaders(_req: HttpRequest, close: boolean): Array<[string, string]> {
    if (close) return [['Connection', 'close']];
    const left = this.opts.maxRequests - this.served;
    return [
      ['Connection', 'keep-alive'],
      ['Keep-Alive', `timeout=${Math.floor(this.opts.idleTimeoutMs / 1000)}, max=${left}`],
    ];
  }

  /** Frame the plan for this request: no body for HEAD/204/304, no chunked toward HTTP/1.0. */
  protected serialize(req: HttpRequest, plan: ResponsePlan, close: boolean): Buffer {
    const headers: Array<[string, string]> = [['Server', 'keepalive-spec-reference'], ...plan.headers];
    const bodiless = plan.status === 204 || plan.status === 304 || plan.status < 200;
    let body: Buffer | undefined;
    if (!bodiless) {
      if (plan.chunks && req.version === 'HTTP/1.1') {
        headers.push(['Transfer-Encoding', 'chunked']);
        body = chunkedBody(plan.chunks);
      } else {
        body = plan.body ?? Buffer.concat(plan.chunks ?? []);
        headers.push(['Content-Length', String(body.length)]);
      }
    }
    headers.push(...this.connectionHeaders(req, close));
    return buildResponse({
      status: plan.status,
      headers,
      body: req.method === 'HEAD' ? undefined : body,
      contentLength: false,
    });
  }

  protected writeError(error: ParseError): void {
    const status = STATUS_FOR[error.code] ?? 400;
    const plan = text(status, `${error.message}\n`, true);
    const headers: HeaderList = [
      ['Server', 'keepalive-spec-reference'],
      ...plan.headers,
      ['Connection', 'close'],
    ];
    this.socket.write(buildResponse({ status, headers, body: plan.body }));
    this.closeGracefully();
  }

  // ---- time and tear-down ---------------------------------------------------

  /** One timer: idle between messages (graceful close), or a stalled message (408 and close). */
  protected armTimer(): void {
    clearTimeout(this.timer);
    if (this.closing || this.socket.destroyed || this.webSocket) return;
    this.timer = setTimeout(() => {
      if (this.busy) return this.armTimer();
      if (this.parser.idle && this.queue.length === 0) this.onIdleTimeout();
      else this.onRequestTimeout();
    }, this.opts.idleTimeoutMs);
  }

  protected onIdleTimeout(): void {
    this.closeGracefully();
  }

  protected onRequestTimeout(): void {
    const plan = text(408, 'request timeout\n', true);
    this.socket.write(
      buildResponse({ status: 408, headers: [...plan.headers, ['Connection', 'close']], body: plan.body }),
    );
    this.closeGracefully();
  }

  /** Lingering close (RFC 9112 §9.6): FIN first, then drain input for a while, so no RST can destroy the response. */
  protected closeGracefully(): void {
    if (this.closing) return;
    this.closing = true;
    clearTimeout(this.timer);
    this.queue.length = 0;
    if (this.socket.isPaused()) this.socket.resume();
    this.endWrite();
    if (this.clientEnded) {
      this.socket.destroySoon();
      return;
    }
    const linger = setTimeout(() => this.socket.destroy(), this.opts.lingerMs);
    this.socket.once('close', () => clearTimeout(linger));
  }

  /** Close when the client has already finished sending: nothing can be lost. */
  protected closeNow(): void {
    this.closing = true;
    clearTimeout(this.timer);
    this.endWrite();
    this.socket.destroySoon();
  }

  /** End our side: FIN over TCP; over TLS a closure alert first (RFC 9112 §9.8). */
  protected endWrite(): void {
    this.socket.end();
  }
}

const TEXT: Array<[string, string]> = [['Content-Type', 'text/plain']];

const STATUS_FOR: Partial<Record<ParseError['code'], number>> = {
  'unsupported-transfer-coding': 501,
  'header-too-large': 431,
  'unsupported-version': 505,
};

function text(status: number, body: string, close = false): ResponsePlan {
  return { status, headers: [...TEXT], body: Buffer.from(body, 'latin1'), close };
}

function pathOf(target: string): string {
  let t = target;
  const abs = /^https?:\/\/[^/]*/i.exec(t);
  if (abs) t = t.slice(abs[0].length) || '/';
  const q = t.indexOf('?');
  return q >= 0 ? t.slice(0, q) : t;
}

function notModified(req: HttpRequest): boolean {
  const inm = fieldValues(req.headers, 'if-none-match');
  if (inm.length > 0) return inm.includes('*') || inm.some((v) => v.replace(/^W\//, '') === ETAG);
  const ims = fieldValue(req.headers, 'if-modified-since');
  if (ims) {
    const since = Date.parse(ims);
    return !Number.isNaN(since) && since >= Date.parse(LAST_MODIFIED);
  }
  return false;
}
