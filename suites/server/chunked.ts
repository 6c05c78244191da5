// Area `chunked` (REQUIREMENTS.md §4, server role): chunked request bodies end
// exactly at the last-chunk and the final CRLF, malformed framing is rejected
// without resynchronisation, and chunked responses are followed directly by
// the next response. Every request-side check sends the chunked POST and a
// pipelined `GET /ka-spec-<nonce>` in one write, so a framing slip shows up as
// a response attributable to body bytes, a swallowed GET or a hang.

import {
  describeEnd,
  describeRead,
  describeResponse,
  fail,
  saysClose,
  skip,
  Verdict,
} from '../../harness/check.js';
import { type Level, measured, satisfied } from '../../harness/model.js';
import type { ServerCtx, ServerScenario } from '../../harness/server-context.js';
import type { Req } from '../../harness/wire/build.js';
import type { Conn, EndObservation, ReadResult } from '../../harness/wire/conn.js';
import { type HttpResponse, Parser } from '../../harness/wire/parse.js';
import { exchange, graceMs } from './steps.js';

// ---- shared steps ---------------------------------------------------------------

/** What came back after a request and a pipelined GET. */
interface Observed {
  /** the first response (to the chunked request) */
  first?: HttpResponse;
  /** every response after the first, in order */
  later: HttpResponse[];
  /** the read that found no (further) response: a timeout means the connection stayed open */
  stop?: ReadResult;
  /** how the connection ended after the responses, when that was awaited */
  end?: EndObservation;
}

const closed = (x: Observed): boolean =>
  (x.end !== undefined && x.end.how !== 'open') || x.stop?.type === 'end';

function describeObserved(x: Observed): string {
  const list = [x.first, ...x.later].filter((r): r is HttpResponse => r !== undefined);
  const responses = list.length
    ? `${list.length} response(s): ${list.map((r) => describeResponse(r)).join('; ')}`
    : 'no response';
  const tail = x.stop
    ? describeRead(x.stop)
    : x.end
      ? describeEnd(x.end)
      : 'the connection still open (no FIN within the grace window)';
  return `${responses}; then ${tail}`;
}

/**
 * Send the request and the pipelined GET in one write, then read: the first
 * response; if it says close, the end of the connection (within T); otherwise
 * a second response and anything else within the grace window.
 */
async function pipelined(ctx: ServerCtx, c: Conn, first: Req, get: Req): Promise<Observed> {
  const sent = await c.send([first, get]);
  if (!sent.ok)
    fail({
      summary: `could not send ${first.label} and ${get.label}`,
      expected: 'the server to accept the request bytes',
      seen: `the write failed: ${sent.error}`,
      level: 'MUST',
    });
  return observe(ctx, c);
}

async function observe(ctx: ServerCtx, c: Conn): Promise<Observed> {
  const x: Observed = { later: [] };
  const r1 = await c.readResponse();
  if (r1.type === 'malformed') malformed(r1, 'the first response');
  if (r1.type !== 'response') {
    x.stop = r1;
    return x;
  }
  x.first = r1.response;
  if (saysClose(x.first)) {
    const end = await c.waitEnd();
    x.later.push(...end.extra);
    x.end = end;
    return x;
  }
  const r2 = await c.readResponse();
  if (r2.type === 'malformed') malformed(r2, `the response after ${describeResponse(x.first)}`);
  if (r2.type !== 'response') {
    x.stop = r2;
    return x;
  }
  x.later.push(r2.response);
  const end = await c.waitEnd({ timeoutMs: graceMs(ctx), probe: false });
  x.later.push(...end.extra);
  if (end.how !== 'open') x.end = end;
  return x;
}

function malformed(r: ReadResult & { type: 'malformed' }, what: string): never {
  fail({
    summary: `${what} could not be parsed`,
    expected: 'well-formed HTTP/1.1 responses (RFC 9112 §2.1)',
    seen: describeRead(r),
    level: 'MUST',
  });
}

/**
 * Whether a response answers `GET <missing path>`: 404/410 surely; any other
 * status only if a fresh connection gets the same status for such a path.
 */
function getJudge(ctx: ServerCtx): (res: HttpResponse) => Promise<boolean> {
  let baseline: Promise<number | undefined> | undefined;
  return async (res) => {
    if (res.status === 404 || res.status === 410) return true;
    if (res.status === 400) return false;
    baseline ??= (async () => {
      try {
        const c = await ctx.connect();
        return (await exchange(c, ctx.get(ctx.missingPath()))).status;
      } catch (e) {
        if (e instanceof Verdict) return undefined;
        throw e;
      }
    })();
    const status = await baseline;
    if (status !== undefined)
      ctx.note(`a GET for another missing path on a fresh connection was answered ${status}`);
    return status === res.status;
  };
}

