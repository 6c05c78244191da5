// Steps the upgrade scenarios share: offers of an upgrade, the WebSocket opening
// handshake, reading frames after the 101, and "the connection is still HTTP".

import { describeEnd, describeRead, describeResponse, fail, saysClose, skip } from '../../harness/check.js';
import type { Level } from '../../harness/model.js';
import type { ServerCtx } from '../../harness/server-context.js';
import type { HeaderList, Req } from '../../harness/wire/build.js';
import type { Conn, FrameResult } from '../../harness/wire/conn.js';
import { fieldValue, type HttpResponse } from '../../harness/wire/parse.js';
import {
  acceptFor,
  describeFrame,
  type Frame,
  handshakeHeaders,
  newWebSocketKey,
  OPCODE,
  upgradeProtocols,
} from '../../harness/wire/websocket.js';
import { closedRightAfter, exchange } from './steps.js';

/** A protocol nobody speaks: an offer of it can only be declined. */
export const NOBODY = 'ks-nobody/1';

/** `GET` offering an upgrade to NOBODY, as RFC 9110 §7.8 says an offer is made. */
export function nobodyOffer(ctx: ServerCtx, target = ctx.path, version?: '1.0'): Req {
  return ctx.request({
    method: 'GET',
    target,
    version,
    headers: [
      ['Connection', version === '1.0' ? 'keep-alive, Upgrade' : 'Upgrade'],
      ['Upgrade', NOBODY],
    ],
  });
}

/** The WebSocket resource, or a skip naming --ws-path. */
export function wsPath(ctx: ServerCtx): string {
  return ctx.resource('wsPath');
}

/** A WebSocket opening handshake (RFC 6455 §4.1) for the resource, with changes for the bad-handshake scenarios. */
export function handshake(
  ctx: ServerCtx,
  opts: {
    key?: string | null;
    wsVersion?: string;
    connection?: string;
    version?: '1.0';
    extra?: HeaderList;
    body?: string;
  } = {},
): { req: Req; key: string } {
  const key = opts.key === undefined ? newWebSocketKey() : (opts.key ?? '');
  let headers: HeaderList = handshakeHeaders(key).filter(
    ([n]) => !(opts.key === null && n === 'Sec-WebSocket-Key'),
  );
  headers = headers.map(([n, v]) =>
    n === 'Sec-WebSocket-Version' && opts.wsVersion
      ? [n, opts.wsVersion]
      : n === 'Connection' && opts.connection
        ? [n, opts.connection]
        : [n, v],
  );
  const req = ctx.request({
    method: 'GET',
    target: wsPath(ctx),
    version: opts.version,
    headers: [...headers, ...(opts.extra ?? [])],
    ...(opts.body !== undefined ? { body: opts.body } : {}),
  });
  return { req, key };
}

/** What is wrong with a 101 to a WebSocket handshake (RFC 6455 §4.2.2 item 5), or undefined. */
export function switchProblems(res: HttpResponse, key: string): string[] {
  const problems: string[] = [];
  if (!upgradeProtocols(res.headers).includes('websocket'))
    problems.push(
      `Upgrade is ${JSON.stringify(fieldValue(res.headers, 'upgrade') ?? '(missing)')}, not websocket`,
    );
  const conn = fieldValue(res.headers, 'connection') ?? '';
  if (!/(^|,)\s*upgrade\s*(,|$)/i.test(conn))
    problems.push(`Connection is ${JSON.stringify(conn || '(missing)')}, without upgrade`);
  const accept = fieldValue(res.headers, 'sec-websocket-accept')?.trim();
  if (accept !== acceptFor(key))
    problems.push(
      `Sec-WebSocket-Accept is ${JSON.stringify(accept ?? '(missing)')}, not ${JSON.stringify(acceptFor(key))} (base64 SHA-1 of the key and the RFC 6455 GUID)`,
    );
  return problems;
}

/**
 * A fresh connection switched to WebSocket for a scenario about what comes after the 101.
 * A handshake that does not get its 101 is ws-handshake-kept-connection's verdict: skipped here.
 */
