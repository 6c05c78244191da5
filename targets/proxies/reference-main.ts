#!/usr/bin/env node
// The reference proxy as its own process, for `keepalive-spec proxy --launch` (and its tests):
//   node dist/targets/proxies/reference-main.js --port N --origin HOST:PORT [--idle SECONDS]
//   node dist/targets/proxies/reference-main.js --config FILE
// A config file is JSON: {"port": N, "origin": "host:port", "idle": seconds}; with --config
// templates, keepalive-spec fills in {port} and {origin}. Stops on SIGTERM/SIGINT.

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ReferenceProxy } from './reference.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    origin: { type: 'string' },
    idle: { type: 'string', default: '2' },
    config: { type: 'string' },
  },
});
const file = values.config
  ? (JSON.parse(readFileSync(values.config, 'utf8')) as Record<string, unknown>)
  : {};
const port = Number(file.port ?? values.port ?? 0);
const origin = String(file.origin ?? values.origin ?? '');
if (!/^[^:]+:\d+$/.test(origin)) {
  process.stderr.write('reference-main: give --origin host:port (or "origin" in --config)\n');
  process.exit(2);
}
const proxy = new ReferenceProxy({ origin, idleTimeoutMs: Number(file.idle ?? values.idle) * 1000 });
const bound = await proxy.listen(port);
process.stdout.write(`http://127.0.0.1:${bound}/ -> ${origin}\n`);
const stop = () => void proxy.close().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
