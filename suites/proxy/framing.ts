// Area `framing`, proxy mode: how an intermediary frames again what the origin sends
// (close-delimited, Content-Length with Transfer-Encoding, invalid or short lengths,
// bytes after a bodyless response), and how it relays 1xx and Expect: 100-continue.
// The origin misbehaves on purpose here; the proxy is judged by what reaches the
// client, and by what becomes of the next request on the same connection.

import {
  closedAfter,
  describeRead,
  describeResponse,
  expectResponse,
  fail,
  saysClose,
  skip,
} from '../../harness/check.js';
import { satisfied } from '../../harness/model.js';
import type { ProxyCtx, ProxyScenario } from '../../harness/proxy-context.js';
import type { OriginEarly, OriginScript } from '../../harness/proxy-origin.js';
import { ok } from '../../harness/reply.js';
import { buildResponse, chunkedBody, type Req } from '../../harness/wire/build.js';
import type { Conn } from '../../harness/wire/conn.js';
import { fieldValue, fieldValues, type HttpRequest, type HttpResponse } from '../../harness/wire/parse.js';
import type { ReceivedRequest } from '../../harness/wire/server.js';
import { arrived, graceMs } from './steps.js';

/** The last part of a scenario path: /ksp-…/after?x -> 'after' */
function nameOf(target: string): string {
  const path = target.split('?')[0]!;
  return path.slice(path.lastIndexOf('/') + 1);
}

/** What the origin answers a well-behaved request named `name` with. */
const answerTo = (name: string) => `answer to ${name}`;

/** The origin: `special` answers for some names, every other request gets its plain answer. */
function serveNamed(ctx: ProxyCtx, special: Record<string, OriginScript>, early?: OriginEarly): void {
  ctx.serve((req, conn) => {
    const name = nameOf(req.msg.target);
    return special[name]?.(req, conn) ?? ok(answerTo(name));
  }, early);
}

const clip = (b: Buffer, n = 60) => JSON.stringify(b.toString('latin1').slice(0, n));
const ms = (n: number) => `${Math.round(n)} ms`;

/**
 * The client connection after a response: if it is still open, a GET for `after` on it must get the
 * origin's answer to `after` (anything else is the connection out of sync); a close instead is fine.
 * One line of evidence.
 */
async function followUp(ctx: ProxyCtx, c: Conn, after: string, o: { stray?: string } = {}): Promise<string> {
  if (c.ended) return `the proxy closed the client connection ${c.label}`;
  const req = ctx.get(ctx.at('after'));
  const sent = await c.send(req);
  if (!sent.ok) return `the client connection ${c.label} was closed (${sent.error})`;
  const r = await c.readResponse();
  if (r.type === 'end')
    return `the proxy closed the client connection ${c.label} instead of answering ${req.label}`;
  const want = answerTo('after');
  if (r.type === 'response' && r.response.status === 200 && r.response.body.toString('latin1') === want)
    return `${req.label} on ${c.label} got its own answer`;
  const stray = r.type === 'response' && o.stray !== undefined && r.response.body.includes(o.stray);
  fail({
    summary: stray
      ? `the bytes the origin sent after ${after} reached the client as the response to its next request`
      : `the next request (on ${c.label}) got ${r.type === 'response' ? 'a response that is not its own' : 'no answer'} after ${after}: a connection is out of sync`,
    expected: `the end of the client connection, or the origin's answer to ${req.label} (${JSON.stringify(want)})`,
    seen: `${r.type === 'response' ? `${describeResponse(r.response)}, body ${clip(r.response.body)}` : describeRead(r)}; origin: ${ctx.describeUpstream()}`,
  });
}

// ---- PXFRAME-01: close-delimited ---------------------------------------------------

const CLOSE_BODY = 'a body without Content-Length or chunked: it ends where the origin closes';

