// Client mode, area `timeouts`: stale pooled connections, the client's own idle
// timeout, and automatic retries after a reused connection dies (TIMEOUT-08/09,
// RETRY-01..04). The harness decides when a connection dies; the check reads
// which connection every attempt of a request arrived on, and what the driver
// told the application.

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
import { type Finding, type Level, measured, notApplicable, satisfied } from '../../harness/model.js';
import type { ReceivedRequest } from '../../harness/wire/server.js';

/** The default answer: 200 with a body naming the path. */
const answer = (req: ReceivedRequest, headers: Array<[string, string]> = []): Reply =>
  ok(`ok ${req.msg.target}`, headers);

const pathOf = (obs: ClientObservation, id: string): string =>
  obs.plan.requests.find((s) => s.id === id)!.path;

/** The driver reported the harness's answer to this step: 200 and "ok <path>". */
function gotOwnAnswer(obs: ClientObservation, id: string): boolean {
  const l = obs.line(id);
  return l?.status === 200 && l.body === `ok ${pathOf(obs, id)}`;
}

/** A step the harness answered normally must reach the application as answered. */
function mustHaveOwnAnswer(obs: ClientObservation, id: string): void {
  if (gotOwnAnswer(obs, id)) return;
  fail({
    summary: `the client did not report the response to ${id} correctly`,
    expected: `status 200 and body "ok ${pathOf(obs, id)}" for ${id}`,
    seen: `${describeLine(obs, id)}; connections: ${describeConns(obs)}`,
    level: 'MUST',
  });
}

/** The client was still busy when the driver was killed: it did not notice a close. */
function noHang(obs: ClientObservation, id: string, level: Level, why: string): void {
  if (obs.line(id) || !obs.run.timedOut) return;
  fail({
    summary: `the client hung on ${id}: ${why}`,
    expected: `a result for ${id} (a response or an error) once the connection was gone`,
    seen: `${describeLine(obs, id)}; connections: ${describeConns(obs)}`,
    level,
  });
}

const where = (list: ReceivedRequest[]): string =>
  list.map((r) => `${r.conn.label} (request ${r.index} there)`).join(', ');
const ms = (n: number): string => `${Math.round(n)} ms`;

// ---- TIMEOUT-08 --------------------------------------------------------------------

const staleIdle = clientScenario({
  id: 'client-idle-close-noticed',
  area: 'timeouts',
  level: 'SHOULD',
  rfc: 'RFC 9112 §9.5',
  covers: ['TIMEOUT-08'],
  title: 'a pooled connection the server closed while idle is not reused for the next request',
  plan: {
    requests: [
      { id: 'r1', path: '/a' },
      { id: 'r2', path: '/b', delayMs: 500 },
    ],
  },
  // Connection 1: FIN 100 ms after r1's response (the harness keeps reading, so a
  // request written into it anyway is seen), RST for anything that arrives after.
  script: (req, conn) => {
    if (conn.index !== 1) return answer(req);
    if (req.index === 1) return { ...answer(req), after: 'half-close', afterDelayMs: 100 };
    return { after: 'reset' };
  },
  check(obs) {
    mustHaveOwnAnswer(obs, 'r1');
    const attempts = obs.arrivals('r2');
    const stale = attempts.filter((r) => r.conn.index === 1);
    const fresh = attempts.filter((r) => r.conn.index !== 1);
    const outcome = gotOwnAnswer(obs, 'r2')
      ? `a retry on ${fresh[0]?.conn.label ?? 'another connection'} rescued it: the application saw success`
      : `the application saw ${describeLine(obs, 'r2')}`;
    if (stale.length > 0)
      fail({
        summary: `the client wrote r2 into connection s1 after the server had closed it (FIN 100 ms after r1's response, r2 issued 400 ms later); ${outcome}`,
        expected:
          'the idle connection dropped from the pool when its FIN arrived, r2 sent on a new connection',
        seen: describeConns(obs),
      });
    noHang(obs, 'r2', 'SHOULD', 'the server had closed its idle connection');
    if (fresh.length === 0)
      fail({
        summary: 'r2 never reached the server',
        expected: 'r2 sent on a new connection and answered',
        seen: `${describeConns(obs)}; driver: ${describeLine(obs, 'r2')}`,
      });
    if (!gotOwnAnswer(obs, 'r2'))
      fail({
        summary: `r2 went on a new connection (${fresh[0]!.conn.label}) and was answered, but the client did not report that answer`,
        expected: 'status 200 and body "ok /b" for r2',
        seen: `${describeLine(obs, 'r2')}; connections: ${describeConns(obs)}`,
        level: 'MUST',
      });
    return satisfied(
      `the client dropped s1 after the server's FIN and sent r2 on ${fresh[0]!.conn.label}: ${describeConns(obs)}`,
    );
  },
});