const isError = (res: HttpResponse): boolean => res.status >= 400;

function postChunked(ctx: ServerCtx, body: string, te = 'chunked'): Req {
  return ctx.request({
    method: 'POST',
    target: ctx.resource('postPath'),
    headers: [['Transfer-Encoding', te]],
    body,
  });
}

// ---- CHUNK-01 to CHUNK-04: valid chunked bodies end at the last-chunk -----------

interface ValidSpec {
  id: string;
  covers: string[];
  rfc: string;
  title: string;
  /** the chunked body, from the first chunk-size line to the final CRLF */
  body: string;
  /** what is special about this body, for the evidence */
  what: string;
  /** when the server refuses chunked bodies altogether (4xx + close): pass (CHUNK-01) or skip (variants) */
  refusal: 'pass' | 'skip';
  /**
   * A clean rejection (400/501, then close, nothing else) is judged at this level;
   * MUST unless the variant is a deliberate strictness choice (BWS).
   */
  rejectLevel?: Level;
  /** why a clean rejection is judged at rejectLevel */
  rejectWhy?: string;
}

function validBody(spec: ValidSpec): ServerScenario {
  return {
    id: spec.id,
    role: 'server',
    area: 'chunked',
    level: 'MUST',
    rfc: spec.rfc,
    covers: spec.covers,
    title: spec.title,
    async run(ctx) {
      const missing = ctx.missingPath();
      const isGet = getJudge(ctx);
      const c = await ctx.connect();
      const post = postChunked(ctx, spec.body);
      const x = await pipelined(ctx, c, post, ctx.get(missing));
      const seen = describeObserved(x);
      const expected = `an answer to the POST, then the 404 for GET ${missing} (or a refusal with close)`;
      const first = x.first;
      if (!first)
        fail({
          summary:
            x.stop?.type === 'timeout'
              ? `no response to a chunked POST (${spec.what}) within ${ctx.timing.timeoutMs} ms: the server did not find the end of the body`
              : `the server closed without answering a chunked POST (${spec.what})`,
          expected,
          seen,
        });
      if (first.status === 408)
        fail({
          summary: `the server timed out (408) on a complete chunked body (${spec.what}): it did not recognise the end of the body`,
          expected,
          seen,
        });
      if (first.status === 400 || first.status === 501) {
        const rejectLevel = spec.rejectLevel ?? 'MUST';
        if (rejectLevel !== 'MUST' && x.later.length === 0 && closed(x))
          fail({
            summary: `the server rejected a chunked body with ${spec.what} (${first.status}) and closed cleanly${spec.rejectWhy ? `; ${spec.rejectWhy}` : ''}`,
            expected: `the body accepted (RFC 9112 §7.1.1 grammar), then the 404 for GET ${missing}`,
            seen,
            level: rejectLevel,
          });
        fail({
          summary:
            x.later.length > 0
              ? `the server rejected a valid chunked body with ${spec.what} (${first.status}) and then went on parsing the connection`
              : `the server rejected a valid chunked body with ${spec.what} (${first.status})`,
          expected,
          seen,
        });
      }
      if (x.later.length === 0) {
        if (x.stop?.type === 'timeout')
          fail({
            summary: `the pipelined GET ${missing} got no response within ${ctx.timing.timeoutMs} ms: the server took it as part of the chunked body, or stalled`,
            expected,
            seen,
          });
        if (!saysClose(first))
          fail({
            summary: `the server closed after answering the chunked POST without Connection: close, dropping the pipelined GET`,
            expected,
            seen,
          });
        if (isError(first) && spec.refusal === 'skip')
          skip(
            `the server refused the chunked POST (${first.status}) and closed, so ${spec.what} could not be observed`,
          );
        return satisfied(
          `the POST was answered ${first.status} with Connection: close and the server closed; no byte of the body was taken for a request`,
        );
      }
      const second = x.later[0]!;
      if (!(await isGet(second)))
        fail({
          summary: `the second response (${second.status}) does not answer GET ${missing}: bytes of the chunked body were parsed as a request`,
          expected,
          seen,
        });
      if (x.later.length > 1)
        fail({
          summary: `${x.later.length - 1} response(s) nobody asked for followed the answer to GET ${missing}`,
          expected,
          seen,
        });
      return satisfied(
        `the chunked POST (${spec.what}) was answered ${first.status}, then GET ${missing} ${second.status}: the body ended at its last-chunk`,
      );
    },
  };
}

