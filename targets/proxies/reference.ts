// The reference reverse proxy: what every proxy scenario must pass on. It parses
// both hops with the harness's strict parser and re-frames every message it
// forwards, so what the origin receives is exactly what the proxy understood:
// - requests it cannot frame beyond doubt (CL+TE, an unknown coding, a malformed
//   header section) get 400/501 and the connection closes;
// - hop-by-hop fields (Connection and what it names, Keep-Alive, Proxy-Connection,
//   TE, Transfer-Encoding, Upgrade, Trailer) are dropped in both directions;
// - one request at a time per client connection, so pipelined answers keep their
//   order; the head goes upstream at once (100-continue works end to end), the body
//   when it is complete; responses are read whole and sent with a Content-Length;
// - upstream connections are pooled (LIFO) and retired when the origin says close,
//   answers with a body left unread, or breaks framing (502);
// - a request that failed on a reused upstream connection before any response byte
//   is retried once on a new one, if its method is idempotent (RFC 9110 §9.2.2);
// - an HTTP/1.0 client's connection closes after each response (RFC 9112 §9.3);
// - a WebSocket handshake from an HTTP/1.1 client goes upstream with Upgrade and
//   Connection of the proxy's own; a 101 from the origin turns both connections into
//   one tunnel (the upstream one never returns to the pool); any other answer declines
//   it, and the bytes behind the offer are the client's next request (RFC 9110 §7.8).
//
// Faulty proxies (targets/faulty/proxies) subclass DownstreamConnection or
// UpstreamPool and override one protected decision.

import * as net from 'node:net';
import {
  connectionOptions,
  fieldValues,
  type Header,
  type HttpMessage,
  type HttpRequest,
  type HttpResponse,
  type ParseError,
  Parser,
} from '../../harness/wire/parse.js';
import { Waiters } from '../../harness/wire/wait.js';
import { offersUpgrade, upgradeProtocols } from '../../harness/wire/websocket.js';

export interface ReferenceProxyOptions {
  /** host:port of the origin */
  origin: string;
  /** how long a client connection may idle between requests */
  idleTimeoutMs: number;
  /** how long a pooled upstream connection may idle */
  upstreamIdleMs?: number;
  /** the longest wait for the origin's response (then 504) */
  responseTimeoutMs?: number;
  /** the name in Via */
  name?: string;
}

/** Fields that describe one hop only (RFC 9110 §7.6.1, RFC 9112 §7): never forwarded as received. */
export const HOP_BY_HOP = [
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'transfer-encoding',
  'upgrade',
  'trailer',
];

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

/** Header fields minus the hop-by-hop ones, including every field Connection names. */
export function endToEnd(headers: readonly Header[]): Header[] {
  const named = connectionOptions([...headers]);
  return headers.filter((h) => {
    const n = h.name.toLowerCase();
    return !HOP_BY_HOP.includes(n) && !named.has(n);
  });
}

const lines = (headers: readonly Header[]) => headers.map((h) => `${h.name}: ${h.value}\r\n`).join('');

// ---- the upstream hop --------------------------------------------------------

/** One connection to the origin, read with a strict response parser. */
export class Upstream {
  readonly parser = new Parser({ kind: 'response' });
  /** responses taken so far (the parser's messages, interim ones included) */
  taken = 0;
  /** requests sent on it */
  served = 0;
  /** the origin's FIN or RST, or our own close */
  ended = false;
  bytesIn = 0;
  idleTimer?: NodeJS.Timeout;
  /** called on every change (bytes, end): the client connection waiting on it looks again */
  onChange?: () => void;
  /** after a 101: where the origin's bytes go (the client connection), unparsed */
  pipe?: (d: Buffer) => void;

  constructor(readonly socket: net.Socket) {
    socket.on('data', (d: Buffer) => {
      if (this.pipe) {
        this.pipe(d);
        return;
      }
      this.bytesIn += d.length;
      this.parser.push(d);
      this.onChange?.();
    });
    socket.on('end', () => {
      this.parser.end();
      this.ended = true;
      this.onChange?.();
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      this.ended = true;
      this.onChange?.();
    });
  }

  send(bytes: Buffer): void {
    if (!this.socket.destroyed) this.socket.write(bytes);
  }

  /** The next message (interim or final) if one is complete, why none will come, or undefined: not yet. */
  take(): HttpResponse | { error: ParseError | 'ended' } | undefined {
    const m = this.parser.messages[this.taken];
    if (m) {
      this.taken++;
      return m as HttpResponse;
    }
    if (this.parser.error) return { error: this.parser.error };
    if (this.ended) return { error: 'ended' };
    return undefined;
  }

