import { connectionOptions, type HttpRequest, type ParseError, Parser } from '../../../harness/wire/parse.js';
import { ReferenceConnection, type ResponsePlan } from '../../servers/reference.js';
import type { FaultyServer } from './types.js';

/** The request with these connection options in place of its own Connection lines. */
function withOptions(req: HttpRequest, options: Iterable<string>): HttpRequest {
  const list = [...options];
  const headers = req.headers.filter((h) => h.name.toLowerCase() !== 'connection');
  if (list.length > 0) headers.push({ name: 'Connection', value: list.join(', ') });
  return { ...req, headers };
}

const isConnection = (name: string) => name.toLowerCase() === 'connection';

/** Ignores the client's close option: the connection stays open for the next request. */
class IgnoresClientClose extends ReferenceConnection {
  protected override shouldClose(req: HttpRequest, plan: ResponsePlan): boolean {
    const options = connectionOptions(req.headers);
    options.delete('close');
    return super.shouldClose(withOptions(req, options), plan);
  }
}

/** Honours close only when a Connection line is exactly `close`. */
class ExactCloseCompare extends ReferenceConnection {
  protected override shouldClose(req: HttpRequest, plan: ResponsePlan): boolean {
    const options = connectionOptions(req.headers);
    if (!req.headers.some((h) => isConnection(h.name) && h.value === 'close')) options.delete('close');
    return super.shouldClose(withOptions(req, options), plan);
  }
}

/** Reads connection options from the first Connection line only. */
class FirstConnectionLineOnly extends ReferenceConnection {
  protected override shouldClose(req: HttpRequest, plan: ResponsePlan): boolean {
    const first = req.headers.find((h) => isConnection(h.name));
    const options = (first?.value ?? '')
      .split(',')
      .map((v) => v.trim().toLowerCase())
      .filter(Boolean);
    return super.shouldClose(withOptions(req, options), plan);
  }
}

/** Lets keep-alive win over close when a request carries both. */
class KeepAliveWins extends ReferenceConnection {
  protected override shouldClose(req: HttpRequest, plan: ResponsePlan): boolean {
    const options = connectionOptions(req.headers);
    if (options.has('keep-alive')) options.delete('close');
    return super.shouldClose(withOptions(req, options), plan);
  }
}

/** Closes after a request with close, but its response does not say close. */
class NoCloseEcho extends ReferenceConnection {
  protected override connectionHeaders(req: HttpRequest, close: boolean): Array<[string, string]> {
    if (close && connectionOptions(req.headers).has('close')) return [];
    return super.connectionHeaders(req, close);
  }
}

/** Answers everything already buffered behind a request with close, then closes. */
class AnswersBufferedAfterClose extends ReferenceConnection {
  private askedClose = false;
  private draining = false;
  protected override shouldClose(req: HttpRequest, plan: ResponsePlan): boolean {
    this.askedClose = connectionOptions(req.headers).has('close');
    return super.shouldClose(req, plan);
  }
  protected override closeGracefully(): void {
    if (this.askedClose && this.queue.length > 0 && !this.draining) {
      this.draining = true;
      return;
    }
    super.closeGracefully();
  }
  protected override async process(): Promise<void> {
    await super.process();
    if (this.draining && !this.busy && this.queue.length === 0 && !this.closing) super.closeGracefully();
  }
}

/** At its request limit it says close, but goes on serving the connection. */
class DecorativeLimitClose extends ReferenceConnection {
  private decorate = false;
  protected override shouldClose(req: HttpRequest, plan: ResponsePlan): boolean {
    const close = super.shouldClose(req, plan);
    const asked = connectionOptions(req.headers).has('close') || req.version !== 'HTTP/1.1';
    this.decorate = close && this.served >= this.opts.maxRequests && !plan.close && !asked && !req.clAndTe;
    return close;
  }
  protected override closeGracefully(): void {
    if (this.decorate) {
      this.decorate = false;
      return;
    }
    super.closeGracefully();
  }
}

/** After a header line without a colon: 400 with close, then on to the next request as if nothing happened. */
class DecorativeErrorClose extends ReferenceConnection {
  private received: Buffer[] = [];
  private decorate = false;
  protected override feed(chunk: Buffer): void {
    this.received.push(chunk);
    super.feed(chunk);
  }
  protected override writeError(error: ParseError): void {
    if (error.code !== 'bad-header-line') {
      super.writeError(error);
      return;
    }
    this.decorate = true;
    super.writeError(error);
    this.decorate = false;
    // Resynchronise after the end of the bad header section with a fresh parser.
    const all = Buffer.concat(this.received);
    const end = all.indexOf('\r\n\r\n', error.offset);
    this.parser = this.newParser();
    this.received = [];
    if (end >= 0) this.feed(all.subarray(end + 4));
    setImmediate(() => void this.process());
  }
  protected override closeGracefully(): void {
    if (!this.decorate) super.closeGracefully();
  }
}

