// Client mode, area `pipelining`: the rules a client that pipelines must keep
// (PIPE-05..09). Plans are `concurrent`, and the harness answers each request
// only after a pause, so a pipelining client shows itself: a request arriving
// on a connection before the response to the previous one was sent. Every
// reply notes which requests had arrived on its connection by then; that is
// the evidence. A client that does not pipeline gets info "does not pipeline".

import { fail } from '../../harness/check.js';
import {
  type ClientObservation,
  type ClientPlan,
  type ClientScenario,
  clientScenario,
  describeConns,
  describeLine,
  ok,
  type Reply,
  type Script,
} from '../../harness/client-context.js';
import { type Finding, measured, satisfied } from '../../harness/model.js';
import { buildResponse } from '../../harness/wire/build.js';
import type { ReceivedRequest, ServerConn } from '../../harness/wire/server.js';

/** How many requests had arrived on the connection when the harness sent its reply to this one. */
const arrivedAtReply = new WeakMap<ReceivedRequest, number>();

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * A script that answers after a pause (so pipelined requests pile up) and
 * notes, just before the reply is written, what had arrived on the connection.
 * `reply` returning a reply without a response means "ignore this request".
 */
function paced(pauseMs: (req: ReceivedRequest, conn: ServerConn) => number, reply: Script): Script {
  return async (req, conn) => {
    const pause = pauseMs(req, conn);
    if (pause > 0) await sleep(pause);
    const r = await reply(req, conn);
    if (r.response !== undefined || r.pieces) arrivedAtReply.set(req, conn.requests.length);
    return r;
  };
}

const answer = (req: ReceivedRequest, headers: Array<[string, string]> = []): Reply =>
  ok(`ok ${req.msg.target}`, headers);

/**
 * How many requests were outstanding at once on this connection: a request
 * never answered counts everything that arrived after it as queued behind it.
 */
function depthOn(c: ServerConn): number {
  let depth = c.requests.length > 0 ? 1 : 0;
  for (const r of c.requests)
    depth = Math.max(depth, (arrivedAtReply.get(r) ?? c.requests.length) - r.index + 1);
  return depth;
}

function pipelining(obs: ClientObservation): { depth: number; where: string } {
  const deep = obs.conns.map((c) => ({ c, d: depthOn(c) })).filter((x) => x.d > 1);
  return {
    depth: Math.max(1, ...deep.map((x) => x.d)),
    where: deep.map((x) => `${x.c.label} (depth ${x.d})`).join(', '),
  };
}

const doesNotPipeline = (obs: ClientObservation, extra = ''): Finding =>
  measured(
    `the client does not pipeline: every request waited for the previous response on its connection (${describeConns(obs)})${extra}`,
    'does not pipeline',
  );

const pathOf = (obs: ClientObservation, id: string): string =>
  obs.plan.requests.find((s) => s.id === id)!.path;
const stepOf = (obs: ClientObservation, r: ReceivedRequest): string =>
  obs.plan.requests.find((s) => s.path === r.msg.target.split('?')[0])?.id ?? r.msg.target;
const gotOwnAnswer = (obs: ClientObservation, id: string): boolean => {
  const l = obs.line(id);
  return l?.status === 200 && l.body === `ok ${pathOf(obs, id)}`;
};

/** Lines that are not their own step's answer, as evidence. */
function misreported(obs: ClientObservation): string[] {
  return obs.plan.requests
    .filter((s) => !gotOwnAnswer(obs, s.id))
    .map((s) => `${s.id}: ${describeLine(obs, s.id)}`);
}

const THREE: ClientPlan = {
  concurrent: true,
  requests: [
    { id: 'r1', path: '/a' },
    { id: 'r2', path: '/b' },
    { id: 'r3', path: '/c' },
  ],
};

// ---- PIPE-05 -------------------------------------------------------------------------

/** 103 Early Hints, then the final response to /b. */
const withEarlyHints = (req: ReceivedRequest): Reply => ({
  response: Buffer.concat([
    Buffer.from('HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n', 'latin1'),
    buildResponse({ status: 200, headers: [['Content-Type', 'text/plain']], body: `ok ${req.msg.target}` }),
  ]),
});

const order = clientScenario({
  id: 'client-pipe-order',
  area: 'pipelining',
  level: 'MUST',
  rfc: 'RFC 9112 §9.2',
  covers: ['PIPE-05'],
  title: 'a pipelining client gives each response to its own request, in order, skipping a 103',
  plan: THREE,
  script: paced(
    () => 200,
    (req) => (req.msg.target === '/b' ? withEarlyHints(req) : answer(req)),
  ),
  check(obs) {
    const p = pipelining(obs);
    const wrong = misreported(obs);
    if (p.depth < 2) return doesNotPipeline(obs, wrong.length ? `; note: ${wrong.join('; ')}` : '');
    if (wrong.length > 0)
      fail({
        summary: `the client pipelined (${p.where}) and did not give every request its own response`,
        expected:
          'r1, r2, r3 each reported with status 200 and its own path in the body (the 103 before /b is interim)',
        seen: `${wrong.join('; ')}; connections: ${describeConns(obs)}`,
      });
    return satisfied(
      `the client pipelined (${p.where}); every request got its own response and the 103 was skipped`,
    );
  },
});

