// Area `http10`, proxy mode: an HTTP/1.0 client gets no persistent connection from
// the proxy, whatever it asks for, and its keep-alive headers stay on its own hop.

import { describeResponse, fail } from '../../harness/check.js';
import { satisfied } from '../../harness/model.js';
import type { ProxyScenario } from '../../harness/proxy-context.js';
import type { HeaderList } from '../../harness/wire/build.js';
import { arrived, describeHeaders, exchange, expectClosedAfter } from './steps.js';

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
];
