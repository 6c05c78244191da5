import { fail, skip } from '../../harness/check.js';
import type { ClientScenario } from '../../harness/client-context.js';
import {
  arrivalOf,
  type ClientObservation,
  clientScenario,
  describeConns,
  describeLine,
  ok,
} from '../../harness/client-context.js';
import { measured, satisfied } from '../../harness/model.js';
import { connectionOptions } from '../../harness/wire/parse.js';
import type { ServerConn } from '../../harness/wire/server.js';

/** Three sequential GETs, 100 ms apart: the plan of the reuse scenarios. */
const THREE = {
  requests: [
    { id: 'r1', path: '/a' },
    { id: 'r2', path: '/b', delayMs: 100 },
    { id: 'r3', path: '/c', delayMs: 100 },
  ],
};

/** Every step got a 200 whose body names its path (the default script's answer). */
export function allAnswered(obs: ClientObservation): void {
  for (const step of obs.plan.requests) {
    const l = obs.line(step.id);
    if (l?.status !== 200 || l.body !== `ok ${step.path}`)
      fail({
        summary: `the client did not report the response to ${step.id} correctly`,
        expected: `status 200 and body "ok ${step.path}" for ${step.id}`,
        seen: `${describeLine(obs, step.id)}; connections: ${describeConns(obs)}`,
        level: 'MUST',
      });
  }
}

// ---- CONC-01 --------------------------------------------------------------------------

/** Requests issued at once in the CONC-01 plan. */
const BURST = 16;

/**
 * How long the server holds the response to /cN: at least 500 ms, 20 ms less
 * for each later request (/c1 800 ms ... /c16 500 ms), so that the order in
 * which responses complete differs from the order the requests were issued in:
 * a client that pairs responses with requests by completion shows it.
 */
const holdOf = (target: string) => 500 + 20 * (BURST - Number(/\d+/.exec(target)?.[0] ?? BURST));

/** The most connections open at the same moment (from accept to the first sign of their end). */
function peakOpen(conns: ServerConn[]): number {
  const edges: Array<[number, number]> = [];
  for (const c of conns) {
    const end = Math.min(
      ...[c.clientFinAt, c.clientRstAt, c.serverFinAt, c.serverRstAt, c.closedAt].filter(
        (t): t is number => t !== undefined,
      ),
    );
    edges.push([c.openedAt, 1], [end, -1]);
  }
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let open = 0;
  let peak = 0;
  for (const [, d] of edges) peak = Math.max(peak, (open += d));
  return peak;
}

/**
 * The deepest pipeline on a connection: requests that arrived before the
 * response to the request ahead of them was written. The server answers in
 * order, each response holdOf() after it took its request (no earlier than the
 * previous response), so each write time below is a lower bound: a request
 * counted here certainly came before that response.
 */
function pipelineDepth(c: ServerConn): number {
  let depth = 1;
  let writtenAt = 0;
  const written: number[] = [];
  for (const r of c.requests) {
    writtenAt = Math.max(r.at, writtenAt) + holdOf(r.msg.target);
    written.push(writtenAt);
  }
  c.requests.forEach((r, i) => {
    const outstanding = written.slice(0, i).filter((w) => w > r.headAt).length + 1;
    depth = Math.max(depth, outstanding);
  });
  return depth;
}

function concurrentConnections(): ClientScenario {
  const steps = Array.from({ length: BURST }, (_, i) => ({ id: `r${i + 1}`, path: `/c${i + 1}` }));
  return clientScenario({
    id: 'client-concurrent-connections',
    area: 'persistence',
    level: 'INFO',
    rfc: 'RFC 9112 §9.4',
    covers: ['CONC-01'],
    title:
      'how many connections a client opens for 16 simultaneous requests, and whether it queues or pipelines (measurement)',
    plan: { concurrent: true, requests: steps },
    script: (req) => ({ ...ok(`ok ${req.msg.target}`), delayMs: holdOf(req.msg.target) }),
    check(obs) {
      // every request answered with its own response, and no hang (RFC 9112 §9.2: association)
      allAnswered(obs);
      const peak = peakOpen(obs.conns);
      const depth = Math.max(1, ...obs.conns.map(pipelineDepth));
      const perConn = obs.conns.map((c) => c.requests.length);
      const queued = perConn.some((n) => n > 1);
      return measured(
        `peak ${peak} simultaneous connections for ${BURST} concurrent requests${peak >= BURST ? ' (unbounded)' : ''}; ` +
          `${obs.conns.length} connections in all, requests per connection ${perConn.join('/')}; ` +
          (depth > 1
            ? `pipelined up to ${depth} requests on one connection`
            : queued
              ? 'requests beyond the pool waited for a free connection (no pipelining)'
              : 'no request waited for another') +
          `: ${describeConns(obs)}`,
        peak,
      );
    },
  });
}

// ---- PERSIST-07 -------------------------------------------------------------------------

/** r1's body: 1 MiB in 64 KiB writes 20 ms apart, so it is still arriving when r2 is due. */
const BIG_PIECE = 64 * 1024;
const BIG_PIECES = 16;
const BIG_HEAD = `HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: ${BIG_PIECE * BIG_PIECES}\r\n\r\n`;

