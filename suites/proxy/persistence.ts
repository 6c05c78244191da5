import { describeResponse, fail, saysClose } from '../../harness/check.js';
import { type Level, measured, satisfied } from '../../harness/model.js';
import type { ProxyScenario } from '../../harness/proxy-context.js';
import { ok } from '../../harness/reply.js';
import type { HeaderList } from '../../harness/wire/build.js';
import { connectionOptions, fieldValue, type Header } from '../../harness/wire/parse.js';
import { arrived, describeArrival, describeHeaders, exchange } from './steps.js';

/** Values that equal `value`, whitespace around commas and semicolons aside: the field as received. */
const asReceived = (headers: readonly Header[], name: string, value: string): string[] => {
  const norm = (v: string) =>
    v
      .replace(/\s*([,;])\s*/g, '$1')
      .trim()
      .toLowerCase();
  return headers
    .filter((h) => h.name.toLowerCase() === name.toLowerCase() && norm(h.value) === norm(value))
    .map((h) => h.value);
};

/**
 * A hop-by-hop request field the origin must not receive as the client sent it. The
 * proxy may send a field of that name of its own (TE: trailers, say): only the
 * client's distinctive value counts.
 */
function requestHop(o: {
  id: string;
  level: Level;
  covers: string;
  title: string;
  /** the field judged, and its distinctive value */
  field: [string, string];
  /** Connection sent with it, if any */
  connection?: string;
}): ProxyScenario {
  const [name, value] = o.field;
  return {
    id: o.id,
    role: 'proxy',
    area: 'persistence',
    level: o.level,
    rfc: 'RFC 9110 §7.6.1',
    covers: [o.covers],
    title: o.title,
    async run(ctx) {
      const c = await ctx.connect();
      const headers: HeaderList = [
        ...(o.connection ? [['Connection', o.connection] as const] : []),
        [name, value],
      ];
      const res = await exchange(c, ctx.get(ctx.at('hop'), headers));
      const a = await arrived(ctx, 'hop');
      const leaked = asReceived(a.req.msg.headers, name, value);
      if (leaked.length > 0)
        fail({
          summary: `the origin received ${name}: ${leaked[0]}, the client's ${o.connection ? `hop-by-hop field (named in Connection: ${o.connection})` : 'hop-by-hop field'}, as the client sent it`,
          expected: `${name}: ${value} removed (or replaced by the proxy's own) before forwarding`,
          seen: `origin got: ${describeHeaders(a.req.msg.headers)}`,
        });
      const own = a.req.msg.headers
        .filter((h) => h.name.toLowerCase() === name.toLowerCase())
        .map((h) => h.value);
      return satisfied(
        `${name}: ${value} not forwarded${own.length ? ` (the proxy sent its own ${name}: ${own.join(', ')})` : ''}; the client got ${describeResponse(res)}`,
      );
    },
  };
}

/** Hop-by-hop fields in the origin's response that the client must not receive as the origin sent them. */
function responseHop(o: {
  id: string;
  level: Level;
  covers: string;
  title: string;
  fields: Array<[string, string]>;
}): ProxyScenario {
  return {
    id: o.id,
    role: 'proxy',
    area: 'persistence',
    level: o.level,
    rfc: 'RFC 9110 §7.6.1',
    covers: [o.covers],
    title: o.title,
    async run(ctx) {
      ctx.serve(() => ({
        response: {
          status: 200,
          headers: [['Content-Type', 'text/plain'], ...o.fields],
          body: 'origin hop fields',
        },
      }));
      const c = await ctx.connect();
      const res = await exchange(c, ctx.get(ctx.at('hop')));
      const leaked = o.fields.flatMap(([n, v]) => asReceived(res.headers, n, v).map((got) => `${n}: ${got}`));
      if (leaked.length > 0)
        fail({
          summary: `the client received the origin's hop-by-hop ${leaked.join(' and ')} as the origin sent it`,
          expected: `${o.fields.map(([n]) => n).join(', ')} of the origin's response removed before forwarding`,
          seen: `client got: ${describeResponse(res)}: ${describeHeaders(res.headers)}`,
        });
      return satisfied(
        `the origin's ${o.fields.map(([n]) => n).join(', ')} not forwarded; the client got ${describeResponse(res)}`,
      );
    },
  };
}

