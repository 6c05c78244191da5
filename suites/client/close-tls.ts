// Client side of closing over TLS (RFC 9112 §9.8): the scripted server speaks TLS
// (the plan's `tls` field: https:// URLs, the test certificate as CA), at most TLS 1.2
// so that a closure alert is an alert record on the wire. A driver without TLS support
// exits 3 (skipped); one whose client does not complete the handshake sends no
// request, and that is skipped with the reason too.

import { fail, skip } from '../../harness/check.js';
import {
  arrivalOf,
  type ClientObservation,
  type ClientScenario,
  clientScenario,
  describeConns,
  describeLine,
  ok,
} from '../../harness/client-context.js';
import { satisfied } from '../../harness/model.js';
import { answerR1, expectError, expectResult } from './steps.js';

/** The client completed a TLS handshake with the harness and sent a request, or a skip. */
function overTls(obs: ClientObservation, id: string): void {
  if (obs.arrivals(id).length === 0)
    skip(
      `no request reached the TLS server: the client did not complete a TLS handshake with the harness's certificate (the plan's tls field: a driver that ignores it cannot take part); driver: ${describeLine(obs, id)}; ${describeConns(obs)}`,
    );
}

/** A close that came with the driver process's end is the kernel's, not the client's. */
const AT_EXIT_MS = 100;

/** Close-delimited body pieces: each longer than any TLS alert, written 50 ms apart. */
const PIECES = [
  'first piece of a close-delimited body. ',
  'second piece of it. ',
  'and the third, last one.',
].map((p) => p.padEnd(60, '.'));

export const closeTlsClient: ClientScenario[] = [
  clientScenario({
    id: 'client-tls-close-notify',
    area: 'close',
    level: 'MUST',
    rfc: 'RFC 9112 §9.8',
    covers: ['TLS-01'],
    title:
      'over TLS, a client that closes a connection sends a closure alert (close_notify) before its TCP FIN',
    // r1's response says close, and the server does not close: the client must (CLOSE-09), with an alert first.
    plan: {
      tls: true,
      requests: [
        { id: 'r1', path: '/a' },
        { id: 'r2', path: '/b', delayMs: 200 },
      ],
    },
    script: answerR1(ok('ok /a', [['Connection', 'close']])),
    settleMs: (t) => Math.min(500, t.timeoutMs),
    check(obs) {
      overTls(obs, 'r1');
      const c = arrivalOf(obs, 'r1').conn;
      const endAt = Math.min(c.clientFinAt ?? Infinity, c.clientRstAt ?? Infinity);
      if (endAt === Infinity || endAt > obs.run.exitedAt - AT_EXIT_MS)
        skip(
          `the client did not close ${c.label} itself after the response that said close (only its driver's exit did, or nothing): no close of its own to judge (CLOSE-09 judges that); ${describeConns(obs)}`,
        );
      const closure = c.closureAlert() ?? { alert: false, how: 'no TLS records seen' };
      if (!closure.alert)
        fail({
          summary: `the client closed the TLS connection ${c.label} without a closure alert`,
          expected:
            'a TLS close_notify alert before the TCP FIN (RFC 9112 §9.8: clients MUST send a closure alert before closing)',
          seen: `${closure.how}; ${describeConns(obs)}`,
        });
      return satisfied(`the client closed ${c.label} with ${closure.how}`);
    },
  }),
  clientScenario({
    id: 'client-tls-incomplete-close-length',
    area: 'close',
    level: 'SHOULD',
    rfc: 'RFC 9112 §9.8',
    covers: ['TLS-03'],
    title:
      'over TLS, a response complete by its Content-Length is a success even when the server ends TCP without a closure alert',
    plan: { tls: true, requests: [{ id: 'r1', path: '/a' }] },
    script: () => ({ ...ok('ok /a', [['Connection', 'close']]), bareClose: true }),
    check(obs) {
      overTls(obs, 'r1');
      const l = obs.line('r1');
      if (l?.error !== undefined)
        fail({
          summary: 'the client failed a complete response because the server closed without a closure alert',
          expected:
            'status 200 and body "ok /a": the full Content-Length arrived, so the response is complete (RFC 9112 §9.8: a client SHOULD treat it as complete)',
          seen: `${describeLine(obs, 'r1')}; ${describeConns(obs)}`,
        });
      expectResult(obs, 'r1', 200, 'ok /a', 'the response complete by its Content-Length');
      return satisfied(`the response was taken as complete: ${describeLine(obs, 'r1')}`);
    },
  }),
  clientScenario({
    id: 'client-tls-incomplete-close-delimited',
    area: 'close',
    level: 'MUST',
    rfc: 'RFC 9112 §9.8',
    covers: ['TLS-03'],
    title:
      'over TLS, a close-delimited body ended by a TCP FIN without a closure alert is reported incomplete, not as a success',
    plan: { tls: true, requests: [{ id: 'r1', path: '/a' }] },
    script: () => ({
      pieces: ['HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n', ...PIECES],
      pieceDelayMs: 50,
      bareClose: true,
    }),
    check(obs) {
      overTls(obs, 'r1');
      expectError(obs, 'a close-delimited body that may have been truncated (no closure alert)');
      return satisfied(
        `the body without a closure alert was not taken as complete: ${describeLine(obs, 'r1')}`,
      );
    },
  }),
];
