// Client side of Upgrade and WebSocket (docs/requirements.md section 17): a declined
// upgrade leaves an HTTP/1.1 connection, a 101 ends HTTP on its connection, and the
// client's WebSocket answers pings, completes the close handshake, masks its frames and
// refuses a handshake whose Sec-WebSocket-Accept is wrong. A driver that cannot open a
// WebSocket exits 3 (skipped); one that ignores the plan's `websocket` field is seen on
// the wire (a plain GET instead of a handshake) and skipped too.

import { randomBytes } from 'node:crypto';
import { fail, skip } from '../../harness/check.js';
import {
  acceptWebSocket,
  arrivalOf,
  type ClientObservation,
  type ClientScenario,
  clientScenario,
  connEnd,
  describeConns,
  describeLine,
  ok,
  type Script,
  type WsPlay,
} from '../../harness/client-context.js';
import { satisfied } from '../../harness/model.js';
import { offersUpgrade } from '../../harness/wire/parse.js';
import type { ReceivedFrame, ReceivedRequest, ServerConn } from '../../harness/wire/server.js';
import { escapeLine } from '../../harness/wire/transcript.js';
import {
  acceptFor,
  closePayload,
  describeFrame,
  handshakeProblem,
  newWebSocketKey,
  OPCODE,
} from '../../harness/wire/websocket.js';
import { expectR2, expectResult } from './steps.js';

/** The payload of the server's ping: a pong must carry exactly this. */
const PING = `ks-ping-${randomBytes(4).toString('hex')}`;

/** The handshake that arrived for a WebSocket step, or a skip that says why there is none. */
function handshakeOf(obs: ClientObservation, id: string): ReceivedRequest {
  const a = obs.arrivals(id)[0];
  if (!a)
    skip(
      `${id} never reached the server, so there is no WebSocket to judge (driver: ${describeLine(obs, id)}; ${describeConns(obs)})`,
    );
  const problem = handshakeProblem(a.msg);
  if (problem)
    skip(
      `the driver did not open a WebSocket for ${id} (it ignores the plan's websocket field?): ${a.msg.method} ${a.msg.target} arrived, not a handshake (${problem})`,
    );
  return a;
}

/** The frames the client sent on a connection, in words. */
function describeFrames(conn: ServerConn): string {
  const frames = conn.frames.map((f) => describeFrame(f.frame));
  const junk = conn.frameError
    ? [
        `then bytes that are not a frame (${conn.frameError.error}): "${escapeLine(conn.frameError.bytes.toString('latin1'), 120)}"`,
      ]
    : [];
  return `${[...frames, ...junk].join(', ') || 'no frame'}; the connection: ${connEnd(conn)}`;
}

/** The client's frames of one kind. */
const framesOf = (conn: ServerConn, opcode: number): ReceivedFrame[] =>
  conn.frames.filter((f) => f.frame.opcode === opcode);

/** Decline every upgrade offer that is not a WebSocket handshake; accept WebSocket with this play. */
const wsScript =
  (play: WsPlay): Script =>
  (req) =>
    handshakeProblem(req.msg) === undefined ? acceptWebSocket(play) : ok(`ok ${req.msg.target}`);

