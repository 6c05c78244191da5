// Area `timeouts`, proxy mode: what an intermediary does when a pooled upstream connection dies
// under a request (the idle-close race: retry an idempotent request, never a POST, never leave
// the client waiting), how it reuses upstream connections, and how long idle connections live
// on either hop. Every idle wait is bounded by --idle-max (I) and runs inside its scenario.

import { describeEnd, describeRead, describeResponse, fail, saysClose, skip } from '../../harness/check.js';
import { measured, satisfied } from '../../harness/model.js';
import type { ProxyCtx, ProxyScenario } from '../../harness/proxy-context.js';
import { ok } from '../../harness/reply.js';
import type { Req } from '../../harness/wire/build.js';
import type { ReadResult } from '../../harness/wire/conn.js';
import { connectionOptions } from '../../harness/wire/parse.js';
import type { ServerConn } from '../../harness/wire/server.js';
import { arrived, closedRightAfter, exchange, graceMs } from './steps.js';

/** The last part of a scenario path: /ksp-…/b?x -> 'b' */
function nameOf(target: string): string {
  const path = target.split('?')[0]!;
  return path.slice(path.lastIndexOf('/') + 1);
}

/** What the origin answers a request named `name` with: every body names its request. */
const answerTo = (name: string) => `answer to ${name}`;

const clip = (b: Buffer, n = 60) => JSON.stringify(b.toString('latin1').slice(0, n));
const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

// ---- PXRETRY-01/02: a pooled upstream connection dies as a request arrives on it ------------------

/** How many requests may come on new upstream connections before the scenario gives up finding a reused one. */
const TRIES = 4;
const POST_BODY = 'retry=never&n=1';

/** One line: what the client got, or why nothing. */
const describeOutcome = (r: ReadResult): string =>
  r.type === 'response' ? `${describeResponse(r.response)}, body ${clip(r.response.body)}` : describeRead(r);

/**
 * `warm` (answered, so that the proxy pools an upstream connection), then tries on the same client
 * connection, a short idle pause before each. The origin ends its upstream connection (FIN or RST),
 * without a response, the first time a try arrives on a reused one (request index > 1 there);
 * a try on a new connection is answered, and the next one follows.
 */
function retryScenario(o: {
  id: string;
  method: 'GET' | 'POST';
  end: 'close' | 'reset';
  level: 'SHOULD' | 'MUST NOT';
  rfc: string;
  covers: string[];
  title: string;
}): ProxyScenario {
  const how = o.end === 'close' ? 'closed (FIN)' : 'reset (RST)';
  return {
    id: o.id,
    role: 'proxy',
    area: 'timeouts',
    level: o.level,
    rfc: o.rfc,
    covers: o.covers,
    title: o.title,
    async run(ctx) {
      let broken: string | undefined;
      ctx.serve((req) => {
        const name = nameOf(req.msg.target);
        if (broken === undefined && name.startsWith('try') && req.index > 1) {
          broken = name;
          return { after: o.end };
        }
        return ok(answerTo(name));
      });
      let c = await ctx.connect();
      await exchange(c, ctx.get(ctx.at('warm')));
      const pause = Math.min(100, ctx.timing.timeoutMs / 20);
      for (let k = 1; k <= TRIES; k++) {
        // A proxy that closes client connections after each response gets the next try on a new one.
        if (c.ended) c = await ctx.connect();
        await c.sleep(pause);
        const name = `try${k}`;
        const req: Req =
          o.method === 'GET'
            ? ctx.get(ctx.at(name))
            : ctx.request({
                method: 'POST',
                target: ctx.at(name),
                headers: [['Content-Type', 'application/x-www-form-urlencoded']],
                body: POST_BODY,
              });
        const sent = await c.send(req);
        const r = sent.ok ? await c.readResponse() : undefined;
        if (broken === name && r) return judgeLost(ctx, o, how, name, r);
      }
      if (ctx.arrivals().every((a) => !a.name.startsWith('try')))
        fail({
          summary: 'none of the requests after the first reached the origin',
          expected: `the proxy to forward ${o.method} try1 … try${TRIES}`,
          seen: ctx.describeUpstream(),
        });
      skip(
        `the proxy opened a new upstream connection for every request (each ${o.method} try): no reused connection to break (${ctx.describeUpstream()})`,
      );
    },
  };
}