const closeDelimited: ProxyScenario = {
  id: 'proxy-frame-close-delimited',
  role: 'proxy',
  area: 'framing',
  level: 'MUST',
  rfc: 'RFC 9112 §9.3',
  covers: ['PXFRAME-01'],
  title:
    'a close-delimited response from the origin reaches the client with a length, or the client connection closes right after it',
  async run(ctx) {
    serveNamed(ctx, {
      eof: () => ({
        response: `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n${CLOSE_BODY}`,
        after: 'close',
      }),
    });
    const c = await ctx.connect();
    const req = ctx.get(ctx.at('eof'));
    await c.send(req);
    const r = await c.readResponse();
    if (r.type !== 'response')
      fail({
        summary:
          r.type === 'timeout' && r.state === 'inside a close-delimited body'
            ? 'the proxy relayed the close-delimited response without a length and kept the client connection open: the client cannot tell where it ends'
            : `no complete response to ${req.label}`,
        expected:
          'the response with Content-Length or chunked framing, or without them and then the end of the client connection',
        seen: `${describeRead(r)}; origin: ${ctx.describeUpstream()}`,
      });
    const res = r.response;
    if (res.status !== 200 || res.body.toString('latin1') !== CLOSE_BODY)
      fail({
        summary: 'the close-delimited response reached the client altered',
        expected: `200 with the ${CLOSE_BODY.length}-byte body the origin sent before closing`,
        seen: `${describeResponse(res)}, body ${clip(res.body)}`,
      });
    if (res.framing.kind === 'close-delimited') {
      // Relayed as it came: only a close right after the body tells the client it is over.
      const end = await closedAfter(c, res, ctx.transcript);
      if (end.verdict !== 'prompt')
        fail({
          summary:
            'the proxy relayed the response close-delimited but did not close the client connection when the body was over',
          expected: `the client connection closed right after the last byte (within ${end.boundMs} ms), the only end a close-delimited body has`,
          seen: `${describeResponse(res)}, then ${end.text}`,
        });
      return satisfied(`relayed close-delimited, then ${end.text}`);
    }
    const next = saysClose(res)
      ? 'the client connection closes as announced'
      : await followUp(ctx, c, 'the close-delimited response');
    return satisfied(`relayed as ${describeResponse(res)}; ${next}`);
  },
};

// ---- PXFRAME-02: Content-Length with Transfer-Encoding ---------------------------------

const TE_BODY = ['hello', ' world'];

const clAndTe: ProxyScenario = {
  id: 'proxy-frame-cl-te-response',
  role: 'proxy',
  area: 'framing',
  level: 'MUST',
  rfc: 'RFC 9112 §6.3',
  covers: ['PXFRAME-02'],
  title:
    'a response with Content-Length and Transfer-Encoding: chunked is relayed decoded by the chunked coding, without the received Content-Length',
  async run(ctx) {
    const body = TE_BODY.join('');
    serveNamed(ctx, {
      both: () => ({
        response:
          'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n' +
          chunkedBody(TE_BODY).toString('latin1'),
      }),
    });
    const c = await ctx.connect();
    const req = ctx.get(ctx.at('both'));
    await c.send(req);
    const res = expectResponse(await c.readResponse(), req.label);
    if (res.status >= 500) {
      const next = await followUp(ctx, c, `the ${res.status}`);
      return satisfied(`the proxy refused the response (${describeResponse(res)}); ${next}`);
    }
    const cl = fieldValues(res.headers, 'content-length');
    const te = fieldValues(res.headers, 'transfer-encoding');
    if (cl.length > 0 && te.length > 0)
      fail({
        summary: `the client got Content-Length: ${cl.join(', ')} beside Transfer-Encoding: ${te.join(', ')}`,
        expected:
          'the received Content-Length removed, the body framed by the chunked coding alone (or again with a length of its own), or a 502',
        seen: describeResponse(res),
      });
    if (res.body.toString('latin1') !== body)
      fail({
        summary: 'the body reached the client framed by the Content-Length, not by the chunked coding',
        expected: `the chunked body decoded: ${JSON.stringify(body)}`,
        seen: `${describeResponse(res)}, body ${clip(res.body)}`,
      });
    const next = await followUp(ctx, c, 'the response with Content-Length and Transfer-Encoding');
    return satisfied(`relayed as ${describeResponse(res)} with the decoded body; ${next}`);
  },
};

// ---- PXFRAME-03: invalid Content-Length ----------------------------------------------------

