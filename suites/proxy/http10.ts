// Area `http10`, proxy mode: an HTTP/1.0 client gets no persistent connection from
// the proxy, whatever it asks for, and its keep-alive headers stay on its own hop;
// an HTTP/1.0 origin's connection persists only when its response says keep-alive
// (and never after a 1.0 message with Transfer-Encoding).

import { describeResponse, expectResponse, fail, saysClose, skip } from '../../harness/check.js';
import { satisfied } from '../../harness/model.js';
import type { Arrival, ProxyCtx, ProxyScenario } from '../../harness/proxy-context.js';
import { ok, type Reply } from '../../harness/reply.js';
import type { HeaderList, Req } from '../../harness/wire/build.js';
import { arrived, describeHeaders, exchange, expectClosedAfter, graceMs } from './steps.js';

/** An HTTP/1.0 client's request: the proxy must close the client connection right after the response. */
function closesAfter(o: { id: string; covers: string; title: string; headers: HeaderList }): ProxyScenario {
  return {
    id: o.id,
    role: 'proxy',
    area: 'http10',
    level: 'MUST NOT',
    rfc: 'RFC 9112 §9.3',
    covers: [o.covers],
    title: o.title,
    async run(ctx) {
      const c = await ctx.connect();
      const req = ctx.request({ method: 'GET', target: ctx.at('ten'), version: '1.0', headers: o.headers });
      const res = await exchange(c, req);
      const end = await expectClosedAfter(
        ctx,
        c,
        res,
        `after the response to an HTTP/1.0 request${o.headers.length ? ` with ${describeHeaders(o.headers.map(([name, value]) => ({ name, value })))}` : ''}`,
      );
      return satisfied(`${describeResponse(res)}, then ${end.text}`);
    },
  };
}

const KEEP_ALIVE = 'timeout=19, max=91';

/**
 * The origin answers `GET old` with `reply` (an HTTP/1.0 response that ends its connection's
 * persistence); then `GET next` on a client connection of its own gives the proxy a reason to
 * reuse. Returns the arrival of old, and the requests (of any scenario) that came on its upstream
 * connection after it.
 */
async function afterOld10(
  ctx: ProxyCtx,
  reply: Reply,
): Promise<{ old: Arrival; later: string[]; got: string }> {
  ctx.serve((req) => (req.msg.target.endsWith('/old') ? reply : ok(`answer to ${req.msg.target}`)));
  const c = await ctx.connect();
  const res = await exchange(c, ctx.get(ctx.at('old')));
  const old = await arrived(ctx, 'old');
  const c2 = await ctx.connect();
  await exchange(c2, ctx.get(ctx.at('next')));
  await arrived(ctx, 'next');
  const later = old.req.conn.requests.slice(old.req.index).map((r) => `${r.msg.method} ${r.msg.target}`);
  return { old, later, got: describeResponse(res) };
}