/** The verdict once the origin has ended the connection under the request `name`. */
function judgeLost(
  ctx: ProxyCtx,
  o: { method: 'GET' | 'POST' },
  how: string,
  name: string,
  r: ReadResult,
): ReturnType<ProxyScenario['run']> extends Promise<infer F> ? F : never {
  const tries = ctx.arrivals(name);
  const where = tries.map((t) => `${t.conn} (request ${t.req.index} there)`).join(', then ');
  const seen = `${o.method} ${name} reached the origin on ${where}, which ${how} the first one; the client got ${describeOutcome(r)}`;
  if (o.method === 'POST' && tries.length > 1)
    fail({
      summary: `the proxy sent the POST to the origin ${tries.length} times: it retried it after the origin ${how} the upstream connection`,
      expected:
        'the POST at the origin once, and an error status or the end of the connection for the client (RFC 9110 §9.2.2: a proxy MUST NOT automatically retry non-idempotent requests)',
      seen,
      level: 'MUST NOT',
    });
  const expected =
    o.method === 'GET'
      ? `within T: the origin's answer to ${name} (retried on another connection), an error status, or the end of the client connection`
      : 'within T: an error status, or the end of the client connection';
  if (r.type === 'timeout')
    fail({
      summary: `the client got no response and its connection stayed open after the origin ${how} the upstream connection under ${o.method} ${name}`,
      expected: `${expected} (RFC 9112 §9.3.2: without a retry, forward what was received and close the client connection)`,
      seen,
      level: 'SHOULD',
    });
  if (r.type === 'malformed')
    fail({ summary: `a malformed response to ${name}`, expected, seen, level: 'MUST' });
  if (r.type === 'end')
    return satisfied(
      `${o.method} ${name}: the origin ${how} ${tries[0]?.conn}; the proxy closed the client connection without a response (${r.how.toUpperCase()})`,
    );
  const res = r.response;
  const own = res.status === 200 && res.body.toString('latin1') === answerTo(name);
  if (!own && res.status < 400)
    fail({
      summary: `the client got a response to ${name} that is not the origin's answer to it`,
      expected,
      seen,
      level: 'MUST',
    });
  const retried = tries.length > 1 ? `retried on ${tries[tries.length - 1]!.conn}` : 'not retried';
  return satisfied(
    `${o.method} ${name}: the origin ${how} ${tries[0]?.conn}; ${retried}; the client got ${own ? 'its answer' : `${res.status} ${res.reason}`}`,
  );
}

const retryGetFin = retryScenario({
  id: 'proxy-retry-get-fin',
  method: 'GET',
  end: 'close',
  level: 'SHOULD',
  rfc: 'RFC 9110 §9.2.2; RFC 9112 §9.3.1, §9.3.2',
  covers: ['PXRETRY-01'],
  title:
    'the origin closes a reused idle connection as a GET arrives: the GET is retried or answered with an error, never left waiting',
});

const retryGetReset = retryScenario({
  id: 'proxy-retry-get-reset',
  method: 'GET',
  end: 'reset',
  level: 'SHOULD',
  rfc: 'RFC 9110 §9.2.2; RFC 9112 §9.3.1, §9.3.2',
  covers: ['PXRETRY-01'],
  title:
    'the origin resets a reused idle connection as a GET arrives: the GET is retried or answered with an error, never left waiting',
});

const retryPostFin = retryScenario({
  id: 'proxy-retry-post-fin',
  method: 'POST',
  end: 'close',
  level: 'MUST NOT',
  rfc: 'RFC 9110 §9.2.2',
  covers: ['PXRETRY-02', 'PXRETRY-01'],
  title:
    'the origin closes a reused idle connection as a POST arrives: the proxy does not send the POST again',
});

