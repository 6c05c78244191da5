// Area `chunked`, proxy mode: chunked request bodies through the proxy. The client sends
// a chunked POST and, glued to it in the same bytes, a GET for `next`. The origin must
// receive the POST with exactly the decoded content, framed so that its strict parser
// reads it (chunked again, or with a length), and `next` as a request of its own; the
// client gets both answers in order. Variants: extensions, leading zeros and `000`,
// trailers, a last-chunk that comes late, and chunk data that looks like a terminator.
// Last, a measurement: whether the proxy limits the length of chunk extensions.

import { describeRead, fail, skip } from '../../harness/check.js';
import { measured, satisfied } from '../../harness/model.js';
import type { ProxyScenario } from '../../harness/proxy-context.js';
import { ok } from '../../harness/reply.js';
import { rawRequest } from '../../harness/wire/build.js';
import { fieldValue } from '../../harness/wire/parse.js';
import { answerTo, describeArrival, describeHeaders, smuggledRequest, upstreamParseError } from './steps.js';

interface ChunkedCase {
  id: string;
  title: string;
  rfc: string;
  covers: string;
  /** what is special about the body, for evidence */
  what: string;
  /** extra header fields of the POST */
  fields?: string[];
  /** the chunked body as the client sends it (hidden: smuggledRequest) */
  body: (hidden: string) => string;
  /** the content the origin must receive */
  content: (hidden: string) => string;
  /** the body is sent up to this offset, the rest (with the GET glued to it) only after a pause */
  lateFrom?: (body: string) => number;
  /** a trailer field that must not reach the origin's header section */
  trailer?: string;
}

const clip = (s: string, n = 60) => JSON.stringify(s.slice(0, n));

/** The last part of a scenario path: /ksp-…/next?x -> 'next' */
function nameOf(target: string): string {
  const path = target.split('?')[0]!;
  return path.slice(path.lastIndexOf('/') + 1);
}

function chunkedCase(o: ChunkedCase): ProxyScenario {
  return {
    id: o.id,
    role: 'proxy',
    area: 'chunked',
    level: 'MUST',
    rfc: o.rfc,
    covers: [o.covers],
    title: o.title,
    async run(ctx) {
      ctx.needsPost();
      ctx.serve((req) => ok(answerTo(nameOf(req.msg.target))));
      const hidden = smuggledRequest(ctx);
      const body = o.body(hidden);
      const content = o.content(hidden);
      const head = `POST ${ctx.at('post')} HTTP/1.1\r\nHost: ${ctx.target.authority}\r\n${(o.fields ?? []).map((f) => `${f}\r\n`).join('')}Transfer-Encoding: chunked\r\n\r\n`;
      const next = ctx.get(ctx.at('next'));
      const c = await ctx.connect();
      const late = o.lateFrom?.(body);
      let early = '';
      if (late === undefined) await c.send([rawRequest(head + body, 'POST'), next]);
      else {
        await c.send(rawRequest(head + body.slice(0, late), 'POST'));
        // The pause is the test: a proxy that takes the end of a read for the end of the body forwards it now.
        const pause = Math.min(300, ctx.timing.timeoutMs / 4);
        const [too] = await ctx.waitArrivals(1, pause, 'post');
        if (too)
          fail({
            summary: `the origin received the POST complete (${describeArrival(too)}) before the client sent its last-chunk`,
            expected: `nothing complete at the origin until the client sends ${clip(body.slice(late))}`,
            seen: `the client sent ${clip(body.slice(0, late))} and paused ${pause} ms; the origin received a ${too.req.msg.body.length}-byte body ${clip(too.req.msg.body.toString('latin1'))}; origin: ${ctx.describeUpstream()}`,
          });
        early = `; the POST was not complete at the origin during the ${pause} ms pause before the last-chunk`;
        await c.send([Buffer.from(body.slice(late), 'latin1'), next]);
      }
      const r1 = await c.readResponse();
      const r2 = await c.readResponse();
      const reads = `the client got ${describeRead(r1)}, then ${describeRead(r2)}`;
      const broken = upstreamParseError(ctx);
      if (broken)
        fail({
          summary: `the proxy forwarded the chunked POST (${o.what}) in a form the origin's parser stops on (${broken.error.message})`,
          expected:
            'the body decoded and framed again (chunked, or with a Content-Length), as the grammar says',
          seen: `${broken.conn} stopped near ${broken.near}; ${reads}; origin: ${ctx.describeUpstream()}`,
        });
      const [smuggled] = ctx.arrivals('smuggled');
      if (smuggled)
        fail({
          summary: `the origin received ${describeArrival(smuggled)}, a request that was chunk data of the POST`,
          expected: 'the chunk data forwarded as data: the body ends at the last-chunk its sizes lead to',
          seen: `${reads}; origin: ${ctx.describeUpstream()}`,
        });
      const [post] = await ctx.waitArrivals(1, ctx.timing.timeoutMs, 'post');
      if (!post) {
        if (r1.type === 'response' && r1.response.status === 411)
          skip(
            'the proxy answers a chunked request body with 411 (Length Required), as RFC 9112 §6.3 allows',
          );
        fail({
          summary: `the chunked POST (${o.what}) never reached the origin complete`,
          expected: `the POST forwarded with its ${content.length}-byte content`,
          seen: `${reads}; origin: ${ctx.describeUpstream()}`,
        });
      }
      const got = post.req.msg.body.toString('latin1');
      if (got !== content)
        fail({
          summary: `the origin received the chunked POST (${o.what}) with a different body`,
          expected: `the decoded content, ${content.length} bytes: ${clip(content)}`,
          seen: `${describeArrival(post)} with ${got.length} bytes: ${clip(got)}; ${reads}`,
        });
      if (o.trailer && fieldValue(post.req.msg.headers, o.trailer) !== undefined)
        fail({
          summary: `the proxy merged the trailer field ${o.trailer} into the header section it forwarded`,
          expected: `${o.trailer} dropped, or forwarded in a trailer section (RFC 9112 §7.1.2)`,
          seen: `the origin's header section: ${describeHeaders(post.req.msg.headers)}`,
          level: 'MUST NOT',
        });
      const own = (r: typeof r1, name: string) =>
        r.type === 'response' && r.response.body.toString('latin1') === answerTo(name);
      if (!own(r1, 'post') || !own(r2, 'next'))
        fail({
          summary: `the requests around the chunked POST (${o.what}) did not get their own answers in order`,
          expected: `${JSON.stringify(answerTo('post'))}, then ${JSON.stringify(answerTo('next'))}`,
          seen: `${reads}; origin: ${ctx.describeUpstream()}`,
        });
      const trailers = post.req.msg.trailers.length
        ? `, trailers ${describeHeaders(post.req.msg.trailers)}`
        : '';
      return satisfied(
        `the origin received the ${content.length}-byte content (${post.req.msg.framing.kind}${trailers}), then next as its own request${early}`,
      );
    },
  };
}

