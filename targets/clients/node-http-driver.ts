#!/usr/bin/env node
// Driver protocol v1 for Node's http module: one `http.Agent({ keepAlive: true })`
// for the whole plan, its defaults otherwise (no socket limit, no timeout).
// Node's http client always speaks HTTP/1.1: a "1.0" plan exits 3.

import * as http from 'node:http';
import {
  type DriverLine,
  headerMap,
  type PlanRequest,
  readPlan,
  runSteps,
  unsupported,
} from './driver-kit.js';

const agent = new http.Agent({ keepAlive: true });

function perform(r: PlanRequest): Promise<DriverLine> {
  return new Promise((resolve) => {
    const failed = (e: NodeJS.ErrnoException) =>
      resolve({ id: r.id, error: `${e.code ?? e.name}: ${e.message}` });
    const req = http.request(r.url, { method: r.method, headers: r.headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', failed);
      res.on('close', () => {
        if (!res.complete)
          resolve({ id: r.id, error: 'the connection ended before the response was complete' });
      });
      res.on('end', () =>
        resolve({
          id: r.id,
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).toString('latin1'),
          headers: headerMap(Object.entries(res.headers)),
        }),
      );
    });
    req.on('error', failed);
    req.end(r.body);
  });
}

const plan = await readPlan();
if (plan.httpVersion === '1.0')
  unsupported('node:http cannot speak HTTP/1.0 (its requests are always HTTP/1.1)');
await runSteps(plan, perform);
// Idle keep-alive sockets do not hold the process: it ends, and the kernel closes them.
// A socket still busy (a response that never ended) would: do not wait for it.
setTimeout(() => process.exit(0), 1000).unref();
