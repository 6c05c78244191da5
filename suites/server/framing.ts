// Area `framing`, request side: how the server finds where a request ends
// (RFC 9112 §6.3), and what it does when it cannot know. Every scenario writes
// the request under test and a well-formed `GET <path>` in one write, then reads
// what comes back: a framing slip shows up as a response too many, a response
// to bytes that were a body, or a missing answer to the GET.

import {
  describeEnd,
  describeRead,
  describeResponse,
  fail,
  saysClose,
  skip,
  statuses,
} from '../../harness/check.js';
import { type Finding, type Level, satisfied } from '../../harness/model.js';
import type { ServerCtx, ServerScenario } from '../../harness/server-context.js';
import { chunkedBody, type HeaderList, type Req, rawRequest } from '../../harness/wire/build.js';
import { type Conn, ConnectError } from '../../harness/wire/conn.js';
import type { HttpResponse } from '../../harness/wire/parse.js';
import { closeNote, graceMs, surplus } from './steps.js';

/** How to judge what came back for `first` followed by a well-formed `last`. */
interface Judge {
  /** the request under test, for messages */
  first: string;
  /** the well-formed request sent right behind it */
  last: Req;
  /** what the rule wants, for the evidence */
  expected: string;
  /** a path named only inside a body: a response that names it answers smuggled bytes */
  marker?: string;
  /** statuses that count as the rule's rejection of `first`; after one the connection must end */
  rejects: (status: number) => boolean;
  /** the status the RFC names for the rejection; another rejecting status is a SHOULD-level finding */
  preferred?: number[];
  /** where `preferred` comes from, for the finding */
  rule?: string;
  /**
   * A non-rejecting answer to `first`: undefined if allowed, else what is wrong with it. With
   * `deferred`, the rest is read first, so the finding also says whether the framing stayed in step.
   */
  answered?: (
    res: HttpResponse,
    /** with `deferred`: the response to `last`, when it came in step after `res` */
    next?: HttpResponse,
  ) => { why: string; level?: Level; deferred?: boolean } | undefined;
  /** the connection stays open after a rejection */
  openLevel: Level;
  /** the connection ends without any response */
  silentLevel: Level;
  /** `last` (or more) answered after a rejection without close; default: the scenario's level */
  resyncLevel?: Level;
  /** `last` unanswered or wrongly answered after an accepted `first`; default: the scenario's level */
  lostLevel?: Level;
  /**
   * The server may rightly wait for the body `first` announces: no response within T (or a 408)
   * is reported at this level, with what it means, instead of as a framing failure.
   */
  waiting?: { level: Level; why: string };
  /**
   * A well-formed request of the same method and target as `first`. When `first` gets an
   * error and this gets the same one, the error is about the resource or the method, not
   * the framing under test: the scenario does not apply there (unless bytes desynchronised).
   */
  sameShape?: Req;
}

/** A small well-formed POST to the resource that takes bodies, closing after it: the shape of a framing probe. */
const validPost = (ctx: ServerCtx): Req =>
  ctx.request({ method: 'POST', target: ctx.postTarget, headers: [['Connection', 'close']], body: 'hello' });

/** Skip when `sameShape` gets the same error `res` is: that error says nothing about the framing. */
async function sameErrorWhenValid(ctx: ServerCtx, j: Judge, res: HttpResponse): Promise<void> {
  if (!j.sameShape || res.status < 400 || res.status === 408) return;
  const c = await ctx.connect();
  c.note(`is the ${res.status} about the framing? the same request, well-formed:`);
  await c.send(j.sameShape);
  const r = await c.readResponse();
  c.destroy();
  if (r.type === 'response' && r.response.status === res.status)
    skip(
      `${j.sameShape.label} is answered ${res.status} even when well-formed: the ${res.status} to ${j.first} is about the resource or the method, not the framing under test (nothing desynchronised after it; name a resource that takes POST with --post-path)`,
    );
}

