import { chunkedBody } from '../../../harness/wire/build.js';
import { type HttpResponse, ParseError } from '../../../harness/wire/parse.js';
import {
  type Connection,
  type Line,
  type PlanRequest,
  ReferenceClient,
} from '../../clients/reference-client.js';
import type { FaultyClient } from './types.js';

// ---- FRAME-17: surplus and unsolicited bytes ---------------------------------------

/** Keeps a connection whose last read held bytes beyond the response, and takes them as the next response. */
class SurplusAsResponse extends ReferenceClient {
  protected override poisoned(_c: Connection): boolean {
    return false;
  }
}

/** Keeps bytes that arrive on an idle connection as the start of the next response (curl 7.88.1's behaviour). */
class IdleDataAsResponse extends ReferenceClient {
  override onIdleData(c: Connection, chunk: Buffer): void {
    c.parser.push(chunk);
  }
}

/** Throws surplus and unsolicited bytes away but keeps the connection they came on. */
class SurplusDiscardedKept extends ReferenceClient {
  protected override poisoned(c: Connection): boolean {
    c.parser.messages.splice(0);
    return c.parser.pendingBytes > 0 || c.parser.error !== undefined;
  }
  override onIdleData(_c: Connection, _chunk: Buffer): void {}
}

/** Messages parsed by this read that the faulty parser chokes on: they become a parse error. */
function choke(c: Connection, before: number, bad: (m: HttpResponse) => boolean, message: string): void {
  const i = (c.parser.messages as HttpResponse[]).findIndex((m, k) => k >= before && bad(m));
  if (i < 0) return;
  c.parser.messages.splice(i);
  c.parser.error = new ParseError('bad-start-line', message, 0);
}

/** Keeps empty lines received on an idle connection, and its status-line parser refuses them. */
class IdleCrlfFatal extends ReferenceClient {
  override onIdleData(c: Connection, chunk: Buffer): void {
    if (/^[\r\n]*$/.test(chunk.toString('latin1'))) c.parser.push(chunk);
    else super.onIdleData(c, chunk);
  }
  override receive(c: Connection, chunk: Buffer): void {
    const before = c.parser.messages.length;
    super.receive(c, chunk);
    choke(c, before, (m) => m.leadingEmptyLines > 0, 'expected a status line, got an empty line');
  }
}

// ---- FRAME-18: interim responses ------------------------------------------------------

/** Takes the first response it reads, 1xx included, as the final one. */
class InterimAsFinal extends ReferenceClient {
  override receive(c: Connection, chunk: Buffer): void {
    const before = c.parser.messages.length;
    super.receive(c, chunk);
    for (const m of c.parser.messages.slice(before) as HttpResponse[]) m.interim = false;
  }
}

/** Fails a request that gets a 100 Continue it did not ask for (undici 6.24.1's behaviour). */
class UnexpectedContinueFails extends ReferenceClient {
  override receive(c: Connection, chunk: Buffer): void {
    const before = c.parser.messages.length;
    super.receive(c, chunk);
    choke(c, before, (m) => m.status === 100, 'bad response: 100 Continue to a request without Expect');
  }
}

// ---- FRAME-19: request framing ----------------------------------------------------------

/** The request's header lines (start line first) and body, rewritten. */
function rewrite(bytes: Buffer, fn: (lines: string[], body: Buffer) => [string[], Buffer]): Buffer {
  const end = bytes.indexOf('\r\n\r\n');
  const [lines, body] = fn(bytes.toString('latin1', 0, end).split('\r\n'), bytes.subarray(end + 4));
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), body]);
}

const notLength = (l: string) => !/^content-length\s*:/i.test(l);

/** Sends every request body chunked, even when its length is known. */
class BodyAlwaysChunked extends ReferenceClient {
  protected override requestBytes(req: PlanRequest, url: URL): Buffer {
    const bytes = super.requestBytes(req, url);
    if (req.body === undefined) return bytes;
    return rewrite(bytes, (lines, body) => [
      [...lines.filter(notLength), 'Transfer-Encoding: chunked'],
      chunkedBody(body.length ? [body] : []),
    ]);
  }
}

/** Sends a request body with no framing header at all. */
class BodyUnframed extends ReferenceClient {
  protected override requestBytes(req: PlanRequest, url: URL): Buffer {
    return rewrite(super.requestBytes(req, url), (lines, body) => [lines.filter(notLength), body]);
  }
}

/** Leaves Content-Length out when a POST's body is empty. */
class EmptyBodyUnframed extends ReferenceClient {
  protected override requestBytes(req: PlanRequest, url: URL): Buffer {
    const bytes = super.requestBytes(req, url);
    return req.body === '' ? rewrite(bytes, (lines, body) => [lines.filter(notLength), body]) : bytes;
  }
}