export const http10: ProxyScenario[] = [
  closesAfter({
    id: 'proxy-http10-closes',
    covers: 'PX10-01',
    title: 'an HTTP/1.0 client connection is closed after the response',
    headers: [],
  }),
  closesAfter({
    id: 'proxy-http10-keep-alive-closes',
    covers: 'PX10-02',
    title: 'an HTTP/1.0 client connection is closed after the response although it asked for keep-alive',
    headers: [
      ['Connection', 'keep-alive'],
      ['Keep-Alive', KEEP_ALIVE],
    ],
  }),
  {
    id: 'proxy-http10-keep-alive-not-forwarded',
    role: 'proxy',
    area: 'http10',
    level: 'MUST',
    rfc: 'RFC 9110 §7.6.1',
    covers: ['PX10-03'],
    title:
      "an HTTP/1.0 client's Keep-Alive header (named by its Connection: keep-alive) is not forwarded to the origin",
    async run(ctx) {
      const c = await ctx.connect();
      const req = ctx.request({
        method: 'GET',
        target: ctx.at('ten'),
        version: '1.0',
        headers: [
          ['Connection', 'keep-alive'],
          ['Keep-Alive', KEEP_ALIVE],
        ],
      });
      const res = await exchange(c, req);
      const a = await arrived(ctx, 'ten');
      const h = a.req.msg.headers;
      // The proxy may keep its upstream connection with a Connection of its own; the client's Keep-Alive is the tell.
      const leaked = h
        .filter(
          (f) =>
            f.name.toLowerCase() === 'keep-alive' &&
            f.value.replace(/\s+/g, '') === KEEP_ALIVE.replace(/\s+/g, ''),
        )
        .map((f) => f.value);
      if (leaked.length > 0)
        fail({
          summary: `the origin received the HTTP/1.0 client's Keep-Alive: ${leaked[0]}, which its Connection: keep-alive names`,
          expected: "the client's Connection and the Keep-Alive field it names removed before forwarding",
          seen: `origin got: ${describeHeaders(h)}`,
        });
      return satisfied(
        `Keep-Alive not forwarded (origin got: ${describeHeaders(h)}); the client got ${describeResponse(res)}`,
      );
    },
  },
  {
    id: 'proxy-http10-no-second-response',
    role: 'proxy',
    area: 'http10',
    level: 'MUST NOT',
    rfc: 'RFC 9112 §9.3, §9.6',
    covers: ['PX10-04'],
    title:
      'after announcing close to an HTTP/1.0 client, the proxy neither forwards nor answers the second request it already read',
    async run(ctx) {
      const c = await ctx.connect();
      const headers: HeaderList = [
        ['Connection', 'keep-alive'],
        ['Keep-Alive', KEEP_ALIVE],
      ];
      const [first, second] = ['ten1', 'ten2'].map((name) =>
        ctx.request({ method: 'GET', target: ctx.at(name), version: '1.0', headers }),
      ) as [Req, Req];
      // One write: the second request is already in the proxy's buffer when it answers the first.
      await c.send([first, second]);
      const res = expectResponse(await c.readResponse(), first.label);
      // One root cause, one failure: keeping the connection is proxy-http10-keep-alive-closes's to judge.
      if (!saysClose(res))
        skip(
          `the proxy answered ${first.label} with ${describeResponse(res)}: it keeps the HTTP/1.0 connection, which proxy-http10-keep-alive-closes judges`,
        );
      const end = await expectClosedAfter(
        ctx,
        c,
        res,
        'after a response that ended the HTTP/1.0 connection (a second request was written behind the first)',
      );
      const forwarded = await ctx.waitArrivals(1, graceMs(ctx), 'ten2');
      if (forwarded.length > 0)
        fail({
          summary: `the proxy forwarded ${second.label}, the HTTP/1.0 client's second request, after a response that ended the connection`,
          expected: 'only the first request forwarded and answered, then the client connection closed',
          seen: `client: ${describeResponse(res)}, then ${end.text}; origin: ${ctx.describeUpstream()}`,
        });
      return satisfied(`${describeResponse(res)}, then ${end.text}; ${second.label} was not forwarded`);
    },
  },
  {
    id: 'proxy-http10-origin-not-reused',
    role: 'proxy',
    area: 'http10',
    level: 'MUST',
    rfc: 'RFC 9112 §9.3',
    covers: ['PX10-05'],
    title:
      "an upstream connection whose HTTP/1.0 response had no keep-alive carries no further request (the origin's socket left open)",
    async run(ctx) {
      const body = 'an HTTP/1.0 answer without keep-alive';
      const { old, later, got } = await afterOld10(ctx, {
        response: `HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
      });
      if (later.length > 0)
        fail({
          summary: `the proxy sent ${later.join(', ')} on ${old.conn} after an HTTP/1.0 response without keep-alive there`,
          expected: `no further request on ${old.conn}: an HTTP/1.0 response without the keep-alive option ends its connection's persistence`,
          seen: `origin: ${ctx.describeUpstream()}`,
        });
      return satisfied(
        `${old.conn} carried nothing after its HTTP/1.0 response; the client got ${got} (origin: ${ctx.describeUpstream()})`,
      );
    },
  },
  {
    id: 'proxy-http10-origin-te-not-reused',
    role: 'proxy',
    area: 'http10',
    level: 'MUST',
    rfc: 'RFC 9112 §6.1',
    covers: ['PX10-06'],
    title:
      'an upstream connection that brought an HTTP/1.0 response with Transfer-Encoding carries no further request, even with keep-alive',
    async run(ctx) {
      // The origin closes only a while later: a proxy that read the chunks has a window to reuse the connection.
      const linger = Math.min(1000, ctx.timing.timeoutMs / 2);
      const { old, later, got } = await afterOld10(ctx, {
        response: `HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n1b\r\na body a 1.0 hop may mangle\r\n0\r\n\r\n`,
        after: 'close',
        afterDelayMs: linger,
      });
      if (later.length > 0)
        fail({
          summary: `the proxy sent ${later.join(', ')} on ${old.conn} after an HTTP/1.0 response with Transfer-Encoding: chunked and Connection: keep-alive there`,
          expected: `${old.conn} treated as faulty framing and closed after that response, never reused`,
          seen: `client got ${got}; origin: ${ctx.describeUpstream()}`,
        });
      return satisfied(
        `${old.conn} carried nothing after it; the client got ${got} (origin: ${ctx.describeUpstream()})`,
      );
    },
  },
];