export const persistence: ProxyScenario[] = [
  {
    id: 'proxy-hop-connection-named',
    role: 'proxy',
    area: 'persistence',
    level: 'MUST',
    rfc: 'RFC 9110 §7.6.1',
    covers: ['PXHOP-01'],
    title: 'a field the client names in Connection is not forwarded to the origin',
    async run(ctx) {
      const c = await ctx.connect();
      const req = ctx.get(ctx.at('named'), [
        ['Connection', 'X-Ks-Hop'],
        ['X-Ks-Hop', 'for-the-first-hop-only'],
      ]);
      const res = await exchange(c, req);
      const a = await arrived(ctx, 'named');
      const h = a.req.msg.headers;
      const leaked = fieldValue(h, 'x-ks-hop');
      if (leaked !== undefined || connectionOptions(h).has('x-ks-hop'))
        fail({
          summary: `the origin received ${leaked !== undefined ? `X-Ks-Hop: ${leaked}` : 'Connection: X-Ks-Hop'}, which the client had named in Connection`,
          expected: 'X-Ks-Hop and the Connection option naming it removed before forwarding',
          seen: `origin got: ${describeHeaders(h)}`,
        });
      return satisfied(`X-Ks-Hop removed before forwarding; the client got ${describeResponse(res)}`);
    },
  },
  requestHop({
    id: 'proxy-hop-keep-alive',
    level: 'SHOULD',
    covers: 'PXHOP-02',
    title: "a client's Keep-Alive header is not forwarded to the origin as received",
    field: ['Keep-Alive', 'timeout=17, max=71'],
  }),
  requestHop({
    id: 'proxy-hop-proxy-connection',
    level: 'SHOULD',
    covers: 'PXHOP-03',
    title: "a client's Proxy-Connection header is not forwarded to the origin as received",
    field: ['Proxy-Connection', 'keep-alive, x-ks-pc'],
  }),
  requestHop({
    id: 'proxy-hop-te',
    level: 'MUST',
    covers: 'PXHOP-04',
    title: "a client's TE header, named in Connection, is not forwarded to the origin as received",
    field: ['TE', 'trailers, deflate;q=0.5'],
    connection: 'TE',
  }),
  requestHop({
    id: 'proxy-hop-upgrade',
    level: 'MUST',
    covers: 'PXHOP-05',
    title: "a client's Upgrade offer, named in Connection, is not forwarded to the origin as received",
    field: ['Upgrade', 'ks-nobody/1'],
    connection: 'Upgrade',
  }),
  responseHop({
    id: 'proxy-hop-response-named',
    level: 'MUST',
    covers: 'PXHOP-06',
    title: "the fields the origin names in its response's Connection do not reach the client",
    fields: [
      ['Connection', 'X-Ks-Resp, Upgrade'],
      ['X-Ks-Resp', 'for-the-origin-hop-only'],
      ['Upgrade', 'ks-nobody/1'],
    ],
  }),
  responseHop({
    id: 'proxy-hop-response-fixed',
    level: 'SHOULD',
    covers: 'PXHOP-07',
    title:
      "the origin's Keep-Alive, Proxy-Connection and Upgrade (not named in Connection) do not reach the client",
    fields: [
      ['Keep-Alive', 'timeout=17, max=71'],
      ['Proxy-Connection', 'keep-alive, x-ks-pc'],
      ['Upgrade', 'ks-nobody/2'],
    ],
  }),
  {
    id: 'proxy-per-upstream-reuse',
    role: 'proxy',
    area: 'persistence',
    level: 'INFO',
    rfc: 'RFC 9112 §9.3',
    covers: ['PXPER-01'],
    title: 'sequential requests of one client connection go upstream on reused connections (measured)',
    async run(ctx) {
      const n = 4;
      const c = await ctx.connect();
      for (let i = 1; i <= n; i++) await exchange(c, ctx.get(ctx.at(`seq${i}`)));
      const got = await ctx.waitArrivals(n);
      const conns = new Set(got.map((a) => a.conn)).size;
      // Other scenarios share the pool, so which connection is not ours to judge; whether it was fresh is.
      const reused = got.slice(1).filter((a) => a.req.index > 1).length;
      const text = `${n} requests on ${c.label} reached the origin on ${conns} upstream connection(s) (${got.map(describeArrival).join(', ')}); ${reused} of the last ${n - 1} on a reused one`;
      if (got.length === n && reused === 0)
        fail({
          summary: 'the proxy opened a new upstream connection for every request',
          expected: 'upstream connections kept and reused between sequential requests',
          seen: text,
        });
      return measured(text, conns);
    },
  },
  {
    id: 'proxy-per-origin-close-retires',
    role: 'proxy',
    area: 'persistence',
    level: 'MUST',
    rfc: 'RFC 9112 §9.6',
    covers: ['PXPER-02'],
    title:
      'an upstream connection whose response said close carries no further request, and the proxy closes it',
    async run(ctx) {
      // The origin says close but keeps its socket open: only the proxy's decision retires it.
      ctx.serve((req) =>
        req.msg.target.endsWith('/closing')
          ? {
              response: {
                status: 200,
                headers: [
                  ['Content-Type', 'text/plain'],
                  ['Connection', 'close'],
                ],
                body: 'the origin closes after this',
              },
            }
          : ok(`answer to ${req.msg.target}`),
      );
      const c = await ctx.connect();
      await exchange(c, ctx.get(ctx.at('closing')));
      const first = await arrived(ctx, 'closing');
      const up = first.req.conn;
      // A follow-up (on a client connection of its own) gives the proxy a reason to reuse.
      const c2 = await ctx.connect();
      await exchange(c2, ctx.get(ctx.at('next')));
      await arrived(ctx, 'next');
      const later = () => up.requests.slice(first.req.index).map((r) => `${r.msg.method} ${r.msg.target}`);
      if (later().length === 0) await ctx.upstreamEnded(up);
      if (later().length > 0)
        fail({
          summary: `the proxy sent ${later().join(', ')} on ${first.conn} after the origin's response there said Connection: close`,
          expected: `no further request on ${first.conn}, and its close by the proxy after reading that response`,
          seen: `origin: ${ctx.describeUpstream()}`,
        });
      if (!up.ended)
        fail({
          summary: `the proxy kept ${first.conn} open for ${ctx.timing.timeoutMs} ms after reading a response with Connection: close`,
          expected: `${first.conn} closed by the proxy after that response`,
          seen: `origin: ${ctx.describeUpstream()}`,
        });
      return satisfied(`${first.conn} retired after the origin's close (${ctx.describeUpstream()})`);
    },
  },
  {
    id: 'proxy-per-client-survives-origin-close',
    role: 'proxy',
    area: 'persistence',
    level: 'INFO',
    rfc: 'RFC 9112 §9.3',
    covers: ['PXPER-03'],
    title:
      'the client connection carries sequential requests although the origin closes its connection after every response (measured)',
    async run(ctx) {
      ctx.serve((req) => ({
        ...ok(`answer to ${req.msg.target}`, [['Connection', 'close']]),
        after: 'close',
      }));
      const n = 3;
      const c = await ctx.connect();
      const seen: string[] = [];
      for (let i = 1; i <= n; i++) {
        const res = await exchange(c, ctx.get(ctx.at(`seq${i}`)));
        seen.push(`seq${i}: ${describeResponse(res)}`);
        // Persistence is per hop: the origin's close ends the upstream connection only. Ending the client's too is allowed.
        if (i < n && saysClose(res))
          fail({
            summary: `the proxy announced the end of ${c.label} after seq${i}, whose upstream connection the origin closed`,
            expected:
              "the client connection kept for the next request (the origin's close is about the upstream hop)",
            seen: `${seen.join('; ')}; origin: ${ctx.describeUpstream()}`,
          });
      }
      return measured(
        `${n} requests answered on ${c.label} although the origin closed after each (${seen.join('; ')}); origin: ${ctx.describeUpstream()}`,
        n,
      );
    },
  },
];
