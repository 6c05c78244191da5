// npm run bench [-- --runs N]
//
// 1. Wall time of the whole server suite against the reference (idle timeout 2 s),
//    run N times through the built CLI: median, spread, and the longest single
//    scenario (the inherent wait the run cannot beat).
// 2. Pipelined throughput of the harness's own wire layer (one connection, a
//    deep pipeline, every response parsed strictly) against the throughput of
//    the same server measured with a standard load tool (autocannon), as a ratio.

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { execa } from 'execa';
import { freePort, waitForPort } from '../harness/launch/ports.js';
import { launch } from '../harness/launch/process.js';
import { buildRequest } from '../harness/wire/build.js';
import { openConn } from '../harness/wire/conn.js';
import { Transcript } from '../harness/wire/transcript.js';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '5' }, pipeline: { type: 'string', default: '20000' } },
});
const RUNS = Number(values.runs);
const DEPTH = Number(values.pipeline);
const ROOT = join(import.meta.dirname, '..');
const CLI = join(ROOT, 'dist', 'cli', 'cli.js');

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function suiteRuns(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ka-bench-'));
  const walls: number[] = [];
  const inner: number[] = [];
  let longest = { id: '', ms: 0 };
  let scenarios = 0;
  for (let i = 0; i < RUNS; i++) {
    const json = join(dir, `run${i}.json`);
    const t0 = performance.now();
    const r = await execa(
      'node',
      [CLI, 'server', '--target', 'reference', '--target-idle', '2', '--quiet', '--json', json],
      {
        reject: false,
        env: { CI: 'true' },
      },
    );
    walls.push(performance.now() - t0);
    if (r.exitCode !== 0)
      throw new Error(`suite run ${i + 1} exited ${r.exitCode}:\n${r.stdout}\n${r.stderr}`);
    const report = JSON.parse(readFileSync(json, 'utf8'));
    inner.push(report.wallMs);
    scenarios = report.results.length;
    for (const res of report.results)
      if (res.durationMs > longest.ms) longest = { id: res.id, ms: res.durationMs };
  }
  console.log(`server suite against the reference (idle timeout 2 s), ${scenarios} scenarios, ${RUNS} runs:`);
  console.log(
    `  wall time (command, incl. start-up): median ${(median(walls) / 1000).toFixed(2)} s, min ${(Math.min(...walls) / 1000).toFixed(2)} s, max ${(Math.max(...walls) / 1000).toFixed(2)} s`,
  );
  console.log(`  run time (first scenario to last):  median ${(median(inner) / 1000).toFixed(2)} s`);
  console.log(
    `  longest single scenario (inherent wait): ${longest.id}, ${(longest.ms / 1000).toFixed(2)} s`,
  );
  console.log(`  overhead beyond the longest wait: ${((median(inner) - longest.ms) / 1000).toFixed(2)} s`);
}

/** Requests/s the harness sends and parses strictly on one connection, DEPTH requests deep. */
async function harnessThroughput(url: URL): Promise<number> {
  const transcript = new Transcript();
  const ac = new AbortController();
  const conn = await openConn(
    { host: url.hostname, port: Number(url.port), tls: false },
    { label: 'bench', transcript, timeoutMs: 10_000, signal: ac.signal },
  );
  const req = buildRequest({ host: url.host, target: '/' });
  const t0 = performance.now();
  let read = 0;
  const reader = (async () => {
    while (read < DEPTH) {
      const r = await conn.readResponse();
      if (r.type !== 'response') throw new Error(`pipeline broke after ${read} responses: ${r.type}`);
      read++;
    }
  })();
  // Write in batches; the connection's flow control paces the writer against the reader.
  const BATCH = 500;
  for (let sent = 0; sent < DEPTH; sent += BATCH) {
    const n = Math.min(BATCH, DEPTH - sent);
    const r = await conn.send(
      Array.from({ length: n }, () => req),
      { pauseMs: 0 },
    );
    if (!r.ok) throw new Error(`write failed after ${sent} requests: ${r.error}`);
  }
  await reader;
  const secs = (performance.now() - t0) / 1000;
  conn.destroy();
  ac.abort();
  return DEPTH / secs;
}

async function autocannonThroughput(url: URL, connections: number, pipelining: number): Promise<number> {
  const result = await autocannon({ url: url.href, connections, pipelining, duration: 4 });
  return result.requests.average;
}

async function throughput(): Promise<void> {
  const port = await freePort();
  // The server runs in its own process, as it does for the load tool.
  const server = launch(
    `node ${join(ROOT, 'dist', 'targets', 'servers', 'reference-main.js')} --port ${port} --idle 10 --max-requests 100000000`,
  );
  try {
    await waitForPort('127.0.0.1', port, 10_000);
    const url = new URL(`http://127.0.0.1:${port}/`);
    await harnessThroughput(url).catch(() => 0); // warm-up
    const ours = await harnessThroughput(url);
    const ac1 = await autocannonThroughput(url, 1, 16);
    const ac10 = await autocannonThroughput(url, 10, 1);
    console.log(`pipelined throughput against the reference (own process), one connection:`);
    console.log(
      `  harness, ${DEPTH} requests pipelined, every response parsed strictly: ${Math.round(ours)} req/s`,
    );
    console.log(
      `  autocannon, 1 connection, pipelining 16:  ${Math.round(ac1)} req/s  -> ratio harness/autocannon ${(ours / ac1).toFixed(2)}`,
    );
    console.log(
      `  autocannon, 10 connections, no pipelining: ${Math.round(ac10)} req/s  -> ratio ${(ours / ac10).toFixed(2)}`,
    );
  } finally {
    await server.stop();
  }
}

await suiteRuns();
await throughput();