/** The status `GET <path>` gets on its own, to recognise its response; undefined if there is none. */
async function statusAlone(ctx: ServerCtx): Promise<number | undefined> {
  let c: Conn;
  try {
    c = await ctx.connect();
  } catch (e) {
    if (e instanceof ConnectError) return undefined;
    throw e;
  }
  try {
    const sent = await c.send(ctx.get());
    if (!sent.ok) return undefined;
    const r = await c.readResponse();
    return r.type === 'response' ? r.response.status : undefined;
  } finally {
    c.destroy();
  }
}

/** Send `first` and `j.last` in one write and judge the responses. */
async function probe(ctx: ServerCtx, first: Req, j: Judge): Promise<Finding> {
  const c = await ctx.connect();
  const sent = await c.send([first, j.last]);
  // A server may answer and close before taking all bytes: what it sent is judged all the same.
  if (!sent.ok) c.note(`the write did not complete: ${sent.error}`);
  return judge(ctx, c, j);
}

function smuggled(j: Judge, res: HttpResponse, n: number): void {
  if (j.marker && res.body.toString('latin1').includes(j.marker))
    fail({
      summary: `response ${n} answers the request hidden in the body (it names ${j.marker})`,
      expected: j.expected,
      seen: `${describeResponse(res)}, body names ${j.marker}`,
    });
}

