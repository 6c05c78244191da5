// Steps that many proxy scenarios share: what the origin received, said in one line.

import { fail } from '../../harness/check.js';
import type { Arrival, ProxyCtx } from '../../harness/proxy-context.js';
import type { Header } from '../../harness/wire/parse.js';

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
