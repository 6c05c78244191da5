// Upgrade and WebSocket through the proxy (RFC 9110 §7.8, RFC 6455): the harness on both
// hops sees whether a 101 becomes a working tunnel, whether the switched upstream
// connection stays out of the pool, and whether a declined offer leaves HTTP behind it.
// A proxy may decline to pass an upgrade on: the tunnel scenarios then skip.

import { describeRead, describeResponse, fail, saysClose, skip } from '../../harness/check.js';
import { satisfied } from '../../harness/model.js';
import type { ProxyCtx, ProxyScenario } from '../../harness/proxy-context.js';
import type { OriginReply } from '../../harness/proxy-origin.js';
import { ok } from '../../harness/reply.js';
import type { Conn } from '../../harness/wire/conn.js';
import type { HttpResponse } from '../../harness/wire/parse.js';
import type { ReceivedRequest } from '../../harness/wire/server.js';
import {
  acceptFor,
  describeFrame,
  handshakeHeaders,
  handshakeProblem,
  newWebSocketKey,
  OPCODE,
} from '../../harness/wire/websocket.js';
import { awaitFrame, describeWait } from '../server/upgrade-steps.js';
import { arrived, exchange } from './steps.js';

/** The origin switches every valid WebSocket handshake it receives; anything else is an ordinary 200. */
const switching = (req: ReceivedRequest): OriginReply =>
  handshakeProblem(req.msg) === undefined ? { webSocket: {} } : ok(`origin ${req.msg.target}`);

/** A handshake for /ksp-<nonce>/<name> through the proxy; the response, or a skip where the proxy declines. */
async function tunnel(ctx: ProxyCtx, name = 'ws'): Promise<{ c: Conn; res: HttpResponse; key: string }> {
  ctx.serve(switching);
  const key = newWebSocketKey();
  const c = await ctx.connect();
  const req = ctx.get(ctx.at(name), handshakeHeaders(key));
  if (!(await c.send(req)).ok) skip('the handshake could not be written');
  const r = await c.readResponse();
  if (r.type !== 'response')
    fail({
      summary: 'a WebSocket handshake through the proxy got no response',
      expected: `an answer to ${req.label}: the 101 passed on, or the request answered as an ordinary one`,
      seen: `${describeRead(r)}; origin: ${ctx.describeUpstream()}`,
    });
  if (r.response.status !== 101)
    skip(
      `the proxy does not pass WebSocket on (a choice RFC 9110 §7.8 leaves it): the client got ${describeResponse(r.response)}; origin: ${ctx.describeUpstream()}`,
    );
  return { c, res: r.response, key };
}

/** Ping through the tunnel; fails where no pong comes back. */
async function pingThrough(ctx: ProxyCtx, c: Conn, what: string): Promise<string> {
  const payload = Buffer.from(ctx.missingPath('ks-ping').slice(1));
  await c.sendFrame({ opcode: OPCODE.ping, payload });
  const w = await awaitFrame(
    c,
    (f) => f.opcode === OPCODE.pong && f.payload.equals(payload),
    ctx.timing.timeoutMs,
  );
  if (!w.frame)
    fail({
      summary: `the proxy passed the 101 on, but ${what}: the client's ping got no pong from the origin`,
      expected: `a pong carrying ${JSON.stringify(payload.toString())}: after a 101 the proxy relays the bytes both ways`,
      seen: `${describeWait(w)}; origin: ${ctx.describeUpstream()}`,
    });
  return describeFrame(w.frame);
}

