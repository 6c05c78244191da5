// Steps that many server scenarios share. Each one either returns what it saw
// or ends the scenario with a violation that carries the evidence.

import {
  type ClosedAfter,
  closedAfter,
  describeEnd,
  describeResponse,
  expectResponse,
  fail,
  saysClose,
} from '../../harness/check.js';
import type { Level } from '../../harness/model.js';
import type { ServerCtx } from '../../harness/server-context.js';
import type { Req } from '../../harness/wire/build.js';
import type { Conn, EndObservation } from '../../harness/wire/conn.js';
import { fieldValues, type HttpResponse } from '../../harness/wire/parse.js';

/** The grace window after a response in which a close counts as "right after it" (harness note 1). */
export function graceMs(ctx: ServerCtx): number {
  return Math.min(300, Math.max(50, ctx.timing.timeoutMs / 10));
}

/** Send one request and read its response, or fail saying what came instead. */
export async function exchange(c: Conn, req: Req, level?: Level): Promise<HttpResponse> {
  const sent = await c.send(req);
  if (!sent.ok)
    fail({
      summary: `could not send ${req.label}`,
      expected: `the connection to accept ${req.label}`,
      seen: `the write failed: ${sent.error}`,
      level,
    });
  return expectResponse(await c.readResponse(), req.label, level);
}

/**
 * After a response without `close`, a FIN/RST inside the grace window is a silent close (PERSIST-02).
 * Returns the end if there was one.
 */
export async function closedRightAfter(ctx: ServerCtx, c: Conn): Promise<EndObservation | undefined> {
  const end = await c.waitEnd({ timeoutMs: graceMs(ctx) });
  return end.how === 'open' ? undefined : end;
}

/** The connection must end within T; otherwise fail with the scenario's (or the given) level. */
export async function expectEnd(c: Conn, why: string, level?: Level): Promise<EndObservation> {
  const end = await c.waitEnd();
  if (end.how === 'open')
    fail({
      summary: `the connection stayed open ${why}`,
      expected: `the server to close the connection ${why}`,
      seen: describeEnd(end),
      level,
    });
  return end;
}

/**
 * After `res`, the last response the connection may carry: nothing more, then the
 * close within the suite's one bound (harness/check.ts closedAfter), or fail. `why`
 * completes "the connection stayed open ..." (e.g. "after a response that said close").
 */
export async function expectClosedAfter(
  ctx: ServerCtx,
  c: Conn,
  res: HttpResponse,
  why: string,
  level?: Level,
): Promise<ClosedAfter> {
  const seen = await closedAfter(c, res, ctx.transcript);
  const { extra, partialBytes } = seen.end;
  if (extra.length > 0 || partialBytes > 0)
    fail({
      summary: `the server sent more ${why}`,
      expected: `nothing ${why}, then the end of the connection`,
      seen: `${describeResponse(res)}, then ${extra.length ? extra.map(describeResponse).join('; ') : `${partialBytes} bytes of a further message`}`,
      level: 'MUST NOT',
    });
  if (seen.verdict !== 'prompt')
    fail({
      summary:
        seen.verdict === 'open'
          ? `the connection stayed open ${why}`
          : `the server closed the connection only ${Math.round(seen.lagMs ?? 0)} ms ${why}, not right after it (as a server that waits for its idle timeout does)`,
      expected: `the server to close the connection ${why}: FIN or RST within ${seen.boundMs} ms of the response's last byte`,
      seen: `${describeResponse(res)}, then ${seen.text}`,
      level,
    });
  return seen;
}

/** Wait a short while for responses nobody asked for; returns those that arrived. */
export async function surplus(ctx: ServerCtx, c: Conn): Promise<HttpResponse[]> {
  const end = await c.waitEnd({ timeoutMs: graceMs(ctx), probe: false });
  return end.extra;
}

export function closeNote(res: HttpResponse): string {
  return saysClose(res) ? 'with Connection: close' : 'without Connection: close';
}

/** A numeric parameter of the Keep-Alive header (timeout=, max=), if present. */
export function keepAliveParam(res: HttpResponse, name: 'timeout' | 'max'): number | undefined {
  for (const v of fieldValues(res.headers, 'keep-alive')) {
    const m = new RegExp(`^${name}\\s*=\\s*"?(\\d+)"?$`, 'i').exec(v.trim());
    if (m) return Number(m[1]);
  }
  return undefined;
}
