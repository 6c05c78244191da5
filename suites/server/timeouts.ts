// Area `timeouts`: idle timeouts, stalled requests, Keep-Alive: timeout/max,
// request limits, client half-close, and the idle-close race (REQUIREMENTS §6).
// Every idle wait runs inside its own scenario, concurrently with the rest of
// the suite, and is bounded by --idle-max (I): no scenario waits serially for
// two idle periods unless the server gives no hint of its timeout.

import { describeEnd, describeRead, describeResponse, fail, saysClose, skip } from '../../harness/check.js';
import { measured, satisfied } from '../../harness/model.js';
import type { ServerCtx, ServerScenario } from '../../harness/server-context.js';
import { rawRequest } from '../../harness/wire/build.js';
import type { Conn, EndObservation } from '../../harness/wire/conn.js';
import type { HttpResponse } from '../../harness/wire/parse.js';
import { escapeLine } from '../../harness/wire/transcript.js';
import { closedRightAfter, exchange, graceMs, keepAliveParam } from './steps.js';

const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** A connection that has completed one exchange and is now idle. */
interface Idle {
  c: Conn;
  res: HttpResponse;
  /** transcript time at which the response was complete */
  doneAt: number;
}

/**
 * Open a connection, do one GET, and make sure the server means to keep it (else skip).
 * The GET says Connection: keep-alive, redundant in HTTP/1.1 but what makes servers
 * such as Apache advertise Keep-Alive: timeout=.
 */
async function idleConnection(ctx: ServerCtx): Promise<Idle> {
  const c = await ctx.connect();
  const res = await exchange(c, ctx.get(ctx.path, [['Connection', 'keep-alive']]));
  if (saysClose(res) || res.framing.kind === 'close-delimited')
    skip(
      `the server closes after the first response (${describeResponse(res)}); no idle connection to observe`,
    );
  return { c, res, doneAt: c.completedAt(res) ?? c.now() };
}

/** Bytes received on `c` after transcript time `after`. */
function receivedAfter(ctx: ServerCtx, c: Conn, after: number): Buffer {
  const parts: Buffer[] = [];
  for (const e of ctx.transcript.events)
    if (e.conn === c.label && e.type === 'recv' && e.t > after && e.bytes) parts.push(e.bytes);
  return Buffer.concat(parts);
}

interface IdleEnd {
  end: EndObservation;
  /** ms from the end of the response to the server's FIN/RST */
  afterMs?: number;
  /** what the server wrote while the connection was idle */
  bytes: Buffer;
}

/** Wait up to I after the response for the server to end the idle connection. */
async function waitIdleEnd(ctx: ServerCtx, idle: Idle): Promise<IdleEnd> {
  const left = Math.max(0, idle.doneAt + ctx.timing.idleMaxMs - idle.c.now());
  const end = await idle.c.waitEnd({ timeoutMs: left });
  const afterMs = end.at !== undefined ? end.at - idle.doneAt : undefined;
  return { end, afterMs, bytes: receivedAfter(ctx, idle.c, idle.doneAt) };
}

/** RFC 9112 §9.2 lets a client discard CRLFs between messages; anything else is an unsolicited message. */
const onlyCrlf = (b: Buffer) => /^(?:\r?\n)+$/.test(b.toString('latin1'));

const showBytes = (b: Buffer) => `${b.length} bytes: "${escapeLine(b.toString('latin1'), 120)}"`;

/** A close inside the grace window after a response without `close` is PERSIST-02 (harness note 4). */
function failIfSilentClose(ctx: ServerCtx, idle: Idle, ie: IdleEnd, what: string): void {
  if (ie.end.how === 'open' || ie.afterMs === undefined || ie.afterMs > graceMs(ctx)) return;
  fail({
    summary: `the server closed the connection ${Math.round(ie.afterMs)} ms after ${what}, which did not say Connection: close`,
    expected:
      'Connection: close on a response after which the server closes (RFC 9112 §9.3, §9.6; PERSIST-02)',
    seen: `${describeResponse(idle.res)}, then ${describeEnd(ie.end)}`,
    level: 'MUST',
  });
}