const VALID: ServerScenario[] = [
  validBody({
    id: 'chunk-request-body',
    covers: ['CHUNK-01'],
    rfc: 'RFC 9112 §7.1',
    title: 'a chunked request body is decoded and the next request follows right after it',
    body: '5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n',
    what: 'two chunks',
    refusal: 'pass',
  }),
  ...(
    [
      ['token', 'a token extension 5;foo=bar', '5;foo=bar\r\nhello\r\n6\r\n world\r\n0\r\n\r\n'],
      ['quoted', 'a quoted extension 5;foo="a;b c"', '5;foo="a;b c"\r\nhello\r\n6\r\n world\r\n0\r\n\r\n'],
      ['last', 'an extension on the last-chunk 0;last=1', '5\r\nhello\r\n6\r\n world\r\n0;last=1\r\n\r\n'],
    ] as const
  ).map(([key, what, body]) =>
    validBody({
      id: `chunk-ext-${key}`,
      covers: ['CHUNK-02'],
      rfc: 'RFC 9112 §7.1.1',
      title: `an unknown chunk extension is ignored: ${what.replace(/^an? /, '')}`,
      body,
      what,
      refusal: 'skip',
    }),
  ),
  validBody({
    id: 'chunk-ext-bws',
    covers: ['CHUNK-02'],
    rfc: 'RFC 9112 §7.1.1; RFC 9110 §5.6.3',
    title: 'whitespace around ";" and "=" of a chunk extension is accepted (5 ; foo = bar)',
    body: '5 ; foo = bar\r\nhello\r\n6\r\n world\r\n0\r\n\r\n',
    what: 'BWS in the extension 5 ; foo = bar',
    refusal: 'skip',
    // A rejection is judged at MUST, clean or not: the chunk-ext grammar has BWS around ";" and "="
    // (RFC 9112 §7.1.1), and a recipient MUST parse such whitespace and remove it (RFC 9110 §5.6.3).
  }),
  validBody({
    id: 'chunk-trailers',
    covers: ['CHUNK-03'],
    rfc: 'RFC 9112 §7.1.2',
    title: 'trailer fields and the final CRLF belong to the chunked body',
    body: '5\r\nhello\r\n0\r\nX-Trailer: v\r\nX-Other: w\r\n\r\n',
    what: 'two trailer fields',
    refusal: 'skip',
  }),
  validBody({
    id: 'chunk-size-hex-forms',
    covers: ['CHUNK-04'],
    rfc: 'RFC 9112 §7.1',
    title: 'chunk sizes with leading zeros and hex digits in either case are valid (0005, A, a, 0a)',
    body: '0005\r\nhello\r\nA\r\n0123456789\r\na\r\n0123456789\r\n0a\r\n0123456789\r\n0\r\n\r\n',
    what: 'sizes 0005, A, a and 0a',
    refusal: 'skip',
  }),
  validBody({
    id: 'chunk-last-zeros',
    covers: ['CHUNK-04'],
    rfc: 'RFC 9112 §7.1',
    title: 'a last-chunk written 000 ends the body',
    body: '5\r\nhello\r\n000\r\n\r\n',
    what: 'the last-chunk 000',
    refusal: 'skip',
  }),
];

// ---- CHUNK-05: an oversized chunk-size is rejected, never wrapped ------------------

const overflow: ServerScenario = {
  id: 'chunk-size-overflow',
  role: 'server',
  area: 'chunked',
  level: 'MUST',
  rfc: 'RFC 9112 §7.1',
  covers: ['CHUNK-05'],
  title: 'a chunk size beyond 64 bits (2^64 + 1) is an error, never reduced to 1',
  async run(ctx) {
    const missing = ctx.missingPath();
    const c = await ctx.connect();
    const x = await pipelined(
      ctx,
      c,
      postChunked(ctx, '10000000000000001\r\nA\r\n0\r\n\r\n'),
      ctx.get(missing),
    );
    const seen = describeObserved(x);
    const expected = 'a 4xx response and close, or a close; nothing that treats "A" as a one-byte chunk';
    const first = x.first;
    if (!first) {
      if (closed(x)) return satisfied('the server closed the connection on the oversized chunk size');
      return measured(
        `no response and no close within ${ctx.timing.timeoutMs} ms: the server may be waiting for 2^64 + 1 bytes of chunk data (no wrap seen)`,
      );
    }
    if (!isError(first))
      fail({
        summary: `the server accepted a chunk size of 2^64 + 1 (answered ${first.status}): the size wrapped or was truncated`,
        expected,
        seen,
      });
    if (x.later.length > 0)
      fail({
        summary: `after its ${first.status} the server answered ${x.later.length} more request(s): it found a message boundary inside the oversized chunk`,
        expected,
        seen,
      });
    if (!closed(x))
      fail({
        summary: `the server answered ${first.status} but kept the connection open, though it cannot know where the body ends`,
        expected,
        seen,
        level: 'SHOULD',
      });
    return satisfied(`the oversized chunk size was answered ${first.status}, then the connection closed`);
  },
};