function invalidLength(o: { id: string; title: string; fields: string; body: string }): ProxyScenario {
  return {
    id: o.id,
    role: 'proxy',
    area: 'framing',
    level: 'MUST',
    rfc: 'RFC 9112 §6.3',
    covers: ['PXFRAME-03'],
    title: o.title,
    async run(ctx) {
      // The origin keeps its connection open: closing it is the proxy's job.
      serveNamed(ctx, {
        bad: () => ({ response: `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n${o.fields}\r\n${o.body}` }),
      });
      const c = await ctx.connect();
      const req = ctx.get(ctx.at('bad'));
      await c.send(req);
      const r = await c.readResponse();
      const a = await arrived(ctx, 'bad');
      const sent = `the origin sent ${JSON.stringify(o.fields.trim())} and ${o.body.length} body bytes`;
      if (r.type !== 'response' || r.response.status !== 502)
        fail({
          summary:
            r.type === 'response'
              ? `the proxy relayed a response whose Content-Length is invalid (${r.response.status} to the client)`
              : 'the client got no 502 for a response whose Content-Length is invalid',
          expected: 'the received response discarded and a 502 (Bad Gateway) sent to the client',
          seen: `${sent}; the client got ${r.type === 'response' ? `${describeResponse(r.response)}, body ${clip(r.response.body)}` : describeRead(r)}`,
        });
      if (!(await ctx.upstreamEnded(a.req.conn)))
        fail({
          summary: 'the proxy answered 502 but kept the connection to the origin open',
          expected: 'the proxy to close the connection to the origin that sent the invalid Content-Length',
          seen: `${sent}; ${ctx.upLabel(a.req.conn)} was still open ${ms(ctx.timing.timeoutMs)} after it (${ctx.describeUpstream()})`,
        });
      return satisfied(`${sent}: the client got 502 and the proxy closed ${ctx.upLabel(a.req.conn)}`);
    },
  };
}

// ---- PXFRAME-04: a response the origin cuts short ------------------------------------------

function cutShort(o: { id: string; title: string; response: string; what: string }): ProxyScenario {
  return {
    id: o.id,
    role: 'proxy',
    area: 'framing',
    level: 'MUST',
    rfc: 'RFC 9112 §6.3',
    covers: ['PXFRAME-04'],
    title: o.title,
    async run(ctx) {
      serveNamed(ctx, { cut: () => ({ response: o.response, after: 'close' }) });
      const c = await ctx.connect();
      const req = ctx.get(ctx.at('cut'));
      await c.send(req);
      const r = await c.readResponse();
      await arrived(ctx, 'cut');
      const origin = `the origin sent ${o.what}, then closed`;
      if (r.type === 'response') {
        const res = r.response;
        if (res.status < 500)
          fail({
            summary: 'the client got the response the origin cut short as a complete response',
            expected:
              'a 5xx, or the bytes received and then the end of the client connection (an incomplete response)',
            seen: `${origin}; the client got ${describeResponse(res)}, body ${clip(res.body)}`,
          });
        const next = await followUp(ctx, c, `the ${res.status}`);
        return satisfied(`${origin}; the client got ${describeResponse(res)}; ${next}`);
      }
      if (r.type !== 'end')
        fail({
          summary:
            r.type === 'timeout'
              ? 'the proxy left the client connection open in the middle of a response the origin had cut short'
              : 'the client got a malformed response',
          expected:
            'a 5xx, or the bytes received and then the end of the client connection (an incomplete response)',
          seen: `${origin}; the client: ${describeRead(r)}`,
        });
      // The end is the only signal the client gets: it is due when the proxy saw the origin's
      // (the last one, should the proxy have tried again).
      const originEnds = ctx
        .arrivals('cut')
        .map((a) => a.req.conn.serverFinAt ?? a.req.conn.serverRstAt)
        .filter((t): t is number => t !== undefined)
        .map((t) => ctx.upTime(t))
        .filter((t) => t <= r.at);
      if (originEnds.length > 0) {
        const from = Math.max(...originEnds);
        const lag = r.at - from - ctx.transcript.stalledBetween(from, r.at);
        if (lag > graceMs(ctx)) {
          ctx.transcript.expiredWaits++;
          fail({
            summary: `the proxy closed the client connection only ${ms(lag)} after the origin had cut the response short (as when an idle timeout fires)`,
            expected: `the client connection closed as soon as the origin's was (within ${ms(graceMs(ctx))}): until then the client waits for bytes that never come`,
            seen: `${origin}; the client: ${describeRead(r)}`,
          });
        }
      }
      return satisfied(`${origin}; the client: ${describeRead(r)}`);
    },
  };
}

// ---- PXFRAME-05: bytes after a bodyless response --------------------------------------------