async function judge(ctx: ServerCtx, c: Conn, j: Judge): Promise<Finding> {
  const last = j.last.label;
  const r1 = await c.readResponse();
  if (r1.type === 'timeout' && j.waiting)
    fail({
      summary: `no response to ${j.first} within ${Math.round(r1.waitedMs)} ms: ${j.waiting.why}`,
      expected: j.expected,
      seen: describeRead(r1),
      level: j.waiting.level,
    });
  if (r1.type === 'timeout')
    fail({
      summary: `no response to ${j.first}: the server still waits for bytes it counts as part of it`,
      expected: j.expected,
      seen: describeRead(r1),
    });
  if (r1.type === 'malformed')
    fail({ summary: `a malformed response to ${j.first}`, expected: j.expected, seen: describeRead(r1) });
  if (r1.type === 'end')
    fail({
      summary: `the connection ended without a response to ${j.first}`,
      expected: j.expected,
      seen: describeRead(r1),
      level: j.silentLevel,
    });
  const res = r1.response;
  smuggled(j, res, 1);
  if (res.status === 408 && j.waiting)
    fail({
      summary: `${j.first} got a 408 after a wait: ${j.waiting.why}`,
      expected: j.expected,
      seen: describeResponse(res),
      level: j.waiting.level,
    });
  if (res.status === 408)
    fail({
      summary: `${j.first} got a 408: the server waited for bytes it counts as part of the request`,
      expected: j.expected,
      seen: describeResponse(res),
    });

  if (j.rejects(res.status)) {
    const end = await c.waitEnd();
    if (end.extra.length > 0)
      fail({
        summary: `after answering ${j.first} ${res.status}, the server went on to parse the bytes behind it`,
        expected: 'no further response after the rejection: its framing cannot be trusted',
        seen: `${describeResponse(res)}, then ${statuses(end.extra)}`,
        level: saysClose(res) ? 'MUST' : j.resyncLevel,
      });
    await sameErrorWhenValid(ctx, j, res);
    if (end.how === 'open')
      fail({
        summary: `the connection stayed open after the ${res.status} to ${j.first}`,
        expected: 'the server to close the connection after the rejection',
        seen: `${describeResponse(res)}, then ${describeEnd(end)}`,
        level: j.openLevel,
      });
    if (!saysClose(res) && (end.afterMs ?? 0) <= graceMs(ctx))
      fail({
        summary: `the server closed right after the ${res.status} without saying Connection: close (PERSIST-02)`,
        expected: 'Connection: close on the response after which the server closes',
        seen: `${describeResponse(res)}, then ${describeEnd(end)}`,
        level: 'MUST',
      });
    if (j.preferred && !j.preferred.includes(res.status))
      fail({
        summary: `${j.first} was refused with ${res.status} and the connection closed, so nothing could desynchronise; ${j.rule ?? 'the rule'} asks for ${j.preferred.join(' or ')}`,
        expected: `a ${j.preferred.join(' or ')} response, then the end of the connection`,
        seen: `${describeResponse(res)}, then ${describeEnd(end)}`,
        level: 'SHOULD',
      });
    return satisfied(`${j.first} was answered ${res.status} (${closeNote(res)}), then ${describeEnd(end)}`);
  }

  let wrong = j.answered?.(res);
  const done = (summary: string, next?: HttpResponse): Finding => {
    if (wrong && next) wrong = j.answered?.(res, next);
    if (wrong)
      fail({
        summary: wrong.why,
        expected: j.expected,
        seen: summary,
        level: wrong.level,
      });
    return satisfied(summary);
  };
  if (wrong && !wrong.deferred)
    fail({ summary: wrong.why, expected: j.expected, seen: describeResponse(res), level: wrong.level });
  if (saysClose(res)) {
    const end = await c.waitEnd();
    if (end.extra.length > 0)
      fail({
        summary: `the server said Connection: close but answered ${end.extra.length} more request(s)`,
        expected: 'no response after one that carries close (RFC 9112 §9.6)',
        seen: `${describeResponse(res)}, then ${statuses(end.extra)}`,
        level: 'MUST',
      });
    if (end.how === 'open')
      fail({
        summary: 'the server said Connection: close but kept the connection open',
        expected: 'the end of the connection after a response that carries close (RFC 9112 §9.6)',
        seen: `${describeResponse(res)}, then ${describeEnd(end)}`,
        level: 'MUST',
      });
    return done(`${j.first} was answered ${res.status} with Connection: close, then ${describeEnd(end)}`);
  }

  const r2 = await c.readResponse();
  if (r2.type === 'end' && r2.partialBytes === 0 && r2.at - r1.at <= graceMs(ctx))
    fail({
      summary: `the server closed right after the ${res.status} to ${j.first}, without Connection: close and without answering ${last} (PERSIST-02)`,
      expected: `a response to ${last}, or Connection: close on the ${res.status}`,
      seen: `${describeResponse(res)}, then ${describeRead(r2)}`,
      level: 'MUST',
    });
  if (j.waiting && (r2.type === 'timeout' || (r2.type === 'end' && r2.partialBytes === 0)))
    fail({
      summary: `${last} was not answered after the ${res.status} to ${j.first}: ${j.waiting.why}`,
      expected: j.expected,
      seen: `${describeResponse(res)}, then ${describeRead(r2)}`,
      level: j.waiting.level,
    });
  if (r2.type !== 'response')
    fail({
      summary: `${last} was not answered after the ${res.status} to ${j.first}: its bytes were taken as part of the first request, or dropped`,
      expected: j.expected,
      seen: `${describeResponse(res)}, then ${describeRead(r2)}`,
      level: j.lostLevel,
    });
  const res2 = r2.response;
  smuggled(j, res2, 2);
  const alone = await statusAlone(ctx);
  if (alone !== undefined && res2.status !== alone)
    fail({
      summary: `the second response is ${res2.status}, but ${last} on its own is answered ${alone}: it answers other bytes (part of ${j.first}?)`,
      expected: j.expected,
      seen: `${describeResponse(res)}, then ${describeResponse(res2)}`,
      level: j.lostLevel,
    });
  const more = await surplus(ctx, c);
  if (more.length > 0)
    fail({
      summary: `${2 + more.length} responses to 2 requests: bytes inside ${j.first} were answered as requests`,
      expected: j.expected,
      seen: `${describeResponse(res)}, ${describeResponse(res2)}, then ${statuses(more)}`,
      level: j.lostLevel,
    });
  return done(`${j.first} was answered ${res.status}, then ${last} ${res2.status}; nothing more`, res2);
}

const is4xx = (s: number) => s >= 400 && s < 500 && s !== 408;
/** Any error status but 408: a refusal (such as 405 or 501 for the method), judged by what follows it. */
const isError = (s: number) => s >= 400 && s !== 408;

// ---- FRAME-01: unread request bodies --------------------------------------------

interface UnreadVariant {
  id: string;
  title: string;
  /** the request under test, carrying a body that is itself a request for `smuggledPath` */
  build: (ctx: ServerCtx, smuggledPath: string) => { req: Req; what: string };
}

