import { describeRead, describeResponse, expectResponse, fail, skip } from '../../harness/check.js';
import { satisfied } from '../../harness/model.js';
import type { ProxyCtx, ProxyScenario } from '../../harness/proxy-context.js';
import { ok } from '../../harness/reply.js';
import type { Conn, ReadResult } from '../../harness/wire/conn.js';
import { closedRightAfter, exchange } from './steps.js';

export const pipelining: ProxyScenario[] = [
  {
    id: 'proxy-pipe-slow-first',
    role: 'proxy',
    area: 'pipelining',
    level: 'MUST',
    rfc: 'RFC 9112 §9.3.2',
    covers: ['PXPIPE-01'],
    title: 'two requests written at once come back in order, although the origin answers the first slowly',
    async run(ctx) {
      const slow = Math.min(500, ctx.timing.timeoutMs / 4);
      ctx.serve((req) => ({
        delayMs: req.msg.target.endsWith('/first') ? slow : 0,
        response: {
          status: 200,
          headers: [['Content-Type', 'text/plain']],
          body: `answer to ${req.msg.target.split('/').pop()}`,
        },
      }));
      const c = await ctx.connect();
      const first = ctx.get(ctx.at('first'));
      const second = ctx.get(ctx.at('second'));
      await c.send([first, second]);
      const reads = await readInOrder(c, 2);
      await closedMidPipeline(ctx, ['first', 'second'], reads);
      const r1 = expectResponse(reads[0]!, first.label);
      const r2 = expectResponse(reads[1]!, second.label);
      const bodies = [r1, r2].map((r) => r.body.toString('latin1'));
      if (bodies[0] !== 'answer to first' || bodies[1] !== 'answer to second')
        fail({
          summary: 'the pipelined responses came back out of order or mixed up',
          expected: 'the answer to first, then the answer to second',
          seen: `${describeResponse(r1)} then ${describeResponse(r2)}; origin: ${ctx.describeUpstream()}`,
        });
      return satisfied(`both answered in order although the first took ${slow} ms at the origin`);
    },
  },
];

// ---- PXPIPE-02..04: deeper pipelines, a body and a HEAD inside, an origin that dies ----------------

/** The last part of a scenario path: /ksp-…/b?x -> 'b' */
function nameOf(target: string): string {
  const path = target.split('?')[0]!;
  return path.slice(path.lastIndexOf('/') + 1);
}

/** What the origin answers a request named `name` with: every body names its request. */
const answerTo = (name: string) => `answer to ${name}`;

const clip = (b: Buffer, n = 60) => JSON.stringify(b.toString('latin1').slice(0, n));

/** One response per request, in order; the reading stops at the first read that is not a response. */
async function readInOrder(c: Conn, count: number): Promise<ReadResult[]> {
  const reads: ReadResult[] = [];
  for (let i = 0; i < count; i++) {
    const r = await c.readResponse();
    reads.push(r);
    if (r.type !== 'response') break;
  }
  return reads;
}

/** "a: 200 "answer to a"; b: no complete response within 2000 ms (...)" */
function describeReads(names: readonly string[], reads: readonly ReadResult[]): string {
  return reads
    .map(
      (r, i) =>
        `${names[i]}: ${r.type === 'response' ? `${r.response.status}, body ${clip(r.response.body)}` : describeRead(r)}`,
    )
    .join('; ');
}

/**
 * One root cause, one failure: a proxy that ends every client connection after one response
 * (proxy-idle-no-silent-close judges that) leaves a pipeline unanswered, not out of order.
 * When the connection ended between two responses, one plain GET on a new connection tells:
 * if the proxy closes right after that too, the pipelining verdict is a skip naming the cause.
 */
async function closedMidPipeline(ctx: ProxyCtx, names: readonly string[], reads: readonly ReadResult[]) {
  const answered = reads.filter((r) => r.type === 'response').length;
  const last = reads[answered];
  if (answered === 0 || last?.type !== 'end' || last.partialBytes !== 0) return;
  const c = await ctx.connect();
  await exchange(c, ctx.get(ctx.at('alone')));
  if (await closedRightAfter(ctx, c))
    skip(
      `the proxy ends the client connection after every response (a plain GET alone too: see proxy-idle-no-silent-close), here after ${answered} of ${names.length} pipelined responses: nothing to judge the order by; ${describeReads(names, reads)}`,
    );
}

/**
 * Every request of a pipeline answered, in order, each with the body `want` gives for it;
 * otherwise a MUST failure that shows the responses as they came.
 */