const STRAY_BODY = 'stray: bytes the origin sent after a bodyless response';
/** A whole response, so that a proxy that relays it or reads it as the next answer is caught by name. */
const STRAY = `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${STRAY_BODY.length}\r\n\r\n${STRAY_BODY}`;

function strayAfter(o: {
  id: string;
  title: string;
  what: string;
  request: (ctx: ProxyCtx) => Req;
  head: (length: number) => string;
}): ProxyScenario {
  return {
    id: o.id,
    role: 'proxy',
    area: 'framing',
    level: 'MUST NOT',
    rfc: 'RFC 9112 §6.3',
    covers: ['PXFRAME-05'],
    title: o.title,
    async run(ctx) {
      serveNamed(ctx, { first: () => ({ response: o.head(STRAY.length) + STRAY }) });
      const c = await ctx.connect();
      const req = o.request(ctx);
      await c.send(req);
      // Any answer will do here (a 502 too): the next one is judged.
      const res = expectResponse(await c.readResponse(), req.label);
      const next = await followUp(ctx, c, o.what, { stray: STRAY_BODY });
      return satisfied(`${describeResponse(res)} for ${req.label}; ${next}`);
    },
  };
}

// ---- PX1XX: 1xx and Expect: 100-continue ---------------------------------------------------------

const HINTS = 'HTTP/1.1 103 Early Hints\r\nLink: </ksp.css>; rel=preload; as=style\r\n\r\n';
const CONTINUE = 'HTTP/1.1 100 Continue\r\n\r\n';
const UPLOAD = 'hello';

const expects100 = (h: HttpRequest) =>
  fieldValues(h.headers, 'expect').some((v) => v.toLowerCase() === '100-continue');

/**
 * The origin: a 103 before its 200 when the request reached it as HTTP/1.1 (never to HTTP/1.0,
 * RFC 9110 §15.2); `together`: both in one write, as an origin that has its answer at once sends them.
 */
function serveHints(ctx: ProxyCtx, together = false): { version?: string } {
  const seen: { version?: string } = {};
  serveNamed(ctx, {
    hints: (req) => {
      seen.version = req.msg.version;
      const final = buildResponse({
        status: 200,
        headers: [['Content-Type', 'text/plain']],
        body: answerTo('hints'),
      });
      if (req.msg.version !== 'HTTP/1.1') return { response: final };
      // Apart: the final response a moment after the hints, as an origin sends them (hints first,
      // then the work), so the verdict does not depend on whether TCP coalesced the writes.
      return together
        ? { response: Buffer.concat([Buffer.from(HINTS), final]) }
        : { pieces: [HINTS, final], pieceDelayMs: 50 };
    },
  });
  return seen;
}

/** The 103 reaches the client: sent alone (the final 50 ms later), or in one segment with the final response. */
const hintsForwarded = (together: boolean): ProxyScenario => ({
  id: together ? 'proxy-1xx-103-with-final' : 'proxy-1xx-103-forwarded',
  role: 'proxy',
  area: 'framing',
  level: 'MUST',
  rfc: 'RFC 9110 §15.2',
  covers: ['PX1XX-01'],
  title: together
    ? 'a 103 Early Hints that arrives in one segment with the final response still reaches an HTTP/1.1 client before it'
    : 'a 103 Early Hints from the origin reaches an HTTP/1.1 client, with its Link field, before the final response',
  async run(ctx) {
    const seen = serveHints(ctx, together);
    const c = await ctx.connect();
    const req = ctx.get(ctx.at('hints'));
    await c.send(req);
    const r = await c.readResponse();
    await arrived(ctx, 'hints');
    if (seen.version !== 'HTTP/1.1')
      skip(`the proxy forwarded the request as ${seen.version}: an origin sends no 1xx to HTTP/1.0`);
    const hints = r.interim.find((m) => m.status === 103);
    if (!hints)
      fail({
        summary:
          r.type === 'response'
            ? 'the 103 Early Hints the origin sent did not reach the client'
            : 'neither the 103 Early Hints the origin sent nor its final response reached the client',
        expected: 'the 103 forwarded to the HTTP/1.1 client before the final response',
        seen: `the origin sent 103 then 200${together ? ' in one write' : ''}; the client got ${r.interim.length ? r.interim.map((m) => m.status).join(', ') : 'no 1xx'}, then ${describeRead(r)}`,
      });
    const link = fieldValue(hints.headers, 'link');
    if (!link)
      fail({
        summary: 'the 103 reached the client without its Link field',
        expected: 'the 103 forwarded with its end-to-end fields (Link: </ksp.css>; rel=preload; as=style)',
        seen: `103 with ${hints.headers.map((h) => h.name).join(', ') || 'no fields'}`,
      });
    const res = expectResponse(r, req.label);
    return satisfied(`103 with Link: ${link}, then ${describeResponse(res)}`);
  },
});