function unreadBody(v: UnreadVariant): ServerScenario {
  return {
    id: `frame-unread-body-${v.id}`,
    role: 'server',
    area: 'framing',
    level: 'MUST',
    rfc: 'RFC 9112 §9.3',
    covers: ['FRAME-01'],
    title: v.title,
    async run(ctx) {
      const hidden = ctx.missingPath('smuggled');
      const { req, what } = v.build(ctx, hidden);
      return probe(ctx, req, {
        first: what,
        last: ctx.get(),
        expected: `a response to the request, then one to GET ${ctx.path}; or one response with Connection: close and the end of the connection`,
        marker: hidden.slice(1),
        rejects: () => false,
        openLevel: 'MUST',
        silentLevel: 'SHOULD',
      });
    },
  };
}

const hiddenGet = (ctx: ServerCtx, path: string) => ctx.request({ method: 'GET', target: path }).bytes;

const UNREAD: UnreadVariant[] = [
  {
    id: '404',
    title: 'the body of a POST to a missing resource (404) is skipped, not parsed as the next request',
    build(ctx, hidden) {
      const target = ctx.missingPath();
      const body = hiddenGet(ctx, hidden);
      return {
        req: ctx.request({ method: 'POST', target, headers: [['Content-Type', 'text/plain']], body }),
        what: `POST ${target} (Content-Length ${body.length})`,
      };
    },
  },
  {
    id: 'get',
    title: 'a Content-Length body on a GET is skipped, not parsed as the next request',
    build(ctx, hidden) {
      const body = hiddenGet(ctx, hidden);
      return {
        req: ctx.request({ method: 'GET', target: ctx.path, body }),
        what: `GET ${ctx.path} with a ${body.length}-byte body`,
      };
    },
  },
  {
    id: 'large',
    title: 'a 64 KiB request body is skipped or read whole, never parsed as requests',
    build(ctx, hidden) {
      // The hidden request is a POST whose own body pads the whole to 64 KiB.
      const headLength = ctx.request({
        method: 'POST',
        target: hidden,
        headers: [['Content-Length', '65536']],
      }).bytes.length;
      const inner = ctx.request({
        method: 'POST',
        target: hidden,
        body: Buffer.alloc(64 * 1024 - headLength, 'k'),
      });
      return {
        req: ctx.request({
          method: 'POST',
          target: ctx.path,
          headers: [['Content-Type', 'application/octet-stream']],
          body: inner.bytes,
        }),
        what: `POST ${ctx.path} (Content-Length ${inner.bytes.length})`,
      };
    },
  },
  {
    id: 'chunked',
    title: 'the chunked body of a POST to a missing resource is skipped, not parsed as requests',
    build(ctx, hidden) {
      const target = ctx.missingPath();
      return {
        req: ctx.request({
          method: 'POST',
          target,
          headers: [['Transfer-Encoding', 'chunked']],
          body: chunkedBody([hiddenGet(ctx, hidden)]),
        }),
        what: `POST ${target} (chunked)`,
      };
    },
  },
];

// ---- FRAME-04 and FRAME-05: invalid and huge Content-Length values ----------------

interface ClVariant {
  id: string;
  /** the Content-Length field lines */
  values: string[];
  body: string;
  title: string;
}

const INVALID_CL: ClVariant[] = [
  { id: 'abc', values: ['abc'], body: 'hello', title: 'Content-Length: abc' },
  { id: 'negative', values: ['-1'], body: 'hello', title: 'Content-Length: -1' },
  { id: 'plus', values: ['+5'], body: 'hello', title: 'Content-Length: +5' },
  { id: 'hex', values: ['0x10'], body: '0123456789abcdef', title: 'Content-Length: 0x10' },
  { id: 'space', values: ['5 5'], body: 'hello', title: 'Content-Length: 5 5' },
  { id: 'decimal', values: ['1.0'], body: 'h', title: 'Content-Length: 1.0' },
  { id: 'empty', values: [''], body: 'hello', title: 'an empty Content-Length' },
  { id: 'two-lines', values: ['5', '6'], body: 'hello', title: 'two Content-Length lines (5 and 6)' },
  { id: 'list', values: ['5, 6'], body: 'hello', title: 'Content-Length: 5, 6' },
].map((v) => ({ ...v, title: `a request with ${v.title} gets 400 and the connection is closed` }));

