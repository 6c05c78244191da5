#!/usr/bin/env node
// Driver protocol v1 for GNU wget. wget keeps one persistent connection across
// the URLs of one invocation, but its method, headers and body apply to every
// URL of the command line. So the plan runs as few invocations as it can: one
// per run of consecutive steps with the same method, headers and body (a plain
// GET plan is a single invocation). Across two invocations reuse is impossible.
//
// - delayMs: within an invocation, one more URL before the step, on a pause server
//   of this driver (answered after the delay with `204` + `Connection: close`;
//   wget closes that connection and keeps its persistent one to the harness, as
//   with a user's pause). Before the first step of an invocation: a plain pause.
// - concurrent: wget fetches one URL at a time, so each step is its own wget
//   process, all started at once (one connection each).
// - httpVersion "1.0": wget has no way to speak HTTP/1.0: exit 3.
// - tls: `--ca-certificate` with the plan's CA file. WebSocket steps and discardBody
//   exit 3: wget speaks no WebSocket and saves every body it receives.
// Settings: wget's defaults, except `--tries=2` (one retry: the default 20, with
// growing pauses, outlasts every scenario), `--max-redirect=0` (one exchange per
// step), `--content-on-error` (a 4xx/5xx body is reported too), `--no-config`,
// `--no-proxy`. The result of each URL is read from wget's log (`-S`, LC_ALL=C):
// the last try's status line, headers, and the file it says it saved.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  cleanUp,
  type DriverLine,
  emit,
  headerMap,
  type PlanRequest,
  readPlan,
  refuseUnsupported,
  scratchDir,
  sleep,
  spawnClient,
  startPauseServer,
  unsupported,
} from './driver-kit.js';

const plan = await readPlan();
if (plan.httpVersion === '1.0') unsupported('wget cannot speak HTTP/1.0 (its requests are always HTTP/1.1)');
refuseUnsupported(plan, {
  websocket: 'wget has no WebSocket support',
  discardBody: 'wget cannot abandon a response body: it saves every body it receives',
});
const root = scratchDir('keepalive-spec-wget-');
const pause = await startPauseServer();

/** A URL of one invocation: a plan step, or a pause. */
interface Url {
  url: string;
  step?: PlanRequest;
}

const SEGMENT = /^--\d{4}-\d\d-\d\d \d\d:\d\d:\d\d-- {2}(\(try: ?\d+\) {2})?/;

/**
 * The step's line from the log of its last try (`--server-response` shows each response head
 * indented) and the file that any try saved it to (a retry may continue it, or find it complete).
 */
function lineOf(step: PlanRequest, log: string[], saved: string | undefined): DriverLine {
  const at = log.findLastIndex((l) => /^ {2}HTTP\/\d\.\d \d{3}/.test(l));
  const trouble = log.filter((l) =>
    /failed:|Read error|No data received|Connection closed|Giving up|Unable to/.test(l),
  );
  if (at < 0 || trouble.length) return { id: step.id, error: trouble.join(' ') || 'wget logged no response' };
  const headers: Array<[string, string]> = [];
  for (const l of log.slice(at + 1)) {
    const field = /^ {2}([^ :]+): ?(.*)$/.exec(l);
    if (!field) break;
    headers.push([field[1]!, field[2]!]);
  }
  let body = '';
  try {
    if (saved) body = readFileSync(saved).toString('latin1');
  } catch {
    // nothing saved
  }
  return { id: step.id, status: Number(log[at]!.trim().split(' ')[1]), body, headers: headerMap(headers) };
}

/** Run one wget over `urls`; each step's line is printed once its URL is finished. */
async function invoke(step: PlanRequest, urls: Url[], n: number): Promise<void> {
  const dir = join(root, String(n));
  const args = [
    '--no-config',
    '--server-response',
    '--tries=2',
    '--max-redirect=0',
    '--content-on-error',
    '--no-proxy',
  ];
  args.push('--directory-prefix', dir);
  if (plan.tls) args.push(`--ca-certificate=${plan.tls.ca}`);
  const method = step.method.toUpperCase();
  if (method !== 'GET' || step.body !== undefined) args.push(`--method=${step.method}`);
  for (const [name, value] of Object.entries(step.headers ?? {})) args.push(`--header=${name}: ${value}`);
  if (step.body !== undefined) {
    writeFileSync(`${dir}.body`, step.body);
    args.push(`--body-file=${dir}.body`);
  }
  const wget = spawnClient('wget', [...args, ...urls.map((u) => u.url)], { ...process.env, LC_ALL: 'C' });
  // The log: one segment per try, each starting with "--<date>--  [(try: N)  ]<url>".
  let current = -1;
  let segment: string[] = [];
  let saved: string | undefined;
  const finish = () => {
    const step = urls[current]?.step;
    if (current >= 0 && step) emit(lineOf(step, segment, saved));
  };
  let partial = '';
  wget.stderr.setEncoding('latin1');
  wget.stderr.on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      const start = SEGMENT.exec(line);
      if (start && !start[1]) {
        finish();
        current++;
        saved = undefined;
      }
      saved = /^Saving to: '(.*)'$/.exec(line)?.[1] ?? saved;
      segment = start ? [] : [...segment, line];
    }
  });
  const status = await new Promise<number>((resolve) => wget.on('close', (code) => resolve(code ?? 1)));
  if (partial) segment.push(partial);
  finish();
  const silent = urls.slice(current + 1).filter((u) => u.step);
  if (silent.length) {
    process.stderr.write(
      `wget (exit status ${status}) logged nothing for ${silent.map((u) => u.step!.id).join(', ')}\n`,
    );
    cleanUp();
    process.exit(1);
  }
}

const same = (a: PlanRequest, b: PlanRequest) =>
  a.method === b.method &&
  a.body === b.body &&
  JSON.stringify(a.headers ?? {}) === JSON.stringify(b.headers ?? {});

let n = 0;
if (plan.concurrent) {
  await Promise.all(plan.requests.map((r) => invoke(r, [{ url: r.url, step: r }], n++)));
} else {
  for (let i = 0; i < plan.requests.length; ) {
    const first = plan.requests[i]!;
    if (first.delayMs) await sleep(first.delayMs);
    const urls: Url[] = [{ url: first.url, step: first }];
    for (i++; i < plan.requests.length && same(first, plan.requests[i]!); i++) {
      const r = plan.requests[i]!;
      if (r.delayMs) urls.push({ url: pause(i, r.delayMs) });
      urls.push({ url: r.url, step: r });
    }
    await invoke(first, urls, n++);
  }
}
cleanUp();