  /** Whether a message, an error or the end is waiting to be taken. */
  get ready(): boolean {
    return this.parser.messages.length > this.taken || !!this.parser.error || this.ended;
  }

  close(): void {
    this.ended = true;
    clearTimeout(this.idleTimer);
    this.socket.end();
    this.socket.destroySoon();
  }
}

/** Idle upstream connections, most recently used first. */
export class UpstreamPool {
  protected readonly idle: Upstream[] = [];
  private readonly all = new Set<Upstream>();

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly idleMs: number,
  ) {}

  /** A pooled connection (reused: true) or a new one. */
  async acquire(): Promise<{ up: Upstream; reused: boolean }> {
    for (let up = this.idle.pop(); up; up = this.idle.pop()) {
      clearTimeout(up.idleTimer);
      // Bytes that came while it idled (a stray response) would answer the next request: never reuse it.
      if (!up.ended && up.parser.idle && !up.ready) return { up, reused: true };
      up.close();
    }
    return { up: await this.open(), reused: false };
  }

  async open(): Promise<Upstream> {
    const socket = net.connect({ host: this.host, port: this.port, noDelay: true });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const up = new Upstream(socket);
    this.all.add(up);
    socket.on('close', () => {
      this.all.delete(up);
      const i = this.idle.indexOf(up);
      if (i >= 0) this.idle.splice(i, 1);
    });
    return up;
  }

  /** Back into the pool, or closed if it cannot carry another request. */
  release(up: Upstream, reusable: boolean): void {
    // A complete message left untaken (bytes after a bodyless response) is not a clean boundary either.
    if (!reusable || up.ended || !up.parser.idle || up.ready) {
      up.close();
      return;
    }
    up.idleTimer = setTimeout(() => up.close(), this.idleMs);
    up.idleTimer.unref();
    this.idle.push(up);
  }

  closeAll(): void {
    for (const up of this.all) up.socket.destroy();
    this.all.clear();
    this.idle.length = 0;
  }
}

// ---- the downstream hop ------------------------------------------------------

/** What became of a forwarded request, for the decisions that follow. */
export interface Exchange {
  req: HttpRequest;
  /** the final response from the origin, if one came */
  res?: HttpResponse;
  /** the response came before the request body was sent (an early final response) */
  early: boolean;
  up?: Upstream;
  reused: boolean;
  /** a 101 made the two connections one tunnel: nothing more of HTTP on either */
  tunnel?: boolean;
}

export type ConnectionClass = new (socket: net.Socket, proxy: ReferenceProxy) => DownstreamConnection;

/** One client connection: requests in order, each forwarded and answered before the next. */
export class DownstreamConnection {
  protected readonly parser: Parser;
  /** header sections seen so far (the parser's onHead), in order */
  protected readonly heads: HttpRequest[] = [];
  protected readonly waiters = new Waiters();
  protected ended = false;
  protected readonly ac = new AbortController();
  /** requests answered on this connection */
  protected answered = 0;
  /** after a 101: where the client's bytes go (the upstream connection), unparsed */
  protected pipe?: (d: Buffer) => void;

  constructor(
    protected readonly socket: net.Socket,
    protected readonly proxy: ReferenceProxy,
  ) {
    this.parser = this.requestParser((h) => {
      this.heads.push(h as HttpRequest);
      this.waiters.wake();
    });
    socket.on('data', (d: Buffer) => {
      if (this.pipe) {
        this.pipe(d);
        return;
      }
      this.parser.push(this.incoming(d));
      this.waiters.wake();
    });
    socket.on('end', () => {
      this.parser.end();
      this.ended = true;
      this.waiters.wake();
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      this.ended = true;
      this.ac.abort();
      this.waiters.wake();
    });
    void this.serve().catch(() => socket.destroy());
  }

  /**
   * The reader of the client's requests: the strict parser. (Called from the constructor, before a
   * subclass's own fields exist: faulty proxies that read requests differently close over their settings.)
   */
  protected requestParser(onHead: (head: HttpMessage) => void): Parser {
    // Held after an upgrade offer until the origin's answer says whether the bytes behind it are HTTP.
    return new Parser({ kind: 'request', onHead, holdUpgrades: true });
  }

  protected get opts(): ReferenceProxyOptions {
    return this.proxy.opts;
  }

