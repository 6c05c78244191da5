// Faulty proxies for the framing area (suites/proxy/framing.ts): each frames one
// kind of origin response wrongly, or relays 1xx and Expect: 100-continue wrongly.

import {
  connectionOptions,
  type Header,
  type HttpRequest,
  type HttpResponse,
} from '../../../harness/wire/parse.js';
import { DownstreamConnection, type Exchange, type Upstream, UpstreamPool } from '../../proxies/reference.js';
import type { FaultyProxy } from './types.js';

const lines = (headers: readonly Header[]) => headers.map((h) => `${h.name}: ${h.value}\r\n`).join('');

/** Relays a close-delimited response as it came, without a length, and keeps the client connection. */
class RelaysCloseDelimited extends DownstreamConnection {
  protected override responseBytes(res: HttpResponse, req: HttpRequest, close: boolean): Buffer {
    if (res.framing.kind !== 'close-delimited') return super.responseBytes(res, req, close);
    const head = `HTTP/1.1 ${res.status} ${res.reason}\r\n${lines(this.responseFields(res))}\r\n`;
    return Buffer.concat([Buffer.from(head, 'latin1'), res.body]);
  }
}

/** Passes a response with Content-Length and Transfer-Encoding through with both (the body chunked again). */
class ForwardsLengthWithChunked extends DownstreamConnection {
  protected override responseBytes(res: HttpResponse, req: HttpRequest, close: boolean): Buffer {
    if (!res.clAndTe) return super.responseBytes(res, req, close);
    const conn = close ? 'Connection: close\r\n' : '';
    const head = `HTTP/1.1 ${res.status} ${res.reason}\r\n${lines(this.responseFields(res))}Transfer-Encoding: chunked\r\n${conn}\r\n`;
    const chunk = res.body.length
      ? `${res.body.length.toString(16)}\r\n${res.body.toString('latin1')}\r\n`
      : '';
    return Buffer.from(`${head}${chunk}0\r\n\r\n`, 'latin1');
  }
}

/** Feeds an upstream connection's bytes to its parser through `rewrite`. */
function rewriteIncoming(up: Upstream, rewrite: (d: Buffer) => Buffer): void {
  up.socket.removeAllListeners('data');
  up.socket.on('data', (d: Buffer) => {
    up.bytesIn += d.length;
    up.parser.push(rewrite(d));
    up.onChange?.();
  });
}

/** Content-Length read the lenient way: the first field only, its leading digits ("12a" is 12). */
function firstLengthDigits(d: Buffer): Buffer {
  const text = d.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  if (!text.startsWith('HTTP/1.') || end < 0) return d;
  let seen = false;
  const head = text
    .slice(0, end)
    .split('\r\n')
    .flatMap((line) => {
      const m = /^content-length:\s*(\d*)/i.exec(line);
      if (!m) return [line];
      if (seen) return [];
      seen = true;
      return [`Content-Length: ${m[1] || '0'}`];
    })
    .join('\r\n');
  return Buffer.from(head + text.slice(end), 'latin1');
}

class LenientLengthPool extends UpstreamPool {
  override async open(): Promise<Upstream> {
    const up = await super.open();
    rewriteIncoming(up, firstLengthDigits);
    return up;
  }
}

/** Answers 502 to a response it cannot frame, but only stops using that upstream connection: it stays open. */
class KeepsBrokenUpstreamPool extends UpstreamPool {
  override release(up: Upstream, reusable: boolean): void {
    const e = up.parser.error;
    if (e && e.code !== 'incomplete' && !up.ended) return;
    super.release(up, reusable);
  }
}

/** Every byte each upstream connection received, for the faults that relay bytes as they came. */
const received = new WeakMap<Upstream, Buffer[]>();

class CapturingPool extends UpstreamPool {
  override async open(): Promise<Upstream> {
    const up = await super.open();
    const parts: Buffer[] = [];
    received.set(up, parts);
    up.socket.on('data', (d: Buffer) => parts.push(d));
    return up;
  }
}

/** Relays a response cut short as far as it came (like a proxy that streams), and leaves the client connection open. */
class LeavesCutResponseOpen extends DownstreamConnection {
  private current?: { up: Upstream; from: number };
  private cut = false;

  protected override relay(up: Upstream, head: HttpRequest, index: number, ex: Exchange) {
    this.current = { up, from: received.get(up)?.length ?? 0 };
    return super.relay(up, head, index, ex);
  }

  protected override errorResponse(status: number, why: string, close: boolean): Buffer {
    const c = this.current;
    const parts = c && received.get(c.up);
    if (status !== 502 || !parts || c.up.parser.error?.code !== 'incomplete')
      return super.errorResponse(status, why, close);
    this.cut = true;
    return Buffer.concat(parts.slice(c.from));
  }