// ---- CHUNK-06: broken chunk framing is an error, without resynchronisation --------

interface BadSpec {
  key: string;
  body: string;
  what: string;
  /** a bare LF where CRLF is due: a consistent lenient reading is a SHOULD issue, not proof of desync */
  bareLf?: boolean;
}

function badFraming(spec: BadSpec): ServerScenario {
  return {
    id: `chunk-bad-${spec.key}`,
    role: 'server',
    area: 'chunked',
    level: 'SHOULD',
    rfc: 'RFC 9112 §2.2, §7.1',
    covers: ['CHUNK-06'],
    title: `broken chunk framing (${spec.what}) is answered 400 and the connection closed`,
    async run(ctx) {
      const missing = ctx.missingPath();
      const isGet = getJudge(ctx);
      const c = await ctx.connect();
      const x = await pipelined(ctx, c, postChunked(ctx, spec.body), ctx.get(missing));
      const seen = describeObserved(x);
      const expected = `400 (or another 4xx), then the connection closed; no answer to the pipelined GET ${missing}`;
      const first = x.first;
      if (!first)
        fail({
          summary: closed(x)
            ? `the server closed without a response on ${spec.what}`
            : `no response and no close within ${ctx.timing.timeoutMs} ms after ${spec.what}`,
          expected,
          seen,
        });
      if (isError(first)) {
        if (x.later.length > 0)
          fail({
            summary: `after answering ${first.status} to ${spec.what}, the server answered ${x.later.length} more: it resynchronised inside a message it could not frame`,
            expected,
            seen,
            level: 'MUST',
          });
        if (!closed(x))
          fail({
            summary: `the server answered ${first.status} to ${spec.what} but kept the connection open`,
            expected,
            seen,
          });
        if (first.status >= 500)
          fail({
            summary: `the server answered ${first.status} (a server error) to ${spec.what} and closed`,
            expected,
            seen,
          });
        return satisfied(`${spec.what} was answered ${first.status}, then the connection closed`);
      }
      if (x.later.length === 0) {
        if (!closed(x))
          fail({
            summary: `the server answered ${first.status} to ${spec.what}, then swallowed the pipelined GET ${missing}`,
            expected,
            seen,
            level: 'MUST',
          });
        fail({
          summary: `the server accepted ${spec.what} (answered ${first.status}) instead of rejecting it, then closed`,
          expected,
          seen,
        });
      }
      const inSync = x.later.length === 1 && (await isGet(x.later[0]!));
      // In step, the leniency broke only the SHOULD to reject (RFC 9112 §2.2); answering
      // body bytes as requests is a desynchronisation, a MUST.
      if (inSync)
        fail({
          summary: spec.bareLf
            ? `the server read ${spec.what} as a line end (answered ${first.status}) and carried on; it stayed in step here, but a peer that does not do the same would desynchronise`
            : `the server accepted ${spec.what} (answered ${first.status}) instead of rejecting it; it stayed in step here, but a peer that reads it differently would desynchronise`,
          expected,
          seen,
        });
      fail({
        summary: `after ${spec.what} the server answered requests made of body bytes (responses: ${[first, ...x.later].map((r) => r.status).join(', ')})`,
        expected,
        seen,
        level: 'MUST',
      });
    },
  };
}

const BAD: ServerScenario[] = [
  { key: 'data-overrun', body: '5\r\nhelloXX\r\n0\r\n\r\n', what: 'chunk data longer than its size' },
  { key: 'size-xyz', body: 'xyz\r\nhello\r\n0\r\n\r\n', what: 'the chunk size "xyz"' },
  { key: 'size-negative', body: '-1\r\nhello\r\n0\r\n\r\n', what: 'the chunk size "-1"' },
  { key: 'size-0x', body: '0x5\r\nhello\r\n0\r\n\r\n', what: 'the chunk size "0x5"' },
  { key: 'size-empty', body: '\r\nhello\r\n0\r\n\r\n', what: 'an empty chunk-size line' },
  {
    key: 'lf-size-line',
    body: '5\nhello\r\n0\r\n\r\n',
    what: 'a bare LF ending a chunk-size line',
    bareLf: true,
  },
  {
    key: 'lf-after-data',
    body: '5\r\nhello\n0\r\n\r\n',
    what: 'a bare LF after chunk data',
    bareLf: true,
  },
].map(badFraming);

// ---- CHUNK-07 and CHUNK-08: Transfer-Encoding the server must not guess at ---------

interface CodingSpec {
  key: string;
  te: string;
  level: Level;
  covers: string;
  rfc: string;
}

/** The expected rejections: 400 (RFC 9112 §6.3), or 501 for a coding the server does not know (§6.1). */
const TE_REJECT = [400, 501];

