// WebSocket at the target's --ws-path (RFC 6455): the opening handshake on a kept
// connection, then ping/pong, the close handshake, masking, early frames, and
// what an idle WebSocket does.

import { describeEnd, describeRead, describeResponse, fail, skip } from '../../harness/check.js';
import { measured, satisfied, violated } from '../../harness/model.js';
import type { ServerCtx, ServerScenario } from '../../harness/server-context.js';
import {
  closeCode,
  closePayload,
  describeFrame,
  encodeFrame,
  type Frame,
  OPCODE,
} from '../../harness/wire/websocket.js';
import { exchange } from './steps.js';
import {
  awaitFrame,
  describeWait,
  handshake,
  openWebSocket,
  priorRequest,
  stillHttp,
  switchProblems,
} from './upgrade-steps.js';

const isPong = (payload: Buffer) => (f: Frame) => f.opcode === OPCODE.pong && f.payload.equals(payload);
const isClose = (f: Frame) => f.opcode === OPCODE.close;

/** A payload of our own, to tell our pong from an unsolicited one. */
const nonce = (ctx: ServerCtx) => Buffer.from(ctx.missingPath('ks-ping').slice(1));

/** Frames from a server are never masked (RFC 6455 §5.1): named where one was. */
function maskedFromServer(frames: Frame[]): void {
  const m = frames.find((f) => f.masked);
  if (m)
    fail({
      summary: 'the server sent a masked frame',
      expected: 'unmasked frames from the server (RFC 6455 §5.1: "A server MUST NOT mask any frames")',
      seen: describeFrame(m),
    });
}

/** A bad handshake: a 4xx, no 101, and the connection still HTTP afterwards. */
function badHandshake(
  id: string,
  what: string,
  defect: Parameters<typeof handshake>[1],
  rfc: string,
): ServerScenario {
  return {
    id,
    role: 'server',
    area: 'upgrade',
    level: 'MUST',
    rfc,
    covers: ['WS-04'],
    title: `a WebSocket handshake ${what} gets a 4xx, and the connection stays valid HTTP`,
    async run(ctx) {
      const { req } = handshake(ctx, defect);
      const c = await ctx.connect();
      const res = await exchange(c, req);
      if (res.status === 101 || res.status < 400 || res.status > 499)
        fail({
          summary: `a WebSocket handshake ${what} got ${res.status === 101 ? 'a 101: the server switched' : `a ${res.status}`}`,
          expected:
            'a 4xx (RFC 6455 §4.2.1: "return an HTTP response with an appropriate error code (such as 400 Bad Request)"; §4.4: 426 for a version it does not speak)',
          seen: describeResponse(res),
        });
      return satisfied(await stillHttp(ctx, c, res, req.label));
    },
  };
}