// ---- TIMEOUT-09 --------------------------------------------------------------------

/**
 * The idle pause of the pool-timeout measurement: half of --idle-max, so the
 * scenario stays well inside the run (2 s under prove.ts, 5 s by default).
 */
const idlePause = (t: { idleMaxMs: number }) => Math.round(t.idleMaxMs / 2);

/** What the client did with connection 1 while it sat idle between r1 and r2. */
function idleFinding(obs: ClientObservation, idleMs: number, hint?: string): Finding {
  mustHaveOwnAnswer(obs, 'r1');
  mustHaveOwnAnswer(obs, 'r2');
  const r1 = obs.arrivals('r1')[0]!;
  const r2 = obs.arrivals('r2')[0]!;
  const c1 = r1.conn;
  if (c1.clientRstAt !== undefined && c1.clientRstAt < r2.headAt)
    fail({
      summary: `the client dropped its idle connection with RST (abortive close), about ${ms(c1.clientRstAt - r1.at)} after r1`,
      expected: 'a graceful close (FIN) when the client times out an idle connection',
      seen: `RST on ${c1.label} ${ms(c1.clientRstAt - r1.at)} after r1 arrived, before r2; ${describeConns(obs)}`,
      level: 'SHOULD',
    });
  const hinted = hint ? ` (r1's response said Keep-Alive: ${hint})` : '';
  if (r2.conn === c1)
    return measured(
      `the client kept its idle connection at least ${ms(idleMs)} and reused it for r2${hinted}${hint ? '; the hint was not applied (allowed: the server kept the connection open)' : ''}`,
      `>= ${ms(idleMs)}`,
    );
  if (c1.clientFinAt !== undefined && c1.clientFinAt < r2.headAt) {
    const after = c1.clientFinAt - r1.at;
    return measured(
      `the client closed its idle connection gracefully (FIN) about ${ms(after)} after r1, and sent r2 on ${r2.conn.label}${hinted}`,
      ms(after),
    );
  }
  return measured(
    `the client sent r2 on a new connection ${r2.conn.label} although ${c1.label} was still open and idle${hinted}: ${describeConns(obs)}`,
  );
}

const idlePool = clientScenario({
  id: 'client-idle-pool-timeout',
  area: 'timeouts',
  level: 'INFO',
  rfc: 'RFC 9112 §9.5',
  covers: ['TIMEOUT-09'],
  title: 'how long the client keeps an idle pooled connection, and how it closes it (measurement)',
  plan: (t): ClientPlan => ({
    requests: [
      { id: 'r1', path: '/a' },
      { id: 'r2', path: '/b', delayMs: idlePause(t) },
    ],
  }),
  check: (obs) => idleFinding(obs, obs.plan.requests[1]!.delayMs ?? 0),
});

const HINT = 'timeout=1';
const idleHint = clientScenario({
  id: 'client-idle-keepalive-hint',
  area: 'timeouts',
  level: 'INFO',
  rfc: 'RFC 9112 §9.5',
  covers: ['TIMEOUT-09'],
  title: 'whether the client applies a Keep-Alive: timeout hint to its idle pool (measurement)',
  // r2 issued 2 s after r1: one second beyond the 1 s hint, whatever the margin a client keeps.
  plan: {
    requests: [
      { id: 'r1', path: '/a' },
      { id: 'r2', path: '/b', delayMs: 2000 },
    ],
  },
  script: (req) => answer(req, [['Keep-Alive', HINT]]),
  check: (obs) => idleFinding(obs, 2000, HINT),
});

/**
 * The race these scenarios stage needs r2 written into the reused connection 1;
 * a client that opened a new connection for r2 (e.g. a command-line client run
 * once per step) never meets it.
 */