const retryPostReset = retryScenario({
  id: 'proxy-retry-post-reset',
  method: 'POST',
  end: 'reset',
  level: 'MUST NOT',
  rfc: 'RFC 9110 §9.2.2',
  covers: ['PXRETRY-02', 'PXRETRY-01'],
  title:
    'the origin resets a reused idle connection as a POST arrives: the proxy does not send the POST again',
});

// ---- PXIDLE-01: upstream connection reuse ---------------------------------------------------

const SEQUENTIAL = 5;

const upstreamReuse: ProxyScenario = {
  id: 'proxy-idle-upstream-reuse',
  role: 'proxy',
  area: 'timeouts',
  level: 'INFO',
  rfc: 'RFC 9112 §9.3',
  covers: ['PXIDLE-01'],
  title: 'how many upstream connections sequential requests use, and whether client connections share them',
  async run(ctx) {
    const c1 = await ctx.connect();
    for (let k = 1; k <= SEQUENTIAL; k++) await exchange(c1, ctx.get(ctx.at(`seq${k}`)));
    const c2 = await ctx.connect();
    await exchange(c2, ctx.get(ctx.at('other')));
    const all = await ctx.waitArrivals(SEQUENTIAL + 1);
    const seq = all.filter((a) => a.name.startsWith('seq'));
    const other = all.find((a) => a.name === 'other');
    if (seq.length < SEQUENTIAL || !other)
      fail({
        summary: 'not every request reached the origin',
        expected: `${SEQUENTIAL + 1} GETs at the origin`,
        seen: ctx.describeUpstream(),
      });
    // Reused: the connection had carried a request (anyone's) before this one.
    const reused = all.filter((a) => a.req.index > 1);
    const conns = [...new Set(seq.map((a) => a.conn))];
    if (reused.length === 0) {
      const announced = all.every(
        (a) => a.req.msg.version === 'HTTP/1.0' || connectionOptions(a.req.msg.headers).has('close'),
      );
      fail({
        summary: `every request went to the origin on a new upstream connection (${all.length} requests, ${all.length} connections): the proxy does not reuse upstream connections`,
        expected:
          'sequential requests carried over pooled upstream connections (HTTP/1.1 connections persist by default, RFC 9112 §9.3)',
        seen: `${ctx.describeUpstream()}; ${announced ? 'each request said Connection: close or was HTTP/1.0' : 'the requests did not say close: the proxy closed each upstream connection after its response'}`,
        level: 'INFO',
      });
    }
    const shared = seq.some((a) => a.conn === other.conn)
      ? `${other.conn}, one the first client connection had used (one pool for all client connections)`
      : other.req.index > 1
        ? `${other.conn}, a pooled connection that had carried ${other.req.index - 1} request(s) before (one pool for all client connections)`
        : `${other.conn}, a new upstream connection`;
    return measured(
      `${SEQUENTIAL} sequential requests on one client connection used ${conns.length} upstream connection(s) (${seq.map((a) => a.conn).join(', ')}); ${reused.length} of ${all.length} requests came on a reused connection; a second client connection's request went on ${shared}`,
      conns.length,
    );
  },
};

// ---- PXIDLE-02/03: idle timeouts on either hop ------------------------------------------------

