// Steps that many proxy scenarios share: what the origin received, said in one line.

import { fail } from '../../harness/check.js';
import type { Arrival, ProxyCtx } from '../../harness/proxy-context.js';
import { nonceOf } from '../../harness/proxy-origin.js';
import { ok } from '../../harness/reply.js';
import { rawRequest } from '../../harness/wire/build.js';
import type { Conn, ReadResult } from '../../harness/wire/conn.js';
import type { Header, ParseError, ParseErrorCode } from '../../harness/wire/parse.js';
import { graceMs } from '../server/steps.js';

export { closedRightAfter, exchange, expectClosedAfter, graceMs } from '../server/steps.js';

/** `GET /ksp-…/a` on u1 */
export function describeArrival(a: Arrival): string {
  return `${a.req.msg.method} ${a.name} on ${a.conn}`;
}

/** The header section as the origin received it, one field per line in the evidence. */
export function describeHeaders(headers: readonly Header[]): string {
  return headers.map((h) => `${h.name}: ${h.value}`).join(' | ');
}

/** The first arrival named `name`, waiting up to the read timeout; a failure if it never came. */
export async function arrived(ctx: ProxyCtx, name: string, what = `the request ${name}`): Promise<Arrival> {
  const [a] = await ctx.waitArrivals(1, ctx.timing.timeoutMs, name);
  if (!a)
    fail({
      summary: `${what} never reached the origin`,
      expected: `the proxy to forward ${what}`,
      seen: ctx.describeUpstream(),
    });
  return a;
}

// ---- bytes that may hide a request ---------------------------------------------------------

/** What the origin answers a request named `name` with (sendHidden): every body names its request. */
export const answerTo = (name: string): string => `answer to ${name}`;

/** A complete GET for ctx.at('smuggled'): the request a scenario hides where only a misreading finds one. */
export function smuggledRequest(ctx: ProxyCtx): string {
  return `GET ${ctx.at('smuggled')} HTTP/1.1\r\nHost: ${ctx.target.authority}\r\n\r\n`;
}

/** What became of bytes that may hide a request, on both hops. */
export interface HiddenProbe {
  c1: Conn;
  /** what c1 read after the bytes */
  first: ReadResult;
  /** the GET for `after` on a client connection of its own: its label, what it read, whether that was its answer */
  after: { label: string; read: ReadResult; own: boolean };
  /** requests for ctx.at('smuggled') that reached the origin */
  smuggled: Arrival[];
}

/**
 * Send `bytes` (a request that may hide smuggledRequest()) on a new client connection and read
 * the response; then a GET for ctx.at('after') on a second client connection, which must get its
 * own answer; then the smuggled requests the origin saw. The origin answers every request of the
 * scenario with answerTo(its name).
 */
export async function sendHidden(ctx: ProxyCtx, bytes: Buffer, method = 'POST'): Promise<HiddenProbe> {
  ctx.serve((req) => ok(answerTo(lastPart(req.msg.target))));
  const c1 = await ctx.connect();
  await c1.send(rawRequest(bytes, method));
  const first = await c1.readResponse();
  const c2 = await ctx.connect();
  const req = ctx.get(ctx.at('after'));
  await c2.send(req);
  const read = await c2.readResponse();
  const own = read.type === 'response' && read.response.body.toString('latin1') === answerTo('after');
  // A smuggled request travels with the bytes that hid it, or right after their response: a short grace.
  const smuggled = await ctx.waitArrivals(1, graceMs(ctx), 'smuggled');
  return { c1, first, after: { label: `${req.label} on ${c2.label}`, read, own }, smuggled };
}

/**
 * The origin's strict parser stopped on an upstream connection, on bytes of this scenario: the
 * unfinished message names its nonce first, or (naming none) follows one of its requests that is
 * not a plain follow-up (`clean`). The proxy forwarded framing the origin cannot read. `neutral`
 * codes are the origin's own limits.
 */
export function upstreamParseError(
  ctx: ProxyCtx,
  neutral: readonly ParseErrorCode[] = [],
  clean: readonly string[] = ['after', 'next'],
): { conn: string; error: ParseError; near: string } | undefined {
  for (const c of ctx.upstreamConns()) {
    const error = c.parseError;
    if (!error || neutral.includes(error.code)) continue;
    const all = Buffer.concat(c.bytesIn.map((b) => b.bytes));
    const done = c.requests.reduce((n, r) => n + r.msg.raw.length + 2 * r.msg.leadingEmptyLines, 0);
    const named = /\/ksp-([0-9a-f]{12})/.exec(all.subarray(done).toString('latin1'))?.[1];
    const last = c.requests.at(-1)?.msg.target ?? '';
    const ours =
      named !== undefined
        ? named === ctx.nonce
        : nonceOf(last) === ctx.nonce && !clean.includes(lastPart(last));
    if (!ours) continue;
    const near = all.subarray(Math.max(done, error.offset - 40), error.offset + 20).toString('latin1');
    return { conn: ctx.upLabel(c), error, near: JSON.stringify(near) };
  }
  return undefined;
}

/** The last part of a scenario path: /ksp-…/after?x -> 'after' */
function lastPart(target: string): string {
  const path = target.split('?')[0]!;
  return path.slice(path.lastIndexOf('/') + 1);
}