function notReused(obs: ClientObservation): Finding | undefined {
  const first = obs.arrivals('r2')[0];
  if (!first || first.conn.index === 1) return undefined;
  return notApplicable(
    `the client did not reuse connection s1 for r2 (${describeConns(obs)}): the close staged on s1 never met r2`,
  );
}

// ---- RETRY-01 / RETRY-02: the reused connection dies when r2 arrives ------------------

type Death = 'fin' | 'rst' | 'partial';

const DEATHS: Record<Death, string> = {
  fin: 'closes it (FIN) without a response',
  rst: 'resets it (RST) without a response',
  partial: 'sends 10 bytes of a status line and closes it (FIN)',
};

/**
 * r1 answered on connection 1; when r2 arrives on it, connection 1 dies as `death`
 * says. FIN and partial are half-closes: the harness keeps reading, so a retry
 * written into the same connection is seen (and then reset). Any other
 * connection answers normally.
 */
const dieOnSecond =
  (death: Death): Script =>
  (req, conn) => {
    if (conn.index !== 1 || req.index === 1) return answer(req);
    if (req.index > 2) return { after: 'reset' };
    if (death === 'rst') return { after: 'reset' };
    if (death === 'partial') return { response: 'HTTP/1.1 2', after: 'half-close' };
    return { after: 'half-close' };
  };

const twoSteps = (r2: { method?: string; body?: string }): ClientPlan => ({
  requests: [
    { id: 'r1', path: '/a' },
    { id: 'r2', path: '/b', delayMs: 300, ...r2 },
  ],
});

/** A success line for r2 needs an attempt the harness answered: one that is not on connection 1. */
function noInventedSuccess(obs: ClientObservation, death: Death): void {
  const l = obs.line('r2');
  if (l?.status === undefined) return;
  const answered = obs.arrivals('r2').filter((r) => r.conn.index !== 1);
  if (answered.length === 0)
    fail({
      summary: `the client reported success for r2, which the server never answered (connection 1 ${DEATHS[death]})`,
      expected: 'an error for r2, or a retry on a new connection and its response',
      seen: `${describeLine(obs, 'r2')}; connections: ${describeConns(obs)}`,
      level: 'MUST',
    });
  if (!gotOwnAnswer(obs, 'r2'))
    fail({
      summary: `the client reported a response for r2 that is not the one its retry on ${answered[0]!.conn.label} received`,
      expected: 'status 200 and body "ok /b" for r2',
      seen: `${describeLine(obs, 'r2')}; connections: ${describeConns(obs)}`,
      level: 'MUST',
    });
}

function retryIdempotent(death: Death): ClientScenario {
  return clientScenario({
    id: `client-retry-idempotent-${death}`,
    area: 'timeouts',
    level: 'MAY',
    rfc: 'RFC 9110 §9.2.2',
    covers: ['RETRY-01'],
    title: `a GET on a reused connection that the server ${DEATHS[death]}: automatic retry on a new connection`,
    plan: twoSteps({}),
    script: dieOnSecond(death),
    check(obs) {
      mustHaveOwnAnswer(obs, 'r1');
      const skipped = notReused(obs);
      if (skipped) return skipped;
      noHang(obs, 'r2', 'SHOULD', `connection 1 ${DEATHS[death]} and the client kept waiting`);
      const attempts = obs.arrivals('r2');
      const same = attempts.filter((r) => r.conn.index === 1);
      const fresh = attempts.filter((r) => r.conn.index !== 1);
      if (same.length > 1)
        fail({
          summary: `the client retried r2 on connection 1, which the server had closed, instead of on a new connection`,
          expected: 'a retry, if any, on a new connection (RFC 9112 §9.3.1)',
          seen: `r2 arrived ${same.length} times on s1; ${describeConns(obs)}; driver: ${describeLine(obs, 'r2')}`,
          level: 'SHOULD',
        });
      noInventedSuccess(obs, death);
      if (fresh.length > 0 && obs.line('r2')?.error !== undefined)
        fail({
          summary: `the client retried r2 on ${fresh[0]!.conn.label} and got its 200 response, but reported an error`,
          expected: 'status 200 and body "ok /b" for r2 (the retry was answered)',
          seen: `${describeLine(obs, 'r2')}; connections: ${describeConns(obs)}`,
          level: 'MUST',
        });
      const partial =
        death === 'partial' ? ' after 10 bytes of its response had arrived (not a transparent retry)' : '';
      if (fresh.length > 0)
        return measured(`r2 was retried automatically on ${where(fresh)}${partial} and succeeded`, 'retried');
      return measured(
        `no automatic retry (allowed: a MAY): the application saw ${describeLine(obs, 'r2')}`,
        'not retried',
      );
    },
  });
}

