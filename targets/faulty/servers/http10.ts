import { connectionOptions, fieldValue, type HttpRequest } from '../../../harness/wire/parse.js';
import { ReferenceConnection, type ResponsePlan } from '../../servers/reference.js';
import { ClosesAtIdleTimeout } from './close.js';
import type { FaultyServer } from './types.js';

/** The request as if it had also carried `Connection: keep-alive`. */
const withKeepAlive = (req: HttpRequest): HttpRequest => ({
  ...req,
  headers: [...req.headers, { name: 'Connection', value: 'keep-alive' }],
});

const is10 = (req: HttpRequest) => req.version === 'HTTP/1.0';
const asksKeepAlive = (req: HttpRequest) => connectionOptions(req.headers).has('keep-alive');

/** Treats every HTTP/1.0 request as if it asked for keep-alive (HTTP/1.1 defaults for 1.0 clients). */
class Http10Persistent extends ReferenceConnection {
  protected override shouldClose(req: HttpRequest, plan: ResponsePlan): boolean {
    return super.shouldClose(is10(req) && !asksKeepAlive(req) ? withKeepAlive(req) : req, plan);
  }
}

/** Keys HTTP/1.0 persistence off a Keep-Alive header, without the connection token. */
class KeepAliveHeaderHonoured extends ReferenceConnection {
  protected override shouldClose(req: HttpRequest, plan: ResponsePlan): boolean {
    const header = fieldValue(req.headers, 'keep-alive') !== undefined;
    return super.shouldClose(is10(req) && header && !asksKeepAlive(req) ? withKeepAlive(req) : req, plan);
  }
}

/** Remembers "this connection is keep-alive" from the first HTTP/1.0 request that asked for it. */
class StickyKeepAlive extends ReferenceConnection {
  private sticky = false;
  protected override shouldClose(req: HttpRequest, plan: ResponsePlan): boolean {
    if (is10(req) && asksKeepAlive(req)) this.sticky = true;
    return super.shouldClose(
      is10(req) && this.sticky && !asksKeepAlive(req) ? withKeepAlive(req) : req,
      plan,
    );
  }
}

/** Recognises keep-alive only when the Connection value is exactly the string "keep-alive". */
class KeepAliveExactMatch extends ReferenceConnection {
  protected override shouldClose(req: HttpRequest, plan: ResponsePlan): boolean {
    if (is10(req) && asksKeepAlive(req) && fieldValue(req.headers, 'connection') !== 'keep-alive')
      return true;
    return super.shouldClose(req, plan);
  }
}

/**
 * Keeps HTTP/1.0 keep-alive connections but sends their bodies without Content-Length,
 * and then never ends such a connection (so its idle timeout cannot end the body early).
 */
class Http10KeepAliveUnframed extends ReferenceConnection {
  private unframed = false;
  protected override onIdleTimeout(): void {
    if (!this.unframed) super.onIdleTimeout();
  }
  /** Which kept HTTP/1.0 responses go out unframed, and what else leaves their head. */
  protected unframes(req: HttpRequest): boolean {
    return is10(req);
  }
  protected dropped = /\r\nContent-Length: \d+/gi;
  protected override serialize(req: HttpRequest, plan: ResponsePlan, close: boolean): Buffer {
    const bytes = super.serialize(req, plan, close);
    if (!this.unframes(req) || close) return bytes;
    this.unframed = true;
    const end = bytes.indexOf('\r\n\r\n');
    const head = bytes.subarray(0, end).toString('latin1').replaceAll(this.dropped, '');
    return Buffer.concat([Buffer.from(head, 'latin1'), bytes.subarray(end)]);
  }
}

/**
 * Two code paths that disagree: whether to keep the connection follows the token
 * case-insensitively, anywhere in the list (as it should), but whether to frame the
 * body and announce keep-alive follows the exact string "keep-alive". Any other
 * spelling gets a body without Content-Length on a connection left open.
 */
class KeepAliveSpellingUnframed extends Http10KeepAliveUnframed {
  protected override dropped = /\r\n(Content-Length: \d+|Connection: keep-alive)/gi;
  protected override unframes(req: HttpRequest): boolean {
    return is10(req) && fieldValue(req.headers, 'connection') !== 'keep-alive';
  }
}

/** Keeps HTTP/1.0 keep-alive connections without saying keep-alive (no Connection, no Keep-Alive). */
class Http10KeepAliveUnannounced extends ReferenceConnection {
  protected override connectionHeaders(req: HttpRequest, close: boolean): Array<[string, string]> {
    return is10(req) && !close ? [] : super.connectionHeaders(req, close);
  }
}

/** Sends bodies of unknown length chunked whatever the request version. */
class Http10Chunked extends ReferenceConnection {
  protected override serialize(req: HttpRequest, plan: ResponsePlan, close: boolean): Buffer {
    return super.serialize(plan.chunks && is10(req) ? { ...req, version: 'HTTP/1.1' } : req, plan, close);
  }
}

/** Processes an HTTP/1.0 request with Transfer-Encoding and keeps the connection (Apache 2.4.71). */
class Http10TransferEncodingKept extends ReferenceConnection {
  protected override shouldClose(req: HttpRequest, plan: ResponsePlan): boolean {
    return super.shouldClose(is10(req) && asksKeepAlive(req) ? { ...req, version: 'HTTP/1.1' } : req, plan);
  }
}

