#!/usr/bin/env node
// The reference server as its own process, for benchmarks and as a backend for proxies:
//   node dist/targets/servers/reference-main.js [--port N] [--host H] [--idle SECONDS] [--max-requests N] [--tls]
// --tls serves HTTPS with the built-in self-signed test certificate.
// Prints its URL on one line once it listens; stops on SIGTERM/SIGINT.

import { parseArgs } from 'node:util';
import { ReferenceServer } from './reference.js';
import { TEST_CERT, TEST_KEY } from './tls/test-cert.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    idle: { type: 'string', default: '2' },
    'max-requests': { type: 'string', default: '100' },
    tls: { type: 'boolean', default: false },
  },
});
const server = new ReferenceServer({
  port: Number(values.port),
  host: values.host,
  idleTimeoutMs: Number(values.idle) * 1000,
  maxRequests: Number(values['max-requests']),
  ...(values.tls ? { tls: { key: Buffer.from(TEST_KEY), cert: Buffer.from(TEST_CERT) } } : {}),
});
const url = await server.listen();
process.stdout.write(`${url.href}\n`);
const stop = () => void server.stop().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
