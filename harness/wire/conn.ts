// The client side of one raw TCP or TLS connection, as the harness sees it:
// send bytes (whole, split, trickled), read the next response strictly, and
// observe how the connection ends (FIN, RST, still open), all into a transcript.

import * as net from 'node:net';
import * as tls from 'node:tls';
import type { CrossRule } from '../crosscheck.js';
import { type Req, toBuffer } from './build.js';
import { connectionOptions, fieldValues, type HttpResponse, type ParseError, Parser } from './parse.js';
import { TlsTap } from './tls-tap.js';
import type { Transcript } from './transcript.js';
import { Aborted, Waiters } from './wait.js';
import { decodeFrame, describeFrame, encodeFrame, type Frame, type FrameSpec } from './websocket.js';

export { Aborted };

export interface Endpoint {
  host: string;
  port: number;
  tls: boolean;
  /** skip certificate checks (--insecure) */
  insecure?: boolean;
}

/** The connection could not be made: a broken precondition, never a conformance verdict. */
export class ConnectError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConnectError';
  }
}

export type ReadResult =
  | { type: 'response'; response: HttpResponse; interim: HttpResponse[]; at: number }
  | {
      type: 'end';
      how: 'fin' | 'rst';
      at: number;
      /** set when the end cut a message short */
      error?: ParseError;
      state: string;
      partialBytes: number;
      interim: HttpResponse[];
    }
  | { type: 'timeout'; waitedMs: number; state: string; partialBytes: number; interim: HttpResponse[] }
  | { type: 'malformed'; error: ParseError; interim: HttpResponse[] };

/** After a 101: the next WebSocket frame, or why there is none. */
export type FrameResult =
  | { type: 'frame'; frame: Frame; at: number }
  | { type: 'end'; how: 'fin' | 'rst'; at: number; partialBytes: number }
  | { type: 'timeout'; waitedMs: number; partialBytes: number }
  | { type: 'malformed'; error: string };

export interface EndObservation {
  how: 'fin' | 'rst' | 'open';
  /** transcript time of the end */
  at?: number;
  /** ms from the start of the wait to the end */
  afterMs?: number;
  /** complete responses that arrived while the end was awaited */
  extra: HttpResponse[];
  /** bytes of an unfinished message that arrived while the end was awaited */
  partialBytes: number;
  /** how FIN and RST were told apart, for the evidence */
  verdict: string;
}

export interface SendOptions {
  /** split the bytes at these offsets into separate writes */
  splitAt?: number[];
  /** write this many bytes per write (1 = byte by byte) */
  trickle?: number;
  /** pause between the writes of a split or trickled send; default 20 ms for splits, 1 ms for trickles */
  pauseMs?: number;
  /**
   * Between writes, wait (up to `pauseMs`) for the server to answer what it has so far, and go
   * on as soon as response bytes arrive: proof that the server read the earlier piece on its own.
   */
  untilAnswered?: boolean;
}

export type SendResult = { ok: true } | { ok: false; error: string };

export interface ConnOptions {
  label: string;
  transcript: Transcript;
  timeoutMs: number;
  signal: AbortSignal;
  /** cross-cutting findings seen on this connection (harness/crosscheck.ts) */
  observe?: (rule: CrossRule, what: string) => void;
  /**
   * Set (to the reason) where the target drops pipelined requests: a request is then
   * written only once every request before it on the connection is answered.
   */
  noPipelining?: string;
}

/** Resolve once `socket` emits `event`; reject on error, timeout or abort. */
function ready(
  socket: net.Socket,
  event: string,
  ep: Endpoint,
  opts: ConnOptions,
  what: string,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const done = (err?: Error) => {
      clearTimeout(timer);
      opts.signal.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve();
    };
    const timer = setTimeout(
      () => done(new ConnectError(`${what} ${ep.host}:${ep.port} timed out after ${opts.timeoutMs} ms`)),
      opts.timeoutMs,
    );
    const onAbort = () => done(new Aborted());
    opts.signal.addEventListener('abort', onAbort, { once: true });
    socket.once(event, () => done());
    socket.once('error', (e: NodeJS.ErrnoException) =>
      done(
        new ConnectError(
          `cannot ${what === 'connect to' ? 'connect to' : 'complete TLS with'} ${ep.host}:${ep.port}: ${e.code ?? e.message}`,
        ),
      ),
    );
  });
}