// ---- PIPE-06 / PIPE-07: the connection dies after the first response ---------------------

type End = 'fin' | 'rst';

/** Connection 1: the first request answered (no close), then FIN or RST; everything else answered after a pause. */
const diesAfterFirst = (end: End): Script =>
  paced(
    () => 200,
    (req, conn) =>
      conn.index === 1 && req.index === 1
        ? { ...answer(req), after: end === 'fin' ? 'close' : 'reset' }
        : answer(req),
  );

/** The requests that were queued on connection 1 when it died: they never got a response. */
const unansweredOnFirst = (obs: ClientObservation): ReceivedRequest[] =>
  (obs.conns[0]?.requests ?? []).filter((r) => !arrivedAtReply.has(r));

function retryUnanswered(end: End): ClientScenario {
  return clientScenario({
    id: `client-pipe-retry-unanswered-${end}`,
    area: 'pipelining',
    level: 'SHOULD',
    rfc: 'RFC 9112 §9.3.2',
    covers: ['PIPE-06'],
    title: `requests still queued on a pipelined connection that ${end === 'fin' ? 'closes (FIN)' : 'is reset'} are sent again on a new connection`,
    plan: THREE,
    script: diesAfterFirst(end),
    check(obs) {
      const lost = unansweredOnFirst(obs);
      const p = pipelining(obs);
      if (lost.length === 0 && p.depth < 2) return doesNotPipeline(obs);
      const ids = [...new Set(lost.map((r) => stepOf(obs, r)))];
      for (const id of ids) {
        const again = obs.arrivals(id).filter((r) => r.conn.index !== 1);
        const l = obs.line(id);
        if (l?.status !== undefined && (again.length === 0 || !gotOwnAnswer(obs, id)))
          fail({
            summary: `${id} was queued on s1 when it died, and the client reported a response the server never gave it`,
            expected: `${id} sent again on a new connection and its response reported, or an error`,
            seen: `${describeLine(obs, id)}; connections: ${describeConns(obs)}`,
            level: 'MUST',
          });
        if (again.length === 0 || !gotOwnAnswer(obs, id))
          fail({
            summary: `${id} was queued on s1 when the connection ${end === 'fin' ? 'closed' : 'was reset'} after one response, and the client did not send it again`,
            expected: `${id} retried on a new connection and answered`,
            seen: `${describeLine(obs, id)}; connections: ${describeConns(obs)}`,
          });
      }
      const wrong = misreported(obs);
      if (wrong.length > 0)
        fail({
          summary: 'the client did not report every answered request correctly',
          expected: 'r1, r2, r3 each with status 200 and its own path in the body',
          seen: `${wrong.join('; ')}; connections: ${describeConns(obs)}`,
          level: 'MUST',
        });
      return ids.length
        ? satisfied(
            `queued on s1 when it died, ${ids.join(', ')} ${ids.length > 1 ? 'were' : 'was'} sent again on a new connection and succeeded: ${describeConns(obs)}`,
          )
        : measured(
            `the client pipelined (${p.where}) but nothing was queued on s1 when it died: ${describeConns(obs)}`,
          );
    },
  });
}

const noBurst = clientScenario({
  id: 'client-pipe-no-burst-after-failure',
  area: 'pipelining',
  level: 'MUST NOT',
  rfc: 'RFC 9112 §9.3.2',
  covers: ['PIPE-07'],
  title: 'on the connection that replaces a failed pipelined one, the first request is sent alone',
  plan: THREE,
  script: diesAfterFirst('fin'),
  check(obs) {
    const lost = unansweredOnFirst(obs);
    const s1 = obs.conns[0];
    if (!s1 || lost.length === 0)
      return pipelining(obs).depth < 2
        ? doesNotPipeline(obs)
        : measured(`nothing was queued on s1 when it closed: ${describeConns(obs)}`);
    const closedAt = s1.serverFinAt ?? 0;
    const replacements = obs.conns.filter(
      (c) => c.index !== 1 && c.openedAt >= closedAt && c.requests.length > 0,
    );
    for (const c of replacements) {
      const first = c.requests[0]!;
      const seen = arrivedAtReply.get(first) ?? c.requests.length;
      if (seen > 1)
        fail({
          summary: `the client pipelined at once on ${c.label}, opened after s1 failed: ${seen - 1} more request(s) arrived before the response to the first`,
          expected: `${stepOf(obs, first)} sent alone on ${c.label}, the next only after its response`,
          seen: describeConns(obs),
        });
    }
    if (replacements.length === 0)
      return measured(
        `nothing was sent again after s1 closed: ${obs.plan.requests.map((s) => `${s.id}: ${describeLine(obs, s.id)}`).join('; ')}`,
      );
    return satisfied(
      `after s1 closed with ${lost.map((r) => stepOf(obs, r)).join(', ')} queued, each new connection carried one request until its response: ${describeConns(obs)}`,
    );
  },
});

// ---- PIPE-08 -------------------------------------------------------------------------