  /** Requests one at a time, in order, until the client or the idle timeout ends the connection. */
  protected async serve(): Promise<void> {
    for (let i = 0; ; i++) {
      const head = await this.waiters.until(
        () => this.heads[i] ?? (this.parser.error || this.ended ? 'stop' : undefined),
        this.opts.idleTimeoutMs,
        this.ac.signal,
        false,
      );
      if (head === 'timeout') return this.idleTimeout();
      if (head === 'stop' && !this.parser.error) return this.finish();
      if (head === 'stop') {
        this.write(this.errorResponse(400, `bad request: ${this.parser.error!.message}`, true));
        return this.finish();
      }
      const refusal = this.refuse(head);
      if (refusal) {
        this.write(this.errorResponse(refusal.status, refusal.why, true));
        return this.finish();
      }
      const ex = await this.forward(head, i);
      this.answered++;
      if (ex.tunnel) return;
      if (this.parser.upgraded) this.declined();
      if (this.ended && !ex.res) return this.finish();
      if (this.closeAfter(ex)) return this.finish();
    }
  }

  /** The client's bytes as the proxy's parser sees them (the reference: as they came). */
  protected incoming(bytes: Buffer): Buffer {
    return bytes;
  }

  /** Why a request is not forwarded at all (answered with this status, then the connection closes). */
  protected refuse(req: HttpRequest): { status: number; why: string } | undefined {
    if (req.clAndTe)
      return { status: 400, why: 'Content-Length and Transfer-Encoding together (RFC 9112 §6.1)' };
    const te = fieldValues(req.headers, 'transfer-encoding').map((v) => v.toLowerCase());
    if (te.length > 0 && (te.length !== 1 || te[0] !== 'chunked'))
      return { status: 501, why: `Transfer-Encoding ${te.join(', ')} is not supported` };
    if (req.notes.length > 0) return { status: 400, why: req.notes.join('; ') };
    return undefined;
  }

  /** Forward one request and answer it; the exchange, for what follows. */
  protected async forward(head: HttpRequest, index: number): Promise<Exchange> {
    const ex: Exchange = { req: head, early: false, reused: false };
    for (let attempt = 0; ; attempt++) {
      let got: { up: Upstream; reused: boolean };
      try {
        got = await this.pool.acquire();
      } catch (e) {
        this.write(this.errorResponse(502, `cannot connect to the origin: ${(e as Error).message}`, true));
        return ex;
      }
      const { up, reused } = got;
      Object.assign(ex, { up, reused });
      up.served++;
      up.parser.expectResponseTo(head.method);
      up.send(this.requestHead(head));
      if ((await this.relay(up, head, index, ex)) === 'done') return ex;
      // Nothing came back: the origin closed or reset the connection before answering.
      this.pool.release(up, false);
      if (attempt === 0 && this.retries(head, reused, up)) continue;
      this.write(this.errorResponse(502, 'the origin closed the connection without a response', true));
      return ex;
    }
  }

  /** Send the body when it is complete, read the response, answer the client. */
  protected async relay(
    up: Upstream,
    head: HttpRequest,
    index: number,
    ex: Exchange,
  ): Promise<'done' | 'lost'> {
    let bodySent = head.framing.kind === 'none';
    const limit = this.opts.responseTimeoutMs ?? 60_000;
    const bodyReady = () => !!this.parser.messages[index] || !!this.parser.error || this.ended;
    up.onChange = () => this.waiters.wake();
    // Bytes of earlier responses on a reused connection do not count: only this request's answer does.
    const bytesBefore = up.bytesIn;
    try {
      for (;;) {
        if (!bodySent && bodyReady()) {
          const full = this.parser.messages[index] as HttpRequest | undefined;
          if (!full) {
            // The client never finished its body: the upstream request is cut short too.
            this.pool.release(up, false);
            if (this.parser.error)
              this.write(this.errorResponse(400, `bad request body: ${this.parser.error.message}`, true));
            return 'done';
          }
          up.send(this.requestBody(full));
          ex.req = full;
          bodySent = true;
        }
        const m = up.take();
        if (m && 'error' in m) {
          if (m.error === 'ended' && up.bytesIn === bytesBefore) return 'lost';
          this.pool.release(up, false);
          this.write(this.errorResponse(502, this.badResponseWhy(m.error), true));
          return 'done';
        }
        if (m?.interim && m.status === 101 && this.upgradeTo(head)) {
          ex.res = m;
          ex.tunnel = true;
          this.tunnel(up, m);
          return 'done';
        }
        if (m?.interim) {
          if (this.forwardsInterim(m, head, up)) this.write(this.responseBytes(m, head, false));
          continue;
        }
        if (m) {
          ex.res = m;
          ex.early = !bodySent;
          this.write(this.responseBytes(m, ex.req, this.closeAfter(ex)));
          this.pool.release(up, this.reuses(ex));
          return 'done';
        }
        // Wait for the client's body or the origin's answer, whichever comes first.
        const r = await this.waiters.until(
          () => (up.ready || (!bodySent && bodyReady()) ? true : undefined),
          limit,
          this.ac.signal,
          false,
        );
        if (r === 'timeout') {
          this.pool.release(up, false);
          this.write(this.errorResponse(504, this.badResponseWhy('timeout'), true));
          return 'done';
        }
      }
    } catch (e) {
      this.abandon(up);
      throw e;
    } finally {
      up.onChange = undefined;
    }
  }