const discardedBody: ClientScenario = clientScenario({
  id: 'client-discard-body-not-reused',
  area: 'persistence',
  level: 'MUST',
  rfc: 'RFC 9112 §9.3',
  covers: ['PERSIST-07'],
  title:
    'a client that abandons a response body does not send the next request on that connection before the body is read',
  plan: {
    requests: [
      { id: 'r1', path: '/big', discardBody: true },
      { id: 'r2', path: '/b', delayMs: 100 },
    ],
  },
  script: (req) =>
    req.msg.target === '/big'
      ? {
          pieces: [BIG_HEAD, ...Array.from({ length: BIG_PIECES }, () => 'x'.repeat(BIG_PIECE))],
          pieceDelayMs: 20,
        }
      : ok(`ok ${req.msg.target}`),
  check(obs) {
    const l1 = obs.line('r1');
    if ((l1?.body?.length ?? 0) >= BIG_PIECE * BIG_PIECES)
      skip(
        "the driver read r1's whole body (its line carries it): it ignores the plan's discardBody, so no abandoned body can be judged",
      );
    const r1 = arrivalOf(obs, 'r1');
    const l2 = obs.line('r2');
    // The client may reset r1's connection (unread data) right behind r2's request: the harness's
    // kernel then drops r2's bytes with the reset. With no other connection opened, an error for r2
    // can only come from reading r1's connection: the abandoned body taken for r2's response.
    if (obs.arrivals('r2').length === 0 && obs.conns.length === 1 && l2?.error !== undefined)
      fail({
        summary: "the client read r2's response from the connection of r1's abandoned body",
        expected:
          'the rest of the body read (drained) before reuse, or the connection closed (RFC 9112 §9.3: a client MUST read the entire response body if it intends to reuse the connection)',
        seen: `no new connection for r2, and the client reported r2 as ${describeLine(obs, 'r2')} (r2's own bytes, if sent on ${r1.conn.label}, went down with the client's reset of it); ${describeConns(obs)}`,
      });
    const r2 = arrivalOf(obs, 'r2');
    if (r2.conn !== r1.conn)
      return satisfied(`r2 went on a new connection after the abandoned body: ${describeConns(obs)}`);
    // When did the last byte of r1's response go out on that connection?
    const total = BIG_HEAD.length + BIG_PIECE * BIG_PIECES;
    let sent = 0;
    let lastAt: number | undefined;
    for (const w of r1.conn.bytesOut) {
      sent += w.bytes.length;
      if (sent >= total) {
        lastAt = w.at;
        break;
      }
    }
    if (lastAt === undefined || r2.headAt < lastAt)
      fail({
        summary: "the client sent r2 on the connection while r1's abandoned body was still on its way",
        expected:
          'the rest of the body read (drained) before reuse, or the connection closed (RFC 9112 §9.3: a client MUST read the entire response body if it intends to reuse the connection)',
        seen: `r2 arrived on ${r2.conn.label} at ${r2.headAt.toFixed(0)} ms, ${lastAt === undefined ? `with only ${sent} of r1's ${total} response bytes written` : `before r1's last body byte was written (${lastAt.toFixed(0)} ms)`}; ${describeConns(obs)}`,
      });
    if (l2?.status !== 200 || l2.body !== 'ok /b')
      fail({
        summary: "the client reused the connection after the abandoned body and lost track of r2's response",
        expected: 'status 200 and body "ok /b" for r2: the abandoned body read to its end first',
        seen: `${describeLine(obs, 'r2')}; ${describeConns(obs)}`,
      });
    return satisfied(`r2 went on ${r2.conn.label} after all of r1's body was read: ${describeConns(obs)}`);
  },
});

export const persistenceClient: ClientScenario[] = [
  clientScenario({
    id: 'client-reuse-sequential',
    area: 'persistence',
    level: 'SHOULD',
    rfc: 'RFC 9112 §9.3',
    covers: ['PERSIST-05'],
    title: 'sequential requests to one origin reuse one persistent connection',
    plan: THREE,
    check(obs) {
      allAnswered(obs);
      if (obs.conns.length !== 1)
        fail({
          summary: `three sequential requests used ${obs.conns.length} connections`,
          expected: 'all three requests on one connection (the responses were persistent HTTP/1.1)',
          seen: describeConns(obs),
        });
      return satisfied(`all three requests on one connection: ${describeConns(obs)}`);
    },
  }),
  clientScenario({
    id: 'client-close-announced',
    area: 'persistence',
    level: 'MUST',
    rfc: 'RFC 9112 §9.3',
    covers: ['PERSIST-06'],
    title: 'a client that closes a connection after one exchange said Connection: close on its request',
    plan: THREE,
    settleMs: (t) => Math.min(500, t.timeoutMs),
    check(obs) {
      allAnswered(obs);
      const last = obs.plan.requests[obs.plan.requests.length - 1]!.path;
      for (const c of obs.conns) {
        const closedByClient = c.clientFinAt !== undefined || c.clientRstAt !== undefined;
        const only = c.requests[0];
        if (!closedByClient || c.requests.length !== 1 || !only || only.msg.target === last) continue;
        if (!connectionOptions(only.msg.headers).has('close'))
          fail({
            summary: `the client closed ${c.label} after one exchange without announcing it`,
            expected: 'Connection: close on a request after which the client closes the connection',
            seen: `${only.msg.method} ${only.msg.target} without close, then the client closed ${c.label}; ${describeConns(obs)}`,
          });
      }
      return satisfied(`no connection was closed unannounced after one exchange: ${describeConns(obs)}`);
    },
  }),
  concurrentConnections(),
  discardedBody,
];