// ---- PXCHUNK-05: a limit on chunk extensions (measured) -----------------------------------------

/** Longer than the chunk-line limits of common parsers (4–8 KiB), small enough to arrive in one read. */
const EXT_BYTES = 16 * 1024;

const extLimit: ProxyScenario = {
  id: 'proxy-chunk-ext-limit',
  role: 'proxy',
  area: 'chunked',
  level: 'INFO',
  rfc: 'RFC 9112 §7.1.1',
  covers: ['PXCHUNK-05'],
  title: `a ${EXT_BYTES / 1024} KiB chunk extension: refused with a 4xx, or accepted and the content forwarded (measured)`,
  async run(ctx) {
    ctx.needsPost();
    ctx.serve((req) => ok(answerTo(nameOf(req.msg.target))));
    const head = `POST ${ctx.at('post')} HTTP/1.1\r\nHost: ${ctx.target.authority}\r\nTransfer-Encoding: chunked\r\n\r\n`;
    const c = await ctx.connect();
    await c.send(rawRequest(`${head}5;ks=${'a'.repeat(EXT_BYTES - 4)}\r\nhello\r\n0\r\n\r\n`, 'POST'));
    const r = await c.readResponse();
    const read = `the client got ${describeRead(r)}`;
    const broken = upstreamParseError(ctx);
    // The origin's own chunk-line limit: the proxy forwarded the extension as received, which it may.
    if (broken?.error.code === 'chunk-ext-too-long')
      fail({
        summary: `the proxy accepted a ${EXT_BYTES}-byte chunk extension and forwarded it as received (the origin's parser stopped on its length)`,
        expected:
          'a 4xx once chunk extensions exceed a reasonable amount (RFC 9112 §7.1.1: a server "ought to limit the total length of chunk extensions received in a request")',
        seen: `${broken.conn} stopped near ${broken.near}; ${read}`,
        level: 'INFO',
      });
    if (broken)
      fail({
        summary: `the proxy forwarded the chunked POST with a long extension in a form the origin's parser stops on (${broken.error.message})`,
        expected: 'the body decoded and framed again, or the request refused',
        seen: `${broken.conn} stopped near ${broken.near}; ${read}; origin: ${ctx.describeUpstream()}`,
        level: 'MUST',
      });
    const answered = r.type === 'response' && r.response.status < 400;
    const [post] = answered ? await ctx.waitArrivals(1, ctx.timing.timeoutMs, 'post') : ctx.arrivals('post');
    if (post) {
      const got = post.req.msg.body.toString('latin1');
      if (got !== 'hello')
        fail({
          summary: `the origin received the chunked POST with a long extension with a different body`,
          expected: 'the decoded content, 5 bytes: "hello"',
          seen: `${describeArrival(post)} with ${got.length} bytes: ${clip(got)}; ${read}`,
          level: 'MUST',
        });
      fail({
        summary: `the proxy accepted a ${EXT_BYTES}-byte chunk extension: no limit on chunk extensions up to that length`,
        expected:
          'a 4xx once chunk extensions exceed a reasonable amount (RFC 9112 §7.1.1: a server "ought to limit the total length of chunk extensions received in a request")',
        seen: `the origin received the content "hello" (${describeArrival(post)}, ${post.req.msg.framing.kind}); ${read}`,
        level: 'INFO',
      });
    }
    if (r.type === 'response' && r.response.status >= 400 && r.response.status < 500)
      return measured(
        `the proxy refused a ${EXT_BYTES}-byte chunk extension with ${r.response.status}; nothing reached the origin`,
        r.response.status,
      );
    if (r.type === 'response' || r.type === 'malformed')
      return measured(
        `the proxy answered a ${EXT_BYTES}-byte chunk extension with ${describeRead(r)}; nothing reached the origin complete`,
      );
    return measured(
      `the proxy did not forward a ${EXT_BYTES}-byte chunk extension: ${read}; nothing reached the origin complete`,
    );
  },
};