const clientIdleTimeout: ProxyScenario = {
  id: 'proxy-idle-client-timeout',
  role: 'proxy',
  area: 'timeouts',
  level: 'SHOULD',
  rfc: 'RFC 9112 §9.5',
  covers: ['PXIDLE-02', 'PXIDLE-04'],
  title: "the proxy's idle timeout on client connections is measured, and it ends them gracefully (FIN)",
  budgetMs: (t) => t.idleMaxMs,
  async run(ctx) {
    const c = await ctx.connect();
    const res = await exchange(c, ctx.get(ctx.at('r')));
    if (saysClose(res) || res.framing.kind === 'close-delimited')
      skip(
        `the proxy closes after the first response (${describeResponse(res)}): no idle connection to observe`,
      );
    const doneAt = c.completedAt(res) ?? c.now();
    const end = await c.waitEnd({ timeoutMs: Math.max(0, doneAt + ctx.timing.idleMaxMs - c.now()) });
    if (end.how === 'open' || end.at === undefined)
      return measured(
        `no idle timeout within --idle-max ${secs(ctx.timing.idleMaxMs)}: the client connection stayed open`,
      );
    const after = end.at - doneAt;
    const unsolicited = end.extra.length
      ? ` after an unsolicited ${end.extra.map((r) => r.status).join(', ')}`
      : end.partialBytes
        ? ` after ${end.partialBytes} unsolicited bytes`
        : '';
    if (after <= graceMs(ctx))
      fail({
        summary: `the proxy closed the client connection ${Math.round(after)} ms after a response that did not say Connection: close`,
        expected:
          'Connection: close on a response after which the proxy closes (RFC 9112 §9.3; PXIDLE-04), else the connection open until an idle timeout',
        seen: `${describeResponse(res)}, then ${describeEnd(end)}`,
        level: 'MUST',
      });
    if (end.how === 'rst')
      fail({
        summary: `the proxy reset the idle client connection ${secs(after)} after the response instead of closing it gracefully`,
        expected: 'a graceful close (FIN) when the idle timeout expires (RFC 9112 §9.5)',
        seen: `${describeResponse(res)}, then ${describeEnd(end)}${unsolicited}`,
      });
    return measured(
      `idle timeout on the client connection: ${secs(after)} after the response, FIN${unsolicited} (${end.verdict})`,
      Number((after / 1000).toFixed(2)),
    );
  },
};

/** Origin-transcript time of the last bytes the origin wrote on `conn` before `until`. */
function lastWrite(ctx: ProxyCtx, conn: ServerConn, until: number): number | undefined {
  let t: number | undefined;
  for (const e of ctx.origin.transcript.events)
    if (e.conn === conn.label && e.type === 'send' && e.t <= until) t = e.t;
  return t;
}

/** How many upstream connections the scenario watches at most, when others end them first. */
const WATCHES = 4;

const upstreamIdleTimeout: ProxyScenario = {
  id: 'proxy-idle-upstream-timeout',
  role: 'proxy',
  area: 'timeouts',
  level: 'SHOULD',
  rfc: 'RFC 9112 §9.5',
  covers: ['PXIDLE-03'],
  title:
    "the upstream pool's idle timeout is measured, and the proxy ends idle upstream connections gracefully (FIN)",
  budgetMs: (t) => t.idleMaxMs,
  async run(ctx) {
    const until = ctx.now() + ctx.timing.idleMaxMs;
    const passed: string[] = [];
    // The pool is shared: when the origin ends the watched connection for another scenario, or the
    // proxy ends it right after another scenario's response, the next request's connection is
    // watched. Client connections stay open: a proxy that ties upstream connections to them shows it.
    for (let k = 1; k <= WATCHES && ctx.now() < until; k++) {
      const name = `r${k}`;
      await exchange(await ctx.connect(), ctx.get(ctx.at(name)));
      const a = await arrived(ctx, name);
      const up = a.req.conn;
      await ctx.upstreamEnded(up, Math.max(0, until - ctx.now()));
      const later = up.requests.length - a.req.index;
      const reuse =
        later > 0 ? `; it carried ${later} more request(s) of other scenarios after this one` : '';
      const fin = up.clientFinAt;
      const rst = up.clientRstAt;
      const proxyEnd = fin !== undefined && (rst === undefined || fin <= rst) ? fin : rst;
      const originEnd = up.serverRstAt ?? up.serverFinAt;
      if (proxyEnd === undefined && originEnd === undefined)
        return measured(
          `no idle close within --idle-max ${secs(ctx.timing.idleMaxMs)}: ${a.conn} was still open${reuse}${passed.length ? ` (before: ${passed.join('; ')})` : ''}`,
        );
      if (originEnd !== undefined && (proxyEnd === undefined || originEnd <= proxyEnd)) {
        passed.push(`the origin closed ${a.conn} first (another scenario's answer)`);
        continue;
      }
      const idle = proxyEnd! - (lastWrite(ctx, up, proxyEnd!) ?? proxyEnd!);
      if (idle <= graceMs(ctx)) {
        if (later === 0)
          return measured(
            `the proxy closed ${a.conn} ${Math.round(idle)} ms after the response: it did not keep the connection idle`,
          );
        passed.push(`the proxy closed ${a.conn} right after another scenario's response on it`);
        continue;
      }
      if (proxyEnd === rst)
        fail({
          summary: `the proxy reset the idle upstream connection ${a.conn} ${secs(idle)} after its last response instead of closing it gracefully`,
          expected: 'a graceful close (FIN) when the pool times an idle connection out (RFC 9112 §9.5)',
          seen: `${ctx.describeUpstream()}${reuse}`,
        });
      return measured(
        `idle timeout of the upstream pool: ${a.conn} closed (FIN) by the proxy ${secs(idle)} after its last response${reuse}`,
        Number((idle / 1000).toFixed(2)),
      );
    }
    return measured(
      `no idle close of a watched upstream connection within --idle-max ${secs(ctx.timing.idleMaxMs)}: ${passed.join('; ')}`,
    );
  },
};

