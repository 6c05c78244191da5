#!/usr/bin/env node
// Driver protocol v1 for the curl command-line tool: the whole plan is ONE curl
// invocation, one URL per step with `--next` between them (each with its own
// method, headers and body), so curl's connection cache can reuse connections
// across the plan, as it does for the URLs of one command line.
//
// - delayMs: curl has no pause between URLs (`--rate` only spaces transfer starts
//   evenly, whatever each step asks). So a step's delay is one more URL before it,
//   on a pause server of this driver (another origin, answered after the delay
//   with `204` + `Connection: close`): curl spends the pause inside the same
//   process, its connection to the harness idle in its cache, exactly as if the
//   user had paused. Splitting the plan into several invocations instead would
//   make reuse across a delay impossible.
// - concurrent: `--parallel --parallel-immediate` (up to 50 transfers at once, curl's
//   default). Without -immediate curl holds the other transfers until the first
//   response shows whether its connection can multiplex: not "all at once".
// - httpVersion "1.0": `--http1.0` on every URL.
// - tls: `--cacert` with the plan's CA file on every URL. WebSocket steps and
//   discardBody exit 3: curl 7.88 as Debian builds it has no ws:// support, and curl
//   always reads (or writes out) a body it has started to receive.
// Other settings are curl's defaults; `-q` ignores ~/.curlrc, `--noproxy '*'`
// keeps a proxy from the environment away from the loopback harness.
// Per URL, `-w` writes the transfer's result as JSON (`%{json}`, `%{header_json}`)
// and `-o` its body to a file; each result becomes the step's line as soon as curl
// writes it.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  cleanUp,
  type DriverLine,
  emit,
  headerMap,
  readPlan,
  refuseUnsupported,
  scratchDir,
  spawnClient,
  startPauseServer,
} from './driver-kit.js';

// Written to stderr, which curl does not buffer (its stdout, a pipe, would hold the
// results until it exits); curl's own messages there are passed on.
const BEGIN = '@@keepalive-spec-result@@\n';
const END = '@@keepalive-spec-end@@\n';
const WRITE_OUT = `%{stderr}\\n${BEGIN.trim()}\\n%{json}\\n%{header_json}\\n${END.trim()}\\n`;

const plan = await readPlan();
refuseUnsupported(plan, {
  websocket: 'curl has no WebSocket support here (curl 7.88 as Debian builds it knows no ws:// URLs)',
  discardBody: 'curl cannot abandon a response body: it reads every body it has started to receive',
});
const dir = scratchDir('keepalive-spec-curl-');
const pause = await startPauseServer();

/** urlnum (curl's URL index) -> the step's index in the plan, for the URLs that are steps */
const stepOfUrl = new Map<number, number>();
// (--silent alone leaves the progress meter of --parallel on, in curl 7.88)
const args = ['-q', '--silent', '--show-error', '--no-progress-meter'];
if (plan.concurrent) args.push('--parallel', '--parallel-immediate');
let urls = 0;
/** Add one URL with its own options; returns its urlnum. */
const addUrl = (url: string, transfer: string[]): number => {
  if (urls > 0) args.push('--next');
  args.push(
    '--noproxy',
    '*',
    ...(plan.httpVersion === '1.0' ? ['--http1.0'] : []),
    ...(plan.tls && url.startsWith('https:') ? ['--cacert', plan.tls.ca] : []),
    ...transfer,
    url,
  );
  return urls++;
};
for (const [i, r] of plan.requests.entries()) {
  if (r.delayMs && !plan.concurrent) addUrl(pause(i, r.delayMs), ['-o', join(dir, `pause${i}`)]);
  const transfer = ['-o', join(dir, `body${i}`), '-w', WRITE_OUT];
  const method = r.method.toUpperCase();
  if (method === 'HEAD') transfer.push('--head');
  else if (method !== (r.body !== undefined ? 'POST' : 'GET')) transfer.push('-X', r.method);
  for (const [name, value] of Object.entries(r.headers ?? {}))
    transfer.push('-H', value === '' ? `${name};` : `${name}: ${value}`);
  if (r.body !== undefined) {
    writeFileSync(join(dir, `request${i}`), r.body);
    transfer.push('--data-binary', `@${join(dir, `request${i}`)}`);
  }
  stepOfUrl.set(addUrl(r.url, transfer), i);
}

/** One `-w` record -> the step's line. */
function lineOf(record: string): DriverLine | undefined {
  const nl = record.indexOf('\n');
  const result = JSON.parse(record.slice(0, nl)) as {
    urlnum: number;
    exitcode: number;
    errormsg: string | null;
    response_code: number;
  };
  const i = stepOfUrl.get(result.urlnum);
  if (i === undefined) return undefined;
  const id = plan.requests[i]!.id;
  if (result.exitcode !== 0) return { id, error: `curl exit ${result.exitcode}: ${result.errormsg ?? ''}` };
  let headers: Record<string, string> = {};
  try {
    headers = headerMap(Object.entries(JSON.parse(record.slice(nl + 1)) as Record<string, string[]>));
  } catch {
    // no headers: they are optional in the protocol
  }
  let body = '';
  try {
    body =
      plan.requests[i]!.method.toUpperCase() === 'HEAD'
        ? ''
        : readFileSync(join(dir, `body${i}`)).toString('latin1');
  } catch {
    // no body file: curl writes none for an empty body
  }
  return { id, status: result.response_code, body, headers };
}

const done = new Set<string>();
const curl = spawnClient('curl', args);
let log = '';
curl.stderr.setEncoding('latin1');
curl.stderr.on('data', (chunk: string) => {
  log += chunk;
  for (let end = log.indexOf(END); end >= 0; end = log.indexOf(END)) {
    const begin = log.indexOf(BEGIN);
    const message = log.slice(0, begin).trim();
    if (message) process.stderr.write(`${message}\n`);
    const line = lineOf(log.slice(begin + BEGIN.length, end));
    log = log.slice(end + END.length);
    if (line && !done.has(line.id)) {
      done.add(line.id);
      emit(line);
    }
  }
});
const status = await new Promise<number>((resolve) => curl.on('close', (code) => resolve(code ?? 1)));
process.stderr.write(log);
cleanUp();
const missing = plan.requests.filter((r) => !done.has(r.id)).map((r) => r.id);
if (missing.length) {
  process.stderr.write(`curl (exit status ${status}) wrote no result for ${missing.join(', ')}\n`);
  process.exit(1);
}
