#!/usr/bin/env node
// Driver protocol v1 for Node's built-in fetch (undici) with its default global
// dispatcher: a keep-alive pool per origin. undici speaks only HTTP/1.1 here:
// a "1.0" plan exits 3. discardBody: the body stream is cancelled once the head is
// in (`res.body.cancel()`, the fetch way to abandon a body). TLS: Node 20's fetch
// takes no CA per request and reads NODE_EXTRA_CA_CERTS only at start-up, so a plan
// with `tls` runs with certificate verification off (the plan's `insecure`, through
// NODE_TLS_REJECT_UNAUTHORIZED=0; Node warns once on stderr). fetch has no WebSocket
// client: a plan with a WebSocket step exits 3.

import { performFetch, readPlan, refuseUnsupported, runSteps, unsupported } from './driver-kit.js';

const plan = await readPlan();
if (plan.httpVersion === '1.0') unsupported('fetch (undici) cannot speak HTTP/1.0');
refuseUnsupported(plan, {
  websocket: 'fetch has no WebSocket client',
  ...(plan.tls?.insecure
    ? {}
    : { tls: "Node 20's fetch cannot be given a CA file at run time, and the plan does not allow insecure" }),
});
if (plan.tls) process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
await runSteps(plan, performFetch);
// Idle pooled sockets do not hold the process; a socket still busy would: do not wait for it.
setTimeout(() => process.exit(0), 1000).unref();