/** No staged close: close(2) as soon as the response is flushed, with unread input reset by the kernel. */
class NoLingeringClose extends ReferenceConnection {
  protected override closeGracefully(): void {
    if (this.closing) return;
    this.closing = true;
    this.queue.length = 0;
    this.armTimer(); // clears the timer now that the connection is closing
    if (this.socket.writableLength === 0) this.socket.destroy();
    else this.socket.once('drain', () => this.socket.destroy());
  }
}

/** A framework that answers asynchronously and drops in-flight requests when the client half-closes. */
class AbortsOnHalfClose extends ReferenceConnection {
  protected override handle(req: HttpRequest): ResponsePlan {
    const plan = super.handle(req);
    return { ...plan, delayMs: Math.max(plan.delayMs ?? 0, 30) };
  }
  protected override onClientEnd(): void {
    if (!this.closing && (this.busy || this.queue.length > 0)) {
      this.closing = true;
      this.queue.length = 0;
      this.socket.destroy();
      return;
    }
    super.onClientEnd();
  }
}

/** On a client half-close in the middle of a request, processes what arrived as if it were complete. */
class ProcessesTruncated extends ReferenceConnection {
  private received: Buffer[] = [];
  protected override feed(chunk: Buffer): void {
    this.received.push(chunk);
    super.feed(chunk);
    if (this.parser.idle) this.received = [];
  }
  protected override onClientEnd(): void {
    const pending = this.parser.pendingBytes;
    if (this.closing || this.parser.error || pending === 0) {
      super.onClientEnd();
      return;
    }
    const all = Buffer.concat(this.received);
    const tail = all.subarray(all.length - pending);
    const split = tail.indexOf('\r\n\r\n');
    const head = split >= 0 ? tail.subarray(0, split).toString('latin1') : tail.toString('latin1');
    const body = split >= 0 ? tail.subarray(split + 4) : Buffer.alloc(0);
    // The bug: the header section ends where the bytes ended, the body is what came.
    const lines = head.split('\r\n').filter((l) => !/^content-length\s*:/i.test(l));
    if (body.length > 0) lines.push(`Content-Length: ${body.length}`);
    const p = new Parser({ kind: 'request' });
    p.push(Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), body]));
    const req = p.messages.shift() as HttpRequest | undefined;
    if (!req) {
      super.onClientEnd();
      return;
    }
    this.clientEnded = true;
    this.queue.push({ kind: 'request', req });
    void this.process();
  }
}

/** On a client half-close in the middle of a request, keeps waiting for the rest: the connection leaks. */
class LeaksTruncated extends ReferenceConnection {
  protected override onClientEnd(): void {
    if (this.closing || this.parser.idle || this.parser.error) {
      super.onClientEnd();
      return;
    }
    this.clientEnded = true;
  }
  protected override onRequestTimeout(): void {
    if (!this.clientEnded) super.onRequestTimeout();
  }
}

/**
 * Ends some connections only when its idle timeout fires: after a response that says close
 * it stops reading and answering, but sends no FIN until the idle timer ends the connection
 * (1 s in the tests). Which closes are put off is up to the subclass.
 */
export abstract class ClosesAtIdleTimeout extends ReferenceConnection {
  /** the close being decided now is put off */
  protected putOff = false;
  private waiting = false;
  protected override closeGracefully(): void {
    if (!this.putOff || this.closing) {
      super.closeGracefully();
      return;
    }
    this.putOff = false;
    // As the reference does when closing (input drained and discarded), minus the FIN.
    this.closing = true;
    this.waiting = true;
    this.queue.length = 0;
    this.armTimer(); // clears the reference's own timer now that the connection is closing
    if (this.socket.isPaused()) this.socket.resume();
    const timer = setTimeout(() => {
      this.closing = false;
      this.waiting = false;
      super.closeGracefully();
    }, this.opts.idleTimeoutMs);
    this.socket.once('close', () => clearTimeout(timer));
  }
  protected override onClientEnd(): void {
    // The client's FIN does not hurry it either: only the idle timer ends the connection.
    if (this.waiting) this.clientEnded = true;
    else super.onClientEnd();
  }
}