export const upgrade: ProxyScenario[] = [
  {
    id: 'proxy-ws-tunnel',
    role: 'proxy',
    area: 'upgrade',
    level: 'MUST',
    rfc: 'RFC 9110 §7.8; RFC 6455 §4.1',
    covers: ['PXWS-01'],
    title:
      "a WebSocket through the proxy: the client's key reaches the origin, the 101 comes back with the accept for it, and frames pass both ways",
    async run(ctx) {
      const { c, res, key } = await tunnel(ctx);
      const accept = res.headers.find((h) => h.name.toLowerCase() === 'sec-websocket-accept')?.value.trim();
      if (accept !== acceptFor(key))
        fail({
          summary: "the 101 the client got does not carry the accept value for the client's key",
          expected: `Sec-WebSocket-Accept: ${acceptFor(key)}: the proxy passes the handshake on, it does not make its own (the client would fail the connection, RFC 6455 §4.1)`,
          seen: `${describeResponse(res)}, Sec-WebSocket-Accept: ${accept ?? '(none)'}`,
        });
      const pong = await pingThrough(ctx, c, 'the frames do not pass');
      return satisfied(`101 with the accept for the client's key, then ${pong} through the tunnel`);
    },
  },
  {
    id: 'proxy-ws-upstream-not-reused',
    role: 'proxy',
    area: 'upgrade',
    level: 'MUST NOT',
    rfc: 'RFC 9110 §7.8; RFC 9112 §9.3',
    covers: ['PXWS-02'],
    title:
      'while a WebSocket through the proxy is open, another request does not go to the origin on the upstream connection that carried the 101',
    async run(ctx) {
      const { c } = await tunnel(ctx);
      const ws = await arrived(ctx, 'ws', 'the handshake');
      const c2 = await ctx.connect();
      const next = ctx.get(ctx.at('after'));
      if (!(await c2.send(next)).ok) skip('the second request could not be written');
      const [after] = await ctx.waitArrivals(1, ctx.timing.timeoutMs, 'after');
      const junk = ws.req.conn.frameError;
      if (after?.req.conn === ws.req.conn || junk)
        fail({
          summary: `the proxy sent an HTTP request on ${ws.conn}, the upstream connection it had switched to WebSocket`,
          expected:
            'the switched connection belongs to the tunnel: every later request on another upstream connection',
          seen: `${junk ? `on ${ws.conn} after the 101, bytes that are no WebSocket frame: ${JSON.stringify(junk.bytes.toString('latin1').slice(0, 60))}; ` : ''}origin: ${ctx.describeUpstream()}`,
        });
      if (!after)
        fail({
          summary: 'a request sent while a WebSocket through the proxy was open never reached the origin',
          expected: `${next.label} forwarded on another upstream connection`,
          seen: ctx.describeUpstream(),
        });
      const r = await c2.readResponse();
      const pong = await pingThrough(ctx, c, 'the tunnel broke when another request came');
      return satisfied(
        `GET after went to the origin on ${after.conn}, the WebSocket stayed on ${ws.conn} (${pong}); the client got ${r.type === 'response' ? describeResponse(r.response) : describeRead(r)}`,
      );
    },
  },
  {
    id: 'proxy-upgrade-declined-persists',
    role: 'proxy',
    area: 'upgrade',
    level: 'MUST',
    rfc: 'RFC 9110 §7.8; RFC 9112 §9.3',
    covers: ['PXWS-03'],
    title:
      "a WebSocket handshake the origin declines (200) is relayed as a 200, and the client's next request on that connection is answered",
    async run(ctx) {
      ctx.serve((req) => ok(`origin ${req.msg.target}`));
      const c = await ctx.connect();
      const first = await exchange(c, ctx.get(ctx.at('ws'), handshakeHeaders(newWebSocketKey())));
      if (first.status === 101)
        fail({
          summary: 'the client got a 101 although the origin answered 200',
          expected: "the origin's 200 relayed: a proxy does not switch on its own",
          seen: `${describeResponse(first)}; origin: ${ctx.describeUpstream()}`,
        });
      if (saysClose(first)) skip(`the proxy closes the client connection after ${describeResponse(first)}`);
      const next = ctx.get(ctx.at('next'));
      if (!(await c.send(next)).ok)
        fail({
          summary: 'the client connection was gone after the declined upgrade, without Connection: close',
          expected: 'the connection kept as HTTP/1.1 (or closed with Connection: close)',
          seen: `${describeResponse(first)}; origin: ${ctx.describeUpstream()}`,
        });
      const r = await c.readResponse();
      if (r.type !== 'response')
        fail({
          summary: 'the request after a declined upgrade got no response on the same client connection',
          expected: `a response to ${next.label}: after a declined offer the connection is still HTTP`,
          seen: `${describeResponse(first)}, then ${describeRead(r)}; origin: ${ctx.describeUpstream()}`,
        });
      return satisfied(
        `${describeResponse(first)}, then ${describeResponse(r.response)} on the same connection`,
      );
    },
  },
  {
    id: 'proxy-upgrade-http10-not-passed',
    role: 'proxy',
    area: 'upgrade',
    level: 'MUST',
    rfc: 'RFC 9110 §7.8',
    covers: ['PXWS-04'],
    title: "an HTTP/1.0 client's WebSocket handshake does not get a 101 through the proxy",
    async run(ctx) {
      ctx.serve(switching);
      const c = await ctx.connect();
      const req = ctx.request({
        method: 'GET',
        target: ctx.at('ws'),
        version: '1.0',
        headers: handshakeHeaders(newWebSocketKey()).map(([n, v]) =>
          n === 'Connection' ? [n, 'keep-alive, Upgrade'] : [n, v],
        ),
      });
      if (!(await c.send(req)).ok) skip('the request could not be written');
      const r = await c.readResponse();
      if (r.type === 'response' && r.response.status === 101)
        fail({
          summary: 'an HTTP/1.0 client got a 101 through the proxy',
          expected:
            'no switch: Upgrade in an HTTP/1.0 request MUST be ignored (RFC 9110 §7.8), by the proxy as by the origin',
          seen: `${describeResponse(r.response)}; origin: ${ctx.describeUpstream()}`,
        });
      if (r.type !== 'response')
        fail({
          summary: 'an HTTP/1.0 request that carried Upgrade got no response through the proxy',
          expected: `a response to ${req.label} (any status): Upgrade in HTTP/1.0 is ignored, the request answered as any other`,
          seen: `${describeRead(r)}; origin: ${ctx.describeUpstream()}`,
        });
      return satisfied(`${describeResponse(r.response)}; origin: ${ctx.describeUpstream()}`);
    },
  },
];