const idleMeasure: ServerScenario = {
  id: 'timeout-idle-measure',
  role: 'server',
  area: 'timeouts',
  level: 'INFO',
  rfc: 'RFC 9112 §9.5',
  covers: ['TIMEOUT-01', 'PERSIST-02'],
  title: 'the idle timeout is measured, and the server writes nothing unsolicited before closing',
  budgetMs: (t) => t.idleMaxMs,
  async run(ctx) {
    const idle = await idleConnection(ctx);
    const ie = await waitIdleEnd(ctx, idle);
    if (ie.bytes.length > 0 && !onlyCrlf(ie.bytes))
      fail({
        summary: 'the server wrote to an idle connection on which no request was outstanding',
        expected:
          'nothing but the close on an idle connection: a client cannot take unsolicited bytes as a response (RFC 9112 §9.2)',
        seen: `${showBytes(ie.bytes)}, then ${describeEnd(ie.end)}`,
        level: 'SHOULD NOT',
      });
    failIfSilentClose(ctx, idle, ie, 'the response');
    const extra = ie.bytes.length ? `, after ${ie.bytes.length} bytes of CRLF only` : ', no bytes before it';
    if (ie.end.how === 'open' || ie.afterMs === undefined)
      return measured(
        `no idle timeout within --idle-max ${secs(ctx.timing.idleMaxMs)} (the connection stayed open${ie.bytes.length ? `; ${ie.bytes.length} bytes of CRLF arrived` : ''})`,
      );
    return measured(
      `idle timeout ${secs(ie.afterMs)} after the response: ${ie.end.how.toUpperCase()}${extra} (${ie.end.verdict})`,
      Number((ie.afterMs / 1000).toFixed(2)),
    );
  },
};

const idleGraceful: ServerScenario = {
  id: 'timeout-idle-graceful',
  role: 'server',
  area: 'timeouts',
  level: 'SHOULD',
  rfc: 'RFC 9112 §9.5',
  covers: ['TIMEOUT-02'],
  title: 'an idle connection is closed gracefully (FIN), not reset',
  budgetMs: (t) => t.idleMaxMs,
  async run(ctx) {
    const idle = await idleConnection(ctx);
    const ie = await waitIdleEnd(ctx, idle);
    if (ie.end.how === 'open')
      return measured(`no idle timeout within --idle-max ${secs(ctx.timing.idleMaxMs)}; nothing to judge`);
    const when = ie.afterMs !== undefined ? ` ${secs(ie.afterMs)} after the response` : '';
    if (ie.end.how === 'rst')
      fail({
        summary: `the server reset the idle connection${when} instead of closing it gracefully`,
        expected: 'a graceful close (FIN) when the idle timeout expires',
        seen: describeEnd(ie.end),
      });
    return satisfied(`the idle connection was closed with FIN${when} (${ie.end.verdict})`);
  },
};

