#!/usr/bin/env node
// Driver protocol v1 for the WebSocket built into Node (undici's, the browser API: a
// global since Node 22, behind --experimental-websocket on Node 20 and 21, which the
// driver's command adds). Plain HTTP steps go through fetch, as in the node-fetch driver.
// The browser API has no ping of its own and answers the server's pings itself: a step's
// `ping` is not sent (the line has no `pong`). A step: open, send `text` if given, take
// messages for `waitMs` (or until the server closes), then close with 1000 and wait for
// the server's close (at most CLOSE_WAIT_MS). TLS: as node-fetch, verification off
// where the plan allows it (Node 20 takes no CA at run time). No HTTP/1.0: exits 3.

import {
  type DriverLine,
  type PlanRequest,
  performFetch,
  readPlan,
  refuseUnsupported,
  runSteps,
  unsupported,
  wakeable,
} from './driver-kit.js';

/** The browser WebSocket API as Node provides it (@types/node 20 does not declare it). */
interface BrowserWebSocket {
  send(data: string): void;
  close(code?: number): void;
  addEventListener(type: 'open' | 'error', listener: () => void): void;
  addEventListener(type: 'message', listener: (e: { data: unknown }) => void): void;
  addEventListener(type: 'close', listener: (e: { code: number }) => void): void;
}
const NodeWebSocket = (globalThis as { WebSocket?: new (url: string) => BrowserWebSocket }).WebSocket;

/** The longest the driver waits for the close handshake. */
const CLOSE_WAIT_MS = 5000;
/** The longest the driver waits for the handshake to open or fail. */
const HANDSHAKE_LIMIT_MS = 5000;

function performWebSocket(r: PlanRequest): Promise<DriverLine> {
  const step = r.websocket!;
  return new Promise<DriverLine>((resolve) => {
    const messages: string[] = [];
    let opened = false;
    let closed: { code: number } | undefined;
    let error: string | undefined;
    const { wait, wake } = wakeable(() => closed !== undefined);
    const ws = new NodeWebSocket!(r.url);
    // undici (Node 20) can drop a failed handshake without any event: this timer also keeps
    // the process alive until the step has its line.
    const guard = setTimeout(() => {
      error ??= `no open, error or close event within ${HANDSHAKE_LIMIT_MS} ms of the handshake`;
      finish();
    }, HANDSHAKE_LIMIT_MS);
    ws.addEventListener('message', (e) => {
      if (typeof e.data === 'string') messages.push(e.data);
    });
    ws.addEventListener('error', () => {
      error ??= opened ? 'the WebSocket failed' : 'the WebSocket handshake failed';
      // A failed handshake may get no close event after its error (undici on Node 20).
      if (!opened) finish();
    });
    ws.addEventListener('close', (e) => {
      closed = { code: e.code };
      if (!opened) finish();
      wake();
    });
    ws.addEventListener('open', async () => {
      opened = true;
      clearTimeout(guard);
      if (step.text !== undefined) ws.send(step.text);
      await wait(step.waitMs ?? 0);
      if (step.close !== false && !closed) {
        ws.close(1000);
        await wait(CLOSE_WAIT_MS);
      }
      finish();
    });
    let finished = false;
    function finish() {
      if (finished) return;
      finished = true;
      clearTimeout(guard);
      const code = closed && closed.code !== 1005 && closed.code !== 1006 ? closed.code : undefined;
      resolve(
        opened && error === undefined
          ? { id: r.id, status: 101, messages, ...(code !== undefined ? { closeCode: code } : {}) }
          : { id: r.id, error: error ?? 'the WebSocket closed before it opened' },
      );
    }
  });
}

const plan = await readPlan();
if (plan.httpVersion === '1.0') unsupported("fetch and Node's WebSocket (undici) cannot speak HTTP/1.0");
if (typeof NodeWebSocket !== 'function')
  unsupported(
    `this Node (${process.version}) has no WebSocket global (Node 22, or --experimental-websocket)`,
  );
refuseUnsupported(plan, {
  ...(plan.tls?.insecure
    ? {}
    : {
        tls: "Node 20's fetch and WebSocket cannot be given a CA file at run time, and the plan does not allow insecure",
      }),
});
if (plan.tls) process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
await runSteps(plan, (r) => (r.websocket ? performWebSocket(r) : performFetch(r)));
setTimeout(() => process.exit(0), 1000).unref();