export async function openConn(ep: Endpoint, opts: ConnOptions): Promise<Conn> {
  const { transcript, label, signal } = opts;
  if (signal.aborted) throw new Aborted();
  const raw = net.connect({ host: ep.host, port: ep.port, allowHalfOpen: true, noDelay: true });
  let socket: net.Socket = raw;
  let tap: TlsTap | undefined;
  try {
    await ready(raw, 'connect', ep, opts, 'connect to');
    if (ep.tls) {
      // TLS through a tap that sees the record layer, so closure alerts can be judged (RFC 9112 §9.8).
      tap = new TlsTap(raw);
      socket = tls.connect({
        socket: tap.duplex,
        servername: net.isIP(ep.host) ? undefined : ep.host,
        rejectUnauthorized: !ep.insecure,
        ALPNProtocols: ['http/1.1'],
        // honoured by tls.connect at run time, missing from its type
        allowHalfOpen: true,
      } as tls.ConnectionOptions);
      await ready(socket, 'secureConnect', ep, opts, 'TLS with');
    }
  } catch (e) {
    socket.destroy();
    raw.destroy();
    throw e;
  }
  const conn = new Conn(socket, opts, tap);
  const proto = tap ? ` (${(socket as tls.TLSSocket).getProtocol() ?? 'TLS'})` : '';
  transcript.record(label, 'connect', `${raw.remoteAddress}:${raw.remotePort}${proto}`);
  return conn;
}

export class Conn {
  readonly label: string;
  readonly parser = new Parser({ kind: 'response', lenient: true });
  /** every final response read on this connection, in order */
  readonly responses: HttpResponse[] = [];
  finAt?: number;
  /** when the last bytes arrived */
  lastDataAt?: number;
  /** bytes received so far */
  received = 0;
  rstAt?: number;
  private readonly transcript: Transcript;
  private readonly timeoutMs: number;
  private readonly signal: AbortSignal;
  private readonly doneAt = new WeakMap<HttpResponse, number>();
  private readonly waiters = new Waiters();
  private sentFin = false;
  /** requests sent as Req, in order; the n-th final response answers the n-th */
  private readonly sentReqs: Req[] = [];
  private finals = 0;
  private lastFinal?: { res: HttpResponse; at: number; req: Req | undefined };
  private endChecked = false;
  private readonly observe?: (rule: CrossRule, what: string) => void;
  private readonly noPipelining?: string;
  /** reading was paused at some point: arrival times are not send times */
  private readPaused = false;
  private destroyed = false;
  private lastError?: string;
  /** bytes after a 101 not yet decoded into WebSocket frames */
  private wsBuf: Buffer = Buffer.alloc(0);

