// Area `framing`, proxy mode: request smuggling. Each scenario sends one request whose
// framing is ambiguous or malformed (Content-Length with Transfer-Encoding, an invalid
// length, an obfuscated Transfer-Encoding, bad chunk lines), with a whole request for
// ctx.at('smuggled') where only a misreading finds one. The proxy is judged by what the
// origin receives: a refusal, or a request framed exactly as one permitted reading of it
// frames it, passes; a smuggled request, bytes the origin's strict parser stops on, or a
// response on the wrong request fails.

import { closedAfter, describeRead, describeResponse, fail, skip } from '../../harness/check.js';
import { type Level, satisfied } from '../../harness/model.js';
import type { ProxyCtx, ProxyScenario } from '../../harness/proxy-context.js';
import type { ParseErrorCode } from '../../harness/wire/parse.js';
import {
  answerTo,
  describeArrival,
  graceMs,
  type HiddenProbe,
  sendHidden,
  smuggledRequest,
  upstreamParseError,
} from './steps.js';

/** A way the origin may receive the request without harm: the body as that reading of it frames it. */
interface Reading {
  /** e.g. 'framed by its Transfer-Encoding alone' */
  what: string;
  body: string;
  /** RFC 9112 §6.1: the client connection closes after the response */
  close?: boolean;
  /** forwarding it this way breaks a SHOULD only: which one */
  should?: string;
}

interface Attack {
  id: string;
  title: string;
  level: Level;
  rfc: string;
  covers: string[];
  /** the request in words, for evidence */
  what: string;
  /** what the proxy must do instead */
  expected: string;
  /** the fields after Host (each written with CRLF after it), the body, and the permitted readings */
  build(hidden: string): { fields: string[]; body: string; readings: Reading[] };
  /** origin parse errors that are the origin's own limits, not a fault of the proxy */
  neutral?: ParseErrorCode[];
}

const clip = (s: string, n = 60) => JSON.stringify(s.slice(0, n));

const byChunked: Reading = {
  what: 'framed by its Transfer-Encoding alone (an empty chunked body)',
  body: '',
  close: true,
};

const BAD_GRAMMAR =
  'RFC 9112 §2.2: a server SHOULD answer 400 and close the connection when the bytes do not match the grammar';

function attack(a: Attack): ProxyScenario {
  return {
    id: a.id,
    role: 'proxy',
    area: 'framing',
    level: a.level,
    rfc: a.rfc,
    covers: a.covers,
    title: a.title,
    async run(ctx) {
      ctx.needsPost();
      const { fields, body, readings } = a.build(smuggledRequest(ctx));
      const head = `POST ${ctx.at('attack')} HTTP/1.1\r\nHost: ${ctx.target.authority}\r\n${fields.map((f) => `${f}\r\n`).join('')}\r\n`;
      const probe = await sendHidden(ctx, Buffer.from(head + body, 'latin1'));
      return judge(ctx, a, probe, readings);
    },
  };
}