export const chunked: ProxyScenario[] = [
  chunkedCase({
    id: 'proxy-chunk-body-intact',
    title:
      'a chunked request body reaches the origin decoded and framed, and the GET glued to it is its own request',
    rfc: 'RFC 9112 §7.1',
    covers: 'PXCHUNK-01',
    what: 'three chunks',
    body: () => '5\r\nhello\r\n9\r\n, chunked\r\n7\r\n world!\r\n0\r\n\r\n',
    content: () => 'hello, chunked world!',
  }),
  chunkedCase({
    id: 'proxy-chunk-ext-ignored',
    title:
      'chunk extensions, with a quoted value that holds ";" and "=", are ignored: the content arrives intact',
    rfc: 'RFC 9112 §7.1.1',
    covers: 'PXCHUNK-02',
    what: 'chunk extensions, one with a quoted value',
    body: () => '5;a=b\r\nhello\r\n9;name="quoted ; = value"\r\n, chunked\r\n0;last=1\r\n\r\n',
    content: () => 'hello, chunked',
  }),
  chunkedCase({
    id: 'proxy-chunk-zeros-and-case',
    title: 'chunk sizes with leading zeros and upper-case hex, and the last-chunk 000, are read as such',
    rfc: 'RFC 9112 §7.1',
    covers: 'PXCHUNK-01',
    what: 'sizes 0000000005 and A, last-chunk 000',
    body: () => '0000000005\r\nhello\r\nA\r\n0123456789\r\n000\r\n\r\n',
    content: () => 'hello0123456789',
  }),
  chunkedCase({
    id: 'proxy-chunk-trailers',
    title:
      'a chunked request body with a trailer section: the content arrives intact, the trailer is not merged into the header section',
    rfc: 'RFC 9112 §7.1.2',
    covers: 'PXCHUNK-03',
    what: 'a trailer field X-Ks-Trailer',
    fields: ['Trailer: X-Ks-Trailer'],
    body: () => '5\r\nhello\r\n0\r\nX-Ks-Trailer: checked\r\n\r\n',
    content: () => 'hello',
    trailer: 'X-Ks-Trailer',
  }),
  chunkedCase({
    id: 'proxy-chunk-late-last-chunk',
    title:
      'a chunked body whose last-chunk comes late, in a write of its own with the next request glued to it: not complete before it',
    rfc: 'RFC 9112 §7.1',
    covers: 'PXCHUNK-04',
    what: 'the last-chunk sent after a pause',
    body: () => '5\r\nhello\r\n0\r\n\r\n',
    content: () => 'hello',
    lateFrom: (body) => body.indexOf('0\r\n\r\n'),
  }),
  chunkedCase({
    id: 'proxy-chunk-terminator-in-data',
    title:
      'chunk data that holds "0 CRLF CRLF" and a whole request is data: the body ends where the chunk sizes say',
    rfc: 'RFC 9112 §7.1',
    covers: 'PXCHUNK-04',
    what: 'chunk data holding a last-chunk and a request',
    body: (hidden) => {
      const data = `0\r\n\r\n${hidden}`;
      return `5\r\nhello\r\n${data.length.toString(16)}\r\n${data}\r\n0\r\n\r\n`;
    },
    content: (hidden) => `hello0\r\n\r\n${hidden}`,
  }),
  extLimit,
];
