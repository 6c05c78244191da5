import { fail } from '../../harness/check.js';
import {
  arrivalOf,
  type ClientObservation,
  type ClientScenario,
  clientScenario,
  describeConns,
  describeLine,
  type PlanStep,
  type Reply,
} from '../../harness/client-context.js';
import { satisfied } from '../../harness/model.js';
import type { ServerConn } from '../../harness/wire/server.js';
import {
  answerR1,
  expectError,
  expectNotReused,
  expectR2,
  expectResult,
  expectReused,
  noHang,
  twoRequests,
} from './steps.js';

const HEAD_200 = 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n';

/** What the strict request parser saw of empty lines and stray bytes on a connection, or undefined when clean. */
function strayBytes(c: ServerConn): string | undefined {
  if (c.parseError) return `bytes that are not a request: ${c.parseError.message}`;
  for (const r of c.requests) {
    if (r.msg.leadingEmptyLines === 0) continue;
    const prev = c.requests[r.index - 2];
    const where = prev
      ? `after ${prev.msg.method} ${prev.msg.target} (before ${r.msg.method} ${r.msg.target})`
      : `as the first bytes of the connection (before ${r.msg.method} ${r.msg.target})`;
    return `${r.msg.leadingEmptyLines} empty line(s) ${where}`;
  }
  if (!c.parser.idle) {
    const last = c.requests[c.requests.length - 1];
    return `${c.partialBytes ? `${c.partialBytes} bytes` : 'an empty line'} after ${last ? `the last request (${last.msg.method} ${last.msg.target})` : 'connecting, and no request'}`;
  }
  return undefined;
}

/** FRAME-13: r1's response ends at its header section whatever its headers announce. */
function noBody(
  key: string,
  label: string,
  r1: Partial<PlanStep>,
  response: string,
  status: number,
): ClientScenario {
  return clientScenario({
    id: `client-no-body-${key}`,
    area: 'framing',
    level: 'MUST',
    rfc: 'RFC 9112 §6.3',
    covers: ['FRAME-13'],
    title: `${label} ends at its header section`,
    plan: twoRequests(r1),
    script: answerR1({ response }),
    check(obs) {
      expectResult(obs, 'r1', status, '', label);
      expectR2(obs);
      return (
        expectReused(obs, label) ??
        satisfied(`r1 ended at its header section, r2 correct on the same connection: ${describeConns(obs)}`)
      );
    },
  });
}

/** FRAME-14: an invalid Content-Length makes the response unusable and the connection untrustworthy. */
function badLength(key: string, label: string, fields: string): ClientScenario {
  return clientScenario({
    id: `client-bad-length-${key}`,
    area: 'framing',
    level: 'MUST',
    rfc: 'RFC 9112 §6.3',
    covers: ['FRAME-14'],
    title: `a response with ${label} is discarded and its connection closed`,
    plan: twoRequests(),
    script: answerR1({ response: `${HEAD_200}${fields}\r\nhello!` }),
    check(obs) {
      const what = `a response with ${label}`;
      noHang(obs, 'r1', what);
      expectNotReused(obs, what);
      // Handing out the response is a SHOULD here (REQUIREMENTS FRAME-14); reuse is the MUST.
      expectError(obs, what, 'SHOULD');
      expectR2(obs);
      return satisfied(`r1: ${describeLine(obs, 'r1')}; r2 on a new connection: ${describeConns(obs)}`);
    },
  });
}

/** FRAME-16: the connection ends before the announced Content-Length. */
function shortBody(key: string, label: string, after: Reply['after']): ClientScenario {
  return clientScenario({
    id: `client-short-body-${key}`,
    area: 'framing',
    level: 'MUST',
    rfc: 'RFC 9112 §8',
    covers: ['FRAME-16'],
    title: `a body cut short by ${label} before its Content-Length is an error`,
    plan: twoRequests(),
    script: answerR1({
      response: `${HEAD_200}Content-Length: 100\r\n\r\n0123456789`,
      after,
      afterDelayMs: 50,
    }),
    check(obs) {
      const what = `a response whose 100-byte body was cut short by ${label} after 10 bytes`;
      expectError(obs, what);
      expectNotReused(obs, what);
      expectR2(obs);
      return satisfied(`r1: ${describeLine(obs, 'r1')}; r2 on a new connection: ${describeConns(obs)}`);
    },
  });
}