async function judge(ctx: ProxyCtx, a: Attack, p: HiddenProbe, readings: Reading[]) {
  const client = `${p.c1.label} got ${describeRead(p.first)}`;
  const seen = () =>
    `${client}; ${p.after.label} got ${describeRead(p.after.read)}; origin: ${ctx.describeUpstream()}`;
  const broken = upstreamParseError(ctx, a.neutral);
  if (broken)
    fail({
      summary: `the proxy forwarded ${a.what} in a form the origin's parser stops on (${broken.error.message})`,
      expected: a.expected,
      seen: `${broken.conn} stopped near ${broken.near}; ${seen()}`,
      level: 'MUST',
    });
  const [smuggled] = p.smuggled;
  // One root cause, one failure: a proxy that read the request by its Transfer-Encoding (a
  // permitted reading) and then took the bytes after it as the client's next request answers that
  // request to the client. That is the missing close after CL + TE which proxy-smug-cl-te reports,
  // not a fault of this spelling (a proxy that forwarded the bytes unread gives the client no answer).
  if (smuggled) {
    await ctx.sleep(graceMs(ctx));
    const answeredToClient = p.c1.parser.messages.some(
      (m) => m.kind === 'response' && m.body.toString('latin1') === answerTo('smuggled'),
    );
    const attackBody = ctx.arrivals('attack')[0]?.req.msg.body.toString('latin1');
    if (answeredToClient && readings.some((r) => r.close && r.body === attackBody))
      skip(
        `the proxy read ${a.what} by its Transfer-Encoding (a permitted reading), then took the bytes after it as the client's next request (${describeArrival(smuggled)}, answered on ${p.c1.label}) instead of closing: the fault proxy-smug-cl-te reports; ${seen()}`,
      );
  }
  if (smuggled)
    fail({
      summary: `the origin received ${describeArrival(smuggled)}, a request hidden in the body of ${a.what}: a smuggled request`,
      expected: `${a.expected}; never the request hidden in its body`,
      seen: seen(),
      level: 'MUST',
    });
  if (!p.after.own)
    fail({
      summary: `${p.after.label}, sent after ${a.what}, did not get its own answer: a response landed on the wrong request`,
      expected: `the origin's answer to after (${JSON.stringify(answerTo('after'))})`,
      seen: seen(),
      level: 'MUST',
    });
  const [arrival] = ctx.arrivals('attack');
  if (!arrival)
    return satisfied(
      `${client}; the origin received no complete request from it, nothing hidden, and ${p.after.label} got its own answer`,
    );
  const got = arrival.req.msg.body.toString('latin1');
  const reading = readings.find((r) => r.body === got);
  const received = `the origin received POST attack with a ${got.length}-byte body ${clip(got)}`;
  if (!reading)
    fail({
      summary: `the proxy forwarded ${a.what}${readings.length > 0 ? ', framed as no permitted reading of it frames it' : ''}`,
      expected: a.expected,
      seen: `${received}; ${seen()}`,
    });
  if (reading.close && p.first.type === 'response') {
    const end = await closedAfter(p.c1, p.first.response, ctx.transcript);
    if (end.verdict !== 'prompt')
      fail({
        summary: `the proxy forwarded ${a.what} ${reading.what}, but kept the client connection open after the response`,
        expected:
          'the client connection closed right after the response (RFC 9112 §6.1: "the server MUST close the connection after responding to such a request")',
        seen: `${describeResponse(p.first.response)} on ${p.c1.label}, then ${end.text}; ${received}`,
        level: 'MUST',
      });
  }
  if (reading.should)
    fail({
      summary: `the proxy accepted ${a.what} and forwarded it ${reading.what}`,
      expected: `${a.expected} (${reading.should})`,
      seen: `${received}; ${seen()}`,
      level: 'SHOULD',
    });
  return satisfied(
    `forwarded ${reading.what}: ${received}; ${client}; nothing hidden reached the origin, and ${p.after.label} got its own answer`,
  );
}

// ---- PXSMUG-01: Content-Length with Transfer-Encoding (CL.TE and TE.CL: framing-desync.ts) ----

/** `Content-Length` over the whole body, a Transfer-Encoding field, and a body that is an empty chunked body + the hidden request. */
function lengthOverChunked(o: {
  id: string;
  title: string;
  rfc: string;
  covers: string[];
  te: string[];
  what: string;
  expected: string;
  level?: Level;
  readings: Reading[];
  /** the Transfer-Encoding field before the Content-Length */
  teFirst?: boolean;
}): ProxyScenario {
  return attack({
    id: o.id,
    title: o.title,
    level: o.level ?? 'MUST',
    rfc: o.rfc,
    covers: o.covers,
    what: o.what,
    expected: o.expected,
    build: (hidden) => {
      const body = `0\r\n\r\n${hidden}`;
      const cl = `Content-Length: ${body.length}`;
      return {
        fields: o.teFirst ? [...o.te, cl] : [cl, ...o.te],
        body,
        readings: o.readings.map((r) => (r.body === 'full' ? { ...r, body } : r)),
      };
    },
  });
}