const partialHead: ServerScenario = {
  id: 'timeout-partial-head',
  role: 'server',
  area: 'timeouts',
  level: 'INFO',
  rfc: 'RFC 9110 §15.5.9; RFC 9112 §9.6',
  covers: ['TIMEOUT-03', 'TIMEOUT-02'],
  title: 'a stalled request head is given up with a close (and close on any 408), gracefully',
  budgetMs: (t) => t.idleMaxMs,
  async run(ctx) {
    const c = await ctx.connect();
    const full = ctx.get();
    const partial = rawRequest(
      full.bytes.subarray(0, full.bytes.length - 2),
      'GET',
      `${full.label} (head without its final CRLF)`,
    );
    const sentAt = c.now();
    const sent = await c.send(partial);
    if (!sent.ok) return measured(`the partial head could not be sent: ${sent.error}`);
    const r = await c.readResponse({ timeoutMs: ctx.timing.idleMaxMs });
    const I = secs(ctx.timing.idleMaxMs);
    switch (r.type) {
      case 'timeout':
        return measured(
          `no reaction to a stalled request head within --idle-max ${I}${r.partialBytes ? ` (${r.partialBytes} bytes of a response arrived)` : ''}: no header timeout that short`,
        );
      case 'malformed':
        return measured(
          `the server gave up on the stalled head with bytes that are not a response: ${describeRead(r)}`,
        );
      case 'end': {
        const end = await c.waitEnd();
        const after = secs(r.at - sentAt);
        if (end.how === 'rst')
          fail({
            summary: `the server reset the connection ${after} after the head stalled, instead of closing it gracefully`,
            expected: 'a graceful close (FIN) when the server gives up on the request (RFC 9112 §9.5)',
            seen: `${describeRead(r)}; ${describeEnd(end)}`,
            level: 'SHOULD',
          });
        return measured(
          `the server closed the connection ${after} after the head stalled, without a response (FIN)`,
        );
      }
      case 'response': {
        const res = r.response;
        const after = secs(r.at - sentAt);
        if (!saysClose(res))
          fail({
            summary: `the server answered the stalled head with ${res.status} after ${after}, without Connection: close`,
            expected:
              res.status === 408
                ? 'Connection: close on a 408: the server has decided to close (RFC 9112 §9.6; RFC 7231 §6.5.7 said so of 408)'
                : 'Connection: close on a response to a request that never completed (RFC 9112 §9.6)',
            seen: describeResponse(res),
            level: 'SHOULD',
          });
        const end = await c.waitEnd();
        if (end.how === 'rst')
          fail({
            summary: `after its ${res.status}, the server reset the connection instead of closing it gracefully`,
            expected: 'a graceful close (FIN) after the response (RFC 9112 §9.5, §9.6)',
            seen: `${describeResponse(res)}, then ${describeEnd(end)}`,
            level: 'SHOULD',
          });
        return measured(
          `the server gave up on the stalled head after ${after}: ${describeResponse(res)}, then ${describeEnd(end)}`,
          Number(((r.at - sentAt) / 1000).toFixed(2)),
        );
      }
    }
  },
};

const stalledBody: ServerScenario = {
  id: 'timeout-stalled-body',
  role: 'server',
  area: 'timeouts',
  level: 'MUST',
  rfc: 'RFC 9112 §6.3',
  covers: ['TIMEOUT-04'],
  title: 'a request body that stalls ends the connection; later bytes are never read as a new request',
  budgetMs: (t) => 2 * t.idleMaxMs,
  async run(ctx) {
    // Any resource will do: the server has to time out on the body before it can route the request.
    const path = ctx.target.resources.postPath ?? ctx.path;
    const c = await ctx.connect();
    const post = ctx.request({
      method: 'POST',
      target: path,
      headers: [
        ['Content-Type', 'application/octet-stream'],
        ['Content-Length', '100'],
      ],
      body: '0123456789',
    });
    const sentAt = c.now();
    const sent = await c.send(post);
    if (!sent.ok) return measured(`the POST could not be sent: ${sent.error}`);
    const I = ctx.timing.idleMaxMs;
    const r = await c.readResponse({ timeoutMs: I });
    switch (r.type) {
      case 'timeout':
        return measured(
          `no reaction within --idle-max ${secs(I)} to a body stalled at 10 of 100 bytes: no body timeout that short`,
        );
      case 'malformed':
        return measured(
          `the server gave up on the stalled body with bytes that are not a response: ${describeRead(r)}`,
        );
      case 'end':
        return satisfied(
          `the server closed the connection (${r.how.toUpperCase()}) ${secs(r.at - sentAt)} after the body stalled, without a response`,
        );
      case 'response':
        break;
    }
    const res = r.response;
    // The server gave up (or answered early): the missing 90 bytes must never be taken from what follows.
    const marker = ctx.get(ctx.missingPath());
    const w = await c.send(marker);
    const first = `${describeResponse(res)} ${secs(r.at - sentAt)} after the body stalled`;
    if (!w.ok)
      return satisfied(`${first}; the connection was gone when ${marker.label} was written (${w.error})`);
    // A 408 here is the server's own (late) answer to the stalled request, not one to the GET.
    const late408: number[] = [];
    const deadline = c.now() + I;
    for (;;) {
      const next = await c.readResponse({ timeoutMs: Math.max(0, deadline - c.now()) });
      const after = `${first}${late408.map(() => '; then 408').join('')}`;
      switch (next.type) {
        case 'response':
          if (next.response.status === 408) {
            late408.push(next.at);
            continue;
          }
          fail({
            summary: 'after giving up on a stalled body, the server answered the next bytes as a new request',
            expected:
              'the connection closed after a body timeout: the message is incomplete (RFC 9112 §6.3), so nothing after it is a request',
            seen: `${after}; then ${marker.label} was answered: ${describeResponse(next.response)}`,
          });
          break;
        case 'end':
          return satisfied(
            `${after}; ${marker.label} was not answered and the connection ended (${next.how.toUpperCase()})`,
          );
        case 'timeout':
          return measured(
            `${after}; ${marker.label} was not answered, but the connection stayed open for ${secs(I)} after it`,
          );
        case 'malformed':
          return measured(`${after}; then bytes that are not a response: ${describeRead(next)}`);
      }
    }
  },
};