export const framingClient: ClientScenario[] = [
  clientScenario({
    id: 'client-no-extra-crlf',
    area: 'framing',
    level: 'MUST NOT',
    rfc: 'RFC 9112 §2.2',
    covers: ['FRAME-10'],
    title: 'the client sends no empty line before or after a request',
    plan: twoRequests({ method: 'POST', body: 'hello', headers: { 'content-type': 'text/plain' } }),
    settleMs: (t) => Math.min(500, t.timeoutMs),
    check(obs: ClientObservation) {
      const r1 = arrivalOf(obs, 'r1');
      const r2 = arrivalOf(obs, 'r2');
      for (const c of obs.conns) {
        const stray = strayBytes(c);
        if (stray)
          fail({
            summary: `the client sent ${stray} on ${c.label}`,
            expected:
              'every connection to start with a method token, and the bytes after a request (after its body) to be the next request line',
            seen: `${stray}; ${describeConns(obs)}`,
          });
      }
      const where =
        r2.conn === r1.conn
          ? `r2's request line followed r1's 5-byte body directly on ${r1.conn.label}`
          : `r2 went on a new connection; nothing followed r1's body on ${r1.conn.label}`;
      return satisfied(`${where}; every connection started with a request line: ${describeConns(obs)}`);
    },
  }),
  noBody(
    'head-length',
    'a response to HEAD with `Content-Length: 1000`',
    { method: 'HEAD' },
    `${HEAD_200}Content-Length: 1000\r\n\r\n`,
    200,
  ),
  noBody(
    'head-chunked',
    'a response to HEAD with `Transfer-Encoding: chunked`',
    { method: 'HEAD' },
    `${HEAD_200}Transfer-Encoding: chunked\r\n\r\n`,
    200,
  ),
  noBody(
    '204-length',
    'a 204 response with `Content-Length: 5`',
    {},
    'HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n',
    204,
  ),
  noBody(
    '304-length',
    'a 304 response to a conditional GET with `Content-Length: 1000`',
    { headers: { 'if-none-match': '"v1"' } },
    'HTTP/1.1 304 Not Modified\r\nETag: "v1"\r\nContent-Length: 1000\r\n\r\n',
    304,
  ),
  badLength('abc', '`Content-Length: abc`', 'Content-Length: abc\r\n'),
  badLength('list', '`Content-Length: 5, 6`', 'Content-Length: 5, 6\r\n'),
  badLength(
    'two-fields',
    'two Content-Length fields `5` and `6`',
    'Content-Length: 5\r\nContent-Length: 6\r\n',
  ),
  badLength('negative', '`Content-Length: -1`', 'Content-Length: -1\r\n'),
  clientScenario({
    id: 'client-cl-and-te',
    area: 'framing',
    level: 'MUST',
    rfc: 'RFC 9112 §6.3',
    covers: ['FRAME-15'],
    title:
      'a response with both Content-Length and Transfer-Encoding is decoded by Transfer-Encoding, and its connection dropped',
    plan: twoRequests(),
    script: answerR1({
      response: `${HEAD_200}Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n5\r\nhello\r\n0\r\n\r\n`,
    }),
    check(obs) {
      const what = 'a chunked response that also carries `Content-Length: 3`';
      noHang(obs, 'r1', what);
      // Handling the message as an error is what §6.3 suggests; a status must come with the chunked body.
      if (obs.line('r1')?.error === undefined) expectResult(obs, 'r1', 200, 'hello', what);
      expectR2(obs);
      const r1 = arrivalOf(obs, 'r1');
      const r2 = arrivalOf(obs, 'r2');
      if (r2.conn === r1.conn)
        fail({
          summary: `the client reused the connection after ${what}`,
          expected:
            'r2 on a new connection: a message with both framings "ought to be handled as an error" (RFC 9112 §6.3 rule 3)',
          seen: describeConns(obs),
          level: 'SHOULD',
        });
      return satisfied(`r1: ${describeLine(obs, 'r1')}; r2 on a new connection: ${describeConns(obs)}`);
    },
  }),
  shortBody('fin', 'a FIN', 'close'),
  shortBody('rst', 'an RST', 'reset'),
];