const clHeaders = (values: string[]): HeaderList => values.map((v) => ['Content-Length', v] as const);

function clRequest(ctx: ServerCtx, v: { values: string[]; body: string }): Req {
  return ctx.request({ method: 'POST', target: ctx.postTarget, headers: clHeaders(v.values), body: v.body });
}

const shown = (values: string[]) => values.map((v) => `Content-Length: ${v || '(empty)'}`).join(' + ');

function invalidCl(v: ClVariant): ServerScenario {
  return {
    id: `frame-cl-invalid-${v.id}`,
    role: 'server',
    area: 'framing',
    level: 'MUST',
    rfc: 'RFC 9112 §6.3',
    covers: ['FRAME-04'],
    title: v.title,
    async run(ctx) {
      const first = `POST ${ctx.postTarget} with ${shown(v.values)}`;
      return probe(ctx, clRequest(ctx, v), {
        sameShape: validPost(ctx),
        first,
        last: ctx.get(),
        expected: '400 (Bad Request), then the end of the connection (RFC 9112 §6.3 rule 5)',
        rejects: isError,
        preferred: [400],
        rule: 'RFC 9112 §6.3 rule 5',
        answered: (res) => ({
          why: `${first} was answered ${res.status}: the server used an invalid Content-Length`,
        }),
        openLevel: 'MUST',
        silentLevel: 'MUST',
        resyncLevel: 'MUST',
      });
    },
  };
}

const IDENTICAL_CL: ClVariant[] = [
  {
    id: 'list',
    values: ['5, 5'],
    body: 'hello',
    title: 'a request with Content-Length: 5, 5 is rejected (400 and close) or read as 5',
  },
  {
    id: 'lines',
    values: ['5', '5'],
    body: 'hello',
    title: 'a request with two Content-Length: 5 lines is rejected (400 and close) or read as 5',
  },
];

function identicalCl(v: ClVariant): ServerScenario {
  return {
    id: `frame-cl-identical-${v.id}`,
    role: 'server',
    area: 'framing',
    level: 'MUST',
    rfc: 'RFC 9110 §8.6',
    covers: ['FRAME-04'],
    title: v.title,
    async run(ctx) {
      return probe(ctx, clRequest(ctx, v), {
        first: `POST ${ctx.postTarget} with ${shown(v.values)} and 5 body bytes`,
        last: ctx.get(),
        expected: `400 and the end of the connection, or 5 body bytes read and GET ${ctx.path} answered`,
        rejects: (s) => s === 400,
        openLevel: 'MUST',
        silentLevel: 'MUST',
        resyncLevel: 'MUST',
      });
    },
  };
}

const HUGE_CL = [
  { id: '2pow64', value: '18446744073709551617', what: '2^64 + 1' },
  { id: '23-digits', value: '99999999999999999999999', what: 'a 23-digit number' },
];

function hugeCl(v: (typeof HUGE_CL)[number]): ServerScenario {
  return {
    id: `frame-cl-huge-${v.id}`,
    role: 'server',
    area: 'framing',
    level: 'MUST',
    rfc: 'RFC 9110 §8.6',
    covers: ['FRAME-05'],
    title: `a Content-Length of ${v.what} is rejected and the connection closed, never wrapped to a small length`,
    async run(ctx) {
      const first = `POST ${ctx.postTarget} with Content-Length: ${v.value}`;
      return probe(ctx, clRequest(ctx, { values: [v.value], body: 'x' }), {
        sameShape: validPost(ctx),
        first,
        last: ctx.get(),
        expected:
          '400 or 413, then the end of the connection; never a wrap to a small length (RFC 9110 §8.6)',
        rejects: isError,
        preferred: [400, 413],
        rule: 'FRAME-05',
        // Only a wrap is an overflow: GET answered in step (the length read as 1; as 0, the GET's
        // response would not match). A large value read as such makes the server wait, or answer early.
        answered: (res, next) =>
          next
            ? {
                why: `${first} was answered ${res.status} and GET ${ctx.path} right after it, in step: the length wrapped to a small number (the byte "x" taken as the whole body)`,
                deferred: true,
              }
            : {
                why: `${first} was answered ${res.status} (not 400 or 413), then the connection closed without answering GET ${ctx.path}: no sign of a wrap`,
                level: 'INFO',
                deferred: true,
              },
        waiting: {
          level: 'INFO',
          why: 'the server waits for the announced bytes, so it read the value as the large number it is (no sign of a wrap; RFC 9110 §8.6 forbids only overflow and precision loss)',
        },
        openLevel: 'MUST',
        silentLevel: 'MUST',
        resyncLevel: 'MUST',
      });
    },
  };
}