/** Close times this close to the advertised timeout count as "at" it; timers are noisy. */
const ADVERTISED_MARGIN_MS = 200;

const keepAliveHonoured: ServerScenario = {
  id: 'timeout-keepalive-honoured',
  role: 'server',
  area: 'timeouts',
  level: 'INFO',
  // No RFC defines Keep-Alive: timeout (RFC 2068 §19.7.1.1 defines the header without parameters):
  // a de facto hint, so an early close is reported, never failed. §9.5 sets no timeout either.
  rfc: 'RFC 9112 §9.5 (Keep-Alive: timeout is de facto)',
  covers: ['TIMEOUT-05'],
  title: 'an idle connection is kept at least as long as the advertised Keep-Alive: timeout',
  budgetMs: (t) => t.idleMaxMs,
  async run(ctx) {
    const idle = await idleConnection(ctx);
    const n = keepAliveParam(idle.res, 'timeout');
    if (n === undefined) skip('the response advertises no Keep-Alive: timeout=N');
    const advertisedMs = n * 1000;
    const ie = await waitIdleEnd(ctx, idle);
    if (ie.end.how === 'open' || ie.afterMs === undefined)
      return measured(
        `advertised timeout=${n}; the connection stayed open for --idle-max ${secs(ctx.timing.idleMaxMs)}${advertisedMs > ctx.timing.idleMaxMs ? ' (shorter than the advertised timeout: not checked further)' : ''}`,
      );
    const closed = `closed (${ie.end.how.toUpperCase()}) ${secs(ie.afterMs)} after the response`;
    if (ie.afterMs < advertisedMs - ADVERTISED_MARGIN_MS)
      fail({
        summary: `the server advertised Keep-Alive: timeout=${n} but ${closed}`,
        expected: `the idle connection kept for at least the advertised ${n} s (margin ${ADVERTISED_MARGIN_MS} ms; de facto, no RFC keyword)`,
        seen: `${describeResponse(idle.res)} with Keep-Alive: timeout=${n}, then ${describeEnd(ie.end)}`,
        level: 'INFO',
      });
    if (ie.afterMs <= advertisedMs + ADVERTISED_MARGIN_MS)
      return measured(
        `advertised timeout=${n}, ${closed}: exactly at the advertised time (±${ADVERTISED_MARGIN_MS} ms), so a client that waits the full ${n} s races the close`,
      );
    return measured(
      `advertised timeout=${n}, ${closed}: ${secs(ie.afterMs - advertisedMs)} of safety margin`,
    );
  },
};

/** A close later than this after the client's FIN means the server waited for a timer (REQUIREMENTS TIMEOUT-07). */
const PROMPT_MS = 1000;

