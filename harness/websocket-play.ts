// The scripted server's side of a WebSocket (client mode's server, proxy mode's origin):
// the 101 to a handshake, then its frames and the client's answered, until the close
// handshake or the end of the connection. Every frame either way is in the transcript.

import type { TimingConfig } from './model.js';
import { fieldValue } from './wire/parse.js';
import type { ReceivedRequest, ServerConn } from './wire/server.js';
import { Aborted, sleep } from './wire/wait.js';
import { acceptFor, closeCode, closePayload, type FrameSpec, OPCODE } from './wire/websocket.js';

/**
 * What the scripted server does once it has written a 101 to a WebSocket handshake
 * (RFC 6455 §4.2.2): frames to send, how to end. By default it answers the client's
 * pings with pongs, echoes its messages, answers its close frame and then closes the
 * TCP connection first (RFC 6455 §7.1.1). Every frame either way is noted in the transcript.
 */
export interface WsPlay {
  /** the Sec-WebSocket-Accept of the 101 (default: the right one for the request's key) */
  accept?: (key: string) => string;
  /** frames sent after the 101, each `afterMs` after the previous one */
  send?: Array<{ frame: FrameSpec; afterMs?: number }>;
  /** after the close handshake: close the TCP connection at once (default), or wait up to T for the client to */
  tcpClose?: 'first' | 'wait';
  /** answer nothing, only record what the client sends (a handshake the client must refuse) */
  silent?: boolean;
}

/** Write the 101 for a handshake, then play the server's part of the WebSocket. */
export async function answerWebSocket(
  conn: ServerConn,
  req: ReceivedRequest,
  play: WsPlay,
  timing: TimingConfig,
  signal: AbortSignal,
): Promise<void> {
  const key = fieldValue(req.msg.headers, 'sec-websocket-key')?.trim() ?? '';
  const accept = (play.accept ?? acceptFor)(key);
  conn.switchToWebSocket();
  const head =
    'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
    `Sec-WebSocket-Accept: ${accept}\r\n\r\n`;
  if (!(await conn.write(head))) return;
  await playWebSocket(conn, play, timing, signal);
}

/**
 * The scripted server's side of a WebSocket: its own frames (play.send), then the
 * client's frames answered until the close handshake or the end of the connection.
 * Waits are bounded by --idle-max + --timeout; the driver's end ends them sooner.
 */
async function playWebSocket(conn: ServerConn, play: WsPlay, timing: TimingConfig, signal: AbortSignal) {
  let closeSent = false;
  let closeReceived = false;
  const send = async (frame: FrameSpec) => {
    if (closeSent) return;
    if (frame.opcode === OPCODE.close) closeSent = true;
    await conn.sendFrame(frame);
  };
  const scheduled = (async () => {
    for (const { frame, afterMs } of play.send ?? []) {
      if (afterMs) await sleep(afterMs, signal);
      if (closeReceived || conn.ended) return;
      await send(frame);
    }
  })().catch((e) => {
    if (!(e instanceof Aborted)) throw e;
  });
  try {
    for (;;) {
      const next = await conn.nextFrame(timing.idleMaxMs + timing.timeoutMs);
      if (next === 'end') {
        conn.close();
        break;
      }
      if (next === 'error' || next === 'timeout') {
        conn.close();
        break;
      }
      const f = next.frame;
      if (play.silent) continue;
      if (f.opcode === OPCODE.ping && !closeReceived) await send({ opcode: OPCODE.pong, payload: f.payload });
      else if (f.opcode === OPCODE.text || f.opcode === OPCODE.binary)
        await send({ opcode: f.opcode, payload: f.payload });
      else if (f.opcode === OPCODE.close) {
        closeReceived = true;
        await send({ opcode: OPCODE.close, payload: closePayload(closeCode(f.payload) ?? 1000) });
        if (play.tcpClose === 'wait') await conn.waitEnd(timing.timeoutMs);
        conn.close();
        break;
      }
    }
  } catch (e) {
    if (!(e instanceof Aborted)) throw e;
  }
  await scheduled;
}