  constructor(
    readonly socket: net.Socket,
    opts: ConnOptions,
    /** over TLS: the record-layer tap under the TLS socket */
    readonly tlsTap?: TlsTap,
  ) {
    this.label = opts.label;
    this.transcript = opts.transcript;
    this.timeoutMs = opts.timeoutMs;
    this.signal = opts.signal;
    this.observe = opts.observe;
    this.noPipelining = opts.noPipelining;
    socket.on('data', (chunk: Buffer) => {
      this.lastDataAt = this.transcript.record(this.label, 'recv', chunk).t;
      this.received += chunk.length;
      const before = this.parser.messages.length;
      this.parser.push(chunk);
      this.stamp(before);
      this.wake();
    });
    socket.on('end', () => {
      this.finAt = this.transcript.now();
      this.transcript.record(this.label, 'fin-recv');
      const before = this.parser.messages.length;
      this.parser.end();
      this.stamp(before);
      this.checkEnd('FIN');
      this.wake();
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ECONNRESET' || e.code === 'EPIPE') {
        if (this.rstAt === undefined) {
          if (this.finAt === undefined) this.checkEnd('RST');
          this.rstAt = this.transcript.now();
          this.transcript.record(this.label, 'rst', e.code);
        }
      } else {
        this.lastError = e.code ?? e.message;
        this.transcript.record(this.label, 'error', this.lastError);
      }
      this.wake();
    });
    socket.on('close', () => {
      if (!this.destroyed) this.transcript.record(this.label, 'closed');
      this.wake();
    });
    const onAbort = () => this.destroy();
    this.signal.addEventListener('abort', onAbort, { once: true });
    socket.once('close', () => this.signal.removeEventListener('abort', onAbort));
  }

  /** Everything the peer sent on this connection so far, from the transcript. */
  receivedBytes(): Buffer {
    return Buffer.concat(
      this.transcript.events
        .filter((e) => e.conn === this.label && e.type === 'recv' && e.bytes)
        .map((e) => e.bytes!),
    );
  }

  /** Over TLS, after the peer's FIN: whether a closure alert came first. */
  closureAlert(): { alert: boolean; how: string } | undefined {
    return this.tlsTap?.closureBeforeFin((this.socket as tls.TLSSocket).getProtocol?.() ?? null);
  }

  /** True once the peer's FIN or RST has been seen. */
  get ended(): boolean {
    return this.finAt !== undefined || this.rstAt !== undefined;
  }

  /** When a response was complete, in transcript time. */
  completedAt(res: HttpResponse): number | undefined {
    return this.doneAt.get(res);
  }

  now(): number {
    return this.transcript.now();
  }

  note(text: string): void {
    this.transcript.note(text, this.label);
  }

  /** Send requests or raw bytes. Requests tell the parser their method, so HEAD responses are framed right. */
  async send(
    data: Req | ReadonlyArray<Req | Buffer | string> | Buffer | string,
    opts: SendOptions = {},
  ): Promise<SendResult> {
    const items = Array.isArray(data)
      ? (data as ReadonlyArray<Req | Buffer | string>)
      : [data as Req | Buffer | string];
    // (A split or trickled write is about its own bytes: it goes as written.)
    if (
      this.noPipelining &&
      !opts.splitAt?.length &&
      !opts.trickle &&
      items.some((i) => typeof i !== 'string' && !Buffer.isBuffer(i))
    )
      return this.sendInTurn(items, opts);
    return this.sendNow(items, opts);
  }

  private async sendNow(items: ReadonlyArray<Req | Buffer | string>, opts: SendOptions): Promise<SendResult> {
    const bufs: Buffer[] = [];
    for (const item of items) {
      if (typeof item === 'string' || Buffer.isBuffer(item)) bufs.push(toBuffer(item));
      else {
        this.parser.expectResponseTo(item.method);
        this.sentReqs.push(item);
        bufs.push(item.bytes);
      }
    }
    const all = bufs.length === 1 ? bufs[0]! : Buffer.concat(bufs);
    const pieces = splitBytes(all, opts);
    const pause = opts.pauseMs ?? (opts.trickle ? 1 : 20);
    let before = this.received;
    for (let i = 0; i < pieces.length; i++) {
      if (i > 0 && pause > 0) {
        if (opts.untilAnswered) {
          const seen = before;
          const r = await this.until(() => (this.received > seen || this.ended ? true : undefined), pause);
          if (r === 'timeout') this.note(`no answer within ${pause} ms before the next piece`);
        } else await this.sleep(pause);
      }
      before = this.received;
      const r = await this.write(pieces[i]!);
      if (!r.ok) return r;
    }
    return { ok: true };
  }

  /** Each request once those before it are answered (noPipelining); raw bytes as they come. */
  private async sendInTurn(
    items: ReadonlyArray<Req | Buffer | string>,
    opts: SendOptions,
  ): Promise<SendResult> {
    for (const item of items) {
      const isReq = typeof item !== 'string' && !Buffer.isBuffer(item);
      if (isReq && this.sentReqs.length > this.finals) {
        this.note(
          `${item.label} waits for the response before it: the target does not answer pipelined requests (${this.noPipelining}; the pipelining scenarios judge that)`,
        );
        await this.until(
          () => (this.finals >= this.sentReqs.length || this.ended ? true : undefined),
          this.timeoutMs,
        );
        if (this.ended) return { ok: true };
      }
      const r = await this.sendNow([item], opts);
      if (!r.ok) return r;
    }
    return { ok: true };
  }

  private write(buf: Buffer): Promise<SendResult> {
    if (this.destroyed || this.socket.destroyed)
      return Promise.resolve({ ok: false, error: 'socket already closed' });
    if (this.sentFin)
      return Promise.resolve({ ok: false, error: 'harness already half-closed the connection' });
    this.transcript.record(this.label, 'send', buf);
    return new Promise((resolve) => {
      let done = false;
      const finish = (r: SendResult) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.socket.off('close', onClose);
        resolve(r);
      };
      // A write blocked by flow control for longer than the read timeout is a verdict of its own.
      const timer = setTimeout(
        () => finish({ ok: false, error: `write blocked by flow control for ${this.timeoutMs} ms` }),
        this.timeoutMs,
      );
      const onClose = () =>
        finish({ ok: false, error: 'the connection closed before the bytes were written' });
      this.socket.once('close', onClose);
      this.socket.write(buf, (err) => {
        if (err) finish({ ok: false, error: (err as NodeJS.ErrnoException).code ?? err.message });
        else finish({ ok: true });
      });
    });
  }

  /**
   * Stop reading (the peer's output backs up into TCP flow control). From then on the
   * connection says nothing about when the peer sent what, so the cross-cutting
   * "closed right after a response" check leaves it alone.
   */
  pauseReading(): void {
    this.readPaused = true;
    this.socket.pause();
  }

  resumeReading(): void {
    this.socket.resume();
  }

  /** Half-close: shutdown(SHUT_WR). The peer sees FIN; the harness keeps reading. */
  halfClose(): void {
    if (this.sentFin || this.destroyed) return;
    this.sentFin = true;
    this.transcript.record(this.label, 'fin-sent');
    this.socket.end();
  }

  /** Tear the connection down at once (no verdict attached). */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.socket.destroy();
    this.wake();
  }

  /** The next final response (1xx responses before it are returned alongside), or why there is none. */
  async readResponse(opts: { timeoutMs?: number; keepInterim?: boolean } = {}): Promise<ReadResult> {
    const interim: HttpResponse[] = [];
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
    const started = this.now();
    const r = await this.until<ReadResult>(() => {
      while (this.parser.messages.length > 0) {
        const m = this.parser.messages.shift() as HttpResponse;
        // A 101 ends HTTP on the connection: it is the answer, not an interim response.
        if (m.interim && m.status !== 101 && !opts.keepInterim) {
          interim.push(m);
          continue;
        }
        if (!m.interim) this.responses.push(m);
        return { type: 'response', response: m, interim, at: this.doneAt.get(m) ?? this.now() };
      }
      const err = this.parser.error;
      if (err && err.code !== 'incomplete') return { type: 'malformed', error: err, interim };
      if (this.ended || this.destroyed) {
        const rstFirst = this.rstAt !== undefined && (this.finAt === undefined || this.rstAt < this.finAt);
        const base = {
          type: 'end' as const,
          how: rstFirst ? ('rst' as const) : ('fin' as const),
          at: (rstFirst ? this.rstAt : this.finAt) ?? this.now(),
          state: this.parser.describeState(),
          partialBytes: this.parser.pendingBytes,
          interim,
        };
        return err ? { ...base, error: err } : base;
      }
      return undefined;
    }, timeoutMs);
    if (r !== 'timeout') return r;
    this.transcript.record(
      this.label,
      'timeout',
      `no complete response within ${timeoutMs} ms (${this.parser.describeState()})`,
    );
    const open = this.parser.inBody as HttpResponse | undefined;
    // A close-delimited body that announced the close is legal (RFC 9112 §6.3): only a promise to persist is broken.
    if (this.parser.describeState() === 'inside a close-delimited body' && open && promisesPersistence(open))
      this.observe?.(
        'PERSIST-03',
        `a response without Content-Length or chunked framing (close-delimited) was not followed by a close within ${timeoutMs} ms`,
      );
    return {
      type: 'timeout',
      waitedMs: this.now() - started,
      state: this.parser.describeState(),
      partialBytes: this.parser.pendingBytes,
      interim,
    };
  }

  /**
   * Wait for the peer to end the connection. FIN is confirmed by a probe write
   * (docs/design.md: an RST right behind the last bytes can look like a clean end).
   */
  async waitEnd(opts: { timeoutMs?: number; probe?: boolean } = {}): Promise<EndObservation> {
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
    const started = this.now();
    const r = await this.until(() => (this.ended || this.destroyed ? true : undefined), timeoutMs);
    const extra: HttpResponse[] = [];
    while (this.parser.messages.length > 0) {
      const m = this.parser.messages.shift() as HttpResponse;
      if (!m.interim) {
        extra.push(m);
        this.responses.push(m);
      }
    }
    const partialBytes = this.parser.pendingBytes;
    if (r === 'timeout' || (!this.ended && this.destroyed)) {
      this.transcript.record(
        this.label,
        'note',
        `no FIN or RST within ${Math.round(timeoutMs)} ms: still open`,
      );
      return {
        how: 'open',
        extra,
        partialBytes,
        verdict: `no FIN or RST within ${Math.round(timeoutMs)} ms`,
      };
    }
    // An end that came before this wait started counts from the start of the wait.
    const since = (at: number) => Math.max(0, at - started);
    if (this.finAt === undefined) {
      const at = this.rstAt!;
      return {
        how: 'rst',
        at,
        afterMs: since(at),
        extra,
        partialBytes,
        verdict: 'the read failed with ECONNRESET (no FIN before it)',
      };
    }
    const at = this.finAt;
    const base = { at, afterMs: since(at), extra, partialBytes };
    if (this.rstAt !== undefined) return { how: 'rst', ...base, verdict: 'FIN followed by ECONNRESET' };
    if (opts.probe === false) return { how: 'fin', ...base, verdict: 'read returned EOF' };
    if (this.sentFin)
      return { how: 'fin', ...base, verdict: 'read returned EOF (no probe: the harness had half-closed)' };
    const reset = await this.probeReset();
    return reset
      ? { how: 'rst', ...base, verdict: `EOF, then a probe write failed at once (${reset})` }
      : { how: 'fin', ...base, verdict: 'EOF, and a probe write after it was accepted (no reset pending)' };
  }

  /** After EOF: write two harmless bytes; on a reset connection the write fails at once. */
  private async probeReset(): Promise<string | undefined> {
    if (this.destroyed || this.sentFin) return this.rstAt !== undefined ? 'ECONNRESET' : undefined;
    const before = this.rstAt;
    const r = await new Promise<SendResult>((resolve) => {
      const timer = setTimeout(() => resolve({ ok: true }), 100);
      this.socket.write('\r\n', (err) => {
        clearTimeout(timer);
        resolve(
          err ? { ok: false, error: (err as NodeJS.ErrnoException).code ?? err.message } : { ok: true },
        );
      });
    });
    this.transcript.record(
      this.label,
      'note',
      `probe: wrote "\\r\\n" after EOF: ${r.ok ? 'accepted' : r.error}`,
    );
    if (!r.ok) return r.error;
    if (this.rstAt !== undefined && before === undefined) return 'ECONNRESET';
    return undefined;
  }

  /** True once a 101 switched the connection away from HTTP. */
  get upgraded(): boolean {
    return this.parser.upgraded;
  }

  /** After a 101: send one WebSocket frame (masked, as a client must: RFC 6455 §5.3, unless said otherwise). */
  async sendFrame(spec: FrameSpec): Promise<SendResult> {
    const bytes = encodeFrame({ mask: true, ...spec });
    const sent = decodeFrame(bytes);
    if ('frame' in sent) this.note(`WebSocket frame sent: ${describeFrame(sent.frame)}`);
    return this.sendNow([bytes], {});
  }

  /** After a 101: the next WebSocket frame the peer sent, decoded strictly (RFC 6455 §5.2). */
  async readFrame(opts: { timeoutMs?: number } = {}): Promise<FrameResult> {
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
    const started = this.now();
    const r = await this.until<FrameResult>(() => {
      if (this.parser.upgraded) this.wsBuf = Buffer.concat([this.wsBuf, this.parser.takeRest()]);
      const d = decodeFrame(this.wsBuf);
      if ('frame' in d) {
        this.wsBuf = this.wsBuf.subarray(d.frame.size);
        this.note(`WebSocket frame received: ${describeFrame(d.frame)}`);
        return { type: 'frame', frame: d.frame, at: this.now() };
      }
      if ('error' in d) return { type: 'malformed', error: d.error };
      if (this.ended || this.destroyed) {
        const rstFirst = this.rstAt !== undefined && (this.finAt === undefined || this.rstAt < this.finAt);
        return {
          type: 'end',
          how: rstFirst ? 'rst' : 'fin',
          at: (rstFirst ? this.rstAt : this.finAt) ?? this.now(),
          partialBytes: this.wsBuf.length,
        };
      }
      return undefined;
    }, timeoutMs);
    if (r !== 'timeout') return r;
    this.transcript.record(this.label, 'timeout', `no complete WebSocket frame within ${timeoutMs} ms`);
    return { type: 'timeout', waitedMs: this.now() - started, partialBytes: this.wsBuf.length };
  }

  /** A hint only (REQUIREMENTS harness note 1): true if no FIN/RST arrives within `ms`. */
  async staysOpen(ms: number): Promise<boolean> {
    const r = await this.until(() => (this.ended || this.destroyed ? true : undefined), ms);
    return r === 'timeout';
  }

  /** Wait until a final response is complete (not consumed: readResponse returns it), or the end. */
  async waitForResponse(ms: number): Promise<boolean> {
    const r = await this.until(
      () => (this.parser.messages.some((m) => !(m as HttpResponse).interim) || this.ended ? true : undefined),
      ms,
    );
    return r !== 'timeout';
  }

  /** Wait until at least `n` bytes of a further message (or any message) arrived, or the end. */
  async waitForBytes(ms: number): Promise<boolean> {
    const r = await this.until(
      () =>
        this.parser.messages.length > 0 || this.parser.pendingBytes > 0 || this.ended ? true : undefined,
      ms,
    );
    return r !== 'timeout' && !this.ended;
  }

  sleep(ms: number): Promise<void> {
    return this.until(() => undefined, ms, false).then(() => undefined);
  }

  private stamp(before: number): void {
    const t = this.now();
    for (let i = before; i < this.parser.messages.length; i++) {
      const res = this.parser.messages[i] as HttpResponse;
      this.doneAt.set(res, t);
      if (res.interim) {
        if (hasFraming(res))
          this.observe?.('FRAME-12', `a ${res.status} interim response carries ${framingFields(res)}`);
        continue;
      }
      const req = this.sentReqs[this.finals++];
      this.lastFinal = { res, at: t, req };
      this.checkResponse(res, req);
      const lag = this.closeLag(res);
      if (lag !== undefined && lag > this.graceMs && promisesPersistence(res))
        this.observe?.(
          'PERSIST-03',
          `a close-delimited response${req ? ` to ${req.label}` : ''} was ended by the server only ${Math.round(lag)} ms after its last byte`,
        );
    }
  }

  /** Rules every response must keep, whichever scenario provoked it. */
  private checkResponse(res: HttpResponse, req: Req | undefined): void {
    if (!this.observe) return;
    const te = fieldValues(res.headers, 'transfer-encoding');
    if (req?.version === 'HTTP/1.0' && te.length > 0)
      this.observe(
        'KA10-03',
        `a response to an HTTP/1.0 request (${req.label}) carries Transfer-Encoding: ${te.join(', ')}`,
      );
    if (res.status === 204 && hasFraming(res))
      this.observe(
        'FRAME-12',
        `a 204 response${req ? ` to ${req.label}` : ''} carries ${framingFields(res)}`,
      );
    if (res.framing.kind === 'chunked' && res.clAndTe)
      this.observe(
        'CHUNK-10',
        `a chunked response${req ? ` to ${req.label}` : ''} also carries Content-Length`,
      );
  }

  /** How long a close follows a response "right after" it (REQUIREMENTS harness note 1). */
  get graceMs(): number {
    return Math.min(300, Math.max(50, this.timeoutMs / 10));
  }

  /**
   * For a close-delimited response: how long after its last byte the server
   * closed. A server that idles before closing leaves its client hanging.
   */
  closeLag(res: HttpResponse): number | undefined {
    if (res.framing.kind !== 'close-delimited' || this.finAt === undefined) return undefined;
    const lastByte = [...this.transcript.events]
      .reverse()
      .find((e) => e.conn === this.label && e.type === 'recv' && e.t <= this.finAt!);
    // Time this process was stalled is not time the server took.
    return lastByte
      ? this.finAt - lastByte.t - this.transcript.stalledBetween(lastByte.t, this.finAt)
      : undefined;
  }

  /** PERSIST-02: an end right after a response that did not announce close. */
  private checkEnd(how: 'FIN' | 'RST'): void {
    const last = this.lastFinal;
    if (!this.observe || !last || this.sentFin || this.endChecked || this.readPaused) return;
    // After a 101 the connection belongs to another protocol: its end is not an HTTP close.
    if (this.parser.upgraded) return;
    this.endChecked = true;
    const { res, req } = last;
    const grace = this.graceMs;
    const after = this.now() - last.at;
    if (!req?.persistent || res.version !== 'HTTP/1.1' || res.framing.kind === 'close-delimited') return;
    // An end in the middle of a further response is not a close right after `res`: the scenario
    // reading that response judges the cut (a reset may also have destroyed an announcing response).
    if (this.parser.pendingBytes > 0) return;
    if (res.status === 408 || connectionOptions(res.headers).has('close') || after > grace) return;
    this.observe(
      'PERSIST-02',
      `the server closed (${how}) ${Math.round(after)} ms after a ${res.status} response to ${req.label} that did not say Connection: close`,
    );
  }

  private wake(): void {
    this.waiters.wake();
  }

  /** Poll `check` on every wire event until it yields a value or the deadline passes. */
  private async until<T>(
    check: () => T | undefined,
    timeoutMs: number,
    extend = true,
  ): Promise<T | 'timeout'> {
    const r = await this.waiters.until(check, timeoutMs, this.signal, extend);
    if (r === 'timeout' && extend) this.transcript.expiredWaits++;
    return r;
  }
}