/** Answers a request with Connection: close (saying close) but keeps the connection until its idle timeout. */
class ClientCloseAtIdleTimeout extends ClosesAtIdleTimeout {
  protected override shouldClose(req: HttpRequest, plan: ResponsePlan): boolean {
    const close = super.shouldClose(req, plan);
    this.putOff = close && connectionOptions(req.headers).has('close');
    return close;
  }
}

/**
 * Says close on its own decision (an error, the request limit) but keeps the connection until
 * its idle timeout. A request's own Connection: close is honoured at once.
 */
class OwnCloseAtIdleTimeout extends ClosesAtIdleTimeout {
  protected override shouldClose(req: HttpRequest, plan: ResponsePlan): boolean {
    const close = super.shouldClose(req, plan);
    this.putOff = close && !connectionOptions(req.headers).has('close');
    return close;
  }
  protected override writeError(error: ParseError): void {
    this.putOff = true;
    super.writeError(error);
  }
}

const TOKEN_IDS = [
  'close-token-capitalised',
  'close-token-upper',
  'close-token-list-last',
  'close-token-list-first',
  'close-token-after-keep-alive',
  'close-token-second-line',
];

export const closeFaults: FaultyServer[] = [
  {
    name: 'close-ignores-client-close',
    breaks: ['close-client-close', 'close-no-further-requests', 'close-linger-pipeline', ...TOKEN_IDS],
    description: "ignores the client's Connection: close and keeps the connection for the next request",
    connection: IgnoresClientClose,
  },
  {
    name: 'close-at-idle-timeout',
    breaks: [
      'close-client-close',
      'close-no-further-requests',
      'close-linger-pipeline',
      ...TOKEN_IDS,
      'expect-close-after-final',
    ],
    description:
      'answers a request with Connection: close, saying close, then neither reads nor closes: the connection ends only when its idle timeout fires',
    connection: ClientCloseAtIdleTimeout,
  },
  {
    name: 'close-own-at-idle-timeout',
    breaks: ['close-server-close-error', 'close-server-close-limit'],
    description:
      'says Connection: close on an error response or at its request limit, then neither reads nor closes until its idle timeout fires',
    connection: OwnCloseAtIdleTimeout,
  },
  {
    name: 'close-exact-compare',
    breaks: TOKEN_IDS.filter((id) => id !== 'close-token-second-line'),
    description: 'honours close only when a Connection line is exactly "close"',
    connection: ExactCloseCompare,
  },
  {
    name: 'close-first-line-only',
    breaks: ['close-token-second-line'],
    description: 'reads connection options from the first Connection line only',
    connection: FirstConnectionLineOnly,
  },
  {
    name: 'close-keep-alive-wins',
    breaks: ['close-token-after-keep-alive'],
    description: 'keeps the connection when a request says both keep-alive and close',
    connection: KeepAliveWins,
  },
  {
    name: 'close-no-echo',
    breaks: ['close-client-close', ...TOKEN_IDS],
    description: 'closes after a request with close, but does not say Connection: close in its response',
    connection: NoCloseEcho,
  },
  {
    name: 'close-answers-buffered',
    breaks: ['close-no-further-requests', 'close-linger-pipeline'],
    description: 'answers the requests already buffered behind a request with close before closing',
    connection: AnswersBufferedAfterClose,
  },
  {
    name: 'close-limit-decorative',
    breaks: ['close-server-close-limit'],
    description: 'says Connection: close at its request limit but goes on serving the connection',
    connection: DecorativeLimitClose,
  },
  {
    name: 'close-error-decorative',
    breaks: ['close-server-close-error'],
    description: 'answers a malformed header line with 400 + close, then answers the next request',
    connection: DecorativeErrorClose,
  },
  {
    name: 'close-no-linger',
    // RFC 9112 §9.6 only describes the staged close: the reset is reported (INFO), not failed.
    breaks: [],
    measures: ['close-linger-pipeline', 'close-linger-upload'],
    description: 'closes without a staged close, so unread input makes the kernel send RST',
    connection: NoLingeringClose,
  },
  {
    name: 'close-aborts-on-half-close',
    breaks: ['close-half-close', 'close-half-close-pipelined'],
    description: 'drops requests still in progress when the client half-closes',
    connection: AbortsOnHalfClose,
  },
  {
    name: 'close-processes-truncated',
    breaks: ['close-truncated-head', 'close-truncated-body'],
    description: 'processes a request cut short by a client half-close as if it were complete',
    connection: ProcessesTruncated,
  },
  {
    name: 'close-leaks-truncated',
    breaks: ['close-truncated-head', 'close-truncated-body'],
    description: 'keeps a connection open after the client half-closed in the middle of a request',
    connection: LeaksTruncated,
  },
];