function codingScenario(spec: CodingSpec): ServerScenario {
  const must = spec.level === 'MUST';
  return {
    id: `chunk-te-${spec.key}`,
    role: 'server',
    area: 'chunked',
    level: spec.level,
    rfc: spec.rfc,
    covers: [spec.covers],
    title: must
      ? `a request with Transfer-Encoding: ${spec.te} is answered ${TE_REJECT.join(' or ')} and the connection closed`
      : spec.level === 'INFO'
        ? `what the server does with Transfer-Encoding: ${spec.te} (a sender's error with no recipient rule); the connection stays in sync`
        : `Transfer-Encoding: ${spec.te} is treated as an error (an error status and close), not guessed at`,
    async run(ctx) {
      const missing = ctx.missingPath();
      const isGet = getJudge(ctx);
      const c = await ctx.connect();
      const te = `Transfer-Encoding: ${spec.te}`;
      const x = await pipelined(
        ctx,
        c,
        postChunked(ctx, '5\r\nhello\r\n0\r\n\r\n', spec.te),
        ctx.get(missing),
      );
      const seen = describeObserved(x);
      const expected = `${must ? TE_REJECT.join(' or ') : 'an error status'}, then the connection closed; no answer to the pipelined GET ${missing}`;
      const first = x.first;
      if (!first) {
        if (closed(x))
          fail({ summary: `the server closed without a response to a request with ${te}`, expected, seen });
        fail({
          summary: `no response and no close within ${ctx.timing.timeoutMs} ms after a request with ${te}: the server lost the message boundary`,
          expected,
          seen,
          level: 'MUST',
        });
      }
      const statuses = [first, ...x.later].map((r) => r.status).join(', ');
      if (isError(first)) {
        if (x.later.length > 0) {
          const inSync = !must && x.later.length === 1 && (await isGet(x.later[0]!));
          fail({
            summary: inSync
              ? `the server rejected ${te} with ${first.status} but kept the connection and answered the pipelined GET`
              : `after rejecting ${te} with ${first.status} the server answered more requests (responses: ${statuses})`,
            expected,
            seen,
            level: inSync ? spec.level : 'MUST',
          });
        }
        if (!closed(x))
          fail({
            summary: `the server answered ${first.status} to ${te} but kept the connection open`,
            expected,
            seen,
          });
        // RFC 9112 §6.3: chunked not final in a request, "the server MUST respond with the 400 (Bad Request)
        // status code and then close"; §6.1 suggests 501 for a coding it does not understand (SHOULD).
        // For chunked with parameters (§7.1: "SHOULD be treated as an error") any error and the close do.
        if (must && !TE_REJECT.includes(first.status))
          fail({
            summary: `the server answered ${first.status} to ${te} and closed (${TE_REJECT.join(' or ')} expected)`,
            expected: `${expected} (RFC 9112 §6.3: 400; §6.1: 501 for a coding the server does not understand)`,
            seen,
          });
        return satisfied(`a request with ${te} was answered ${first.status}, then the connection closed`);
      }
      if (must)
        fail({
          summary: `the server accepted a request with ${te} (answered ${first.status}): it guessed at the body length (responses: ${statuses})`,
          expected,
          seen,
        });
      const inSync = x.later.length === 1 && (await isGet(x.later[0]!));
      if (x.later.length === 0 && !closed(x))
        fail({
          summary: `the server answered ${first.status} to ${te}, then swallowed the pipelined GET ${missing}`,
          expected,
          seen,
          level: 'MUST',
        });
      if (x.later.length > 0 && !inSync)
        fail({
          summary: `with ${te} the server answered requests made of body bytes (responses: ${statuses})`,
          expected,
          seen,
          level: 'MUST',
        });
      fail({
        summary:
          spec.level === 'INFO'
            ? `the server accepted ${te} (answered ${first.status}) and stayed in sync: RFC 9112 §6.1 forbids chunking twice to the sender only`
            : `the server accepted ${te} (answered ${first.status}) instead of rejecting it`,
        expected,
        seen,
      });
    },
  };
}

const CODINGS: ServerScenario[] = [
  ...(
    [
      ['gzip', 'gzip'],
      ['chunked-gzip', 'chunked, gzip'],
      ['unknown', 'x-foo'],
    ] as const
  ).map(([key, te]) =>
    codingScenario({ key, te, level: 'MUST', covers: 'CHUNK-07', rfc: 'RFC 9112 §6.3, §6.1' }),
  ),
  // RFC 9112 §7.1: parameters on chunked "SHOULD be treated as an error".
  codingScenario({
    key: 'chunked-params',
    te: 'chunked;foo=bar',
    level: 'SHOULD',
    covers: 'CHUNK-08',
    rfc: 'RFC 9112 §7.1',
  }),
  // RFC 9112 §6.1: "A sender MUST NOT apply the chunked transfer coding more than once": no recipient
  // rule, so what the server does is reported (INFO); only a lost message boundary fails (MUST).
  codingScenario({
    key: 'chunked-twice',
    te: 'chunked, chunked',
    level: 'INFO',
    covers: 'CHUNK-08',
    rfc: 'RFC 9112 §6.1',
  }),
];