  /** The client went away mid-exchange: the upstream connection may be mid-message, never reuse it. */
  protected abandon(up: Upstream): void {
    this.pool.release(up, false);
  }

  protected get pool(): UpstreamPool {
    return this.proxy.pool;
  }

  /** The request's head as forwarded: HTTP/1.1, end-to-end fields, our own framing, Via. */
  protected requestHead(req: HttpRequest): Buffer {
    const framing =
      req.framing.kind === 'chunked'
        ? 'Transfer-Encoding: chunked\r\n'
        : req.framing.kind === 'content-length'
          ? `Content-Length: ${req.framing.length}\r\n`
          : '';
    const fields = this.requestFields(req).filter((h) => h.name.toLowerCase() !== 'content-length');
    const via = `Via: ${req.version.slice(5)} ${this.opts.name ?? 'keepalive-spec-reference'}\r\n`;
    return Buffer.from(
      `${req.method} ${req.target} HTTP/1.1\r\n${lines(fields)}${via}${framing}\r\n`,
      'latin1',
    );
  }

  /** The end-to-end fields of a request, and the proxy's own upgrade offer where it passes one on. */
  protected requestFields(req: HttpRequest): Header[] {
    const protocol = this.upgradeTo(req);
    if (!protocol) return endToEnd(req.headers);
    return [
      ...endToEnd(req.headers),
      { name: 'Upgrade', value: protocol },
      { name: 'Connection', value: 'Upgrade' },
    ];
  }

  /**
   * The protocol of an upgrade offer the proxy passes on: WebSocket, from an HTTP/1.1 client
   * (Upgrade in HTTP/1.0 is ignored, RFC 9110 §7.8); undefined for anything else.
   */
  protected upgradeTo(req: HttpRequest): string | undefined {
    if (req.version !== 'HTTP/1.1' || !offersUpgrade(req.headers)) return undefined;
    return upgradeProtocols(req.headers).includes('websocket') ? 'websocket' : undefined;
  }

  /** An upgrade offer answered in HTTP was declined: what follows it is the next request. */
  protected declined(): void {
    this.parser.resume();
    this.waiters.wake();
  }

  /**
   * The origin switched: the 101 goes to the client, then bytes flow both ways unparsed until
   * either side ends (its FIN passed on); the upstream connection is never pooled again.
   */
  protected tunnel(up: Upstream, res: HttpResponse): void {
    up.onChange = undefined;
    const fields = endToEnd(res.headers);
    this.write(
      Buffer.from(
        `HTTP/1.1 101 ${res.reason}\r\n${lines(fields)}Upgrade: ${fieldValues(res.headers, 'upgrade').join(', ') || 'websocket'}\r\nConnection: Upgrade\r\n\r\n`,
        'latin1',
      ),
    );
    const fromOrigin = up.parser.takeRest();
    if (fromOrigin.length) this.write(fromOrigin);
    up.pipe = (d) => this.write(d);
    const fromClient = this.parser.takeRest();
    if (fromClient.length) up.send(fromClient);
    this.pipe = (d) => up.send(d);
    up.socket.on('end', () => this.socket.end());
    this.socket.on('end', () => up.socket.end());
    up.socket.on('close', () => this.socket.destroy());
    this.socket.on('close', () => up.socket.destroy());
  }

  /** The request's body, framed as its head announced (chunked: one chunk, no trailers). */
  protected requestBody(req: HttpRequest): Buffer {
    if (req.framing.kind !== 'chunked') return req.body;
    const chunk = req.body.length
      ? [Buffer.from(`${req.body.length.toString(16)}\r\n`), req.body, Buffer.from('\r\n')]
      : [];
    return Buffer.concat([...chunk, Buffer.from('0\r\n\r\n')]);
  }