function noRetryPost(death: Death): ClientScenario {
  return clientScenario({
    id: `client-no-retry-post-${death}`,
    area: 'timeouts',
    level: 'SHOULD NOT',
    rfc: 'RFC 9110 §9.2.2',
    covers: ['RETRY-02'],
    title: `a POST on a reused connection that the server ${DEATHS[death]} is not resent automatically`,
    plan: twoSteps({ method: 'POST', body: 'data' }),
    script: dieOnSecond(death),
    check(obs) {
      mustHaveOwnAnswer(obs, 'r1');
      const skipped = notReused(obs);
      if (skipped) return skipped;
      noHang(obs, 'r2', 'SHOULD', `connection 1 ${DEATHS[death]} and the client kept waiting`);
      noInventedSuccess(obs, death);
      const posts = obs.arrivals('r2');
      if (posts.length === 0)
        fail({
          summary: 'the POST r2 never reached the server',
          expected: 'r2 sent once',
          seen: `${describeConns(obs)}; driver: ${describeLine(obs, 'r2')}`,
          level: 'MUST',
        });
      if (posts.length > 1) {
        const first = posts[0]!;
        const label =
          death !== 'partial' && first.conn.index === 1 && first.index === 2
            ? ' (the first attempt went on a reused idle connection and received no response byte: the "riskier approach" RFC 9110 §9.2.2 mentions, still a duplicate if the server had acted on it)'
            : death === 'partial'
              ? ' (after response bytes had arrived: the server had certainly received the first one)'
              : '';
        fail({
          summary: `the client sent the POST ${posts.length} times${label}`,
          expected: 'the POST sent once; its failure reported to the application',
          seen: `POST /b arrived on ${where(posts)}; driver: ${describeLine(obs, 'r2')}`,
        });
      }
      return satisfied(
        `the POST was sent once, and not resent: the application saw ${describeLine(obs, 'r2')}`,
      );
    },
  });
}

// ---- RETRY-03 ----------------------------------------------------------------------

type RetryStart = 'reused' | 'fresh';

function retryOnce(start: RetryStart): ClientScenario {
  const doomed = start === 'reused' ? 'r2' : 'r1';
  const plan: ClientPlan = start === 'reused' ? twoSteps({}) : { requests: [{ id: 'r1', path: '/a' }] };
  const doomedPath = start === 'reused' ? '/b' : '/a';
  return clientScenario({
    id: `client-retry-once-${start}`,
    area: 'timeouts',
    level: 'SHOULD NOT',
    rfc: 'RFC 9110 §9.2.2',
    covers: ['RETRY-03'],
    title:
      start === 'reused'
        ? 'a failed automatic retry is not retried again (the first attempt on a reused connection)'
        : 'a request whose every connection closes unanswered is not retried again and again',
    plan,
    // every connection that carries the doomed request is closed (FIN) as soon as it arrives
    script: (req) => (req.msg.target === doomedPath ? { after: 'close' } : answer(req)),
    check(obs) {
      if (start === 'reused') mustHaveOwnAnswer(obs, 'r1');
      const attempts = obs.arrivals(doomed);
      if (attempts.length > 2)
        fail({
          summary: `the client sent ${doomed} ${attempts.length} times: it retried a failed retry${obs.run.timedOut ? ', and was still at it when the harness stopped it' : ''}`,
          expected: 'at most two attempts (one automatic retry)',
          seen: `${doomed} arrived on ${where(attempts)}; driver: ${describeLine(obs, doomed)}`,
        });
      noHang(obs, doomed, 'SHOULD', 'every connection was closed and the client kept waiting');
      if (attempts.length === 0)
        fail({
          summary: `${doomed} never reached the server`,
          expected: `${doomed} sent at least once`,
          seen: `${describeConns(obs)}; driver: ${describeLine(obs, doomed)}`,
          level: 'MUST',
        });
      if (obs.line(doomed)?.status !== undefined)
        fail({
          summary: `the client reported success for ${doomed}, which the server never answered`,
          expected: `an error for ${doomed}`,
          seen: `${describeLine(obs, doomed)}; connections: ${describeConns(obs)}`,
          level: 'MUST',
        });
      return satisfied(
        `${doomed} was sent ${attempts.length === 1 ? 'once (no retry)' : 'twice (one retry)'}, then reported: ${describeLine(obs, doomed)}`,
      );
    },
  });
}

