import { describeEnd, describeRead, describeResponse, fail, saysClose } from '../../harness/check.js';
import { measured, satisfied } from '../../harness/model.js';
import type { ServerCtx, ServerScenario } from '../../harness/server-context.js';
import { type Conn, ConnectError, type ReadResult } from '../../harness/wire/conn.js';
import type { HttpResponse } from '../../harness/wire/parse.js';
import { closedRightAfter, graceMs } from './steps.js';

/** Idle persistent connections held open before a new one is tried (CONC-02 suggests 128; 64 keeps the run fast). */
const IDLE_CONNECTIONS = 64;
/** Connections opened and exercised at once while building up the idle ones. */
const ROUND = 8;

/** A connection, or why there is none: refused connects are counted, not harness errors. */
async function tryConnect(ctx: ServerCtx): Promise<Conn | string> {
  try {
    return await ctx.connect();
  } catch (e) {
    if (e instanceof ConnectError) return e.message;
    throw e;
  }
}

interface IdleConn {
  c: Conn;
  res: HttpResponse;
  /** when the response was complete */
  at: number;
}

/** '0.4 ms', '37 ms' */
function msText(v: number): string {
  return v < 10 ? `${v.toFixed(1)} ms` : `${Math.round(v)} ms`;
}

function ms(values: number[]): string {
  if (values.length === 0) return 'n/a';
  const sorted = [...values].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  return `median ${Math.round(median)} ms, max ${Math.round(sorted[sorted.length - 1]!)} ms`;
}

const manyIdle: ServerScenario = {
  id: 'conc-idle-many',
  role: 'server',
  // holds many connections or a deep pipeline: other scenarios would change what it measures
  alone: true,
  area: 'persistence',
  level: 'INFO',
  rfc: 'RFC 9112 §9.4, §9.5',
  covers: ['CONC-02', 'PERSIST-02'],
  title: `a server holding ${IDLE_CONNECTIONS} idle persistent connections still answers a new one`,
  async run(ctx) {
    const K = IDLE_CONNECTIONS;
    // 1. K connections, one exchange on each, a few at a time (a burst of K requests at once
    //    would measure something else: a server may shed idle connections while all its workers
    //    are busy); then they stay idle. Once a round goes unanswered, or the rounds have taken
    //    2T (a very slow server), no more are opened.
    const begun = ctx.now();
    const conns: Conn[] = [];
    const refused: string[] = [];
    const exchanged: Array<{ c: Conn; r?: ReadResult; ms?: number }> = [];
    for (let round = 0; round * ROUND < K; round++) {
      const opened = await Promise.all(
        Array.from({ length: Math.min(ROUND, K - round * ROUND) }, () => tryConnect(ctx)),
      );
      const fresh = opened.filter((c): c is Conn => typeof c !== 'string');
      conns.push(...fresh);
      refused.push(...opened.filter((c): c is string => typeof c === 'string'));
      const results = await Promise.all(
        fresh.map(async (c) => {
          const started = c.now();
          const sent = await c.send(ctx.get());
          const r = sent.ok ? await c.readResponse() : undefined;
          return { c, r, ms: r?.type === 'response' ? r.at - started : undefined };
        }),
      );
      exchanged.push(...results);
      if (refused.length > 0 || results.some((x) => x.r?.type !== 'response')) break;
      if (ctx.now() - begun > 2 * ctx.timing.timeoutMs) break;
    }
    const idle: IdleConn[] = [];
    const unanswered: string[] = [];
    for (const x of exchanged) {
      if (x.r?.type === 'response') idle.push({ c: x.c, res: x.r.response, at: x.r.at });
      else unanswered.push(x.r ? describeRead(x.r) : 'the request could not be written');
    }
    // 2. None of them may be closed right after its response without Connection: close (PERSIST-02).
    //    A close later than the grace window after the response is an idle timeout, which is allowed.
    const ends = await Promise.all(idle.map((x) => closedRightAfter(ctx, x.c)));
    ends.forEach((end, i) => {
      const { res, at } = idle[i]!;
      if (end && !saysClose(res) && (end.at ?? at) - at <= graceMs(ctx))
        fail({
          summary: `one of ${K} connections was closed right after its response, which did not say Connection: close`,
          expected: 'Connection: close on the last response before the server closes (PERSIST-02)',
          seen: `${idle[i]!.c.label}: ${describeResponse(res)}, then ${describeEnd(end)}, ${Math.round((end.at ?? at) - at)} ms after the response`,
          level: 'MUST',
        });
    });
    const held = idle.filter((x, i) => !ends[i] && !saysClose(x.res));
    const statuses = new Map<number, number>();
    for (const x of idle) statuses.set(x.res.status, (statuses.get(x.res.status) ?? 0) + 1);
    ctx.note(
      `${conns.length + refused.length} of ${K} connections tried: ${conns.length} connected, ${refused.length} refused; ${idle.length} answered (${ms(exchanged.flatMap((x) => (x.ms === undefined ? [] : [x.ms])))}), ${unanswered.length} not answered within ${ctx.timing.timeoutMs} ms; ${held.length} now idle and open`,
    );
    // 3. One more connection, one request, timed.
    const fresh = await tryConnect(ctx);
    const answered = [...statuses].map(([s, n]) => `${n} x ${s}`).join(', ');
    const pressure = `right after opening ${conns.length + refused.length} of ${K} connections (${idle.length} answered${answered ? ` [${answered}]` : ''}, ${held.length} of them still open and idle; ${unanswered.length} not answered; ${refused.length} refused)`;
    if (typeof fresh === 'string')
      fail({
        summary: `a new connection was refused ${pressure}`,
        expected: 'the server to keep accepting and serving new connections',
        seen: fresh,
        level: 'SHOULD',
      });
    const started = fresh.now();
    const sent = await fresh.send(ctx.get());
    const r = sent.ok ? await fresh.readResponse() : undefined;
    if (r?.type !== 'response')
      fail({
        summary: `a new connection was not answered within ${ctx.timing.timeoutMs} ms ${pressure}`,
        expected: `a response to GET ${ctx.path} on the new connection within ${ctx.timing.timeoutMs} ms`,
        seen: r ? describeRead(r) : `the write failed: ${sent.ok ? '' : sent.error}`,
        level: 'SHOULD',
      });
    const latency = r.at - started;
    // 4. What happened meanwhile to the idle ones.
    const closedSince = held.filter((x) => x.c.ended).length;
    return measured(
      `a new connection was answered ${r.response.status} in ${msText(latency)} ${pressure}; ${closedSince} of the idle connections were closed by the server meanwhile`,
      Math.round(latency),
    );
  },
};