// ---- CHUNK-09: chunk extensions cannot make the server buffer without limit ------

const EXT_TOTAL = 1024 * 1024;
const EXT_WRITE = 16 * 1024;
/** the longest wait for a reaction between two writes (an event wait, ended by any byte) */
const EXT_PAUSE_MS = 5;

const extLimit: ServerScenario = {
  id: 'chunk-ext-limit',
  role: 'server',
  area: 'chunked',
  level: 'INFO',
  rfc: 'RFC 9112 §7.1.1',
  covers: ['CHUNK-09'],
  title: 'how much chunk-extension text the server takes before it answers 4xx (1 MiB offered)',
  async run(ctx) {
    const missing = ctx.missingPath();
    const isGet = getJudge(ctx);
    const c = await ctx.connect();
    const head = postChunked(ctx, '5');
    const start = await c.send(head);
    if (!start.ok)
      fail({
        summary: 'could not send the chunked POST',
        expected: 'the server to accept the request head',
        seen: `the write failed: ${start.error}`,
        level: 'MUST',
      });
    const piece = Buffer.from(';a=b'.repeat(EXT_WRITE / 4), 'latin1');
    let sent = 0;
    let blocked: string | undefined;
    // An error response, the first bytes of a response still incomplete (a close-delimited
    // 413, say) or the end stop the offer; a complete early 2xx (a server that answers
    // before it has read the body) does not: that server must still read past the extension.
    const reacted = () =>
      c.ended ||
      !!c.parser.error ||
      c.parser.messages.some((m) => m.kind === 'response' && isError(m)) ||
      (c.parser.messages.length === 0 && !c.parser.idle);
    while (sent < EXT_TOTAL && !reacted()) {
      const r = await c.send(piece);
      if (!r.ok) {
        blocked = r.error;
        break;
      }
      sent += piece.length;
      // Give the server's answer a moment to arrive, so the count says where it reacted.
      await c.waitForBytes(EXT_PAUSE_MS);
    }
    const kib = `${Math.round(sent / 1024)} KiB`;
    ctx.note(
      `${kib} of chunk extension sent${reacted() ? ' before the server reacted' : ''}${blocked ? `; the last write failed: ${blocked}` : ''}`,
    );
    const early = c.parser.messages.length > 0;
    // Unless the server already ended it, finish the message and pipeline a GET:
    // whatever the server does next shows whether it kept its place.
    if (!c.ended && !blocked) {
      const tail = Buffer.from('\r\nhello\r\n0\r\n\r\n', 'latin1');
      // One write when pipelining works; where the target drops pipelined requests, the
      // GET waits for the POST's answer (conn.ts), and the tail still goes at once.
      await c.send([tail, ctx.get(missing)]);
    }
    const x = await observe(ctx, c);
    const seen = describeObserved(x);
    const expected = `a 4xx and close at the server's limit, or the POST answered and then the 404 for GET ${missing}`;
    const first = x.first;
    if (!first) {
      if (closed(x))
        return measured(
          `the server closed the connection, without a response, after ${kib} of chunk extension`,
        );
      if (blocked)
        return measured(
          `the server stopped reading after about ${kib} of chunk extension (writes blocked) and did not answer`,
        );
      fail({
        summary: `the chunked POST with ${kib} of extension and the pipelined GET got no response within ${ctx.timing.timeoutMs} ms`,
        expected,
        seen,
        level: 'MUST',
      });
    }
    if (isError(first)) {
      // Answering early and then reading the body to its end is allowed; resuming anywhere else is not.
      if (x.later.length === 1 && (await isGet(x.later[0]!)))
        return measured(
          `the server answered ${first.status} after at most ${kib} of chunk extension, read the body to its end and answered the pipelined GET ${x.later[0]!.status}`,
          sent,
        );
      if (x.later.length > 0)
        fail({
          summary: `after answering ${first.status} inside an overlong chunk extension, the server answered ${x.later.length} more: it resumed parsing inside a message it had rejected`,
          expected,
          seen,
          level: 'MUST',
        });
      if (!closed(x))
        fail({
          summary: `the server answered ${first.status} inside an overlong chunk extension but kept the connection open`,
          expected,
          seen,
          level: 'SHOULD',
        });
      return measured(
        `limit: the server answered ${first.status} after at most ${kib} of chunk extension, then closed`,
        sent,
      );
    }
    if (x.later.length === 0) {
      if (!closed(x))
        fail({
          summary: `the server answered ${first.status} to the POST with ${kib} of extension, then swallowed the pipelined GET`,
          expected,
          seen,
          level: 'MUST',
        });
      if (!saysClose(first))
        fail({
          summary: `the server closed right after its ${first.status} without Connection: close, dropping the pipelined GET`,
          expected,
          seen,
          level: 'MUST',
        });
      return measured(
        `no limit seen: ${kib} of chunk extension accepted (answered ${first.status}), then close`,
      );
    }
    if (x.later.length > 1 || !(await isGet(x.later[0]!)))
      fail({
        summary: `after ${kib} of chunk extension the server answered requests made of body bytes (responses: ${[first, ...x.later].map((r) => r.status).join(', ')})`,
        expected,
        seen,
        level: 'MUST',
      });
    return measured(
      `no limit seen: ${kib} of chunk extension accepted (answered ${first.status}${early ? ' before the body was complete' : ''}), and the pipelined GET was answered ${x.later[0]!.status} in step`,
      sent,
    );
  },
};

