// Area `close`, proxy mode: Connection: close on either hop, and a client that leaves
// mid-response. The client hop is judged by when it closes; the upstream hop by what
// the proxy sends, or does not send, on the connection that carried the close.

import { describeResponse, expectResponse, fail, saysClose } from '../../harness/check.js';
import { satisfied } from '../../harness/model.js';
import type { ProxyCtx, ProxyScenario } from '../../harness/proxy-context.js';
import { ok } from '../../harness/reply.js';
import type { Req } from '../../harness/wire/build.js';
import type { HttpResponse } from '../../harness/wire/parse.js';
import { arrived, exchange, expectClosedAfter, graceMs } from './steps.js';

/** The last part of a scenario path: /ksp-…/next?x -> 'next' */
function nameOf(target: string): string {
  const path = target.split('?')[0]!;
  return path.slice(path.lastIndexOf('/') + 1);
}

const answerTo = (name: string) => `answer to ${name}`;
const clip = (b: Buffer, n = 60) => JSON.stringify(b.toString('latin1').slice(0, n));

/** The origin's plain answer for every request but those `special` scripts. */
function serveNamed(ctx: ProxyCtx, special: Record<string, Parameters<ProxyCtx['serve']>[0]>): void {
  ctx.serve(
    (req, conn) => special[nameOf(req.msg.target)]?.(req, conn) ?? ok(answerTo(nameOf(req.msg.target))),
  );
}

/** A GET with Connection: close through the proxy; the response. */
async function closingExchange(ctx: ProxyCtx) {
  const c = await ctx.connect();
  const res = await exchange(c, ctx.get(ctx.at('bye'), [['Connection', 'close']]));
  return { c, res };
}

const bodyOf = (res: HttpResponse) => res.body.toString('latin1');