function expectOwnAnswers(
  ctx: ProxyCtx,
  names: readonly string[],
  reads: readonly ReadResult[],
  want: (name: string) => { status: number; body: string },
): void {
  for (const [i, name] of names.entries()) {
    const r = reads[i];
    const w = want(name);
    if (
      r?.type === 'response' &&
      r.response.status === w.status &&
      r.response.body.toString('latin1') === w.body
    )
      continue;
    const other =
      r?.type === 'response' &&
      names.find((n, j) => j !== i && r.response.body.toString('latin1') === want(n).body);
    fail({
      summary: other
        ? `the response read for ${name} is the answer to ${other}: the pipelined responses are out of order`
        : r === undefined || r.type !== 'response'
          ? `no response to the pipelined request ${name}`
          : `the response read for ${name} is not its answer`,
      expected: `${names.length} responses in request order: ${names.map((n) => `${want(n).status} ${JSON.stringify(want(n).body)}`).join(', ')}`,
      seen: `${describeReads(names, reads)}; origin: ${ctx.describeUpstream()}`,
    });
  }
}

const fiveOrdered: ProxyScenario = {
  id: 'proxy-pipe-five-ordered',
  role: 'proxy',
  area: 'pipelining',
  level: 'MUST',
  rfc: 'RFC 9112 §9.3.2',
  covers: ['PXPIPE-02'],
  title:
    'five pipelined GETs come back in order with their own answers, though the origin is slowest on the first',
  async run(ctx) {
    const step = Math.min(100, ctx.timing.timeoutMs / 20);
    const names = ['p1', 'p2', 'p3', 'p4', 'p5'];
    // p1 waits longest, p5 not at once: a proxy that relays in completion order is caught.
    ctx.serve((req) => {
      const name = nameOf(req.msg.target);
      return { delayMs: (names.length - 1 - names.indexOf(name)) * step, ...ok(answerTo(name)) };
    });
    const c = await ctx.connect();
    await c.send(names.map((n) => ctx.get(ctx.at(n))));
    const reads = await readInOrder(c, names.length);
    await closedMidPipeline(ctx, names, reads);
    expectOwnAnswers(ctx, names, reads, (n) => ({ status: 200, body: answerTo(n) }));
    const conns = new Set(ctx.arrivals().map((a) => a.conn));
    return satisfied(
      `all five answered in order (origin delays ${names.map((_, i) => (names.length - 1 - i) * step).join(', ')} ms), over ${conns.size} upstream connection(s)`,
    );
  },
};

/** The body of the POST in the middle of a pipeline. */
const MIDDLE_BODY = 'posted between two GETs!!';

const postInMiddle: ProxyScenario = {
  id: 'proxy-pipe-post-middle',
  role: 'proxy',
  area: 'pipelining',
  level: 'MUST',
  rfc: 'RFC 9112 §9.3.2',
  covers: ['PXPIPE-02'],
  title: 'GET, POST with a body, GET pipelined: three answers in order, the POST body intact',
  async run(ctx) {
    const names = ['a', 'b', 'c'];
    const want = (n: string) => (n === 'b' ? `${answerTo('b')}: ${MIDDLE_BODY}` : answerTo(n));
    // The origin's answer to b repeats the body it received: a body cut or shifted shows.
    ctx.serve((req) => {
      const name = nameOf(req.msg.target);
      return ok(name === 'b' ? `${answerTo('b')}: ${req.msg.body.toString('latin1')}` : answerTo(name));
    });
    const c = await ctx.connect();
    await c.send([
      ctx.get(ctx.at('a')),
      ctx.request({
        method: 'POST',
        target: ctx.at('b'),
        headers: [['Content-Type', 'text/plain']],
        body: MIDDLE_BODY,
      }),
      ctx.get(ctx.at('c')),
    ]);
    const reads = await readInOrder(c, names.length);
    await closedMidPipeline(ctx, names, reads);
    expectOwnAnswers(ctx, names, reads, (n) => ({ status: 200, body: want(n) }));
    return satisfied(
      `GET a, POST b (${MIDDLE_BODY.length}-byte body) and GET c answered in order; origin: ${ctx.describeUpstream()}`,
    );
  },
};

const headInMiddle: ProxyScenario = {
  id: 'proxy-pipe-head-middle',
  role: 'proxy',
  area: 'pipelining',
  level: 'MUST',
  rfc: 'RFC 9112 §6.3; §9.3.2',
  covers: ['PXPIPE-03'],
  title:
    'GET, HEAD, GET pipelined: the HEAD response is bodyless although it has a Content-Length, and c is intact',
  async run(ctx) {
    const names = ['a', 'b', 'c'];
    // The length a GET of b would get, and no body: only the request method frames it.
    const headAnswer = `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${answerTo('b').length}\r\n\r\n`;
    ctx.serve((req) => {
      const name = nameOf(req.msg.target);
      return req.msg.method === 'HEAD' ? { response: headAnswer } : ok(answerTo(name));
    });
    const c = await ctx.connect();
    await c.send([ctx.get(ctx.at('a')), ctx.head(ctx.at('b')), ctx.get(ctx.at('c'))]);
    const reads = await readInOrder(c, names.length);
    await closedMidPipeline(ctx, names, reads);
    expectOwnAnswers(ctx, names, reads, (n) => ({ status: 200, body: n === 'b' ? '' : answerTo(n) }));
    const head = reads[1];
    return satisfied(
      `a, then HEAD b without a body (${head?.type === 'response' ? describeResponse(head.response) : ''}), then c, in order; origin: ${ctx.describeUpstream()}`,
    );
  },
};