const noHintsToHttp10: ProxyScenario = {
  id: 'proxy-1xx-not-to-http10',
  role: 'proxy',
  area: 'framing',
  level: 'MUST NOT',
  rfc: 'RFC 9110 §15.2',
  covers: ['PX1XX-02'],
  title: 'a 1xx from the origin is not relayed to an HTTP/1.0 client',
  async run(ctx) {
    const seen = serveHints(ctx);
    const c = await ctx.connect();
    const req = ctx.request({ method: 'GET', target: ctx.at('hints'), version: '1.0' });
    await c.send(req);
    const r = await c.readResponse();
    await arrived(ctx, 'hints');
    if (seen.version !== 'HTTP/1.1')
      skip(`the proxy forwarded the HTTP/1.0 request as ${seen.version}: the origin sent no 1xx to relay`);
    if (r.interim.length > 0)
      fail({
        summary: `the proxy relayed ${r.interim.map((m) => `${m.status} ${m.reason}`).join(', ')} to an HTTP/1.0 client`,
        expected: 'no 1xx toward HTTP/1.0 (it defines none): the final response only',
        seen: `${r.interim.map(describeResponse).join(', ')}, then ${describeRead(r)}`,
      });
    // Not relaying at all is another rule's failure (proxy-1xx-103-forwarded shows it).
    if (r.type !== 'response')
      skip(`the origin sent 103 then 200 and no response reached the client (${describeRead(r)})`);
    const res = r.response;
    return satisfied(`the origin sent 103 then 200; the HTTP/1.0 client got only ${describeResponse(res)}`);
  },
};

/** POST `name` with Expect: 100-continue and a Content-Length: its header section only. */
function expectingPost(ctx: ProxyCtx, name: string, length: number): Req {
  return ctx.request({
    method: 'POST',
    target: ctx.at(name),
    headers: [
      ['Expect', '100-continue'],
      ['Content-Length', String(length)],
    ],
  });
}

/** The origin sees the header section of `upload`: when, how, and whether it sent 100 Continue. */
interface HeadSeen {
  at?: number;
  version?: string;
  expect?: boolean;
  sent100At?: number;
}

/** Upload: 100 Continue at the header section (as an origin must), then an answer naming the body it got. */
function serveUpload(ctx: ProxyCtx): HeadSeen {
  const seen: HeadSeen = {};
  serveNamed(
    ctx,
    { upload: (req: ReceivedRequest) => ok(`received: ${req.msg.body.toString('latin1')}`) },
    (head, conn) => {
      if (nameOf(head.target) !== 'upload') return undefined;
      Object.assign(seen, { at: ctx.now(), version: head.version, expect: expects100(head) });
      if (head.version === 'HTTP/1.1' && seen.expect) {
        seen.sent100At = ctx.now();
        void conn.write(CONTINUE);
      }
      return undefined;
    },
  );
  return seen;
}