function splitBytes(all: Buffer, opts: SendOptions): Buffer[] {
  if (opts.trickle && opts.trickle > 0) {
    const out: Buffer[] = [];
    for (let i = 0; i < all.length; i += opts.trickle) out.push(all.subarray(i, i + opts.trickle));
    return out;
  }
  if (opts.splitAt?.length) {
    const cuts = [...new Set(opts.splitAt.filter((c) => c > 0 && c < all.length))].sort((a, b) => a - b);
    const out: Buffer[] = [];
    let prev = 0;
    for (const c of cuts) {
      out.push(all.subarray(prev, c));
      prev = c;
    }
    out.push(all.subarray(prev));
    return out;
  }
  return [all];
}

/** The response does not announce the end of the connection (RFC 9112 §9.3): no close, and 1.1 or 1.0 with keep-alive. */
function promisesPersistence(res: HttpResponse): boolean {
  const options = connectionOptions(res.headers);
  return !options.has('close') && (res.version !== 'HTTP/1.0' || options.has('keep-alive'));
}

function hasFraming(res: HttpResponse): boolean {
  return (
    fieldValues(res.headers, 'content-length').length > 0 ||
    fieldValues(res.headers, 'transfer-encoding').length > 0
  );
}

function framingFields(res: HttpResponse): string {
  return res.headers
    .filter((h) => /^(content-length|transfer-encoding)$/i.test(h.name))
    .map((h) => `${h.name}: ${h.value}`)
    .join(', ');
}
