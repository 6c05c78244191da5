// Area `framing`, proxy mode: request smuggling, judged by what the origin actually
// receives. Each request below is framed ambiguously and carries a complete second
// request in its body, aimed at a path of its own ('smuggled'). The proxy passes if
// it rejects the request (4xx, and closes), or forwards it with boundaries the origin
// reads exactly as the proxy did. It fails if the origin receives the request the
// client never framed, if the origin's parser stops on header bytes the proxy had
// to reject or repair, or if a later request gets an answer that is not its own.

import { describeRead, fail } from '../../harness/check.js';
import { type Level, satisfied } from '../../harness/model.js';
import type { ProxyCtx, ProxyScenario } from '../../harness/proxy-context.js';
import type { Conn } from '../../harness/wire/conn.js';
import type { ParseErrorCode } from '../../harness/wire/parse.js';

interface Desync {
  id: string;
  level: Level;
  rfc: string;
  covers: string[];
  title: string;
  /** the ambiguous request: head lines after the request line and Host, then the body */
  request(ctx: ProxyCtx, smuggled: string): { head: string[]; body: string };
  /** where the proxy must stop it: the origin's parser failing with this code means it did not */
  mustNotForward?: { code: ParseErrorCode; rule: string };
  /** CL + TE: the proxy must close the client connection after answering (RFC 9112 §6.1) */
  closes?: boolean;
}

const smuggledRequest = (ctx: ProxyCtx) =>
  `GET ${ctx.at('smuggled')} HTTP/1.1\r\nHost: ${ctx.target.authority}\r\n\r\n`;

/** A follow-up GET on `c` if it is still open: its answer must be the origin's answer to it. */
async function followUp(
  ctx: ProxyCtx,
  c: Conn,
): Promise<{ answered: boolean; line: string; wrong?: string }> {
  if (c.ended) return { answered: false, line: 'the proxy closed the client connection' };
  const req = ctx.get(ctx.at('follow'));
  const sent = await c.send(req);
  if (!sent.ok) return { answered: false, line: `the follow-up could not be sent (${sent.error})` };
  const r = await c.readResponse();
  if (r.type !== 'response') return { answered: false, line: `the follow-up got ${describeRead(r)}` };
  const body = r.response.body.toString('latin1');
  if (r.response.status === 200 && !body.includes('/follow'))
    return {
      answered: true,
      line: `the follow-up ${req.label} on ${c.label} got HTTP ${r.response.status} with body ${JSON.stringify(body.slice(0, 120))}`,
      wrong: req.label,
    };
  return { answered: true, line: `the follow-up on the same connection got ${r.response.status}` };
}

function desync(d: Desync): ProxyScenario {
  return {
    id: d.id,
    role: 'proxy',
    area: 'framing',
    level: d.level,
    rfc: d.rfc,
    covers: d.covers,
    title: d.title,
    async run(ctx) {
      ctx.needsPost();
      const { head, body } = d.request(ctx, smuggledRequest(ctx));
      const bytes = `POST ${ctx.at('post')} HTTP/1.1\r\nHost: ${ctx.target.authority}\r\n${head.map((l) => `${l}\r\n`).join('')}\r\n${body}`;
      const c = await ctx.connect();
      await c.send(Buffer.from(bytes, 'latin1'));
      c.parser.expectResponseTo('POST');
      const first = await c.readResponse();
      const after = await followUp(ctx, c);
      // A second connection's request must get its own answer too (a poisoned upstream connection).
      const c2 = await ctx.connect();
      const other = await followUp(ctx, c2);
      // The smuggled request may reach the origin a moment after the rest.
      const smuggled =
        (await ctx.waitArrivals(1, Math.min(500, ctx.timing.timeoutMs), 'smuggled')).length > 0;
      const upstream = ctx.describeUpstream();
      if (smuggled)
        fail({
          summary: 'the origin received a request the client never framed as one (request smuggling)',
          expected: 'the ambiguous request rejected, or forwarded with its body as body',
          seen: `origin: ${upstream}; the client got ${describeRead(first)}`,
        });
      for (const f of [after, other])
        if (f.wrong)
          fail({
            summary: 'a later request got an answer that is not its own (the connections are out of step)',
            expected: `the origin's answer to ${f.wrong}`,
            seen: `${f.line}; origin: ${upstream}`,
          });
      const broken = ctx.upstreamConns().find((u) => u.parseError?.code === d.mustNotForward?.code);
      if (d.mustNotForward && broken)
        fail({
          summary: `the proxy forwarded what it had to reject or repair: the origin's parser stopped (${broken.parseError!.message})`,
          expected: d.mustNotForward.rule,
          seen: `origin: ${upstream}`,
        });
      if (d.closes && after.answered)
        fail({
          summary:
            'the proxy kept the client connection open after a request with both Content-Length and Transfer-Encoding',
          expected:
            'the connection closed after the response (RFC 9112 §6.1: the server MUST close the connection)',
          seen: `the client got ${describeRead(first)}, then ${after.line}; origin: ${upstream}`,
        });
      return satisfied(
        `nothing smuggled: the client got ${describeRead(first)}; ${after.line}; a new connection: ${other.line}; origin: ${upstream}`,
      );
    },
  };
}