const continueForwarded: ProxyScenario = {
  id: 'proxy-1xx-100-forwarded',
  role: 'proxy',
  area: 'framing',
  level: 'MUST',
  rfc: 'RFC 9110 §15.2',
  covers: ['PX1XX-01'],
  title:
    "the origin's 100 Continue reaches a client that sent Expect: 100-continue (or the proxy answers it itself)",
  async run(ctx) {
    const seen = serveUpload(ctx);
    const c = await ctx.connect();
    const post = expectingPost(ctx, 'upload', UPLOAD.length);
    await c.send(post);
    const sentAt = c.now();
    const r = await c.readResponse({ keepInterim: true });
    if (r.type === 'response' && !r.response.interim)
      return satisfied(`the proxy answered ${describeResponse(r.response)} before the body (allowed)`);
    if (r.type !== 'response') {
      if (seen.at === undefined)
        skip(
          'nothing of the request reached the origin before its body: proxy-expect-head-forwarded judges that',
        );
      if (seen.sent100At === undefined)
        skip(
          seen.version !== 'HTTP/1.1'
            ? `the proxy forwarded the request as ${seen.version}: the origin sends no 100 to it`
            : 'the proxy removed Expect: 100-continue: the origin had no reason to send 100',
        );
      fail({
        summary: "the origin's 100 Continue did not reach the client",
        expected: 'the 100 forwarded to the HTTP/1.1 client that asked for it with Expect: 100-continue',
        seen: `the origin sent 100 Continue ${ms(seen.sent100At - sentAt)} after the client's header section; the client: ${describeRead(r)}`,
      });
    }
    const first = r.response;
    await c.send(UPLOAD);
    const fin = await c.readResponse();
    return satisfied(
      `${first.status} ${first.reason} reached the client ${ms(r.at - sentAt)} after its header section; after the body: ${describeRead(fin)}`,
    );
  },
};

const headForwarded: ProxyScenario = {
  id: 'proxy-expect-head-forwarded',
  role: 'proxy',
  area: 'framing',
  level: 'MUST',
  rfc: 'RFC 9110 §10.1.1',
  covers: ['PX1XX-03'],
  title:
    'with Expect: 100-continue the header section goes to the origin before the body is sent, and the body follows intact',
  async run(ctx) {
    const seen = serveUpload(ctx);
    const c = await ctx.connect();
    const post = expectingPost(ctx, 'upload', UPLOAD.length);
    await c.send(post);
    const sentAt = c.now();
    await ctx.origin.until(
      () => (seen.at !== undefined ? true : undefined),
      ctx.timing.timeoutMs,
      ctx.signal,
    );
    if (seen.at === undefined) {
      // Nothing upstream yet: an immediate final status is the proxy's other choice.
      const got = c.parser.messages as HttpResponse[];
      const final = got.find((m) => !m.interim);
      if (final)
        return satisfied(`the proxy answered ${describeResponse(final)} at once, without forwarding`);
      const own100 = got.some((m) => m.status === 100);
      const bodyAt = c.now();
      await c.send(UPLOAD);
      const [a] = await ctx.waitArrivals(1, ctx.timing.timeoutMs, 'upload');
      if (own100 && a?.req.msg.version === 'HTTP/1.0')
        return satisfied(
          'the proxy answered 100 itself and forwards as HTTP/1.0, which it may (RFC 9110 §10.1.1: a next hop that only supports HTTP/1.0)',
        );
      fail({
        summary: own100
          ? 'the proxy answered 100 Continue itself and held the request back until the body came (its own 100 is for a next hop that only speaks HTTP/1.0)'
          : 'the proxy held the header section back until the body came: a client waiting for 100 waits in vain',
        expected:
          'the request line and header section forwarded to the origin at once (or an immediate final status)',
        seen: `nothing of the request reached the origin within ${ms(ctx.timing.timeoutMs)} of the header section; ${a ? `it arrived ${ms(a.at - bodyAt)} after the client sent the body` : 'nor after the body'}; the client got ${own100 ? "the proxy's own 100" : 'nothing'} meanwhile`,
      });
    }
    const headAfter = seen.at - sentAt;
    await c.send(UPLOAD);
    const res = expectResponse(await c.readResponse(), post.label);
    const a = await arrived(ctx, 'upload');
    const got = a.req.msg.body.toString('latin1');
    if (got !== UPLOAD)
      fail({
        summary: 'the body that followed the forwarded header section reached the origin altered',
        expected: `the ${UPLOAD.length}-byte body ${JSON.stringify(UPLOAD)}`,
        seen: `the origin got ${clip(a.req.msg.body)} (${a.req.msg.framing.kind}); the client got ${describeResponse(res)}`,
      });
    return satisfied(
      `the header section reached the origin ${ms(headAfter)} after the client sent it, before any body byte; the body followed intact; the client got ${describeResponse(res)}`,
    );
  },
};