export async function openWebSocket(
  ctx: ServerCtx,
  behind?: Buffer,
): Promise<{ c: Conn; res: HttpResponse }> {
  const { req } = handshake(ctx);
  const c = await ctx.connect();
  const sent = await c.send(behind ? [req, behind] : req);
  if (!sent.ok) skip(`the WebSocket handshake could not be sent: ${sent.error}`);
  const r = await c.readResponse();
  if (r.type !== 'response' || r.response.status !== 101)
    skip(
      `the handshake at ${req.label} got ${r.type === 'response' ? describeResponse(r.response) : describeRead(r)}, not a 101 (ws-handshake-kept-connection judges the handshake)`,
    );
  return { c, res: r.response };
}

export interface FrameWait {
  /** the frame waited for, if it came */
  frame?: Frame;
  /** frames that came before it (the server's pings are answered) */
  others: Frame[];
  /** transcript times at which `others` arrived */
  arrivals: number[];
  /** how the wait ended without it */
  end?: FrameResult;
}

/** Read frames until one matches, the connection ends, or `ms` pass; the server's pings get pongs (unless told not to). */
export async function awaitFrame(
  c: Conn,
  want: (f: Frame) => boolean,
  ms: number,
  opts: { answerPings?: boolean } = {},
): Promise<FrameWait> {
  const others: Frame[] = [];
  const arrivals: number[] = [];
  const until = c.now() + ms;
  for (;;) {
    const left = until - c.now();
    const r = await c.readFrame({ timeoutMs: Math.max(1, left) });
    if (r.type !== 'frame') return { others, arrivals, end: r };
    if (want(r.frame)) return { frame: r.frame, others, arrivals };
    others.push(r.frame);
    arrivals.push(r.at);
    if (r.frame.opcode === OPCODE.ping && opts.answerPings !== false)
      await c.sendFrame({ opcode: OPCODE.pong, payload: r.frame.payload });
    if (left <= 0) return { others, arrivals, end: { type: 'timeout', waitedMs: ms, partialBytes: 0 } };
  }
}

export function describeWait(w: FrameWait): string {
  const before = w.others.length ? `${w.others.map(describeFrame).join('; ')}, then ` : '';
  const e = w.end;
  const how = !e
    ? 'the frame'
    : e.type === 'timeout'
      ? `no further frame within ${Math.round(e.waitedMs)} ms`
      : e.type === 'end'
        ? `the connection ended (${e.how.toUpperCase()})${e.partialBytes ? ` inside a frame (${e.partialBytes} bytes)` : ''}`
        : e.type === 'malformed'
          ? `bytes that are no WebSocket frame: ${e.error}`
          : 'a frame';
  return before + how;
}

/**
 * A request before the one under test, on a connection that must then stay open. Where the
 * server closes after it, undefined with the reason: the caller skips or tests on a fresh
 * connection (the persistence scenarios judge the close).
 */
export async function priorRequest(
  ctx: ServerCtx,
  c: Conn,
): Promise<{ res: HttpResponse; closed?: undefined } | { res: HttpResponse; closed: string }> {
  const res = await exchange(c, ctx.get());
  if (saysClose(res))
    return { res, closed: `the server closes after every response (${describeResponse(res)})` };
  const end = await closedRightAfter(ctx, c);
  if (end)
    return {
      res,
      closed: `the server closed the connection after ${describeResponse(res)} (${describeEnd(end)})`,
    };
  return { res };
}

/**
 * After a response that is not a 101, the connection is still HTTP: either the response said
 * close and the connection ends, or the next request on it is answered. Fails otherwise.
 */
export async function stillHttp(ctx: ServerCtx, c: Conn, res: HttpResponse, after: string, level?: Level) {
  if (saysClose(res)) return `${describeResponse(res)} said close`;
  const end = await closedRightAfter(ctx, c);
  if (end)
    fail({
      summary: `the server closed the connection right after its answer to ${after}, without Connection: close`,
      expected: 'the connection kept (it was not switched), or Connection: close before the close',
      seen: `${describeResponse(res)}, then ${describeEnd(end)}`,
      level,
    });
  const next = await exchange(c, ctx.get(), level);
  return `${describeResponse(res)}, then the next GET answered ${next.status} on the same connection`;
}
