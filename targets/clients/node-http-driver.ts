#!/usr/bin/env node
// Driver protocol v1 for Node's http module: one `http.Agent({ keepAlive: true })`
// (and one `https.Agent` trusting the plan's CA, for https: URLs) for the whole plan,
// their defaults otherwise (no socket limit, no timeout). discardBody: the body is
// discarded with `res.resume()`, as Node's documentation says. Node's http client
// always speaks HTTP/1.1: a "1.0" plan exits 3; it has no WebSocket client (the
// node-ws driver runs the ws package): a plan with a WebSocket step exits 3.

import {
  nodeAgents,
  performNodeHttp,
  readPlan,
  refuseUnsupported,
  runSteps,
  unsupported,
} from './driver-kit.js';

const plan = await readPlan();
if (plan.httpVersion === '1.0')
  unsupported('node:http cannot speak HTTP/1.0 (its requests are always HTTP/1.1)');
refuseUnsupported(plan, {
  websocket: 'node:http has no WebSocket client (the node-ws driver runs the ws package)',
});
const agents = nodeAgents(plan);
await runSteps(plan, (r) => performNodeHttp(r, agents));
// Idle keep-alive sockets do not hold the process: it ends, and the kernel closes them.
// A socket still busy (a response that never ended) would: do not wait for it.
setTimeout(() => process.exit(0), 1000).unref();