const earlyFinal: ProxyScenario = {
  id: 'proxy-expect-early-final',
  role: 'proxy',
  area: 'framing',
  level: 'MUST',
  rfc: 'RFC 9112 §9.3',
  covers: ['PX1XX-04'],
  title:
    'a final response the origin sends before the body reaches the client, and the body left over desynchronises neither hop',
  async run(ctx) {
    // The body is a request of its own: taken as one on either hop, it is caught by name.
    const body = `GET ${ctx.at('smuggled')} HTTP/1.1\r\nHost: ${ctx.target.authority}\r\n\r\n`;
    serveNamed(ctx, {}, (head) =>
      nameOf(head.target) === 'post'
        ? {
            response: {
              status: 401,
              headers: [
                ['WWW-Authenticate', 'Basic realm="ksp"'],
                ['Content-Type', 'text/plain'],
              ],
              reason: 'Unauthorized',
              body: 'authentication required',
            },
          }
        : undefined,
    );
    const c = await ctx.connect();
    const post = expectingPost(ctx, 'post', body.length);
    await c.send(post);
    let r = await c.readResponse();
    let bodySent = false;
    if (r.type === 'timeout') {
      // A proxy that waits for the body before forwarding: give it the body.
      await c.send(body);
      bodySent = true;
      r = await c.readResponse();
    }
    const res = expectResponse(r, post.label);
    let next: string;
    if (saysClose(res) || c.ended) {
      // The upstream connection the POST left mid-body must not carry the next request either.
      next = `${c.label} closed; on a new connection: ${await followUp(ctx, await ctx.connect(), `the early ${res.status}`)}`;
    } else {
      if (!bodySent) await c.send(body);
      next = await followUp(ctx, c, `the early ${res.status} and the body sent after it`);
    }
    const smuggled = ctx.arrivals('smuggled');
    if (smuggled.length > 0)
      fail({
        summary: 'the body of the POST reached the origin as a request of its own',
        expected: 'the body discarded, or sent as the body of the POST, never parsed as a request',
        seen: `the origin received GET smuggled on ${smuggled[0]!.conn}; ${ctx.describeUpstream()}`,
      });
    return satisfied(`${describeResponse(res)} before the body; ${next}`);
  },
};

export const framing: ProxyScenario[] = [
  closeDelimited,
  clAndTe,
  invalidLength({
    id: 'proxy-frame-invalid-cl-response',
    title:
      'a response with an invalid Content-Length (12a) gets the client a 502, and the upstream connection closes',
    fields: 'Content-Length: 12a\r\n',
    body: 'hello world!',
  }),
  invalidLength({
    id: 'proxy-frame-conflicting-cl-response',
    title:
      'a response with two different Content-Length fields gets the client a 502, and the upstream connection closes',
    fields: 'Content-Length: 5\r\nContent-Length: 6\r\n',
    body: 'hello!',
  }),
  cutShort({
    id: 'proxy-frame-truncated-cl',
    title:
      'a response the origin cuts short of its Content-Length never reaches the client as complete, nor leaves its connection open',
    response: 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 40\r\n\r\nonly twenty of forty',
    what: 'Content-Length: 40 and 20 body bytes',
  }),
  cutShort({
    id: 'proxy-frame-truncated-chunked',
    title: 'a chunked response the origin cuts before its last-chunk never reaches the client as complete',
    response: `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n`,
    what: 'two chunks and no last-chunk',
  }),
  strayAfter({
    id: 'proxy-frame-head-with-body',
    title: 'bytes the origin sends after a response to HEAD never reach the client as the next response',
    what: 'the response to HEAD',
    request: (ctx) => ctx.head(ctx.at('first')),
    head: (n) => `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${n}\r\n\r\n`,
  }),
  strayAfter({
    id: 'proxy-frame-204-with-body',
    title: 'bytes the origin sends after a 204 never reach the client as the next response',
    what: 'the 204',
    request: (ctx) => ctx.get(ctx.at('first')),
    head: (n) => `HTTP/1.1 204 No Content\r\nContent-Length: ${n}\r\n\r\n`,
  }),
  strayAfter({
    id: 'proxy-frame-304-with-body',
    title: 'bytes the origin sends after a 304 never reach the client as the next response',
    what: 'the 304',
    request: (ctx) => ctx.get(ctx.at('first'), [['If-None-Match', '"ksp-1"']]),
    head: (n) => `HTTP/1.1 304 Not Modified\r\nETag: "ksp-1"\r\nContent-Length: ${n}\r\n\r\n`,
  }),
  hintsForwarded(false),
  hintsForwarded(true),
  continueForwarded,
  noHintsToHttp10,
  headForwarded,
  earlyFinal,
];