// ---- FRAME-03: Content-Length with Transfer-Encoding ----------------------------

const CL_TE: Array<{ id: string; headers: HeaderList; title: string }> = [
  {
    id: 'cl-te',
    headers: [
      ['Content-Length', '6'],
      ['Transfer-Encoding', 'chunked'],
    ],
    title:
      'a request with Content-Length and Transfer-Encoding gets one response, then the connection closes',
  },
  {
    id: 'te-cl',
    headers: [
      ['Transfer-Encoding', 'chunked'],
      ['Content-Length', '6'],
    ],
    title:
      'a request with Transfer-Encoding before Content-Length gets one response, then the connection closes',
  },
  {
    id: 'cl-te-chunked-twice',
    headers: [
      ['Content-Length', '6'],
      ['Transfer-Encoding', 'chunked'],
      ['Transfer-Encoding', 'chunked'],
    ],
    title:
      'a request with Content-Length and two Transfer-Encoding: chunked lines gets one response, then the connection closes',
  },
];

function clAndTe(v: (typeof CL_TE)[number]): ServerScenario {
  return {
    id: `frame-${v.id}`,
    role: 'server',
    area: 'framing',
    level: 'MUST',
    rfc: 'RFC 9112 §6.1',
    covers: ['FRAME-03'],
    title: v.title,
    async run(ctx) {
      const req = ctx.request({
        method: 'POST',
        target: ctx.postTarget,
        headers: v.headers,
        body: '0\r\n\r\nG',
      });
      return probe(ctx, req, {
        sameShape: validPost(ctx),
        first: `POST ${ctx.postTarget} with ${v.headers.map(([n, x]) => `${n}: ${x}`).join(', ')} and body "0\\r\\n\\r\\nG"`,
        last: ctx.get(),
        expected: 'exactly one response, then the end of the connection (RFC 9112 §6.1)',
        rejects: () => true,
        openLevel: 'MUST',
        silentLevel: 'SHOULD',
        resyncLevel: 'MUST',
      });
    },
  };
}

// ---- FRAME-06 and FRAME-07: whitespace before the colon, obs-fold ---------------

const hello = chunkedBody(['hello']);

const WS_COLON: Array<{ id: string; field: string; body: Buffer; method?: 'GET' }> = [
  { id: 'cl', field: 'Content-Length : 5', body: Buffer.from('hello') },
  { id: 'te', field: 'Transfer-Encoding : chunked', body: hello },
  // The rule holds for every field: a GET tests it where POST is refused or answered with an error.
  { id: 'get', field: 'X-Keepalive-Spec : 1', body: Buffer.alloc(0), method: 'GET' },
];

