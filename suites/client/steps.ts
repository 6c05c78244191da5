// The plan and checks client scenarios share: r1 answered by the script, then r2
// on the same connection or a new one.

import { fail } from '../../harness/check.js';
import {
  arrivalOf,
  type ClientObservation,
  type ClientPlan,
  describeConns,
  describeLine,
  ok,
  type PlanStep,
  type Reply,
  type Script,
} from '../../harness/client-context.js';
import { type Finding, measured } from '../../harness/model.js';
import { connectionOptions } from '../../harness/wire/parse.js';

/** `r1 <r1> /a; r2 GET /b +100ms`: the plan of every scenario here. */
export const twoRequests = (r1: Partial<PlanStep> = {}): ClientPlan => ({
  requests: [
    { id: 'r1', path: '/a', ...r1 },
    { id: 'r2', path: '/b', delayMs: 100 },
  ],
});

/** r1 (path /a) gets the scenario's reply, every other request the default `200 ok <path>`. */
export const answerR1 =
  (reply: Reply): Script =>
  (req) =>
    req.msg.target === '/a' ? reply : ok(`ok ${req.msg.target}`);

/** The head of a chunked 200 response, for replies written as exact bytes. */
export const CHUNKED_HEAD =
  'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n';

/** A driver killed at its deadline left this request without a line: the client hung on it. */
export function noHang(obs: ClientObservation, id: string, what: string): void {
  if (obs.line(id) === undefined && obs.run.timedOut)
    fail({
      summary: `the client hung on ${what}`,
      expected: `the client to finish ${id} without waiting for bytes that never come`,
      seen: `${describeLine(obs, id)}; connections: ${describeConns(obs)}`,
      level: 'MUST',
    });
}

/** The client reported exactly this status and body for the step. */
export function expectResult(
  obs: ClientObservation,
  id: string,
  status: number,
  body: string,
  what: string,
): void {
  noHang(obs, id, what);
  const l = obs.line(id);
  if (l?.status !== status || l.body !== body)
    fail({
      summary: `the client did not report ${what} correctly`,
      expected: `status ${status} and body ${JSON.stringify(body)} for ${id}`,
      seen: `${describeLine(obs, id)}; connections: ${describeConns(obs)}`,
      level: 'MUST',
    });
}

/** r2 got the default answer: the client stayed in sync after r1. */
export function expectR2(obs: ClientObservation): void {
  expectResult(obs, 'r2', 200, 'ok /b', 'the plain response to r2 that followed');
}

/**
 * r2 went on r1's connection, so the client found the exact end of r1's response.
 * A client may drop a connection whenever it likes (undici does after a 204/304 that
 * announces a length): then nothing could desynchronise and the rule is not seen at
 * work on a reused connection, which is a measurement, not a violation.
 */
export function expectReused(obs: ClientObservation, what: string): Finding | undefined {
  const r1 = arrivalOf(obs, 'r1');
  const r2 = arrivalOf(obs, 'r2');
  if (r2.conn === r1.conn) return undefined;
  const why = connectionOptions(r1.msg.headers).has('close') ? ' (r1 carried Connection: close)' : '';
  return measured(
    `r1 and r2 correct, but the client did not reuse the connection after ${what}${why}, so staying in sync on it was not observed: ${describeConns(obs)}`,
  );
}

/** r2 did not go on a connection that carried the broken r1 response. */
export function expectNotReused(obs: ClientObservation, what: string): void {
  const bad = new Set(obs.arrivals('r1').map((r) => r.conn));
  const r2 = arrivalOf(obs, 'r2');
  if (bad.has(r2.conn))
    fail({
      summary: `the client reused the connection after ${what}`,
      expected: `r2 on a new connection: after ${what} the connection cannot be trusted (RFC 9112 §8, §6.3)`,
      seen: `r2 arrived on ${r2.conn.label}; ${describeConns(obs)}`,
      level: 'MUST',
    });
}

/** r1 ended in an error, not in a status with whatever body had arrived. */
export function expectError(obs: ClientObservation, what: string, level: 'MUST' | 'SHOULD' = 'MUST'): void {
  noHang(obs, 'r1', what);
  const l = obs.line('r1');
  if (l?.error === undefined)
    fail({
      summary: `the client handed out ${what} as a success`,
      expected:
        'an error for r1: the response is incomplete or unusable and must not be handed out as a success',
      seen: `${describeLine(obs, 'r1')}; connections: ${describeConns(obs)}`,
      level,
    });
}
