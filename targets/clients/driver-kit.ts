// What the built-in drivers for real clients share (driver protocol v1, README):
// read the plan, print one JSON line per request, exit 3 for "cannot", run the
// plan's steps in order or all at once, and a pause server for command-line
// clients that have no pause between the URLs of one invocation.

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DriverLine, DriverPlan, PlanRequest } from '../../harness/launch/driver.js';

export type { DriverLine, DriverPlan, PlanRequest };

export async function readPlan(): Promise<DriverPlan> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as DriverPlan;
}

/** One line on standard output (a pipe: written synchronously on POSIX). */
export function emit(line: DriverLine): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

/** Exit status 3: the client cannot do what the plan asks. */
export function unsupported(why: string): never {
  process.stderr.write(`${why}\n`);
  process.exit(3);
}

/**
 * Exit 3 at once when the plan uses a field this driver's client cannot do: pass the reason
 * for each field the driver does not support (websocket steps, discardBody, the plan's tls).
 */
export function refuseUnsupported(
  plan: DriverPlan,
  cannot: { websocket?: string; discardBody?: string; tls?: string },
): void {
  if (cannot.websocket && plan.requests.some((r) => r.websocket)) unsupported(cannot.websocket);
  if (cannot.discardBody && plan.requests.some((r) => r.discardBody)) unsupported(cannot.discardBody);
  if (cannot.tls && plan.tls) unsupported(cannot.tls);
}

/** Keep-alive agents for the plan: http:, and https: trusting the plan's CA. */
export function nodeAgents(plan: DriverPlan): { http: http.Agent; https: https.Agent } {
  const ca = plan.tls?.ca ? readFileSync(plan.tls.ca) : undefined;
  return {
    http: new http.Agent({ keepAlive: true }),
    https: new https.Agent({
      keepAlive: true,
      ...(ca ? { ca } : { rejectUnauthorized: !plan.tls?.insecure }),
    }),
  };
}

/**
 * One HTTP step with node:http / node:https and the plan's agents. discardBody: the line is
 * written once the head is in, and the body is discarded the way Node's documentation says
 * (`res.resume()`: the agent reads it, then may reuse the socket).
 */
export function performNodeHttp(
  r: PlanRequest,
  agents: { http: http.Agent; https: https.Agent },
): Promise<DriverLine> {
  const secure = r.url.startsWith('https:');
  const request = secure ? https.request : http.request;
  return new Promise((resolve) => {
    const failed = (e: NodeJS.ErrnoException) =>
      resolve({ id: r.id, error: `${e.code ?? e.name}: ${e.message}` });
    const req = request(
      r.url,
      { method: r.method, headers: r.headers, agent: secure ? agents.https : agents.http },
      (res) => {
        if (r.discardBody) {
          res.on('error', () => {});
          res.resume();
          resolve({ id: r.id, status: res.statusCode ?? 0, headers: headerMap(Object.entries(res.headers)) });
          return;
        }
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
      },
    );
    req.on('error', failed);
    req.end(r.body);
  });
}

/** undici hides the reason in `cause` ("fetch failed" / "terminated" alone say little). */
function reason(e: unknown): string {
  const err = e as Error & { cause?: Error & { code?: string } };
  const cause = err.cause ? `: ${err.cause.code ? `${err.cause.code} ` : ''}${err.cause.message}` : '';
  return `${err.name}: ${err.message}${cause}`;
}

/** One step through Node's fetch (undici): discardBody cancels the body stream once the head is in. */
export async function performFetch(r: PlanRequest): Promise<DriverLine> {
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

/**
 * Pauses that end early when woken (a WebSocket step waits for messages or the close, and
 * stops waiting once the connection has closed): `wait(ms)`, and `wake()` from the close event.
 */
export function wakeable(closed: () => boolean): { wait(ms: number): Promise<void>; wake(): void } {
  let wake: (() => void) | undefined;
  return {
    wait: (ms) =>
      new Promise<void>((resolve) => {
        if (closed()) return resolve();
        const t = setTimeout(resolve, ms);
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      }),
    wake: () => {
      const w = wake;
      wake = undefined;
      w?.();
    },
  };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Steps one after another (each after its delay), or all at once; a line for each. */
export async function runSteps(
  plan: DriverPlan,
  perform: (r: PlanRequest) => Promise<DriverLine>,
): Promise<void> {
  if (plan.concurrent) {
    await Promise.all(plan.requests.map(async (r) => emit(await perform(r))));
    return;
  }
  for (const r of plan.requests) {
    if (r.delayMs) await sleep(r.delayMs);
    emit(await perform(r));
  }
}

/** Response headers as one lower-case name -> value map (repeated fields joined with ", "). */
export function headerMap(pairs: Iterable<[string, string | string[] | undefined]>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of pairs) {
    if (value === undefined) continue;
    const key = name.toLowerCase();
    const v = Array.isArray(value) ? value.join(', ') : value;
    out[key] = key in out ? `${out[key]}, ${v}` : v;
  }
  return out;
}

// ---- for drivers that run a command-line client ---------------------------------

const children = new Set<ChildProcess>();
const cleanups: Array<() => void> = [];

/** Run the cleanups (temporary files, the pause server); at the end, or when stopped. */
export function cleanUp(): void {
  for (const fn of cleanups.splice(0)) fn();
}

// The harness stops a driver with SIGTERM to its process group; stopped by any
// signal, a driver kills its client at once (nothing more is written to its
// files) and exits, which removes them.
const EXIT_ON: Array<[NodeJS.Signals, number]> = [
  ['SIGTERM', 143],
  ['SIGINT', 130],
  ['SIGHUP', 129],
];
for (const [signal, status] of EXIT_ON)
  process.on(signal, () => {
    for (const child of children) child.kill('SIGKILL');
    process.exit(status);
  });
// Every way out (an error, process.exit) passes here: nothing is left in the temporary directory.
process.on('exit', cleanUp);

/**
 * A temporary directory `<tmpdir>/<prefix>XXXXXX`, removed by cleanUp() (at exit at the
 * latest); the prefix names the driver, e.g. keepalive-spec-curl-, for leak checks.
 */
export function scratchDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  // A client killed a moment ago may still be closing a file in it: retry briefly.
  cleanups.push(() => rmSync(dir, { recursive: true, force: true, maxRetries: 3, retryDelay: 20 }));
  return dir;
}

/** Start the client (its log on a pipe: `.stderr`), to be stopped along with the driver. */
export function spawnClient(command: string, args: string[], env?: NodeJS.ProcessEnv) {
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'], env: env ?? process.env });
  children.add(child);
  child.on('close', () => children.delete(child));
  return child;
}

/**
 * A loopback server whose `/pause/<n>/<ms>` answers `204` + `Connection: close` after <ms>.
 * curl and wget fetch all the URLs of one invocation back to back; a pause URL between
 * two plan steps is the plan's delay, spent inside the same process, so the client's
 * connection to the harness stays in its pool (a different origin, closed after each pause).
 * Returns the URL of pause <n> (any number that makes it unique) lasting <ms>; closed by cleanUp().
 */
export async function startPauseServer(): Promise<(n: number, ms: number) => string> {
  const server = http.createServer((req, res) => {
    req.resume();
    const ms = Number(/^\/pause\/\d+\/(\d+)$/.exec(req.url ?? '')?.[1] ?? 0);
    setTimeout(() => {
      res.writeHead(204, { Connection: 'close' });
      res.end();
    }, ms);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  cleanups.push(() => server.close());
  return (n, ms) => `http://127.0.0.1:${port}/pause/${n}/${Math.round(ms)}`;
}