// ---- CHUNK-10: chunked responses are well formed and followed by the next response --

const LAST_CHUNK = '`0\r\n\r\n`';

/** The line the server sent from stream offset `at` (at most 60 bytes), quoted; the reports escape it. */
function lineAt(c: Conn, at: number): string {
  const bytes = c.receivedBytes().subarray(at, at + 60);
  const lf = bytes.indexOf(0x0a);
  return bytes.length
    ? `"${bytes.subarray(0, lf >= 0 ? lf + 1 : bytes.length).toString('latin1')}"`
    : 'nothing';
}

/**
 * Where a chunked response that did not complete broke, named exactly: the chunk after which
 * the body ended without its last-chunk, the size line that is not hex, the CRLF missing after
 * chunk data or after the last-chunk. Undefined when no chunked header section came.
 */
function chunkedBreak(c: Conn, r: ReadResult): string | undefined {
  const head = c.parser.partial;
  if (head?.kind !== 'response' || head.framing.kind !== 'chunked' || r.type === 'response') return undefined;
  const chunks = head.chunks;
  const data = chunks.filter((x) => x.size > 0);
  const n = data.length;
  const afterLast = chunks.length > 0 && chunks[chunks.length - 1]!.size === 0;
  const sofar = `${n} chunk(s), ${data.reduce((t, x) => t + x.size, 0)} bytes of data`;
  const where = n ? `after chunk ${n}` : 'before its first chunk';
  if (r.type === 'end' || r.type === 'timeout') {
    const ended =
      r.type === 'end'
        ? `the body ended (${r.how.toUpperCase()})`
        : `nothing more came within ${Math.round(r.waitedMs)} ms`;
    if (afterLast)
      return `${ended} after the last-chunk \`0\r\n\` with no final CRLF (the empty line that ends the trailer section) (${sofar})`;
    // (after an end the state reads "stopped: connection ended inside a chunked body (<where>) ...")
    const due = /inside chunk data, (\d+) bytes still due/.exec(r.state);
    if (due)
      return `${ended} inside the data of chunk ${n}, ${due[1]} of its ${data[n - 1]?.size ?? '?'} bytes still due (${sofar}): no last-chunk ${LAST_CHUNK}`;
    if (r.state.includes('at the CRLF after chunk data'))
      return `${ended} after the data of chunk ${n}, before its CRLF (${sofar}): no last-chunk ${LAST_CHUNK}`;
    return `${ended} ${where} with no last-chunk ${LAST_CHUNK} (${sofar})`;
  }
  const err = r.error;
  const bytes = lineAt(c, err.offset);
  if (afterLast)
    return `after the last-chunk \`0\r\n\` the final CRLF is missing: where a trailer field or the empty line ending the body was due came ${bytes}${/^"HTTP\/1\./.test(bytes) ? ' (the next response)' : ''}`;
  switch (err.code) {
    case 'bad-chunk-size':
      return /^"HTTP\/1\./.test(bytes)
        ? `the next response (${bytes}) began ${where}, where a chunk size or the last-chunk ${LAST_CHUNK} was due: no last-chunk (${sofar})`
        : `the size line of chunk ${n + 1}, ${bytes}, is not a chunk size (hex digits only: chunk-size = 1*HEXDIG)`;
    case 'missing-chunk-crlf':
      return `chunk ${n} (size 0x${data[n - 1]?.size.toString(16) ?? '?'}) is not followed by CRLF after its data: ${bytes} came instead; its size does not match its data, or the CRLF is missing`;
    default:
      return `chunk framing broke ${where}: ${err.message} (${sofar})`;
  }
}