const CL_TE_EXPECTED =
  'a 400 and the end of the client connection; or the request forwarded framed by its chunked coding alone, without the Content-Length, and the client connection closed after the response (RFC 9112 §6.1, §6.3)';

const teTab = lengthOverChunked({
  id: 'proxy-smug-te-tab',
  title:
    'Transfer-Encoding:<HTAB>chunked (a tab is optional whitespace) with Content-Length is handled as Content-Length with chunked',
  rfc: 'RFC 9112 §6.1',
  covers: ['PXSMUG-01'],
  te: ['Transfer-Encoding:\tchunked'],
  what: 'a POST with Content-Length and "Transfer-Encoding:<HTAB>chunked"',
  expected: `${CL_TE_EXPECTED}; the tab is optional whitespace (RFC 9110 §5.6.3), so the field says chunked`,
  readings: [byChunked],
});

// ---- PXSMUG-05: an invalid Content-Length (two differing values: framing-desync.ts) ----------

function invalidLength(o: { id: string; fields: string[]; title: string }): ProxyScenario {
  return attack({
    id: o.id,
    title: o.title,
    level: 'MUST',
    rfc: 'RFC 9112 §6.3',
    covers: ['PXSMUG-05'],
    what: `a POST with ${o.fields.map((f) => JSON.stringify(f)).join(' and ')}`,
    expected:
      'a 400 (Bad Request) and the end of the connection, nothing forwarded: an invalid Content-Length is an unrecoverable error (RFC 9112 §6.3)',
    build: (hidden) => ({
      fields: o.fields,
      body: `hello${hidden}`,
      readings: [],
    }),
  });
}

// ---- PXSMUG-06: Transfer-Encoding without a final chunked ------------------------------------------

function notChunked(o: { id: string; te: string[]; title: string }): ProxyScenario {
  return lengthOverChunked({
    id: o.id,
    title: o.title,
    rfc: 'RFC 9112 §6.3',
    covers: ['PXSMUG-06'],
    te: o.te,
    what: `a POST with Content-Length and ${o.te.map((f) => JSON.stringify(f)).join(' and ')}`,
    expected:
      'a 400 (or 501 for a coding the proxy does not know) and the end of the connection, nothing forwarded: with chunked not the final coding the length cannot be determined (RFC 9112 §6.3, §6.1)',
    readings: [],
  });
}

// ---- PXSMUG-09: an overflowing chunk size -------------------------------------------------------

const overflow = attack({
  id: 'proxy-smug-chunk-size-overflow',
  title: 'a chunk size of 2^64 + 5 is refused or waited for, never wrapped to 5',
  level: 'MUST',
  rfc: 'RFC 9112 §7.1',
  covers: ['PXSMUG-09'],
  what: 'a chunked POST whose first chunk size is 10000000000000005 (2^64 + 5)',
  expected:
    'a 4xx and the end of the connection, or the proxy waiting for that much data: never the size taken as 5 (RFC 9112 §7.1: "recipients MUST anticipate potentially large hexadecimal numerals and prevent parsing errors due to integer conversion overflows")',
  // Forwarding the size as received is no fault: the origin's parser has its own limit.
  neutral: ['chunk-size-overflow'],
  build: (hidden) => ({
    fields: ['Transfer-Encoding: chunked'],
    body: `10000000000000005\r\nhello\r\n0\r\n\r\n${hidden}`,
    readings: [],
  }),
});

// ---- PXSMUG-08: malformed chunk lines ---------------------------------------------------------

function badChunkLine(o: { id: string; title: string; body: string; what: string; how: string }) {
  return attack({
    id: o.id,
    title: o.title,
    level: 'MUST',
    rfc: 'RFC 9110 §2.2',
    covers: ['PXSMUG-08'],
    what: o.what,
    expected:
      'a 400 and the end of the connection; never the malformed chunk line forwarded as received (RFC 9110 §2.2: "A sender MUST NOT generate protocol elements that do not match the grammar")',
    build: () => ({
      fields: ['Transfer-Encoding: chunked'],
      body: o.body,
      readings: [{ what: o.how, body: 'hello', should: BAD_GRAMMAR }],
    }),
  });
}