const halfClose: ServerScenario = {
  id: 'timeout-half-close',
  role: 'server',
  area: 'timeouts',
  level: 'SHOULD',
  rfc: 'RFC 9112 §9.5',
  covers: ['TIMEOUT-07'],
  title: 'the server closes promptly when an idle client half-closes',
  budgetMs: (t) => t.idleMaxMs,
  async run(ctx) {
    const idle = await idleConnection(ctx);
    const advertised = keepAliveParam(idle.res, 'timeout');
    const hint =
      advertised !== undefined ? `advertised idle timeout ${advertised} s` : 'no idle timeout advertised';
    idle.c.halfClose();
    const from = idle.c.now();
    const end = await idle.c.waitEnd({ timeoutMs: ctx.timing.idleMaxMs });
    if (end.how === 'open' || end.at === undefined)
      fail({
        summary: `the server did not close within --idle-max ${secs(ctx.timing.idleMaxMs)} after the client half-closed`,
        expected: 'the server to notice the client FIN and close its side too (RFC 9112 §9.5)',
        seen: `${describeEnd(end)} (${hint})`,
      });
    const took = end.at - from;
    if (took >= PROMPT_MS)
      fail({
        summary: `the server took ${secs(took)} to close after the client half-closed`,
        expected: `the server's FIN within ${PROMPT_MS} ms of the client's (RFC 9112 §9.5: monitor for a closure signal)`,
        seen: `${describeEnd(end)} (${hint})`,
      });
    return satisfied(
      `the server closed ${Math.round(took)} ms after the client's FIN (${end.how.toUpperCase()}; ${hint})`,
    );
  },
};

/** Requests tried on one connection before concluding that the server sets no limit (REQUIREMENTS TIMEOUT-06). */
const LIMIT_PROBE = 1000;
/** Pipelined requests per write once the first exchanges are done. */
const LIMIT_BATCH = 16;