// ---- PXIDLE-04: no silent close of the client connection ----------------------------------------

const noSilentClose: ProxyScenario = {
  id: 'proxy-idle-no-silent-close',
  role: 'proxy',
  area: 'timeouts',
  level: 'MUST',
  rfc: 'RFC 9112 §9.3, §9.6',
  covers: ['PXIDLE-04'],
  title:
    'the proxy does not close a client connection right after a response without close, even when the origin closed its own',
  async run(ctx) {
    ctx.serve((req) => {
      const name = nameOf(req.msg.target);
      return name === 'closing'
        ? { ...ok(answerTo(name), [['Connection', 'close']]), after: 'close' }
        : ok(answerTo(name));
    });
    const c = await ctx.connect();
    const seen: string[] = [];
    for (const name of ['plain', 'closing']) {
      const res = await exchange(c, ctx.get(ctx.at(name)));
      seen.push(`${name}: ${describeResponse(res)}`);
      if (saysClose(res))
        return satisfied(
          `${seen.join('; ')}: the proxy announced its close (origin: ${ctx.describeUpstream()})`,
        );
      const end = await closedRightAfter(ctx, c);
      if (end)
        fail({
          summary: `the proxy closed the client connection right after the response to ${name}, which did not say Connection: close${name === 'closing' ? ' (the origin had closed its own connection)' : ''}`,
          expected:
            "Connection: close on a response after which the proxy closes the client connection (RFC 9112 §9.3, §9.6); the origin's close ends the upstream hop only",
          seen: `${seen.join('; ')}, then ${describeEnd(end)}; origin: ${ctx.describeUpstream()}`,
        });
    }
    const after = ctx.get(ctx.at('after'));
    const sent = await c.send(after);
    const r = sent.ok ? await c.readResponse() : undefined;
    if (r?.type === 'response' && r.response.body.toString('latin1') === answerTo('after'))
      return satisfied(
        `${seen.join('; ')}; the client connection stayed open and GET after got its answer (origin: ${ctx.describeUpstream()})`,
      );
    fail({
      summary:
        r?.type === 'end' || !sent.ok
          ? 'the proxy closed the client connection with GET after unanswered, soon after a response that did not say Connection: close'
          : 'GET after, on the connection kept open, did not get its answer',
      expected: "the origin's answer to GET after on the same client connection (no close was announced)",
      seen: `${seen.join('; ')}; after: ${r ? describeOutcome(r) : `not sent (${sent.ok ? '' : sent.error})`}; origin: ${ctx.describeUpstream()}`,
    });
  },
};

export const timeouts: ProxyScenario[] = [
  retryGetFin,
  retryGetReset,
  retryPostFin,
  retryPostReset,
  upstreamReuse,
  clientIdleTimeout,
  upstreamIdleTimeout,
  noSilentClose,
];
