// What a scripted server (client mode's server, proxy mode's origin) does with
// one request: exact bytes or a framed response, when, and what then becomes
// of the connection.

import { buildResponse, type ResponseSpec } from './wire/build.js';
import type { ServerConn } from './wire/server.js';
import { sleep } from './wire/wait.js';

export interface Reply {
  /** the response: a spec (framed by build.ts), or exact bytes */
  response?: ResponseSpec | string | Buffer;
  /** exact bytes written piece by piece, `pieceDelayMs` apart (instead of `response`) */
  pieces?: Array<string | Buffer>;
  pieceDelayMs?: number;
  /** wait this long before answering */
  delayMs?: number;
  /** what happens to the connection after the reply (default: keep it open) */
  after?: 'keep' | 'half-close' | 'close' | 'reset';
  /** ... this long after the reply */
  afterDelayMs?: number;
}

/** A 200 whose body names the path: the default answer. */
export const ok = (body: string, headers: ResponseSpec['headers'] = []): Reply => ({
  response: { status: 200, headers: [['Content-Type', 'text/plain'], ...headers], body },
});

/** Write one reply and do what it says to the connection; false once nothing more will be written. */
export async function answer(conn: ServerConn, reply: Reply, signal: AbortSignal): Promise<boolean> {
  if (reply.delayMs) await sleep(reply.delayMs, signal);
  if (reply.pieces) {
    for (const [i, piece] of reply.pieces.entries()) {
      if (i > 0 && reply.pieceDelayMs) await sleep(reply.pieceDelayMs, signal);
      if (!(await conn.write(piece))) return false;
    }
  } else if (reply.response !== undefined) {
    const bytes =
      typeof reply.response === 'string' || Buffer.isBuffer(reply.response)
        ? reply.response
        : buildResponse(reply.response);
    if (!(await conn.write(bytes))) return false;
  }
  const after = reply.after ?? 'keep';
  if (after === 'keep') return true;
  if (reply.afterDelayMs) await sleep(reply.afterDelayMs, signal);
  if (after === 'reset') conn.reset();
  else if (after === 'close') conn.close();
  else conn.halfClose();
  return after === 'half-close';
}
