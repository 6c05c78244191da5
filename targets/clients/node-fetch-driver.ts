#!/usr/bin/env node
// Driver protocol v1 for Node's built-in fetch (undici) with its default global
// dispatcher: a keep-alive pool per origin. undici speaks only HTTP/1.1 here:
// a "1.0" plan exits 3. discardBody: the body stream is cancelled once the head is
// in (`res.body.cancel()`, the fetch way to abandon a body). TLS: Node 20's fetch
// takes no CA per request and reads NODE_EXTRA_CA_CERTS only at start-up, so a plan
// with `tls` runs with certificate verification off (the plan's `insecure`, through
// NODE_TLS_REJECT_UNAUTHORIZED=0; Node warns once on stderr). fetch has no WebSocket
// client: a plan with a WebSocket step exits 3.

import {
  type DriverLine,
  headerMap,
  type PlanRequest,
  readPlan,
  refuseUnsupported,
  runSteps,
  unsupported,
} from './driver-kit.js';

/** undici hides the reason in `cause` ("fetch failed" / "terminated" alone say little). */
function reason(e: unknown): string {
  const err = e as Error & { cause?: Error & { code?: string } };
  const cause = err.cause ? `: ${err.cause.code ? `${err.cause.code} ` : ''}${err.cause.message}` : '';
  return `${err.name}: ${err.message}${cause}`;
}

async function perform(r: PlanRequest): Promise<DriverLine> {
  try {
    const res = await fetch(r.url, { method: r.method, headers: r.headers, body: r.body });
    const headers = headerMap(res.headers.entries());
    if (r.discardBody) {
      await res.body?.cancel();
      return { id: r.id, status: res.status, headers };
    }
    const body = Buffer.from(await res.arrayBuffer()).toString('latin1');
    return { id: r.id, status: res.status, body, headers };
  } catch (e) {
    return { id: r.id, error: reason(e) };
  }
}

const plan = await readPlan();
if (plan.httpVersion === '1.0') unsupported('fetch (undici) cannot speak HTTP/1.0');
refuseUnsupported(plan, {
  websocket: 'fetch has no WebSocket client',
  ...(plan.tls?.insecure
    ? {}
    : { tls: "Node 20's fetch cannot be given a CA file at run time, and the plan does not allow insecure" }),
});
if (plan.tls) process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
await runSteps(plan, perform);
// Idle pooled sockets do not hold the process; a socket still busy would: do not wait for it.
setTimeout(() => process.exit(0), 1000).unref();