const notBehindPost = clientScenario({
  id: 'client-pipe-not-behind-post',
  area: 'pipelining',
  level: 'SHOULD NOT',
  rfc: 'RFC 9112 §9.3.2',
  covers: ['PIPE-08'],
  title: 'a pipelining client queues nothing behind a POST until its final response',
  plan: {
    concurrent: true,
    requests: [
      { id: 'r1', path: '/a', method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' },
      { id: 'r2', path: '/b' },
      { id: 'r3', path: '/c' },
    ],
  },
  script: paced(
    (req) => (req.msg.method === 'POST' ? 300 : 200),
    (req) => answer(req),
  ),
  check(obs) {
    const post = obs.arrivals('r1')[0];
    if (post) {
      const seen = arrivedAtReply.get(post) ?? post.conn.requests.length;
      const behind = post.conn.requests.slice(post.index, seen);
      if (behind.length > 0)
        fail({
          summary: `the client pipelined ${behind.map((r) => `${r.msg.method} ${r.msg.target}`).join(', ')} behind the POST on ${post.conn.label} before its response`,
          expected: `nothing more on ${post.conn.label} until the POST's final response`,
          seen: describeConns(obs),
        });
    }
    const wrong = misreported(obs);
    const p = pipelining(obs);
    if (p.depth < 2) return doesNotPipeline(obs, wrong.length ? `; note: ${wrong.join('; ')}` : '');
    if (wrong.length > 0)
      fail({
        summary: `the client pipelined (${p.where}) and did not report every request correctly`,
        expected: 'r1, r2, r3 each with status 200 and its own path in the body',
        seen: `${wrong.join('; ')}; connections: ${describeConns(obs)}`,
        level: 'MUST',
      });
    return satisfied(`the client pipelined (${p.where}), but nothing behind the POST: ${describeConns(obs)}`);
  },
});

// ---- PIPE-09 -------------------------------------------------------------------------

const closeMidway = clientScenario({
  id: 'client-pipe-close-midway',
  area: 'pipelining',
  level: 'MUST',
  rfc: 'RFC 9112 §9.6',
  covers: ['PIPE-09'],
  title:
    'after a response with Connection: close, a pipelining client writes nothing more on that connection',
  plan: THREE,
  // Connection 1: the first request answered with close, the FIN 100 ms later; requests
  // queued behind it are ignored and the harness keeps reading (to see any later write).
  script: paced(
    (req, conn) => (conn.index === 1 && req.index > 1 ? 0 : 200),
    (req, conn) => {
      if (conn.index !== 1) return answer(req);
      if (req.index > 1) return {};
      return { ...answer(req, [['Connection', 'close']]), after: 'half-close', afterDelayMs: 100 };
    },
  ),
  check(obs) {
    const s1 = obs.conns[0];
    const first = s1?.requests[0];
    if (!s1 || !first) return doesNotPipeline(obs);
    const sent = arrivedAtReply.get(first) ?? s1.requests.length;
    const late = s1.requests.slice(sent);
    if (late.length > 0)
      fail({
        summary: `the client kept writing on s1 after the response with Connection: close: ${late.map((r) => `${r.msg.method} ${r.msg.target}`).join(', ')} arrived after it was sent`,
        expected: 'nothing more written on s1 once the response said close',
        seen: describeConns(obs),
      });
    const queued = s1.requests.slice(1, sent);
    if (queued.length === 0) return doesNotPipeline(obs);
    const redone: string[] = [];
    const failed: string[] = [];
    for (const r of queued) {
      const id = stepOf(obs, r);
      const again = obs.arrivals(id).filter((a) => a.conn.index !== 1);
      const l = obs.line(id);
      if (l?.status !== undefined && (again.length === 0 || !gotOwnAnswer(obs, id)))
        fail({
          summary: `${id} was queued behind the response with close, and the client reported it as answered`,
          expected: `${id} treated as unprocessed: sent again on a new connection, or reported as an error`,
          seen: `${describeLine(obs, id)}; connections: ${describeConns(obs)}`,
          level: 'SHOULD NOT',
        });
      if (!l && obs.run.timedOut)
        fail({
          summary: `the client hung on ${id}, queued behind a response with close`,
          expected: `${id} sent again on a new connection, or reported as an error`,
          seen: `${describeLine(obs, id)}; connections: ${describeConns(obs)}`,
          level: 'SHOULD NOT',
        });
      (l?.status !== undefined ? redone : failed).push(id);
    }
    if (failed.length)
      return measured(
        `the client stopped writing on s1 after close; ${failed.join(', ')} queued behind it reported as errors (allowed)${redone.length ? `, ${redone.join(', ')} sent again and answered` : ''}: ${describeConns(obs)}`,
      );
    return satisfied(
      `the client stopped writing on s1 after close and sent ${redone.join(', ')} again on a new connection: ${describeConns(obs)}`,
    );
  },
});

/** Client scenarios of area `pipelining`. */
export const pipeliningClient: ClientScenario[] = [
  order,
  ...(['fin', 'rst'] as const).map(retryUnanswered),
  noBurst,
  notBehindPost,
  closeMidway,
];
