// Checks before a server run, each one request on its own connection: a plain
// GET must get an HTTP response (a TLS port behind an http:// URL otherwise runs
// every scenario into "the connection ended before a response"), and a small
// valid POST shows whether the target refuses POST where the scenarios send bodies.

import { describeRead, saysClose } from './check.js';
import type { TimingConfig } from './model.js';
import type { ServerTargetInfo } from './server-context.js';
import { buildRequest, type Req } from './wire/build.js';
import { type Conn, ConnectError, openConn, type ReadResult } from './wire/conn.js';
import type { HttpResponse } from './wire/parse.js';
import { escapeLine, Transcript } from './wire/transcript.js';
import { Aborted } from './wire/wait.js';

export type GetProbe =
  /**
   * `response`: the answer, or, where its body broke (a chunked body cut short, a bad chunk
   * size), its header section: still an HTTP response, and the scenarios judge the body.
   */
  | { ok: true; response?: HttpResponse }
  /** a one-line reason, with a hint where the bytes suggest one */
  | { ok: false; reason: string };

/** The target refuses POST at `path`: `status` is its status line, e.g. "501 Unsupported method ('POST')". */
export interface PostRefusal {
  path: string;
  status: string;
}

/** Send one request on a fresh connection; what came back, with every byte received. */
async function exchange(
  info: ServerTargetInfo,
  req: Req,
  timing: TimingConfig,
  signal: AbortSignal,
): Promise<{ read: ReadResult; bytes: Buffer; head?: HttpResponse }> {
  const c = await openConn(info.endpoint, {
    label: 'probe',
    transcript: new Transcript(),
    timeoutMs: timing.timeoutMs,
    signal,
  });
  try {
    await c.send(req);
    const read = await c.readResponse();
    // A response whose header section came but whose body did not complete.
    const partial = c.parser.partial;
    const head = read.type !== 'response' && partial?.kind === 'response' ? partial : undefined;
    return { read, bytes: c.receivedBytes(), ...(head ? { head } : {}) };
  } finally {
    c.destroy();
  }
}

/** A TLS record (alert 0x15 or handshake 0x16, version 3.x) where an HTTP status line was due. */
export function looksLikeTls(bytes: Buffer): boolean {
  return bytes.length >= 2 && (bytes[0] === 0x15 || bytes[0] === 0x16) && bytes[1] === 0x03;
}

/** The first bytes, escaped, for a one-line message. */
function firstBytes(bytes: Buffer): string {
  const shown = escapeLine(bytes.subarray(0, 12).toString('latin1'), 60);
  return `the first bytes were ${shown}${bytes.length > 12 ? '...' : ''}`;
}

/** Why `read` is not an HTTP response, with the bytes and a hint, in one line. */
function noResponse(info: ServerTargetInfo, read: ReadResult, bytes: Buffer): string {
  const parts = [describeRead(read)];
  if (bytes.length > 0) parts.push(firstBytes(bytes));
  // A TLS server answers plain text with an alert, or closes at once without a byte.
  const closedAtOnce = read.type === 'end' && bytes.length === 0;
  if (!info.endpoint.tls && (looksLikeTls(bytes) || closedAtOnce))
    parts.push('is it a TLS port? try https://');
  return `no HTTP response from ${info.url.host} (${parts.join('; ')})`;
}

/** A TLS handshake that failed because the peer speaks plain text gets a hint. */
function connectFailure(info: ServerTargetInfo, e: ConnectError): string {
  const plain = /WRONG_VERSION_NUMBER|HTTP_REQUEST|PACKET_LENGTH_TOO_LONG|RECORD_LAYER_FAILURE/i;
  if (info.endpoint.tls && plain.test(e.message))
    return `${e.message} (is it a plain HTTP port? try http://)`;
  return e.message;
}

/**
 * One plain `GET <path>` with `Connection: close` must get an HTTP response (any status).
 * Cancelled by `signal` (Ctrl-C), it passes: the run is then cut short as usual.
 */
export async function probeGet(
  info: ServerTargetInfo,
  timing: TimingConfig,
  signal: AbortSignal,
): Promise<GetProbe> {
  const req = buildRequest({
    host: info.authority,
    target: info.resources.path,
    headers: [['Connection', 'close']],
  });
  try {
    const { read, bytes, head } = await exchange(info, req, timing, signal);
    if (read.type === 'response') return { ok: true, response: read.response };
    // A broken body is no reason to stop the run: the scenarios say what broke in it.
    if (head && !head.interim) return { ok: true, response: head };
    return { ok: false, reason: noResponse(info, read, bytes) };
  } catch (e) {
    if (e instanceof Aborted || signal.aborted) return { ok: true };
    if (e instanceof ConnectError) return { ok: false, reason: connectFailure(info, e) };
    return { ok: false, reason: `cannot connect to ${info.url.host}: ${(e as Error).message}` };
  }
}

/**
 * Two plain GETs written at once on one connection. A target that answers only the
 * first would fail every scenario that writes its follow-up request behind the bytes
 * under test: one root cause, reported once by the pipelining scenarios; the others
 * then send their follow-up after the response (context.ts). Returns why the
 * pipeline broke, or undefined when it worked or cannot be told (the first response
 * announced a close, or none came).
 */
export async function probePipelining(
  info: ServerTargetInfo,
  timing: TimingConfig,
  signal: AbortSignal,
): Promise<string | undefined> {
  const get = (connection: string) =>
    buildRequest({
      host: info.authority,
      target: info.resources.path,
      headers: [['Connection', connection]],
    });
  let c: Conn | undefined;
  try {
    c = await openConn(info.endpoint, {
      label: 'probe',
      transcript: new Transcript(),
      timeoutMs: timing.timeoutMs,
      signal,
    });
    await c.send([get('keep-alive'), get('close')]);
    const r1 = await c.readResponse();
    if (r1.type !== 'response' || saysClose(r1.response)) return undefined;
    const r2 = await c.readResponse();
    if (r2.type === 'response') return undefined;
    return `two GETs written at once on one connection: the first was answered ${r1.response.status}, the second not (${describeRead(r2)})`;
  } catch {
    return undefined;
  } finally {
    c?.destroy();
  }
}

/** Statuses that say "no POST here", whatever the body. */
const REFUSALS = new Set([405, 501]);

/**
 * A valid POST (`Content-Length: 5`, "hello") to `path`: its status line if the target
 * refuses POST there (405, 501). Anything else, a failure included, is left to the scenarios.
 */
export async function probePost(
  info: ServerTargetInfo,
  path: string,
  timing: TimingConfig,
  signal: AbortSignal,
): Promise<PostRefusal | undefined> {
  const req = buildRequest({
    method: 'POST',
    host: info.authority,
    target: path,
    headers: [
      ['Content-Type', 'text/plain'],
      ['Connection', 'close'],
    ],
    body: 'hello',
  });
  try {
    const { read } = await exchange(info, req, timing, signal);
    if (read.type !== 'response' || !REFUSALS.has(read.response.status)) return undefined;
    return { path, status: escapeLine(`${read.response.status} ${read.response.reason}`.trim(), 80) };
  } catch {
    // the scenarios report what is wrong with the target
    return undefined;
  }
}