  protected override closeAfter(ex: Exchange): boolean {
    if (this.cut) {
      this.cut = false;
      return false;
    }
    return super.closeAfter(ex);
  }
}

/** The chunks that came complete, decoded: what a proxy that stopped at the cut has of a chunked body. */
function chunksSoFar(text: string): string {
  let body = '';
  for (let rest = text; ; ) {
    const m = /^([0-9a-fA-F]+)[^\r]*\r\n/.exec(rest);
    const size = m ? Number.parseInt(m[1]!, 16) : 0;
    if (!m || size === 0 || rest.length < m[0].length + size) return body;
    body += rest.slice(m[0].length, m[0].length + size);
    rest = rest.slice(m[0].length + size + 2);
  }
}

/** A response the origin cut short goes to the client as complete: a Content-Length of what came (decoded). */
class CompletesCutResponse extends LeavesCutResponseOpen {
  protected override errorResponse(status: number, why: string, close: boolean): Buffer {
    const bytes = super.errorResponse(status, why, close);
    const text = bytes.toString('latin1');
    const end = text.indexOf('\r\n\r\n');
    if (!/^HTTP\/1\.1 200/.test(text) || end < 0) return bytes;
    const lines = text.slice(0, end).split('\r\n');
    const chunked = lines.some((l) => /^transfer-encoding:/i.test(l));
    const body = chunked ? chunksSoFar(text.slice(end + 4)) : text.slice(end + 4);
    const head = lines.filter((l) => !/^(content-length|transfer-encoding):/i.test(l)).join('\r\n');
    return Buffer.from(`${head}\r\nContent-Length: ${body.length}\r\n\r\n${body}`, 'latin1');
  }
}

/** A byte pump after each response: whatever the origin sent beyond it goes down to the client too. */
class RelaysStrayBytes extends DownstreamConnection {
  protected override async relay(up: Upstream, head: HttpRequest, index: number, ex: Exchange) {
    const r = await super.relay(up, head, index, ex);
    while (up.parser.messages.length > up.taken) this.write(up.parser.messages[up.taken++]!.raw);
    return r;
  }
}

/** Pools an upstream connection at a message boundary even when a further response already waits on it. */
class PoolsStrayResponse extends UpstreamPool {
  override release(up: Upstream, reusable: boolean): void {
    // Count the waiting response as taken while the pool looks, then leave it to be taken next.
    const taken = up.taken;
    up.taken = up.parser.messages.length;
    super.release(up, reusable);
    up.taken = taken;
  }

  override async acquire(): Promise<{ up: Upstream; reused: boolean }> {
    for (let up = this.idle.pop(); up; up = this.idle.pop()) {
      clearTimeout(up.idleTimer);
      if (!up.ended && up.parser.idle) return { up, reused: true };
      up.close();
    }
    return { up: await this.open(), reused: false };
  }
}

/** Swallows the origin's 100 Continue (a proxy that thinks 100 is between it and the origin). */
class DropsContinue extends DownstreamConnection {
  protected override forwardsInterim(res: HttpResponse, req: HttpRequest): boolean {
    return res.status !== 100 && super.forwardsInterim(res, req);
  }
}

/** Forwards 100 Continue only, and drops every other 1xx (103 Early Hints). */
class ForwardsOnlyContinue extends DownstreamConnection {
  protected override forwardsInterim(res: HttpResponse, req: HttpRequest): boolean {
    return res.status === 100 && super.forwardsInterim(res, req);
  }
}

/** Drops a 1xx whose final response came in the same read (a proxy that answers with the last complete message it has). */
class DropsInterimWithFinal extends DownstreamConnection {
  protected override forwardsInterim(res: HttpResponse, req: HttpRequest, up?: Upstream): boolean {
    return !up?.ready && super.forwardsInterim(res, req);
  }
}

/** Relays 1xx whatever the client's version. */
class InterimToHttp10 extends DownstreamConnection {
  protected override forwardsInterim(res: HttpResponse): boolean {
    return res.status !== 101;
  }
}

/** Store and forward: the request goes to the origin only once its body is complete, Expect or not. */
class HoldsHeadUntilBody extends DownstreamConnection {
  protected override async forward(head: HttpRequest, index: number): Promise<Exchange> {
    await this.waiters.until(
      () => (this.parser.messages[index] || this.parser.error || this.ended ? true : undefined),
      this.opts.responseTimeoutMs ?? 60_000,
      this.ac.signal,
      false,
    );
    return super.forward(head, index);
  }
}

/** After a final response that came before the body, pools the upstream connection although the body was never sent. */
class ReusesAfterEarlyAnswer extends DownstreamConnection {
  protected override reuses(ex: Exchange): boolean {
    if (ex.res && ex.early) return !connectionOptions(ex.res.headers).has('close');
    return super.reuses(ex);
  }
}