const stalledNeighbour: ServerScenario = {
  id: 'conc-stalled-neighbour',
  role: 'server',
  // holds many connections or a deep pipeline: other scenarios would change what it measures
  alone: true,
  area: 'persistence',
  level: 'MUST',
  rfc: 'RFC 9112 §9.1, §9.2',
  covers: ['CONC-03'],
  title: 'a request head stalled halfway on one connection does not hold up another connection',
  async run(ctx) {
    const reqA = ctx.get();
    const cut = Math.floor(reqA.bytes.length / 2);
    const a = await ctx.connect();
    a.note(
      `connection A: sending the first ${cut} of ${reqA.bytes.length} bytes of ${reqA.label}, then stalling`,
    );
    const sentA = await a.send(reqA.bytes.subarray(0, cut));
    if (!sentA.ok)
      fail({
        summary: 'could not send the first half of a request on connection A',
        expected: 'the connection to accept the bytes',
        seen: `the write failed: ${sentA.error}`,
      });
    // Let A's half request reach the server before B exists (nothing to await: the server answers nothing yet).
    await ctx.sleep(Math.min(50, graceMs(ctx)));
    const b = await ctx.connect();
    b.note('connection B: a whole request while A is stalled');
    const sentB = await b.send(ctx.get());
    const rb = sentB.ok ? await b.readResponse() : undefined;
    if (rb?.type !== 'response')
      fail({
        summary: `connection B was not answered within ${ctx.timing.timeoutMs} ms while connection A held half a request`,
        expected: `a response on B within ${ctx.timing.timeoutMs} ms, independent of A`,
        seen: rb ? describeRead(rb) : `the write failed: ${sentB.ok ? '' : sentB.error}`,
      });
    // B must not have waited for the server to give up on A.
    const aGaveUp = a.finAt ?? a.rstAt;
    const aHeard = ctx.transcript.events.find((e) => e.conn === a.label && e.type === 'recv');
    const aFirst = Math.min(aGaveUp ?? Infinity, aHeard?.t ?? Infinity);
    if (aFirst <= rb.at)
      fail({
        summary: 'connection B was answered only after the server had given up on stalled connection A',
        expected: 'B answered while A was still waiting for the rest of its request',
        seen: `A ${aHeard ? 'received a response' : 'was closed'} at ${Math.round(aFirst)} ms; B's response completed at ${Math.round(rb.at)} ms (${describeResponse(rb.response)})`,
      });
    // Now A completes its request and must get its own response.
    const sentRest = await a.send(reqA.bytes.subarray(cut));
    const ra = sentRest.ok ? await a.readResponse() : undefined;
    if (ra?.type !== 'response')
      fail({
        summary: 'connection A got no response after completing its stalled request',
        expected: `a response to ${reqA.label} on A`,
        seen: ra ? describeRead(ra) : `the write failed: ${sentRest.ok ? '' : sentRest.error}`,
      });
    if (ra.response.status !== rb.response.status)
      fail({
        summary: `connection A's completed request was answered ${ra.response.status}, but the same request on B got ${rb.response.status}`,
        expected: `the same answer to ${reqA.label} on both connections`,
        seen: `A: ${describeResponse(ra.response)}; B: ${describeResponse(rb.response)}`,
      });
    return satisfied(
      `B was answered ${rb.response.status} after ${msText(rb.at - (ctx.transcript.events.find((e) => e.conn === b.label && e.type === 'send')?.t ?? 0))} while A was stalled; A, completed afterwards, got ${ra.response.status}`,
    );
  },
};

/** Area `persistence` (REQUIREMENTS group 8, concurrency). */
export const concurrency: ServerScenario[] = [manyIdle, stalledNeighbour];