/** Sends Content-Length: 0 on every request without a body. */
class LengthZeroOnGet extends ReferenceClient {
  protected override requestBytes(req: PlanRequest, url: URL): Buffer {
    const bytes = super.requestBytes(req, url);
    return req.body === undefined
      ? rewrite(bytes, (lines, body) => [[...lines, 'Content-Length: 0'], body])
      : bytes;
  }
}

// ---- 100-continue ---------------------------------------------------------------------

const EXPECTS = /\r\nexpect:[ \t]*100-continue[ \t]*\r\n/i;

interface Waiting {
  continued: boolean;
  final: boolean;
  wake?: () => void;
}

/**
 * The reference client with Expect: 100-continue, as curl does it: a body over
 * 1 KiB is announced with the expectation; the client sends the header section,
 * waits up to 1 s for a 100 (then sends the body anyway), and withholds the body
 * when a final response comes first, closing the connection. After a 417 it
 * repeats the request once without the expectation. Not a fault by itself: the
 * base of the 100-continue faults below.
 */
export class ExpectClient extends ReferenceClient {
  /** how long to wait for a 100 before sending the body anyway */
  protected expectWaitMs = 1000;
  private readonly waiting = new Map<Connection, Waiting>();
  /** repeats after a 417: sent without the expectation */
  private readonly plain = new WeakSet<PlanRequest>();

  /** Does this request go out with Expect: 100-continue (unless it repeats one that got a 417)? */
  protected wantsExpect(req: PlanRequest): boolean {
    return req.body !== undefined && Buffer.byteLength(req.body) > 1024;
  }

  protected override requestBytes(req: PlanRequest, url: URL): Buffer {
    const expect = !this.plain.has(req) && this.wantsExpect(req);
    return super.requestBytes(
      expect ? { ...req, headers: { ...req.headers, Expect: '100-continue' } } : req,
      url,
    );
  }

  override receive(c: Connection, chunk: Buffer): void {
    const before = c.parser.messages.length;
    super.receive(c, chunk);
    const w = this.waiting.get(c);
    if (!w) return;
    for (const m of c.parser.messages.slice(before) as HttpResponse[]) {
      if (!m.interim) w.final = true;
      else if (m.status === 100) w.continued = true;
    }
    w.wake?.();
  }

  /** With the expectation: the header section, a wait for 100, then the body (or not). */
  protected override async send(conn: Connection, bytes: Buffer): Promise<boolean> {
    const end = bytes.indexOf('\r\n\r\n') + 4;
    if (end === bytes.length || !EXPECTS.test(bytes.toString('latin1', 0, end)))
      return super.send(conn, bytes);
    const w: Waiting = { continued: false, final: false };
    this.waiting.set(conn, w);
    try {
      if (!(await super.send(conn, bytes.subarray(0, end)))) return false;
      const started = Date.now();
      while (!w.continued && !w.final && !conn.ended && Date.now() - started < this.expectWaitMs)
        await new Promise<void>((resolve) => {
          w.wake = resolve;
          setTimeout(resolve, 10);
        });
    } finally {
      this.waiting.delete(conn);
    }
    if (w.final || conn.ended) return this.bodyWithheld(conn);
    return super.send(conn, bytes.subarray(end));
  }

  /** A final response came before the body, which is not sent: false, so the connection is closed. */
  protected bodyWithheld(_conn: Connection): boolean {
    return false;
  }

  override async perform(req: PlanRequest): Promise<Line> {
    const line = await super.perform(req);
    if (!('status' in line) || line.status !== 417 || !this.wantsExpect(req)) return line;
    return this.after417(req, line);
  }

  /** The request failed its expectation: once more without it (RFC 9110 §10.1.1). */
  protected after417(req: PlanRequest, _line: Line): Promise<Line> {
    const again = { ...req };
    this.plain.add(again);
    return super.perform(again);
  }
}

/** Announces 100-continue on every request, bodiless ones included. */
class ExpectAlways extends ExpectClient {
  protected override wantsExpect(_req: PlanRequest): boolean {
    return true;
  }
}

/** Waits for a 100 without limit before sending the body. */
class ExpectWaitsForever extends ExpectClient {
  protected override expectWaitMs = Number.POSITIVE_INFINITY;
}

/** Reports the 417 instead of repeating the request without the expectation. */
class ExpectNoRetry extends ExpectClient {
  protected override after417(_req: PlanRequest, line: Line): Promise<Line> {
    return Promise.resolve(line);
  }
}