export const desyncs: ProxyScenario[] = [
  desync({
    id: 'proxy-smug-cl-te',
    level: 'MUST',
    rfc: 'RFC 9112 §6.1',
    covers: ['PXSMUG-01'],
    title: 'CL.TE: a request with Content-Length and Transfer-Encoding smuggles nothing to the origin',
    // CL counts the whole body; chunked ends at 0\r\n\r\n, before the smuggled request.
    request: (_ctx, smuggled) => {
      const body = `0\r\n\r\n${smuggled}`;
      return { head: [`Content-Length: ${body.length}`, 'Transfer-Encoding: chunked'], body };
    },
    closes: true,
  }),
  desync({
    id: 'proxy-smug-te-cl',
    level: 'MUST',
    rfc: 'RFC 9112 §6.1',
    covers: ['PXSMUG-01'],
    title: 'TE.CL: a chunked body hiding a request behind a short Content-Length smuggles nothing',
    request: (_ctx, smuggled) => ({
      head: ['Content-Length: 4', 'Transfer-Encoding: chunked'],
      body: `${smuggled.length.toString(16)}\r\n${smuggled}\r\n0\r\n\r\n`,
    }),
    closes: true,
  }),
  desync({
    id: 'proxy-smug-cl-dup',
    level: 'MUST',
    rfc: 'RFC 9112 §6.3',
    covers: ['PXSMUG-02'],
    title: 'two different Content-Length values smuggle nothing (the request is rejected)',
    request: (_ctx, smuggled) => ({
      head: ['Content-Length: 0', `Content-Length: ${smuggled.length}`],
      body: smuggled,
    }),
  }),
  desync({
    id: 'proxy-smug-ws-colon',
    level: 'MUST',
    rfc: 'RFC 9112 §5.1',
    covers: ['PXSMUG-03'],
    title: 'Transfer-Encoding with whitespace before the colon is rejected, never forwarded',
    request: (_ctx, smuggled) => {
      const body = `0\r\n\r\n${smuggled}`;
      return { head: ['Transfer-Encoding : chunked', `Content-Length: ${body.length}`], body };
    },
    mustNotForward: {
      code: 'ws-before-colon',
      rule: 'a 400 for whitespace between a field name and the colon (RFC 9112 §5.1: a server MUST reject it with 400)',
    },
  }),
  desync({
    id: 'proxy-smug-obs-fold',
    level: 'MUST',
    rfc: 'RFC 9112 §5.2',
    covers: ['PXSMUG-04'],
    title: 'a header field continued by obs-fold is rejected or unfolded, never forwarded folded',
    request: () => ({ head: ['X-Ks-Fold: first', ' second', 'Content-Length: 2'], body: 'ok' }),
    mustNotForward: {
      code: 'obs-fold',
      rule: 'a 400, or each obs-fold replaced by SP before forwarding (RFC 9112 §5.2: MUST)',
    },
  }),
];