  /** The response as forwarded: end-to-end fields, a Content-Length where a body may be, close if closing. */
  protected responseBytes(res: HttpResponse, req: HttpRequest, close: boolean): Buffer {
    const bodyless = res.interim || res.status === 204 || res.status === 304 || req.method === 'HEAD';
    const fields = this.responseFields(res).filter(
      (h) => !(h.name.toLowerCase() === 'content-length' && (!bodyless || res.status === 204 || res.interim)),
    );
    const length = bodyless ? '' : `Content-Length: ${res.body.length}\r\n`;
    const conn = res.interim ? '' : close ? 'Connection: close\r\n' : '';
    const head = `HTTP/1.1 ${res.status} ${res.reason}\r\n${lines(fields)}${length}${conn}\r\n`;
    return Buffer.concat([Buffer.from(head, 'latin1'), bodyless ? Buffer.alloc(0) : res.body]);
  }

  protected responseFields(res: HttpResponse): Header[] {
    return endToEnd(res.headers);
  }

  /** 1xx from the origin go to HTTP/1.1 clients (RFC 9110 §15.2); never 101, which we did not ask for. */
  protected forwardsInterim(res: HttpResponse, req: HttpRequest, _up?: Upstream): boolean {
    return req.version !== 'HTTP/1.0' && res.status !== 101;
  }

  /** Whether the client connection ends after this exchange. */
  protected closeAfter(ex: Exchange): boolean {
    const req = ex.req;
    if (req.version === 'HTTP/1.0') return true;
    if (connectionOptions(req.headers).has('close')) return true;
    if (!ex.res || ex.early) return true;
    return false;
  }

  /** Whether the upstream connection may carry another request after this exchange. */
  protected reuses(ex: Exchange): boolean {
    const res = ex.res;
    if (!res || ex.early) return false;
    if (res.framing.kind === 'close-delimited') return false;
    if (connectionOptions(res.headers).has('close')) return false;
    if (res.version === 'HTTP/1.0' && !connectionOptions(res.headers).has('keep-alive')) return false;
    // An HTTP/1.0 message with Transfer-Encoding has faulty framing: close after it (RFC 9112 §6.1).
    if (res.version === 'HTTP/1.0' && fieldValues(res.headers, 'transfer-encoding').length > 0) return false;
    return true;
  }

  /** Whether a request that got no response may go again, on a new connection. */
  protected retries(req: HttpRequest, reused: boolean, _up: Upstream): boolean {
    return reused && IDEMPOTENT.has(req.method);
  }

  protected badResponseWhy(e: ParseError | 'ended' | 'timeout'): string {
    if (e === 'timeout') return 'the origin did not answer in time';
    if (e === 'ended') return 'the origin closed the connection mid-response';
    return `the origin's response cannot be framed: ${e.message}`;
  }

  protected errorResponse(status: number, why: string, close: boolean): Buffer {
    const body = `${why}\n`;
    const reason = { 400: 'Bad Request', 501: 'Not Implemented', 502: 'Bad Gateway', 504: 'Gateway Timeout' }[
      status
    ];
    return Buffer.from(
      `HTTP/1.1 ${status} ${reason ?? 'Error'}\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body, 'latin1')}\r\n${close ? 'Connection: close\r\n' : ''}\r\n${body}`,
      'latin1',
    );
  }

  /** The client connection idled past the idle timeout: it ends gracefully (RFC 9112 §9.5). */
  protected idleTimeout(): void {
    this.finish();
  }

  protected write(bytes: Buffer): void {
    if (!this.socket.destroyed && !this.socket.writableEnded) this.socket.write(bytes);
  }

  protected finish(): void {
    this.socket.end();
    this.socket.destroySoon();
  }
}

// ---- the proxy -----------------------------------------------------------------

export class ReferenceProxy {
  readonly pool: UpstreamPool;
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();

  constructor(
    readonly opts: ReferenceProxyOptions,
    connection: ConnectionClass = DownstreamConnection,
    pool?: (host: string, port: number, idleMs: number) => UpstreamPool,
  ) {
    const [host, port] = splitHostPort(opts.origin);
    const idleMs = opts.upstreamIdleMs ?? Math.max(opts.idleTimeoutMs, 1000);
    this.pool = pool ? pool(host, port, idleMs) : new UpstreamPool(host, port, idleMs);
    this.server = net.createServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      new connection(socket, this);
    });
  }

  async listen(port = 0, host = '127.0.0.1'): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve());
    });
    return (this.server.address() as net.AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.pool.closeAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

export function splitHostPort(text: string): [string, number] {
  const i = text.lastIndexOf(':');
  return [text.slice(0, i).replace(/^\[|\]$/g, ''), Number(text.slice(i + 1))];
}
