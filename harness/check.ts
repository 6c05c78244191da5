// Small helpers that turn what a scenario saw into findings with evidence.

import { type Finding, type Level, notApplicable, violated } from './model.js';
import type { EndObservation, ReadResult } from './wire/conn.js';
import { connectionOptions, fieldValue, type HttpResponse } from './wire/parse.js';
import { escapeLine } from './wire/transcript.js';

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
