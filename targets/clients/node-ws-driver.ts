#!/usr/bin/env node
// Driver protocol v1 for the `ws` package (the WebSocket client most Node code uses):
// WebSocket steps with `new WebSocket(url)`, its defaults otherwise (pings from the
// server answered by ws itself, permessage-deflate offered). Plain HTTP steps go
// through node:http, as in the node-http driver, and so do ws's handshakes: one
// keep-alive agent per scheme for the whole plan (an https: agent trusting the plan's
// CA), so a connection that carried a 101 would be seen if it came back to the pool.
// A step: open, send `text` then `ping` if given, take messages for `waitMs` (or until
// the server closes), then close with 1000 and wait for the server's close (at most
// CLOSE_WAIT_MS, then the socket is dropped). No HTTP/1.0: a "1.0" plan exits 3.

import WebSocket from 'ws';
import {
  type DriverLine,
  type DriverPlan,
  nodeAgents,
  type PlanRequest,
  performNodeHttp,
  readPlan,
  runSteps,
  unsupported,
  wakeable,
} from './driver-kit.js';

/** The longest the driver waits for the close handshake and the end of the connection. */
const CLOSE_WAIT_MS = 5000;

function performWebSocket(plan: DriverPlan, r: PlanRequest, agents: ReturnType<typeof nodeAgents>) {
  const step = r.websocket!;
  const secure = r.url.startsWith('wss:');
  return new Promise<DriverLine>((resolve) => {
    const messages: string[] = [];
    let pong: string | undefined;
    let closeCode: number | undefined;
    let error: string | undefined;
    let opened = false;
    let closed = false;
    const { wait, wake: done } = wakeable(() => closed);
    const ws = new WebSocket(r.url, {
      agent: secure ? agents.https : agents.http,
      headers: r.headers,
      handshakeTimeout: 10_000,
      ...(secure && plan.tls && !plan.tls.ca ? { rejectUnauthorized: !plan.tls.insecure } : {}),
    });
    ws.on('message', (data, isBinary) => {
      if (!isBinary) messages.push(data.toString());
    });
    ws.on('pong', (data) => {
      pong ??= data.toString();
    });
    ws.on('error', (e) => {
      error ??= e.message;
    });
    ws.on('close', (code) => {
      closed = true;
      if (opened && code !== 1005 && code !== 1006) closeCode = code;
      done();
    });
    ws.on('open', async () => {
      opened = true;
      if (step.text !== undefined) ws.send(step.text);
      if (step.ping !== undefined) ws.ping(step.ping);
      await wait(step.waitMs ?? 0);
      if (step.close !== false && !closed) {
        if (ws.readyState === WebSocket.OPEN) ws.close(1000);
        await wait(CLOSE_WAIT_MS);
        if (!closed) ws.terminate();
      }
      finish();
    });
    const finish = () =>
      resolve(
        opened && error === undefined
          ? {
              id: r.id,
              status: 101,
              messages,
              ...(pong !== undefined ? { pong } : {}),
              ...(closeCode !== undefined ? { closeCode } : {}),
            }
          : { id: r.id, error: error ?? 'the WebSocket closed before it opened' },
      );
    // Never opened: the handshake failed (error, then close).
    ws.on('close', () => {
      if (!opened) finish();
    });
  });
}

const plan = await readPlan();
if (plan.httpVersion === '1.0') unsupported('ws (and node:http) cannot speak HTTP/1.0');
const agents = nodeAgents(plan);
await runSteps(plan, (r) => (r.websocket ? performWebSocket(plan, r, agents) : performNodeHttp(r, agents)));
setTimeout(() => process.exit(0), 1000).unref();