const requestLimit: ServerScenario = {
  id: 'timeout-request-limit',
  role: 'server',
  area: 'timeouts',
  level: 'SHOULD',
  rfc: 'RFC 9112 §9.6',
  covers: ['TIMEOUT-06', 'PERSIST-02'],
  title: 'a per-connection request limit is announced with close, and Keep-Alive: max counts down to it',
  async run(ctx) {
    const c = await ctx.connect();
    const started = c.now();
    const cap = 3 * ctx.timing.timeoutMs;
    // Connection: keep-alive makes servers such as Apache advertise Keep-Alive: max=.
    const request = () => ctx.get(ctx.path, [['Connection', 'keep-alive']]);
    let n = 0;
    let last: HttpResponse | undefined;
    let prevMax: number | undefined;
    /** the first response whose max= was not one less than the one before */
    let miscount: string | undefined;
    /** the response on which the advertised max= says the close comes, and where that was said */
    let predicted: { at: number; from: number; max: number } | undefined;
    /** max= is judged once the limit is known, so that the evidence can name both */
    const judgeMax = (limit: string) => {
      if (miscount)
        fail({
          summary: `Keep-Alive: max does not count down (${miscount}); ${limit}`,
          expected:
            'max= one lower on each response, counting the requests still allowed (de facto Keep-Alive: max, no RFC keyword)',
          seen: `${miscount}; ${limit}`,
          level: 'INFO',
        });
    };
    while (n < LIMIT_PROBE) {
      if (c.now() - started > cap) {
        const limit = `no request limit within ${n} requests (stopped after ${secs(cap)}, 3 × --timeout)`;
        judgeMax(limit);
        return measured(limit);
      }
      // Two plain exchanges first, then pipelined batches that never pass the advertised limit.
      let batch = n < 2 ? 1 : Math.min(LIMIT_BATCH, LIMIT_PROBE - n);
      if (predicted && !miscount && predicted.at > n) batch = Math.min(batch, predicted.at - n);
      await c.send(Array.from({ length: batch }, request));
      for (let i = 0; i < batch; i++) {
        const r = await c.readResponse();
        if (r.type !== 'response') {
          if (r.type === 'end' && last) {
            const gap = r.at - (c.completedAt(last) ?? r.at);
            fail({
              summary: `the server closed the connection after ${n} requests without announcing it`,
              expected:
                'Connection: close on the last response before the server closes (RFC 9112 §9.6; §9.3)',
              seen: `response ${n}: ${describeResponse(last)}, then the connection ended (${r.how.toUpperCase()}) ${Math.round(gap)} ms later with ${batch - i} request(s) unanswered`,
              level: gap <= graceMs(ctx) ? 'MUST' : 'SHOULD',
            });
          }
          return measured(
            `the limit search stopped at response ${n + 1} (${batch} pipelined): ${describeRead(r)}; see the pipelining area`,
          );
        }
        const res = r.response;
        last = res;
        n++;
        const max = keepAliveParam(res, 'max');
        if (max !== undefined) {
          if (prevMax !== undefined && max !== prevMax - 1 && !miscount)
            miscount = `max=${prevMax} on response ${n - 1}, max=${max} on response ${n}`;
          if (!predicted) predicted = { at: n + max, from: n, max };
        }
        prevMax = max;
        if (saysClose(res)) {
          const limit = `the server allows ${n} requests per connection and announces the last with Connection: close`;
          judgeMax(limit);
          if (predicted && predicted.at !== n)
            fail({
              summary: `the close came on response ${n}, but max=${predicted.max} on response ${predicted.from} announced it for response ${predicted.at}`,
              expected: 'the close where the advertised Keep-Alive: max= puts it (de facto, no RFC keyword)',
              seen: `response ${n}: ${describeResponse(res)}`,
              level: 'INFO',
            });
          return satisfied(
            `${limit}${predicted ? `; Keep-Alive: max= counted down to it from max=${predicted.max}` : ''}`,
          );
        }
        if (predicted && !miscount && n >= predicted.at) {
          const end = await closedRightAfter(ctx, c);
          if (end)
            fail({
              summary: `the server closed the connection after ${n} requests without announcing it`,
              expected:
                'Connection: close on the last response before the server closes (RFC 9112 §9.6; §9.3)',
              seen: `response ${n}: ${describeResponse(res)}, then ${describeEnd(end)}`,
              level: 'MUST',
            });
          fail({
            summary: `response ${n} does not say close, although max=${predicted.max} on response ${predicted.from} announced the close for it`,
            expected:
              'Connection: close where the advertised Keep-Alive: max= puts it (de facto, no RFC keyword)',
            seen: `${describeResponse(res)}, and the connection stays open`,
            level: 'INFO',
          });
        }
      }
    }
    const limit = `no request limit within ${n} requests${prevMax !== undefined ? ` (Keep-Alive: max=${prevMax} on the last)` : ''}`;
    judgeMax(limit);
    return measured(limit);
  },
};

/** When the race probes are sent, relative to the idle timeout t (REQUIREMENTS RETRY-05). */
const RACE_OFFSETS_MS = [-50, -10, 10];
/** A probe this far before t arrived before the timeout even on a noisy machine: no race excuses an abort. */
const CLEARLY_BEFORE_MS = -50;

interface RaceProbe {
  offset: number;
  /** what happened, for the summary */
  outcome: string;
  /** the probe was answered and the connection then closed right away without close */
  silentClose?: string;
  /** the request went out on an open connection and was met by an RST with no FIN and no response */
  abortedUnanswered?: string;
}

const rstFirst = (c: Conn) => c.rstAt !== undefined && (c.finAt === undefined || c.rstAt < c.finAt);