// ---- RETRY-04 ----------------------------------------------------------------------

const retry408 = clientScenario({
  id: 'client-408-on-reused',
  area: 'timeouts',
  level: 'MAY',
  rfc: 'RFC 9110 §15.5.9',
  covers: ['RETRY-04'],
  title: 'what the client does with a 408 + close answering a request on a reused connection (measurement)',
  plan: twoSteps({}),
  // 408 + close when r2 arrives on connection 1; the FIN follows 200 ms later and the
  // harness keeps reading until then, so a request written into it anyway is seen.
  script: (req, conn) => {
    if (conn.index !== 1 || req.index === 1) return answer(req);
    if (req.index > 2) return { after: 'reset' };
    return {
      response: {
        status: 408,
        headers: [
          ['Content-Type', 'text/plain'],
          ['Connection', 'close'],
        ],
        body: 'request timeout',
      },
      after: 'half-close',
      afterDelayMs: 200,
    };
  },
  check(obs) {
    mustHaveOwnAnswer(obs, 'r1');
    const skipped = notReused(obs);
    if (skipped) return skipped;
    noHang(obs, 'r2', 'SHOULD', 'the server answered 408 + close and closed the connection');
    const attempts = obs.arrivals('r2');
    const same = attempts.filter((r) => r.conn.index === 1);
    const fresh = attempts.filter((r) => r.conn.index !== 1);
    if (same.length > 1)
      fail({
        summary: 'the client sent r2 again on the connection whose 408 response said Connection: close',
        expected: 'nothing more on that connection (RFC 9112 §9.6); a retry, if any, on a new connection',
        seen: `r2 arrived ${same.length} times on s1; ${describeConns(obs)}; driver: ${describeLine(obs, 'r2')}`,
        level: 'MUST',
      });
    const l = obs.line('r2');
    if (l?.status === 200) {
      if (fresh.length === 0 || !gotOwnAnswer(obs, 'r2'))
        fail({
          summary: 'the client reported a 200 for r2 that no retry received',
          expected: 'the 408, an error, or the response to a retry on a new connection',
          seen: `${describeLine(obs, 'r2')}; connections: ${describeConns(obs)}`,
          level: 'MUST',
        });
      return measured(`the 408 was retried on a new connection (${where(fresh)}) and succeeded`, 'retried');
    }
    if (fresh.length > 0 && l !== undefined)
      fail({
        summary: `the client retried r2 on ${fresh[0]!.conn.label} and got its 200, but reported something else`,
        expected: 'status 200 and body "ok /b" for r2 (the retry was answered)',
        seen: `${describeLine(obs, 'r2')}; connections: ${describeConns(obs)}`,
        level: 'MUST',
      });
    if (l?.status === 408)
      return measured('the client reported the 408 to the application (no retry)', 'reported 408');
    if (l?.status !== undefined)
      fail({
        summary: `the client reported status ${l.status} for r2, which was answered 408`,
        expected: 'the 408, an error, or the response to a retry on a new connection',
        seen: `${describeLine(obs, 'r2')}; connections: ${describeConns(obs)}`,
        level: 'MUST',
      });
    return measured(`the client reported an error for r2 (no retry): ${describeLine(obs, 'r2')}`, 'error');
  },
});

/** Client scenarios of area `timeouts`. */
export const timeoutsClient: ClientScenario[] = [
  staleIdle,
  idlePool,
  idleHint,
  ...(['fin', 'rst', 'partial'] as const).map(retryIdempotent),
  ...(['fin', 'rst', 'partial'] as const).map(noRetryPost),
  ...(['reused', 'fresh'] as const).map(retryOnce),
  retry408,
];