/**
 * The client pipelines GET a, <method> b, GET c; the origin answers a and closes the upstream
 * connection, unanswered, the first time b arrives (it answers b normally after that).
 */
function originDies(o: {
  id: string;
  method: 'GET' | 'POST';
  level: 'MUST' | 'MUST NOT';
  rfc: string;
  title: string;
}): ProxyScenario {
  return {
    id: o.id,
    role: 'proxy',
    area: 'pipelining',
    level: o.level,
    rfc: o.rfc,
    covers: ['PXPIPE-04', ...(o.method === 'POST' ? ['PXRETRY-02'] : [])],
    title: o.title,
    async run(ctx) {
      const names = ['a', 'b', 'c'];
      let lost = false;
      ctx.serve((req) => {
        const name = nameOf(req.msg.target);
        if (name === 'b' && !lost) {
          lost = true;
          return { after: 'close' };
        }
        return ok(answerTo(name));
      });
      const c = await ctx.connect();
      await c.send([
        ctx.get(ctx.at('a')),
        o.method === 'GET'
          ? ctx.get(ctx.at('b'))
          : ctx.request({
              method: 'POST',
              target: ctx.at('b'),
              headers: [['Content-Type', 'text/plain']],
              body: 'b=1',
            }),
        ctx.get(ctx.at('c')),
      ]);
      const reads = await readInOrder(c, names.length);
      const seen = () => `${describeReads(names, reads)}; origin: ${ctx.describeUpstream()}`;
      // A response is the request's own answer, or an error status; never another request's answer.
      for (const [i, r] of reads.entries()) {
        if (r.type !== 'response') continue;
        const body = r.response.body.toString('latin1');
        if (r.response.status === 200 && body === answerTo(names[i]!)) continue;
        const other = names.find((n, j) => j !== i && body === answerTo(n));
        if (other || r.response.status < 400)
          fail({
            summary: other
              ? `the response read for ${names[i]} is the answer to ${other}: after the lost request the client connection is out of sync`
              : `the response read for ${names[i]} is not its answer`,
            expected:
              'each response the answer to its own request or an error status, in request order (RFC 9112 §9.3.2)',
            seen: seen(),
            level: 'MUST',
          });
      }
      const tries = ctx.arrivals('b');
      if (o.method === 'POST' && tries.length > 1)
        fail({
          summary: `the proxy sent POST b to the origin ${tries.length} times: it retried a non-idempotent request after the origin closed the connection`,
          expected:
            'POST b at the origin once (RFC 9110 §9.2.2: a proxy MUST NOT automatically retry non-idempotent requests)',
          seen: seen(),
          level: 'MUST NOT',
        });
      const last = reads[reads.length - 1]!;
      if (last.type === 'malformed')
        fail({
          summary: 'a malformed response after the origin closed',
          expected: 'well-formed responses',
          seen: seen(),
          level: 'MUST',
        });
      if (last.type === 'timeout')
        fail({
          summary: `no response to ${names[reads.length - 1]} and the client connection still open ${Math.round(last.waitedMs)} ms after the origin closed the upstream connection`,
          expected:
            'the lost request retried (idempotent only), answered with an error status, or the responses received forwarded and the client connection closed (RFC 9112 §9.3.2)',
          seen: seen(),
          level: 'SHOULD',
        });
      const retried =
        tries.length > 1 ? `b retried (${tries.map((t) => t.conn).join(', then ')})` : 'b not retried';
      return satisfied(`${retried}; the client read ${describeReads(names, reads)}`);
    },
  };
}

const originDiesGet = originDies({
  id: 'proxy-pipe-origin-dies-get',
  method: 'GET',
  level: 'MUST',
  rfc: 'RFC 9112 §9.3.2',
  title:
    'the origin closes when the second of three pipelined GETs arrives: no response goes to the wrong request',
});

const originDiesPost = originDies({
  id: 'proxy-pipe-origin-dies-post',
  method: 'POST',
  level: 'MUST NOT',
  rfc: 'RFC 9112 §9.3.2; RFC 9110 §9.2.2',
  title:
    'the origin closes when a pipelined POST arrives: the POST is not retried, and no response goes to the wrong request',
});

pipelining.push(fiveOrdered, postInMiddle, headInMiddle, originDiesGet, originDiesPost);