export const close: ProxyScenario[] = [
  {
    id: 'proxy-close-client-close-ends',
    role: 'proxy',
    area: 'close',
    level: 'MUST',
    rfc: 'RFC 9112 §9.6',
    covers: ['PXCLOSE-01'],
    title: "the client's Connection: close ends the client connection right after the response",
    async run(ctx) {
      const { c, res } = await closingExchange(ctx);
      const end = await expectClosedAfter(
        ctx,
        c,
        res,
        'after the response to a request with Connection: close',
      );
      return satisfied(`${describeResponse(res)}, then ${end.text}`);
    },
  },
  {
    id: 'proxy-close-client-close-announced',
    role: 'proxy',
    area: 'close',
    level: 'SHOULD',
    rfc: 'RFC 9112 §9.6',
    covers: ['PXCLOSE-02'],
    title: 'the response to a request with Connection: close says close',
    async run(ctx) {
      const { res } = await closingExchange(ctx);
      if (!saysClose(res))
        fail({
          summary: 'the response to a request with Connection: close does not say close',
          expected: 'Connection: close in the final response on the connection',
          seen: describeResponse(res),
        });
      return satisfied(describeResponse(res));
    },
  },
  {
    id: 'proxy-close-origin-mid-stream',
    role: 'proxy',
    area: 'close',
    level: 'MUST',
    rfc: 'RFC 9112 §9.6',
    covers: ['PXCLOSE-03'],
    title:
      "the origin's Connection: close on a response still arriving: the client gets the whole body, and that upstream connection carries nothing more",
    async run(ctx) {
      const parts = ['the first part of a body the origin is still sending; ', 'the rest, after a pause'];
      const body = parts.join('');
      const pause = Math.min(300, ctx.timing.timeoutMs / 8);
      // The origin closes only a while after the body: a window in which a proxy could still reuse the connection.
      const linger = Math.min(1000, ctx.timing.timeoutMs / 2);
      serveNamed(ctx, {
        streaming: () => ({
          pieces: [
            `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${parts[0]}`,
            parts[1]!,
          ],
          pieceDelayMs: pause,
          after: 'close',
          afterDelayMs: linger,
        }),
      });
      const c = await ctx.connect();
      const res = await exchange(c, ctx.get(ctx.at('streaming')));
      const first = await arrived(ctx, 'streaming');
      if (res.status !== 200 || bodyOf(res) !== body)
        fail({
          summary:
            'the response the origin was still sending when it said close did not reach the client whole',
          expected: `200 with the ${body.length}-byte body (the close applies after the response, not at its head)`,
          seen: `${describeResponse(res)}, body ${clip(res.body)}; origin: ${ctx.describeUpstream()}`,
        });
      // A follow-up (on a client connection of its own) gives the proxy a reason to reuse.
      const c2 = await ctx.connect();
      const next = await exchange(c2, ctx.get(ctx.at('next')));
      await arrived(ctx, 'next');
      const up = first.req.conn;
      const later = up.requests.slice(first.req.index).map((r) => `${r.msg.method} ${r.msg.target}`);
      if (later.length > 0)
        fail({
          summary: `the proxy sent ${later.join(', ')} on ${first.conn} after the origin's response there said Connection: close`,
          expected: `no further request on ${first.conn}`,
          seen: `origin: ${ctx.describeUpstream()}`,
        });
      return satisfied(
        `the whole body relayed (${describeResponse(res)}); next went elsewhere (${describeResponse(next)}); origin: ${ctx.describeUpstream()}`,
      );
    },
  },
  {
    id: 'proxy-close-client-abandons',
    role: 'proxy',
    area: 'close',
    level: 'MUST',
    rfc: 'RFC 9112 §9.2',
    covers: ['PXCLOSE-04'],
    title:
      'after a client leaves mid-response, the rest of that response never answers another request on the upstream connection',
    async run(ctx) {
      const half = 'the first half of a body whose client leaves; ';
      const rest = 'the second half, which only the departed client wanted';
      let halfSent!: () => void;
      const sent = new Promise<void>((r) => (halfSent = r));
      let release!: () => void;
      const released = new Promise<void>((r) => (release = r));
      serveNamed(ctx, {
        abandoned: async (req, conn) => {
          await conn.write(
            `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${half.length + rest.length}\r\n\r\n${half}`,
          );
          halfSent();
          // The rest waits for another request on this connection (a proxy that reused it), its end, or the scenario's.
          await Promise.race([
            released,
            ctx.origin.until(
              () => (conn.requests.length > req.index || conn.ended ? true : undefined),
              ctx.timing.timeoutMs * 2,
              ctx.signal,
            ),
          ]);
          return { response: rest };
        },
      });
      try {
        const c = await ctx.connect();
        await c.send(ctx.get(ctx.at('abandoned')));
        const a = await arrived(ctx, 'abandoned');
        await Promise.race([sent, c.sleep(ctx.timing.timeoutMs)]);
        c.destroy();
        // A careful proxy closes (or drains) that connection now; give it the moment to.
        await ctx.upstreamEnded(a.req.conn, graceMs(ctx));
        const c2 = await ctx.connect();
        const res = await exchange(c2, ctx.get(ctx.at('next')));
        const own = answerTo('next');
        if (bodyOf(res) !== own)
          fail({
            summary: bodyOf(res).includes(half + rest)
              ? 'the next request got the response whose client had left: the proxy reused the upstream connection with that response unfinished'
              : 'the next request got a response that is not its own after another client left mid-response',
            expected: `the upstream connection of the abandoned response closed or read to its end before any reuse; next answered with ${JSON.stringify(own)}`,
            seen: `next got ${describeResponse(res)}, body ${clip(res.body)}; origin: ${ctx.describeUpstream()}`,
          });
        return satisfied(`next got its own answer; origin: ${ctx.describeUpstream()}`);
      } finally {
        release();
      }
    },
  },
  {
    id: 'proxy-close-announced-closes',
    role: 'proxy',
    area: 'close',
    level: 'MUST',
    rfc: 'RFC 9112 §9.6',
    covers: ['PXCLOSE-05'],
    title:
      "a proxy response that says close (the origin's close relayed, say) is followed by the end of the client connection",
    async run(ctx) {
      serveNamed(ctx, {
        closing: () => ({ ...ok(answerTo('closing'), [['Connection', 'close']]), after: 'close' }),
      });
      const c = await ctx.connect();
      const res = await exchange(c, ctx.get(ctx.at('closing')));
      // Not saying close is the proxy's choice: its client connection then persists, nothing to judge here.
      if (!saysClose(res))
        return satisfied(
          `${describeResponse(res)}: the origin's close stayed on the upstream hop (origin: ${ctx.describeUpstream()})`,
        );
      const end = await expectClosedAfter(ctx, c, res, 'after a response that said Connection: close');
      return satisfied(`${describeResponse(res)}, then ${end.text}`);
    },
  },
  {
    id: 'proxy-close-pipelined-after-close',
    role: 'proxy',
    area: 'close',
    level: 'MUST NOT',
    rfc: 'RFC 9112 §9.6',
    covers: ['PXCLOSE-06'],
    title: 'a request the client wrote behind one with Connection: close is neither forwarded nor answered',
    async run(ctx) {
      const c = await ctx.connect();
      const bye = ctx.get(ctx.at('bye'), [['Connection', 'close']]);
      const after = ctx.get(ctx.at('after'));
      await c.send([bye, after] as Req[]);
      const res = expectResponse(await c.readResponse(), bye.label);
      const end = await expectClosedAfter(
        ctx,
        c,
        res,
        `after the response to a request with Connection: close (${after.label} was written behind it)`,
      );
      const forwarded = await ctx.waitArrivals(1, graceMs(ctx), 'after');
      if (forwarded.length > 0)
        fail({
          summary: `the proxy forwarded ${after.label}, which the client wrote behind a request with Connection: close`,
          expected: 'nothing read after the request that said close processed: only that request forwarded',
          seen: `client: ${describeResponse(res)}, then ${end.text}; origin: ${ctx.describeUpstream()}`,
        });
      return satisfied(`${describeResponse(res)}, then ${end.text}; ${after.label} was not forwarded`);
    },
  },
];