const responseFraming: ServerScenario = {
  id: 'chunk-response-framing',
  role: 'server',
  area: 'chunked',
  level: 'MUST',
  rfc: 'RFC 9112 §7.1',
  covers: ['CHUNK-10'],
  owns: ['CHUNK-10'],
  title: 'a chunked response is well formed and the next response starts right after its final CRLF',
  async run(ctx) {
    const path = ctx.resource('chunkedPath');
    const missing = ctx.missingPath();
    const isGet = getJudge(ctx);
    const c = await ctx.connect();
    const sent = await c.send([ctx.get(path), ctx.get(missing)]);
    if (!sent.ok)
      fail({
        summary: `could not send GET ${path} and GET ${missing}`,
        expected: 'the server to accept two pipelined requests',
        seen: `the write failed: ${sent.error}`,
      });
    const r1 = await c.readResponse();
    const broke = chunkedBreak(c, r1);
    if (broke)
      fail({
        summary: `the chunked response to GET ${path} is broken: ${broke}`,
        expected: `hex chunk sizes, CRLF after each chunk's data, the last-chunk ${LAST_CHUNK} (RFC 9112 §7.1), then the response to GET ${missing}`,
        seen: describeRead(r1),
      });
    if (r1.type === 'malformed')
      fail({
        summary: `the response to GET ${path} could not be parsed`,
        expected: 'hex chunk sizes, CRLF after each chunk, a last-chunk, trailer fields and a final CRLF',
        seen: describeRead(r1),
      });
    if (r1.type !== 'response')
      fail({
        summary: `no response to GET ${path}`,
        expected: 'a complete chunked response',
        seen: describeRead(r1),
      });
    const res = r1.response;
    if (res.framing.kind !== 'chunked')
      skip(`GET ${path} was answered without chunked coding (${describeResponse(res)})`);
    // The connection's parser repairs what a client may repair; judge the bytes strictly.
    const strict = new Parser({ kind: 'response' });
    strict.expectResponseTo('GET');
    strict.push(res.raw);
    if (strict.error || strict.messages.length !== 1)
      fail({
        summary: `the chunked response to GET ${path} is not strictly well formed`,
        expected: 'CRLF line ends and the chunked grammar of RFC 9112 §7.1',
        seen: strict.error?.message ?? `${res.notes.join('; ') || 'the strict parser did not complete it'}`,
      });
    const body = `${res.chunks.length - 1} chunk(s), ${res.body.length} bytes${res.trailers.length ? `, ${res.trailers.length} trailer field(s)` : ''}`;
    if (saysClose(res)) {
      const end = await c.waitEnd();
      if (end.extra.length > 0 || end.partialBytes > 0 || !c.parser.idle)
        fail({
          summary: `bytes followed the chunked response that said Connection: close`,
          expected: 'nothing after the final CRLF, then the close',
          seen: `${describeResponse(res)}, then ${end.extra.length} response(s) and ${end.partialBytes || (c.parser.idle ? 0 : 'some')} further bytes; ${describeEnd(end)}`,
        });
      return satisfied(`the chunked response (${body}) was well formed; the server then closed as announced`);
    }
    const r2 = await c.readResponse();
    if (r2.type === 'malformed')
      fail({
        summary: `the bytes after the chunked response to GET ${path} are not the next response`,
        expected: `the response to GET ${missing} right after the final CRLF`,
        seen: `${describeResponse(res)} (${body}), then ${describeRead(r2)}: a missing or stray CRLF, or a last-chunk written mid-stream`,
      });
    if (r2.type !== 'response')
      fail({
        summary: `no response to the pipelined GET ${missing} after the chunked response`,
        expected: `the response to GET ${missing} right after the final CRLF`,
        seen: `${describeResponse(res)} (${body}), then ${describeRead(r2)}`,
      });
    const next = r2.response;
    if (next.leadingEmptyLines > 0)
      fail({
        summary: `${next.leadingEmptyLines} stray empty line(s) came between the chunked response and the next response`,
        expected: `the next response's status line right after the final CRLF`,
        seen: `${describeResponse(res)}, then ${next.leadingEmptyLines} empty line(s), then ${describeResponse(next)}`,
      });
    if (!(await isGet(next)))
      fail({
        summary: `the response after the chunked one (${next.status}) does not answer GET ${missing}`,
        expected: `the response to GET ${missing} right after the final CRLF`,
        seen: `${describeResponse(res)} (${body}), then ${describeResponse(next)}`,
      });
    return satisfied(
      `the chunked response (${body}) was well formed and the next bytes were the ${next.status} for GET ${missing}`,
    );
  },
};

/** Area `chunked`. */
export const chunked: ServerScenario[] = [...VALID, overflow, ...BAD, ...CODINGS, extLimit, responseFraming];