/**
 * Answers an HTTP/1.0 keep-alive request with Connection: keep-alive and Keep-Alive: timeout, max,
 * then closes the connection at once: the announcement is a promise it breaks.
 */
class Http10KeepAliveBrokenPromise extends ReferenceConnection {
  protected override shouldClose(req: HttpRequest, plan: ResponsePlan): boolean {
    return is10(req) && asksKeepAlive(req) ? true : super.shouldClose(req, plan);
  }
  protected override serialize(req: HttpRequest, plan: ResponsePlan, close: boolean): Buffer {
    const announce = is10(req) && asksKeepAlive(req) && !plan.close && !super.shouldClose(req, plan);
    return super.serialize(req, plan, announce ? false : close);
  }
}

/** Sends Keep-Alive: timeout, max on HTTP/1.1 responses without the keep-alive connection option. */
class KeepAliveHeaderUnpaired extends ReferenceConnection {
  protected override connectionHeaders(req: HttpRequest, close: boolean): Array<[string, string]> {
    const headers = super.connectionHeaders(req, close);
    return is10(req) || close ? headers : headers.filter(([name]) => name !== 'Connection');
  }
}

/** Ends an HTTP/1.0 connection it will not keep only when its idle timeout fires (no FIN after the response). */
class Http10CloseAtIdleTimeout extends ClosesAtIdleTimeout {
  protected override shouldClose(req: HttpRequest, plan: ResponsePlan): boolean {
    const close = super.shouldClose(req, plan);
    this.putOff = close && is10(req);
    return close;
  }
}

export const http10Faults: FaultyServer[] = [
  {
    name: 'http10-persistent',
    breaks: ['http10-close-by-default', 'http10-keepalive-header-ignored', 'http10-keepalive-per-request'],
    description: 'keeps HTTP/1.0 connections open although the request did not ask for keep-alive',
    connection: Http10Persistent,
  },
  {
    name: 'http10-keepalive-header-honoured',
    breaks: ['http10-keepalive-header-ignored'],
    description:
      'keeps an HTTP/1.0 connection for a Keep-Alive header that came without the keep-alive token',
    connection: KeepAliveHeaderHonoured,
  },
  {
    name: 'http10-sticky-keepalive',
    breaks: ['http10-keepalive-per-request'],
    description: 'keeps an HTTP/1.0 connection after a request without keep-alive once an earlier one had it',
    connection: StickyKeepAlive,
  },
  {
    name: 'http10-keepalive-exact-match',
    // It declines the other spellings cleanly (Connection: close): a server may decline keep-alive
    // (RFC 9112 §9.3), so the difference is reported, not failed.
    breaks: [],
    measures: ['http10-token-capitalised', 'http10-token-upper-case', 'http10-token-in-list'],
    description:
      'recognises keep-alive only when Connection is exactly "keep-alive" (case-sensitive, no list)',
    connection: KeepAliveExactMatch,
  },
  {
    name: 'http10-keepalive-spelling-unframed',
    breaks: ['http10-token-capitalised', 'http10-token-upper-case', 'http10-token-in-list'],
    description:
      'keeps an HTTP/1.0 connection for any spelling of keep-alive, but frames the body (Content-Length) and says keep-alive only for the exact string "keep-alive"',
    connection: KeepAliveSpellingUnframed,
  },
  {
    name: 'http10-keepalive-unframed',
    breaks: ['http10-keepalive-request', 'http10-no-chunked', 'http10-keepalive-per-request'],
    description: 'keeps HTTP/1.0 keep-alive connections but sends their bodies without Content-Length',
    connection: Http10KeepAliveUnframed,
  },
  {
    name: 'http10-keepalive-unannounced',
    // Its responses are HTTP/1.1, which announce persistence by their version (RFC 9112 §9.3).
    breaks: [],
    measures: ['http10-keepalive-request'],
    description: 'keeps HTTP/1.0 keep-alive connections without answering with the keep-alive token',
    connection: Http10KeepAliveUnannounced,
  },
  {
    name: 'http10-chunked',
    breaks: ['http10-no-chunked'],
    description: 'sends bodies of unknown length with chunked coding to HTTP/1.0 clients',
    connection: Http10Chunked,
  },
  {
    name: 'http10-te-kept',
    breaks: ['http10-te-closes'],
    description: 'keeps the connection after an HTTP/1.0 keep-alive request that carried Transfer-Encoding',
    connection: Http10TransferEncodingKept,
  },
  {
    name: 'http10-keepalive-broken-promise',
    breaks: ['http10-keepalive-request'],
    description:
      'announces keep-alive (Connection: keep-alive, Keep-Alive: timeout) to HTTP/1.0 keep-alive requests, then closes right after the response',
    connection: Http10KeepAliveBrokenPromise,
  },
  {
    name: 'http10-close-at-idle-timeout',
    breaks: [
      'http10-close-by-default',
      'http10-keepalive-header-ignored',
      'http10-keepalive-per-request',
      'http10-te-closes',
    ],
    description:
      'answers an HTTP/1.0 request it will not keep, then neither reads nor closes: the connection ends only when its idle timeout fires',
    connection: Http10CloseAtIdleTimeout,
  },
  {
    name: 'http10-keepalive-header-unpaired',
    breaks: ['http10-keepalive-header-paired'],
    description: 'sends a Keep-Alive header on HTTP/1.1 responses without Connection: keep-alive',
    connection: KeepAliveHeaderUnpaired,
  },
];