/** Withholds the body after an early final response, yet keeps the connection for the next request. */
class ExpectWithheldKept extends ExpectClient {
  protected override bodyWithheld(_conn: Connection): boolean {
    return true;
  }
}

const PIECE = 64 * 1024;

/**
 * Streams a request body in paced pieces (10 ms apart, as from a slow source), stops
 * once a response has arrived, and keeps the connection as if the request were complete.
 */
class BodyAbandonedKept extends ReferenceClient {
  protected override async send(conn: Connection, bytes: Buffer): Promise<boolean> {
    for (let at = 0; at < bytes.length; at += PIECE) {
      if (at > 0) {
        // After the first piece, give an early response up to 2 s to arrive, so that the
        // fault shows however loaded the machine is; then abandon the body if one came.
        for (let waited = 0; conn.receivedNow === 0 && waited < (at === PIECE ? 2000 : 10); waited += 10)
          await new Promise((resolve) => setTimeout(resolve, 10));
        if (conn.receivedNow > 0) return true;
        if (conn.dead || conn.ended) return false;
      }
      const piece = bytes.subarray(at, at + PIECE);
      if (!(await new Promise<boolean>((resolve) => conn.socket.write(piece, (e) => resolve(!e)))))
        return false;
    }
    return true;
  }
}

const INTERIM = [
  'client-interim-100',
  'client-interim-100-twice',
  'client-interim-103',
  'client-interim-102',
];

export const expectClientFaults: FaultyClient[] = [
  {
    name: 'surplus-as-response',
    breaks: ['client-surplus-same-write'],
    description: 'keeps bytes read beyond a response and hands them out as the next response',
    client: SurplusAsResponse,
  },
  {
    name: 'idle-data-as-response',
    breaks: ['client-surplus-unsolicited'],
    description: 'keeps bytes that arrive on an idle connection as the start of the next response',
    client: IdleDataAsResponse,
  },
  {
    name: 'surplus-discarded-kept',
    breaks: ['client-surplus-same-write', 'client-surplus-unsolicited'],
    description: 'discards surplus and unsolicited bytes but keeps using the connection they came on',
    client: SurplusDiscardedKept,
  },
  {
    name: 'idle-crlf-fatal',
    breaks: ['client-surplus-crlf'],
    description: 'keeps empty lines received on an idle connection and fails the next response on them',
    client: IdleCrlfFatal,
  },
  {
    name: 'interim-as-final',
    breaks: INTERIM,
    description: 'takes a 1xx interim response as the final response',
    client: InterimAsFinal,
  },
  {
    name: 'unexpected-100-fails',
    breaks: ['client-interim-100', 'client-interim-100-twice'],
    description: 'fails a request that gets a 100 Continue it did not ask for',
    client: UnexpectedContinueFails,
  },
  {
    name: 'body-always-chunked',
    breaks: ['client-request-framing'],
    description: 'sends every request body chunked, even when its length is known',
    client: BodyAlwaysChunked,
  },
  {
    name: 'body-unframed',
    breaks: ['client-request-framing'],
    description: 'sends request bodies with neither Content-Length nor Transfer-Encoding',
    client: BodyUnframed,
  },
  {
    name: 'empty-body-unframed',
    breaks: ['client-request-framing'],
    description: 'leaves Content-Length out of a POST with an empty body',
    client: EmptyBodyUnframed,
  },
  {
    name: 'length-zero-on-get',
    breaks: ['client-request-framing'],
    description: 'sends Content-Length: 0 on every request without a body',
    client: LengthZeroOnGet,
  },
  {
    name: 'expect-always',
    breaks: ['client-expect-no-content'],
    description: 'sends Expect: 100-continue on every request, bodiless ones included',
    client: ExpectAlways,
  },
  {
    name: 'expect-waits-forever',
    breaks: ['client-expect-wait-bounded'],
    description: 'sends Expect: 100-continue on large bodies and waits for the 100 without limit',
    client: ExpectWaitsForever,
  },
  {
    name: 'expect-no-417-retry',
    breaks: ['client-expect-417-retry'],
    description:
      'sends Expect: 100-continue on large bodies and reports a 417 instead of repeating the request',
    client: ExpectNoRetry,
  },
  {
    name: 'expect-withheld-kept',
    breaks: ['client-early-final-body', 'client-expect-417-retry'],
    description:
      'sends Expect: 100-continue on large bodies, withholds the body after an early final response, and reuses the connection',
    client: ExpectWithheldKept,
  },
  {
    name: 'body-abandoned-kept',
    breaks: ['client-early-final-body'],
    description: 'stops sending a request body once a response arrives, and reuses the connection',
    client: BodyAbandonedKept,
  },
];