function wsColon(v: (typeof WS_COLON)[number]): ServerScenario {
  return {
    id: `frame-ws-colon-${v.id}`,
    role: 'server',
    area: 'framing',
    level: 'MUST',
    rfc: 'RFC 9112 §5.1',
    covers: ['FRAME-06'],
    title: `a field line "${v.field}"${v.method ? ` in a ${v.method}` : ''} (whitespace before the colon) is answered with 400`,
    async run(ctx) {
      const method = v.method ?? 'POST';
      // Written as raw bytes, not through ctx.request(): a POST says itself that it needs one.
      const target = method === 'POST' ? ctx.postTarget : ctx.path;
      const first = `${method} ${target} with "${v.field}"`;
      const head = `${method} ${target} HTTP/1.1\r\nHost: ${ctx.target.authority}\r\n${v.field}\r\n\r\n`;
      return probe(ctx, rawRequest(Buffer.concat([Buffer.from(head, 'latin1'), v.body]), method), {
        first,
        last: ctx.get(),
        expected: '400 (Bad Request), and then the end of the connection (RFC 9112 §5.1)',
        rejects: isError,
        preferred: [400],
        rule: 'RFC 9112 §5.1',
        answered: (res) => ({
          why: `${first} was answered ${res.status}: the field was not rejected`,
        }),
        openLevel: 'SHOULD',
        silentLevel: 'MUST',
        resyncLevel: 'SHOULD',
      });
    },
  };
}

const FOLD = [
  { id: 'te', field: 'Transfer-Encoding:\r\n chunked', body: hello },
  { id: 'cl', field: 'Content-Length:\r\n 5', body: Buffer.from('hello') },
];

function fold(v: (typeof FOLD)[number]): ServerScenario {
  const name = v.field.split(':')[0]!;
  return {
    id: `frame-fold-${v.id}`,
    role: 'server',
    area: 'framing',
    level: 'MUST',
    rfc: 'RFC 9112 §5.2',
    covers: ['FRAME-07'],
    title: `a ${name} folded onto the next line is rejected with 400 or read unfolded`,
    async run(ctx) {
      ctx.needsPost(); // written as raw bytes, not through ctx.request()
      const head = `POST ${ctx.path} HTTP/1.1\r\nHost: ${ctx.target.authority}\r\n${v.field}\r\n\r\n`;
      return probe(ctx, rawRequest(Buffer.concat([Buffer.from(head, 'latin1'), v.body]), 'POST'), {
        first: `POST ${ctx.path} with ${JSON.stringify(v.field)}`,
        last: ctx.get(),
        expected: `400 (and the end of the connection), or the body read by the unfolded ${name} and GET ${ctx.path} answered`,
        rejects: (s) => s === 400,
        openLevel: 'SHOULD',
        silentLevel: 'MUST',
        resyncLevel: 'SHOULD',
      });
    },
  };
}

// ---- FRAME-08: malformed requests ---------------------------------------------------

const MALFORMED = [
  {
    id: 'request-line',
    what: 'a request line with an extra token',
    head: (ctx: ServerCtx) => `GET ${ctx.path} HTTP/1.1 extra\r\nHost: ${ctx.target.authority}\r\n\r\n`,
  },
  {
    id: 'no-colon',
    what: 'a header line without a colon',
    head: (ctx: ServerCtx) =>
      `GET ${ctx.path} HTTP/1.1\r\nHost: ${ctx.target.authority}\r\nX-Ka-Spec-No-Colon\r\n\r\n`,
  },
  {
    // Read with the CR as a line break, the field after it frames the GET behind as a body.
    id: 'bare-cr',
    what: 'a bare CR inside a field value',
    head: (ctx: ServerCtx, last: Req) =>
      `GET ${ctx.path} HTTP/1.1\r\nHost: ${ctx.target.authority}\r\nX-Ka-Spec: a\rContent-Length: ${last.bytes.length}\r\n\r\n`,
  },
];