/** One fresh connection: one exchange, then a request at t + offset after the response. */
async function raceProbe(ctx: ServerCtx, t: number, offset: number): Promise<RaceProbe> {
  const idle = await idleConnection(ctx);
  const { c } = idle;
  const label = `t${offset < 0 ? '-' : '+'}${Math.abs(offset)} ms`;
  await ctx.sleep(Math.max(0, idle.doneAt + t + offset - c.now()));
  if (c.ended) {
    const how = rstFirst(c) ? 'RST' : 'FIN';
    const after = (rstFirst(c) ? c.rstAt! : c.finAt!) - idle.doneAt;
    const outcome = `${label}: the server had closed already (${how} after ${secs(after)})`;
    if (after > graceMs(ctx)) return { offset, outcome };
    return {
      offset,
      outcome,
      silentClose: `${label}: ${describeResponse(idle.res)}, then ${how} ${Math.round(after)} ms later`,
    };
  }
  const req = ctx.get();
  const sentAt = c.now();
  const w = await c.send(req);
  const r = await c.readResponse();
  if (r.type === 'response') {
    const res = r.response;
    const end = saysClose(res) ? undefined : await closedRightAfter(ctx, c);
    const outcome = `${label}: answered ${res.status}${saysClose(res) ? ' with close' : ''}${end ? `, then ${end.how.toUpperCase()}` : ''}`;
    if (!end) return { offset, outcome };
    return {
      offset,
      outcome,
      silentClose: `${label}: ${describeResponse(res)}, then ${describeEnd(end)}`,
    };
  }
  const how = r.type === 'end' ? (rstFirst(c) ? 'RST' : 'FIN') : r.type;
  const outcome = `${label}: not answered (${how}${!w.ok ? `; the write failed: ${w.error}` : ''})`;
  if (r.type === 'end' && rstFirst(c) && w.ok && r.partialBytes === 0)
    return {
      offset,
      outcome,
      abortedUnanswered: `${label}: ${req.label} written at ${secs(sentAt - idle.doneAt)} after the previous response, then ${describeRead(r)} with no FIN before it`,
    };
  return { offset, outcome };
}

const idleRace: ServerScenario = {
  id: 'retry-idle-race',
  role: 'server',
  area: 'timeouts',
  level: 'INFO',
  rfc: 'RFC 9112 §9.5',
  covers: ['RETRY-05', 'PERSIST-02', 'TIMEOUT-02'],
  title: 'requests arriving around the idle timeout are answered, or refused with a graceful close',
  budgetMs: (t) => 2 * t.idleMaxMs,
  async run(ctx) {
    const I = ctx.timing.idleMaxMs;
    // The advertised timeout lets every probe start at once; without one, t is measured first.
    const first = await idleConnection(ctx);
    const advertised = keepAliveParam(first.res, 'timeout');
    let t: number;
    let source: string;
    if (advertised !== undefined && advertised > 0) {
      t = advertised * 1000;
      source = `advertised Keep-Alive: timeout=${advertised}`;
      if (t > I) skip(`the advertised idle timeout (${advertised} s) is longer than --idle-max ${secs(I)}`);
    } else {
      const ie = await waitIdleEnd(ctx, first);
      if (ie.end.how === 'open' || ie.afterMs === undefined)
        skip(`no idle timeout within --idle-max ${secs(I)} and none advertised`);
      failIfSilentClose(ctx, first, ie, 'the first response');
      t = ie.afterMs;
      source = 'measured';
    }
    const probes = await Promise.all(RACE_OFFSETS_MS.map((o) => raceProbe(ctx, t, o)));
    const silent = probes.find((p) => p.silentClose);
    if (silent)
      fail({
        summary: `the server closed a connection right after a response without Connection: close (probe ${silent.outcome.split(':')[0]})`,
        expected:
          'Connection: close on a response after which the server closes (RFC 9112 §9.3, §9.6; PERSIST-02)',
        seen: silent.silentClose!,
        level: 'MUST',
      });
    const aborted = probes.find((p) => p.offset <= CLEARLY_BEFORE_MS && p.abortedUnanswered);
    if (aborted)
      fail({
        summary: `a request sent ${-aborted.offset} ms before the idle timeout was met by a reset, not a response or a graceful close`,
        expected: `a response, or a graceful close (FIN) if the server times out first (RFC 9112 §9.5); margin ${-CLEARLY_BEFORE_MS} ms`,
        seen: aborted.abortedUnanswered!,
        level: 'SHOULD',
      });
    return measured(`idle timeout t = ${secs(t)} (${source}); ${probes.map((p) => p.outcome).join('; ')}`);
  },
};

export const timeouts: ServerScenario[] = [
  idleMeasure,
  idleGraceful,
  partialHead,
  stalledBody,
  keepAliveHonoured,
  halfClose,
  requestLimit,
  idleRace,
];