export const framingFaults: FaultyProxy[] = [
  {
    name: 'proxy-relays-close-delimited-open',
    breaks: ['proxy-frame-close-delimited'],
    description:
      'relays a close-delimited response without a length and keeps the client connection open (RFC 9112 §9.3)',
    connection: RelaysCloseDelimited,
  },
  {
    name: 'proxy-forwards-cl-with-te',
    breaks: ['proxy-frame-cl-te-response'],
    description:
      "passes the origin's Content-Length on beside Transfer-Encoding: chunked (RFC 9112 §6.3: remove it first)",
    connection: ForwardsLengthWithChunked,
  },
  {
    name: 'proxy-lenient-response-length',
    breaks: ['proxy-frame-invalid-cl-response', 'proxy-frame-conflicting-cl-response'],
    description:
      "frames a response by the first Content-Length's leading digits (12a is 12; 5 then 6 is 5) instead of answering 502",
    pool: (host, port, idleMs) => new LenientLengthPool(host, port, idleMs),
  },
  {
    name: 'proxy-keeps-broken-upstream',
    breaks: ['proxy-frame-invalid-cl-response', 'proxy-frame-conflicting-cl-response'],
    description:
      'answers 502 to a response with an invalid Content-Length but leaves the connection to the origin open',
    pool: (host, port, idleMs) => new KeepsBrokenUpstreamPool(host, port, idleMs),
  },
  {
    name: 'proxy-leaves-cut-response-open',
    breaks: ['proxy-frame-truncated-cl', 'proxy-frame-truncated-chunked'],
    description:
      'relays a response the origin cut short as far as it came and leaves the client connection open (RFC 9112 §6.3, §8)',
    connection: LeavesCutResponseOpen,
    pool: (host, port, idleMs) => new CapturingPool(host, port, idleMs),
  },
  {
    name: 'proxy-completes-cut-response',
    breaks: ['proxy-frame-truncated-cl', 'proxy-frame-truncated-chunked'],
    description:
      'relays a response the origin cut short (of its Content-Length, or before its last-chunk) as complete, with a Content-Length of what came',
    connection: CompletesCutResponse,
    pool: (host, port, idleMs) => new CapturingPool(host, port, idleMs),
  },
  {
    name: 'proxy-relays-stray-bytes',
    breaks: ['proxy-frame-head-with-body', 'proxy-frame-204-with-body', 'proxy-frame-304-with-body'],
    description:
      'relays whatever the origin sends after a response, such as a body after a 204, 304 or HEAD response (RFC 9112 §6.3)',
    connection: RelaysStrayBytes,
  },
  {
    name: 'proxy-pools-stray-response',
    breaks: ['proxy-frame-head-with-body', 'proxy-frame-204-with-body', 'proxy-frame-304-with-body'],
    description:
      'pools an upstream connection on which a further response already waits, which then answers the next request',
    pool: (host, port, idleMs) => new PoolsStrayResponse(host, port, idleMs),
  },
  {
    name: 'proxy-drops-100-continue',
    breaks: ['proxy-1xx-100-forwarded'],
    description: "swallows the origin's 100 Continue instead of forwarding it (RFC 9110 §15.2)",
    connection: DropsContinue,
  },
  {
    name: 'proxy-drops-103',
    breaks: ['proxy-1xx-103-forwarded', 'proxy-1xx-103-with-final'],
    description: 'forwards 100 Continue but drops every other 1xx, 103 Early Hints included (RFC 9110 §15.2)',
    connection: ForwardsOnlyContinue,
  },
  {
    name: 'proxy-drops-1xx-with-final',
    breaks: ['proxy-1xx-103-with-final'],
    description: 'drops a 1xx that arrives in one read with the final response',
    connection: DropsInterimWithFinal,
  },

  {
    name: 'proxy-1xx-to-http10',
    breaks: ['proxy-1xx-not-to-http10'],
    description: 'relays 1xx responses to HTTP/1.0 clients too (RFC 9110 §15.2)',
    connection: InterimToHttp10,
  },
  {
    name: 'proxy-holds-expect-head',
    breaks: ['proxy-expect-head-forwarded'],
    description:
      'forwards a request only once its body is complete, even with Expect: 100-continue (RFC 9110 §10.1.1)',
    connection: HoldsHeadUntilBody,
  },
  {
    name: 'proxy-reuses-after-early-answer',
    breaks: ['proxy-expect-early-final'],
    description:
      'pools the upstream connection after a final response that came before the body, which it never sends (RFC 9112 §9.3)',
    connection: ReusesAfterEarlyAnswer,
  },
];