function malformed(v: (typeof MALFORMED)[number]): ServerScenario {
  const bareCr = v.id === 'bare-cr';
  return {
    id: `frame-malformed-${v.id}`,
    role: 'server',
    area: 'framing',
    level: 'SHOULD',
    rfc: 'RFC 9112 §2.2',
    covers: ['FRAME-08'],
    title: bareCr
      ? 'a bare CR inside a field value gets 400 and close, or is read as SP; it never ends the line'
      : `a request with ${v.what} gets 400 and the connection closes, without resynchronising`,
    async run(ctx) {
      const last = ctx.get();
      const first = `GET ${ctx.path} with ${v.what}`;
      return probe(ctx, rawRequest(v.head(ctx, last)), {
        first,
        last,
        expected: bareCr
          ? '400 and the end of the connection; or (bare CR read as SP) both requests answered'
          : '400 (Bad Request), then the end of the connection',
        rejects: (s) => is4xx(s) || (v.id === 'request-line' && s === 301),
        preferred: v.id === 'request-line' ? [400, 301] : [400],
        // RFC 9112 §2.2: a bare CR may be replaced by SP; anything else must not be processed.
        answered: bareCr
          ? undefined
          : (res) => ({ why: `${first} was processed (${res.status}) instead of rejected`, deferred: true }),
        openLevel: 'SHOULD',
        silentLevel: 'SHOULD',
        resyncLevel: 'SHOULD',
        lostLevel: bareCr ? 'MUST' : undefined,
      });
    },
  };
}

// ---- FRAME-09: empty lines before a request line --------------------------------------

function noBadRequest(what: string) {
  return (res: HttpResponse) =>
    res.status === 400
      ? { why: `${what} was answered 400`, level: 'SHOULD' as const, deferred: true }
      : undefined;
}

const leadingCrlf: ServerScenario[] = [
  {
    id: 'frame-leading-crlf',
    role: 'server',
    area: 'framing',
    level: 'SHOULD',
    rfc: 'RFC 9112 §2.2',
    covers: ['FRAME-09'],
    title: 'an empty line before the request line is skipped',
    async run(ctx) {
      const get = ctx.get();
      const first = `CRLF + GET ${ctx.path}`;
      return probe(ctx, rawRequest(Buffer.concat([Buffer.from('\r\n'), get.bytes]), 'GET', first), {
        first,
        last: ctx.get(),
        expected: `both GET ${ctx.path} answered as usual, no 400`,
        rejects: () => false,
        answered: noBadRequest(first),
        openLevel: 'SHOULD',
        silentLevel: 'SHOULD',
        lostLevel: 'SHOULD',
      });
    },
  },
  {
    id: 'frame-crlf-after-body',
    role: 'server',
    area: 'framing',
    level: 'SHOULD',
    rfc: 'RFC 9112 §2.2',
    covers: ['FRAME-09'],
    title: 'a CRLF after a request body, before the next pipelined request, is skipped',
    async run(ctx) {
      const post = ctx.request({ method: 'POST', target: ctx.path, body: 'ok' });
      const first = `POST ${ctx.path} (Content-Length: 2, "ok") + CRLF`;
      return probe(ctx, rawRequest(Buffer.concat([post.bytes, Buffer.from('\r\n')]), 'POST', first), {
        first,
        last: ctx.get(),
        expected: `a response to the POST, then the usual response to GET ${ctx.path}; no 400`,
        rejects: () => false,
        answered: noBadRequest(first),
        openLevel: 'SHOULD',
        silentLevel: 'SHOULD',
        lostLevel: 'SHOULD',
      });
    },
  },
];

/** Area `framing`. */
export const framing: ServerScenario[] = [
  ...UNREAD.map(unreadBody),
  {
    id: 'frame-post-no-length',
    role: 'server',
    area: 'framing',
    level: 'MUST',
    rfc: 'RFC 9112 §6.3',
    covers: ['FRAME-02'],
    title: 'a POST without Content-Length or Transfer-Encoding has no body: the next request is answered',
    async run(ctx) {
      const first = `POST ${ctx.path} without Content-Length or Transfer-Encoding`;
      return probe(ctx, ctx.request({ method: 'POST', target: ctx.path }), {
        first,
        last: ctx.get(),
        expected: `a response to the POST (411 allowed) without waiting, then one to GET ${ctx.path}`,
        rejects: () => false,
        openLevel: 'MUST',
        silentLevel: 'SHOULD',
      });
    },
  },
  ...CL_TE.map(clAndTe),
  ...INVALID_CL.map(invalidCl),
  ...IDENTICAL_CL.map(identicalCl),
  ...HUGE_CL.map(hugeCl),
  ...WS_COLON.map(wsColon),
  ...FOLD.map(fold),
  ...MALFORMED.map(malformed),
  ...leadingCrlf,
];