export const webSocketScenarios: ServerScenario[] = [
  {
    id: 'ws-handshake-kept-connection',
    role: 'server',
    area: 'upgrade',
    level: 'MUST',
    rfc: 'RFC 6455 §4.2.2; RFC 9110 §7.8',
    covers: ['WS-01', 'UPG-02'],
    title:
      'after a request on the connection, a valid WebSocket handshake gets 101 with Upgrade: websocket and the right Sec-WebSocket-Accept',
    async run(ctx) {
      const { req, key } = handshake(ctx);
      const c = await ctx.connect();
      const { res: before, closed } = await priorRequest(ctx, c);
      if (closed) skip(`${closed}: no kept connection to upgrade`);
      const sent = await c.send(req);
      if (!sent.ok) skip(`the handshake could not be written on the kept connection: ${sent.error}`);
      const read = await c.readResponse();
      if (read.type !== 'response')
        fail({
          summary: 'a WebSocket handshake on a kept connection got no response',
          expected: `101 (Switching Protocols) to ${req.label}`,
          seen: `after ${describeResponse(before)}: ${describeRead(read)}`,
        });
      const res = read.response;
      if (res.status !== 101)
        fail({
          summary: `a valid WebSocket handshake at the declared WebSocket resource got ${res.status}, not 101`,
          expected: `101 (Switching Protocols) to ${req.label}, the second request on the connection`,
          seen: `${describeResponse(before)}, then ${describeResponse(res)}`,
        });
      const problems = switchProblems(res, key);
      if (problems.length)
        fail({
          summary: `the 101 does not complete the handshake: ${problems.join('; ')}`,
          expected:
            'Upgrade: websocket, Connection: Upgrade and Sec-WebSocket-Accept = base64(SHA-1(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))',
          seen: describeResponse(res),
        });
      return satisfied(
        `${describeResponse(before)}, then 101 with the right Sec-WebSocket-Accept on the same connection`,
      );
    },
  },
  {
    id: 'ws-ping-pong',
    role: 'server',
    area: 'upgrade',
    level: 'MUST',
    rfc: 'RFC 6455 §5.5.2, §5.5.3',
    covers: ['WS-02'],
    title: 'after the 101, a masked ping gets a pong with the same payload',
    async run(ctx) {
      const { c } = await openWebSocket(ctx);
      const payload = nonce(ctx);
      await c.sendFrame({ opcode: OPCODE.ping, payload });
      const w = await awaitFrame(c, isPong(payload), ctx.timing.timeoutMs);
      maskedFromServer([...w.others, ...(w.frame ? [w.frame] : [])]);
      if (!w.frame)
        fail({
          summary: 'the server did not answer a ping with its pong',
          expected: `a pong carrying ${JSON.stringify(payload.toString())} within ${ctx.timing.timeoutMs} ms ("Upon receipt of a Ping frame, an endpoint MUST send a Pong frame in response")`,
          seen: describeWait(w),
        });
      return satisfied(`pong ${JSON.stringify(payload.toString())}`);
    },
  },
  {
    id: 'ws-close-handshake',
    role: 'server',
    area: 'upgrade',
    level: 'MUST',
    rfc: 'RFC 6455 §5.5.1, §7.1.1',
    covers: ['WS-03'],
    title: 'a close frame gets a close frame, and the server closes the TCP connection first',
    async run(ctx) {
      const { c } = await openWebSocket(ctx);
      await c.sendFrame({ opcode: OPCODE.close, payload: closePayload(1000, 'done') });
      const w = await awaitFrame(c, isClose, ctx.timing.timeoutMs);
      maskedFromServer([...w.others, ...(w.frame ? [w.frame] : [])]);
      if (!w.frame)
        fail({
          summary: 'the server did not answer the close frame with a close frame',
          expected: `a close frame within ${ctx.timing.timeoutMs} ms ("If an endpoint receives a Close frame and did not previously send a Close frame, the endpoint MUST send a Close frame in response")`,
          seen: describeWait(w),
        });
      const end = await c.waitEnd({ probe: false });
      if (end.how === 'open')
        fail({
          summary:
            'after the close handshake the server left the TCP connection open for the client to close',
          expected: `the server to close the TCP connection first (RFC 6455 §7.1.1: SHOULD), within ${ctx.timing.timeoutMs} ms`,
          seen: `${describeFrame(w.frame)}, then ${describeEnd(end)}`,
          level: 'SHOULD',
        });
      return satisfied(`${describeFrame(w.frame)}, then the server closed (${describeEnd(end)})`);
    },
  },
  badHandshake(
    'ws-bad-version',
    'with Sec-WebSocket-Version: 12',
    { wsVersion: '12' },
    'RFC 6455 §4.2.1, §4.4',
  ),
  badHandshake('ws-missing-key', 'without Sec-WebSocket-Key', { key: null }, 'RFC 6455 §4.2.1'),
  {
    id: 'ws-frame-behind-handshake',
    role: 'server',
    area: 'upgrade',
    level: 'SHOULD',
    rfc: 'RFC 9110 §7.8; RFC 6455 §4.1',
    covers: ['WS-05'],
    title:
      'a ping written in the same segment as the handshake is read as WebSocket after the 101, not as HTTP',
    async run(ctx) {
      const payload = nonce(ctx);
      const ping = encodeFrame({ opcode: OPCODE.ping, payload, mask: true });
      const { c } = await openWebSocket(ctx, ping);
      const w = await awaitFrame(c, isPong(payload), ctx.timing.timeoutMs);
      if (!w.frame) {
        const http = c.receivedBytes().toString('latin1').split('\r\n\r\n').slice(1).join('\r\n\r\n');
        fail({
          summary: 'a ping sent right behind the handshake was not answered after the 101',
          expected: `a pong carrying ${JSON.stringify(payload.toString())}: after the switch the bytes behind the handshake are WebSocket`,
          seen: `${describeWait(w)}${/^HTTP\/1\.\d \d{3}/.test(http) ? ` (an HTTP response came after the 101: ${JSON.stringify(http.slice(0, 60))})` : ''}`,
        });
      }
      return satisfied(`pong ${JSON.stringify(payload.toString())} for the ping written with the handshake`);
    },
  },
  {
    id: 'ws-unmasked-frame-closes',
    role: 'server',
    area: 'upgrade',
    level: 'MUST',
    rfc: 'RFC 6455 §5.1',
    covers: ['WS-06'],
    title: 'an unmasked frame from the client makes the server close the connection',
    async run(ctx) {
      const { c } = await openWebSocket(ctx);
      const payload = nonce(ctx);
      await c.sendFrame({ opcode: OPCODE.ping, payload, mask: false });
      const w = await awaitFrame(c, (f) => f.opcode === OPCODE.pong || isClose(f), ctx.timing.timeoutMs);
      if (w.frame?.opcode === OPCODE.pong)
        fail({
          summary: 'the server answered an unmasked ping instead of closing the connection',
          expected:
            'the connection closed ("The server MUST close the connection upon receiving a frame that is not masked"), a close frame 1002 first allowed',
          seen: describeFrame(w.frame),
        });
      const end = await c.waitEnd({ probe: false });
      if (end.how === 'open')
        fail({
          summary: 'the server kept the connection open after an unmasked frame',
          expected: `the server to close the connection within ${ctx.timing.timeoutMs} ms`,
          seen: `${w.frame ? describeFrame(w.frame) : describeWait(w)}, then ${describeEnd(end)}`,
        });
      return satisfied(
        `${w.frame ? `${describeFrame(w.frame)}, then ` : ''}the connection ended (${describeEnd(end)})`,
      );
    },
  },
  {
    id: 'ws-idle-lifetime',
    role: 'server',
    area: 'upgrade',
    level: 'INFO',
    rfc: 'RFC 6455 §5.5.2, §7.1.1',
    covers: ['WS-07'],
    title:
      'how long an idle WebSocket lives (up to --idle-max), whether the server pings, and how it ends it',
    budgetMs: (t) => t.idleMaxMs,
    async run(ctx) {
      const { c } = await openWebSocket(ctx);
      const I = ctx.timing.idleMaxMs;
      const start = c.now();
      const w = await awaitFrame(c, isClose, I, { answerPings: false });
      const pings = w.others.filter((f) => f.opcode === OPCODE.ping);
      const pingText = pings.length
        ? `${pings.length} ping(s) of its own, the first after ${Math.round(w.arrivals[w.others.indexOf(pings[0]!)]! - start)} ms`
        : 'no ping of its own';
      if (w.frame) {
        const after = Math.round(c.now() - start);
        await c.sendFrame({
          opcode: OPCODE.close,
          payload: closePayload(closeCode(w.frame.payload) ?? 1000),
        });
        return measured(
          `the server ended the idle WebSocket after ${after} ms with ${describeFrame(w.frame)}; ${pingText}`,
          after,
        );
      }
      if (w.end?.type === 'end')
        return violated({
          summary: `the server dropped the idle WebSocket after ${Math.round(w.end.at - start)} ms without a close frame (${w.end.how.toUpperCase()}); ${pingText}`,
          expected: 'an idle WebSocket kept, or ended with the close handshake (RFC 6455 §7.1.1)',
          seen: describeWait(w),
        });
      return measured(`the idle WebSocket stayed open for ${I} ms (--idle-max); ${pingText}`, I);
    },
  },
  {
    id: 'ws-ping-after-idle',
    role: 'server',
    area: 'upgrade',
    level: 'INFO',
    rfc: 'RFC 6455 §5.5.2',
    covers: ['WS-07'],
    title:
      "after a silence (until the server's own keep-alive ping, at most half of --idle-max), the server still answers a ping",
    budgetMs: (t) => t.idleMaxMs / 2,
    async run(ctx) {
      const { c } = await openWebSocket(ctx);
      const half = ctx.timing.idleMaxMs / 2;
      const start = c.now();
      const quiet = await awaitFrame(c, (f) => f.opcode === OPCODE.ping, half);
      if (quiet.end?.type === 'end')
        return measured(`the server ended the WebSocket during the silence: ${describeWait(quiet)}`);
      const silence = Math.round(c.now() - start);
      const after = quiet.frame ? `its own ping after ${silence} ms` : `${silence} ms of silence`;
      if (quiet.frame) await c.sendFrame({ opcode: OPCODE.pong, payload: quiet.frame.payload });
      const payload = nonce(ctx);
      await c.sendFrame({ opcode: OPCODE.ping, payload });
      const w = await awaitFrame(c, isPong(payload), ctx.timing.timeoutMs);
      if (!w.frame)
        return violated({
          summary: `after ${after} the server did not answer a ping`,
          expected: `a pong carrying ${JSON.stringify(payload.toString())} (RFC 6455 §5.5.2)`,
          seen: describeWait(w),
        });
      return measured(`after ${after}, the ping got its pong`, silence);
    },
  },
];