export const smuggling: ProxyScenario[] = [
  teTab,
  invalidLength({
    id: 'proxy-smug-cl-plus',
    fields: ['Content-Length: +5'],
    title: 'Content-Length: +5 (a sign is not a digit): 400, nothing forwarded',
  }),
  invalidLength({
    id: 'proxy-smug-cl-two-numbers',
    fields: ['Content-Length: 5 5'],
    title: 'Content-Length: 5 5 (two numbers, no comma): 400, nothing forwarded',
  }),
  invalidLength({
    id: 'proxy-smug-cl-hex',
    fields: ['Content-Length: 0x5'],
    title: 'Content-Length: 0x5 (hex is not decimal): 400, nothing forwarded',
  }),
  notChunked({
    id: 'proxy-smug-te-chunked-identity',
    te: ['Transfer-Encoding: chunked, identity'],
    title:
      'Transfer-Encoding: chunked, identity (chunked not final) with Content-Length: 400, nothing forwarded',
  }),
  notChunked({
    id: 'proxy-smug-te-two-lines',
    te: ['Transfer-Encoding: chunked', 'Transfer-Encoding: identity'],
    title:
      'Transfer-Encoding: chunked and Transfer-Encoding: identity on two lines, with Content-Length: 400, nothing forwarded',
  }),
  notChunked({
    id: 'proxy-smug-te-xchunked',
    te: ['Transfer-Encoding: xchunked'],
    title: 'Transfer-Encoding: xchunked (an unknown coding) with Content-Length: refused, nothing forwarded',
  }),
  lengthOverChunked({
    id: 'proxy-smug-te-obs-fold',
    title:
      'Transfer-Encoding folded onto a second line (obs-fold) with Content-Length: 400, or unfolded and handled as Content-Length with chunked',
    rfc: 'RFC 9112 §5.2',
    covers: ['PXSMUG-04', 'PXSMUG-01'],
    te: ['Transfer-Encoding:', ' chunked'],
    what: 'a POST with Content-Length and "Transfer-Encoding:" folded onto " chunked" (obs-fold)',
    expected:
      'a 400; or the fold replaced by a space (RFC 9112 §5.2), and then the Content-Length with chunked handled as such: refused, or forwarded by the chunked coding alone with the client connection closed after the response',
    readings: [byChunked],
  }),
  lengthOverChunked({
    id: 'proxy-smug-bare-lf-head',
    title:
      'a bare LF inside the header section (before Transfer-Encoding: chunked): a line end or a space, never forwarded as received',
    rfc: 'RFC 9110 §5.5',
    covers: ['PXSMUG-07'],
    te: ['X-Ks-Note: a\nTransfer-Encoding: chunked'],
    teFirst: true,
    what: 'a POST with Content-Length and "X-Ks-Note: a<LF>Transfer-Encoding: chunked" (a bare LF)',
    expected:
      'a 400; or the bare LF read as a line end (RFC 9112 §2.2 MAY), then Content-Length with chunked handled as such; or the LF replaced by SP inside X-Ks-Note (RFC 9110 §5.5) and the body framed by its Content-Length; never the LF forwarded',
    readings: [
      { ...byChunked, what: 'with the bare LF read as a line end, framed by its Transfer-Encoding alone' },
      { what: 'with the bare LF replaced by SP, framed by its Content-Length', body: 'full' },
    ],
  }),
  badChunkLine({
    id: 'proxy-smug-chunk-size-0x',
    title: 'a chunk size written 0x5 is refused, never forwarded as received',
    body: '0x5\r\nhello\r\n0\r\n\r\n',
    what: 'a chunked POST whose chunk size is written "0x5"',
    how: 'with the size 0x5 read as 5 and the body framed again',
  }),
  badChunkLine({
    id: 'proxy-smug-chunk-lf',
    title: 'a chunked body with bare LF line ends is refused, never forwarded as received',
    body: '5\nhello\n0\n\n',
    what: 'a chunked POST whose chunk lines end in a bare LF',
    how: 'with the bare LFs accepted and the body framed again',
  }),
  overflow,
];