export const upgradeClient: ClientScenario[] = [
  clientScenario({
    id: 'client-upgrade-declined-reuse',
    area: 'upgrade',
    level: 'MUST',
    rfc: 'RFC 9110 §7.8',
    covers: ['UPG-07'],
    title:
      'after an upgrade offer answered 200 (declined), the client reads that response as HTTP and the connection stays HTTP/1.1',
    plan: {
      requests: [
        { id: 'r1', path: '/a', headers: { Upgrade: 'ks-nobody/1', Connection: 'Upgrade' } },
        { id: 'r2', path: '/b', delayMs: 100 },
      ],
    },
    check(obs) {
      const r1 = obs.arrivals('r1')[0];
      if (!r1)
        skip(
          `the client did not send the upgrade offer (r1 never arrived; driver: ${describeLine(obs, 'r1')}): it refuses Upgrade and Connection: Upgrade as request headers`,
        );
      if (!offersUpgrade(r1.msg.headers))
        skip(
          `the client sent r1 without the upgrade offer (Upgrade named in Connection): it drops these headers, so there is no declined upgrade to judge`,
        );
      expectResult(obs, 'r1', 200, 'ok /a', 'the 200 that declined the upgrade');
      expectR2(obs);
      const r2 = arrivalOf(obs, 'r2');
      return satisfied(
        r2.conn === r1.conn
          ? `r1 read as an ordinary response, and r2 went on the same connection: ${describeConns(obs)}`
          : `r1 read as an ordinary response; r2 on a new connection (reuse after a declined upgrade is allowed, not required): ${describeConns(obs)}`,
      );
    },
  }),
  clientScenario({
    id: 'client-upgrade-no-http-after-101',
    area: 'upgrade',
    level: 'MUST NOT',
    rfc: 'RFC 9110 §7.8',
    covers: ['UPG-08'],
    title:
      'after a 101 the connection belongs to WebSocket: the next HTTP request goes on a new connection, even after the close handshake',
    plan: {
      requests: [
        { id: 'w1', path: '/ws', websocket: { waitMs: 0, close: true } },
        { id: 'r2', path: '/b', delayMs: 100 },
      ],
    },
    // The harness does not close TCP after the close handshake: it waits for the client (up to T),
    // so a client that takes the connection back into its HTTP pool finds it open.
    script: wsScript({ tcpClose: 'wait' }),
    check(obs) {
      const hs = handshakeOf(obs, 'w1');
      const ws = hs.conn;
      const junk = ws.frameError;
      if (junk && /^[A-Z]+ \S+ HTTP\/1\.\d/.test(junk.bytes.toString('latin1')))
        fail({
          summary: 'the client sent an HTTP request on the connection it had switched to WebSocket',
          expected:
            'no HTTP on a connection after its 101 (RFC 9110 §7.8: the connection then speaks the new protocol); r2 on a new connection',
          seen: `on ${ws.label} after the 101: ${describeFrames(ws)}; ${describeConns(obs)}`,
        });
      const r2 = arrivalOf(obs, 'r2');
      if (r2.conn === ws)
        fail({
          summary: 'the client sent r2 on the connection it had switched to WebSocket',
          expected: 'r2 on a new connection',
          seen: describeConns(obs),
        });
      if (junk)
        fail({
          summary: 'the client sent bytes that are not WebSocket frames after the 101',
          expected: 'only WebSocket frames on the connection after its 101 (RFC 6455 §5.2)',
          seen: `on ${ws.label}: ${describeFrames(ws)}`,
        });
      return satisfied(
        `r2 on ${r2.conn.label}, a new connection; on ${ws.label} after the 101: ${describeFrames(ws)}`,
      );
    },
  }),
  clientScenario({
    id: 'client-ws-ping-pong',
    area: 'upgrade',
    level: 'MUST',
    rfc: 'RFC 6455 §5.5.2',
    covers: ['WS-08'],
    title: "the client's WebSocket answers the server's ping with a pong that carries the same payload",
    plan: (t) => ({
      requests: [{ id: 'w1', path: '/ws', websocket: { waitMs: Math.min(1000, t.timeoutMs), close: true } }],
    }),
    script: wsScript({ send: [{ frame: { opcode: OPCODE.ping, payload: PING } }] }),
    check(obs) {
      const ws = handshakeOf(obs, 'w1').conn;
      const pongs = framesOf(ws, OPCODE.pong);
      if (pongs.length === 0)
        fail({
          summary: "the client did not answer the server's ping",
          expected: `a pong with the payload "${PING}" (RFC 6455 §5.5.2: an endpoint MUST send a pong in response to a ping)`,
          seen: `after the 101 and the ping: ${describeFrames(ws)}; driver: ${describeLine(obs, 'w1')}`,
        });
      const right = pongs.find((f) => f.frame.payload.toString('latin1') === PING);
      if (!right)
        fail({
          summary: "the client's pong does not carry the ping's payload",
          expected: `a pong with the payload "${PING}" (RFC 6455 §5.5.3: identical application data)`,
          seen: describeFrames(ws),
        });
      return satisfied(`the ping was answered: ${describeFrames(ws)}`);
    },
  }),
  clientScenario({
    id: 'client-ws-close-reply',
    area: 'upgrade',
    level: 'MUST',
    rfc: 'RFC 6455 §5.5.1',
    covers: ['WS-09'],
    title: "the client's WebSocket answers the server's close frame with a close frame",
    // The client would only close on its own after T: the server's close, 100 ms after the 101, comes first.
    plan: (t) => ({ requests: [{ id: 'w1', path: '/ws', websocket: { waitMs: t.timeoutMs, close: true } }] }),
    script: wsScript({
      send: [{ frame: { opcode: OPCODE.close, payload: closePayload(1000, 'ks bye') }, afterMs: 100 }],
    }),
    check(obs) {
      const ws = handshakeOf(obs, 'w1').conn;
      const closes = framesOf(ws, OPCODE.close);
      if (closes.length === 0)
        fail({
          summary: "the client did not answer the server's close frame with one of its own",
          expected:
            'a close frame from the client (RFC 6455 §5.5.1: an endpoint that receives a close frame and did not send one MUST send one in response)',
          seen: `after the server's close 1000: ${describeFrames(ws)}; driver: ${describeLine(obs, 'w1')}`,
        });
      const code = obs.line('w1')?.closeCode;
      return satisfied(
        `the close handshake completed: ${describeFrames(ws)}${code !== undefined ? `; the driver saw close code ${code}` : ''}`,
      );
    },
  }),
  clientScenario({
    id: 'client-ws-close-initiated',
    area: 'upgrade',
    level: 'MUST',
    rfc: 'RFC 6455 §7.1.2',
    covers: ['WS-10'],
    title: 'a client that closes its WebSocket sends a close frame before it closes the connection',
    plan: {
      requests: [{ id: 'w1', path: '/ws', websocket: { text: 'ks-hello', waitMs: 200, close: true } }],
    },
    check(obs) {
      const ws = handshakeOf(obs, 'w1').conn;
      const close = framesOf(ws, OPCODE.close)[0];
      if (!close)
        fail({
          summary: 'the client ended its WebSocket without a close frame',
          expected:
            'a close frame (code 1000, as the plan asked) before the client closes the connection (RFC 6455 §7.1.2: to start the closing handshake an endpoint MUST send a close frame)',
          seen: `${describeFrames(ws)}; driver: ${describeLine(obs, 'w1')}`,
        });
      return satisfied(`the client started the closing handshake: ${describeFrames(ws)}`);
    },
  }),
  clientScenario({
    id: 'client-ws-masked',
    area: 'upgrade',
    level: 'MUST',
    rfc: 'RFC 6455 §5.3',
    covers: ['WS-11'],
    title: 'every frame the client sends is masked (a message, a ping, a pong, a close)',
    plan: {
      requests: [
        { id: 'w1', path: '/ws', websocket: { text: 'ks-hello', ping: 'ks-ping', waitMs: 200, close: true } },
      ],
    },
    script: wsScript({ send: [{ frame: { opcode: OPCODE.ping, payload: PING } }] }),
    check(obs) {
      const ws = handshakeOf(obs, 'w1').conn;
      if (ws.frames.length === 0)
        skip(`the client sent no WebSocket frame, so masking cannot be judged: ${describeFrames(ws)}`);
      const bare = ws.frames.filter((f) => !f.frame.masked);
      if (bare.length)
        fail({
          summary: `the client sent ${bare.length} of ${ws.frames.length} frames unmasked`,
          expected: 'every client frame masked (RFC 6455 §5.3: the client MUST mask all frames it sends)',
          seen: describeFrames(ws),
        });
      return satisfied(`all ${ws.frames.length} client frames masked: ${describeFrames(ws)}`);
    },
  }),
  clientScenario({
    id: 'client-ws-bad-accept',
    area: 'upgrade',
    level: 'MUST',
    rfc: 'RFC 6455 §4.1',
    covers: ['WS-12'],
    title: 'a 101 whose Sec-WebSocket-Accept does not match the key fails the WebSocket connection',
    plan: {
      requests: [
        { id: 'w1', path: '/ws', websocket: { text: 'ks-hello', ping: 'ks-ping', waitMs: 200, close: true } },
      ],
    },
    // The accept value of another key: well-formed, wrong. The server then only listens.
    script: wsScript({ accept: () => acceptFor(newWebSocketKey()), silent: true }),
    check(obs) {
      const ws = handshakeOf(obs, 'w1').conn;
      const used = ws.frames.filter((f) => f.frame.opcode !== OPCODE.close);
      if (used.length)
        fail({
          summary: 'the client used the WebSocket although the Sec-WebSocket-Accept was wrong',
          expected:
            'no frames: with a wrong Sec-WebSocket-Accept the client MUST _Fail the WebSocket Connection_ (RFC 6455 §4.1)',
          seen: `after the 101: ${describeFrames(ws)}; driver: ${describeLine(obs, 'w1')}`,
        });
      const line = obs.line('w1');
      if (line?.status === 101)
        fail({
          summary: 'the client reported the WebSocket as open although the Sec-WebSocket-Accept was wrong',
          expected: 'an error for w1: the handshake failed (RFC 6455 §4.1)',
          seen: `${JSON.stringify(line).slice(0, 200)}; after the 101: ${describeFrames(ws)}`,
        });
      if (!line)
        fail({
          summary: 'the client hung on a 101 whose Sec-WebSocket-Accept was wrong',
          expected: 'an error for w1 at once: the handshake failed (RFC 6455 §4.1)',
          seen: `${describeLine(obs, 'w1')}; after the 101: ${describeFrames(ws)}`,
        });
      return satisfied(
        `the WebSocket was refused (${describeLine(obs, 'w1')}); after the 101: ${describeFrames(ws)}`,
      );
    },
  }),
];
