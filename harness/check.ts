// Small helpers that turn what a scenario saw into findings with evidence.

import { type Finding, type Level, notApplicable, violated } from './model.js';
import type { Conn, EndObservation, ReadResult } from './wire/conn.js';
import { connectionOptions, fieldValue, type HttpResponse } from './wire/parse.js';
import { escapeLine, type Transcript } from './wire/transcript.js';

/** Thrown by a scenario to end with this finding at once. */
export class Verdict extends Error {
  constructor(readonly finding: Finding) {
    super(finding.kind === 'violated' ? finding.summary : finding.kind);
    this.name = 'Verdict';
  }
}

export function fail(v: { summary: string; expected: string; seen: string; level?: Level }): never {
  throw new Verdict(violated(v));
}

export function skip(reason: string): never {
  throw new Verdict(notApplicable(reason));
}

/** The response, or a violation that says what came instead. */
export function expectResponse(r: ReadResult, what: string, level?: Level): HttpResponse {
  if (r.type === 'response') return r.response;
  fail({
    summary: `no response to ${what}`,
    expected: `a complete response to ${what}`,
    seen: describeRead(r),
    level,
  });
}

export function describeRead(r: ReadResult): string {
  switch (r.type) {
    case 'response':
      return describeResponse(r.response);
    case 'timeout':
      return `no complete response within ${Math.round(r.waitedMs)} ms (${r.state}${r.partialBytes ? `, ${r.partialBytes} bytes of it received` : ''})`;
    case 'end':
      return `the connection ended (${r.how.toUpperCase()}) ${r.error ? `${r.state}: ${r.error.message}` : 'before a response'}`;
    case 'malformed':
      return `a malformed response: ${r.error.message}`;
  }
}

/** 'HTTP/1.1 200 OK (Content-Length 31, Connection: keep-alive)' */
export function describeResponse(res: HttpResponse): string {
  const framing =
    res.framing.kind === 'content-length'
      ? `Content-Length ${res.framing.length}`
      : res.framing.kind === 'chunked'
        ? `chunked, ${res.body.length} bytes`
        : res.framing.kind === 'close-delimited'
          ? `close-delimited, ${res.body.length} bytes`
          : `no body: ${res.framing.reason}`;
  const conn = fieldValue(res.headers, 'connection');
  return `${res.version} ${res.status} ${escapeLine(res.reason, 60)} (${framing}${conn !== undefined ? `, Connection: ${escapeLine(conn, 60)}` : ', no Connection header'})`;
}

export function describeEnd(e: EndObservation): string {
  if (e.how === 'open') return `the connection stayed open (${e.verdict})`;
  const when = e.afterMs !== undefined ? ` after ${Math.round(e.afterMs)} ms` : '';
  return `${e.how === 'fin' ? 'FIN' : 'RST'}${when} (${e.verdict})`;
}

/**
 * True when the response announces that the connection ends after it: the
 * `close` option, or an HTTP/1.0 response without `keep-alive` (RFC 9112 §9.3:
 * the received version already says the connection will not persist).
 */
export function saysClose(res: HttpResponse): boolean {
  const options = connectionOptions(res.headers);
  return options.has('close') || (res.version === 'HTTP/1.0' && !options.has('keep-alive'));
}

export function saysKeepAlive(res: HttpResponse): boolean {
  return connectionOptions(res.headers).has('keep-alive');
}

export function statuses(list: HttpResponse[]): string {
  return list.length ? list.map((r) => `${r.status}${r.body.length ? '' : '(no body)'}`).join(', ') : 'none';
}

/**
 * The suite's one rule for "the server closed the connection after this response"
 * (REQUIREMENTS harness note 1, RFC 9112 §9.6 "initiate closure ... after it sends
 * the final response"): FIN or RST within `boundMs` of the response's last byte.
 * The bound is the connection's grace window, min(300, max(50, T/10)) ms: far under
 * any idle timeout the suite accepts (a close that soon after a response without
 * `close` is already a silent close, PERSIST-02), so a server that only closes when
 * its idle timeout fires is told from one that acted on the close.
 */
export interface ClosedAfter {
  /** 'prompt': ended within the bound; 'late': ended, but after it; 'open': no end within the wait */
  verdict: 'prompt' | 'late' | 'open';
  end: EndObservation;
  /** ms from the response's last byte to the end, harness stalls subtracted */
  lagMs?: number;
  /** ms of harness stalls (a busy machine) subtracted from the lag */
  stalledMs: number;
  boundMs: number;
  /** how long the end was awaited */
  waitedMs: number;
  /** one line of evidence, e.g. "FIN 2 ms after the last byte of the response (bound 200 ms)" */
  text: string;
}

/**
 * Wait for the end of `conn` after `res` (up to `waitMs`, default the read timeout T,
 * so that a late close is seen and timed) and judge it by the one rule. The
 * observation is noted in the transcript. A late end is a verdict about time: it
 * counts as an expired wait, so a busy machine reruns the scenario alone (runner.ts).
 */
export async function closedAfter(
  conn: Conn,
  res: HttpResponse,
  transcript: Transcript,
  opts: {
    waitMs?: number;
    probe?: boolean;
    /**
     * Transcript time from which the close is due, when later than the response's last byte:
     * e.g. when the client stopped sending a body the server drains before its FIN (a lingering close).
     */
    dueFrom?: number;
  } = {},
): Promise<ClosedAfter> {
  const boundMs = conn.graceMs;
  const started = conn.now();
  const end = await conn.waitEnd({ timeoutMs: opts.waitMs, probe: opts.probe ?? false });
  const waitedMs = conn.now() - started;
  let lagMs: number | undefined;
  let stalledMs = 0;
  if (end.how !== 'open' && end.at !== undefined) {
    // A close-delimited body completes only at the end: time it from its last byte.
    const closeLag = res.framing.kind === 'close-delimited' ? conn.closeLag(res) : undefined;
    if (closeLag !== undefined) lagMs = Math.max(0, closeLag);
    else {
      const last = Math.max(conn.completedAt(res) ?? started, opts.dueFrom ?? 0);
      stalledMs = end.at > last ? transcript.stalledBetween(last, end.at) : 0;
      lagMs = Math.max(0, end.at - last - stalledMs);
    }
  }
  const verdict = end.how === 'open' ? 'open' : lagMs !== undefined && lagMs > boundMs ? 'late' : 'prompt';
  const stalls = stalledMs >= 1 ? `, ${Math.round(stalledMs)} ms of harness stalls subtracted` : '';
  const how = end.how.toUpperCase();
  const since =
    opts.dueFrom !== undefined && opts.dueFrom > (conn.completedAt(res) ?? 0)
      ? 'the client stopped sending (after the response)'
      : 'the last byte of the response';
  const text =
    verdict === 'open'
      ? `no FIN or RST within ${Math.round(waitedMs)} ms of the response (a close after a response is due within ${boundMs} ms)`
      : verdict === 'late'
        ? `${how} only ${Math.round(lagMs!)} ms after ${since} (a close after a response is due within ${boundMs} ms${stalls}) (${end.verdict})`
        : `${how} ${Math.round(lagMs ?? 0)} ms after ${since} (within the ${boundMs} ms bound${stalls}) (${end.verdict})`;
  // A bound that ran out is an expired wait: the verdict rests on time.
  if (verdict === 'late') transcript.expiredWaits++;
  conn.note(`close check: ${text}`);
  return { verdict, end, lagMs, stalledMs, boundMs, waitedMs, text };
}
