import { describeEnd, describeRead, describeResponse, fail, saysClose, skip } from '../../harness/check.js';
import { type Finding, type Level, measured, satisfied } from '../../harness/model.js';
import type { ServerCtx, ServerScenario } from '../../harness/server-context.js';
import type { Req } from '../../harness/wire/build.js';
import type { Conn, SendOptions } from '../../harness/wire/conn.js';
import { connectionOptions, type HttpResponse } from '../../harness/wire/parse.js';
import { graceMs } from './steps.js';

// ---- steps of this area -------------------------------------------------------

/** One request of a pipeline; `key` names what it asks for, so its expected status can be learnt alone. */
interface Step {
  key: string;
  req: Req;
}

const getPath = (ctx: ServerCtx, path = ctx.path): Step => ({ key: `GET ${path}`, req: ctx.get(path) });
const headPath = (ctx: ServerCtx, path = ctx.path): Step => ({ key: `HEAD ${path}`, req: ctx.head(path) });
const getMissing = (ctx: ServerCtx): Step => {
  const path = ctx.missingPath();
  return { key: 'GET /ka-spec-<nonce>', req: ctx.get(path) };
};

/**
 * The status each kind of request gets when it is sent alone, each on its own connection:
 * the yardstick that attributes pipelined responses to requests without guessing.
 */
async function baseline(ctx: ServerCtx, steps: Step[]): Promise<Map<string, HttpResponse>> {
  const firsts = new Map<string, Req>();
  for (const s of steps) if (!firsts.has(s.key)) firsts.set(s.key, s.req);
  const out = new Map<string, HttpResponse>();
  await Promise.all(
    [...firsts].map(async ([key, req]) => {
      const c = await ctx.connect();
      c.note(`baseline: ${key} alone, to learn its status`);
      const sent = await c.send(req);
      const r = sent.ok ? await c.readResponse() : undefined;
      if (r?.type !== 'response')
        skip(
          `precondition: ${key} sent alone on a new connection got no response (${r ? describeRead(r) : sent.ok ? '' : sent.error})`,
        );
      out.set(key, r.response);
      c.destroy();
    }),
  );
  return out;
}

/** '200, 404, 200(no body)' */
function sequence(list: HttpResponse[]): string {
  return fold(list.map((r) => `${r.status}${r.body.length ? '' : '(no body)'}`));
}

/** Runs of the same entry are folded: '9 x 200, 200(no body)'. */
function fold(items: string[]): string {
  const out: string[] = [];
  for (let i = 0; i < items.length; ) {
    let j = i;
    while (j < items.length && items[j] === items[i]) j++;
    out.push(j - i > 2 ? `${j - i} x ${items[i]}` : items.slice(i, j).join(', '));
    i = j;
  }
  return out.join(', ') || 'none';
}

function expectedSequence(steps: Step[], base: Map<string, HttpResponse>): string {
  return fold(steps.map((s) => `${base.get(s.key)?.status}${s.req.method === 'HEAD' ? '(no body)' : ''}`));
}

interface PipelineRead {
  responses: HttpResponse[];
  /** set when response k (1-based) announced Connection: close and the reading stopped there */
  closedAt?: number;
  /** false when the baseline statuses are all alike, so order could not be told by status */
  attributable: boolean;
}

/**
 * Read the responses to `steps`, which were written before any was read. Each must carry the
 * status its request gets alone (so order shows); a response with `close` ends the pipeline.
 */
async function readPipeline(
  c: Conn,
  steps: Step[],
  base: Map<string, HttpResponse>,
  levels: { missing: Level; order: Level },
  /** what the responses should be, when the full sequence would be too long to read */
  wanted?: string,
): Promise<PipelineRead> {
  const got: HttpResponse[] = [];
  const n = steps.length;
  const attributable = new Set(steps.map((s) => base.get(s.key)?.status)).size > 1;
  const want = wanted ?? `${n} responses in request order: ${expectedSequence(steps, base)}`;
  for (const [i, step] of steps.entries()) {
    const r = await c.readResponse();
    if (r.type === 'malformed')
      fail({
        summary: `response ${i + 1} of ${n} is malformed: the responses are interleaved, out of order or misframed`,
        expected: want,
        seen: `${sequence(got)}, then ${describeRead(r)}`,
        level: levels.order,
      });
    if (r.type === 'end') {
      // An RST right behind the last bytes can look like a clean end: probe before naming it.
      const end = await c.waitEnd({ timeoutMs: 0 });
      const cut = r.partialBytes > 0 ? `, in the middle of response ${i + 1}` : '';
      // The head of the response cut short may itself have announced the close: then the end
      // is an abortive close that destroyed it (RFC 9112 §9.6, the TCP reset problem), not a silent one.
      const head = r.partialBytes > 0 ? (c.parser.partial as HttpResponse | undefined) : undefined;
      if (head && saysClose(head))
        fail({
          summary: `the server announced the close in response ${i + 1} (${describeClose(head)}), then ${end.how === 'rst' ? 'reset' : 'closed'} the connection before that response was complete, with pipelined requests unread`,
          expected: `${want}, or up to a response that announces the close, complete, then a staged close (FIN, with the unread requests read and discarded; RFC 9112 §9.6)`,
          seen: `${sequence(got)}, then ${describeRead(r)}; ${describeEnd(end)}`,
          level: 'SHOULD',
        });
      // A reset destroys what the server had sent but the client had not read yet (RFC 9112 §9.6),
      // so the response that announced the close may be among the lost ones: if a request still
      // unanswered gets the close announced when sent alone, that is the likely story.
      const k = end.how === 'rst' ? steps.findIndex((st, j) => j >= i && announces(base, st)) : -1;
      if (k >= 0)
        fail({
          summary: `the connection was reset after ${i} of ${n} pipelined responses${cut}; ${steps[k]!.key} alone is answered with the close announced (${describeClose(base.get(steps[k]!.key)!)}), so the server most likely announced the close in response ${k + 1} and then closed abortively (RST, with pipelined requests unread), destroying responses ${i + 1} to ${k + 1} on their way`,
          expected: `${want}, or up to a response that announces the close, then a staged close (FIN, with the unread requests read and discarded; RFC 9112 §9.6)`,
          seen: `${sequence(got)}, then ${describeRead(r)}; ${describeEnd(end)}`,
          level: 'SHOULD',
        });
      // Long after the last response, the close is no silent close (PERSIST-02: within the grace
      // window) but an idle close: the server had dropped the requests still unanswered.
      const lastDone = i > 0 && r.partialBytes === 0 ? c.completedAt(got[i - 1]!) : undefined;
      if (lastDone !== undefined && r.at - lastDone > c.graceMs)
        fail({
          summary: `${n - i} of ${n} pipelined requests were never answered: after response ${i} the server sent nothing more and ${end.how === 'rst' ? 'reset' : 'closed'} the connection ${Math.round(r.at - lastDone)} ms later`,
          expected: want,
          seen: `${sequence(got)}, then ${describeRead(r)}; ${describeEnd(end)}`,
          level: levels.missing,
        });
      fail({
        summary: `the connection was ${end.how === 'rst' ? 'reset' : 'closed'} after ${i} of ${n} pipelined responses${cut}, and no response had said Connection: close`,
        expected: `${want}, or Connection: close on the last response before the server closes`,
        seen: `${sequence(got)}, then ${describeRead(r)}; ${describeEnd(end)}`,
        // closing after a response that did not announce it breaks PERSIST-02 (MUST)
        level: 'MUST',
      });
    }
    if (r.type === 'timeout')
      fail({
        summary: `no response to pipelined request ${i + 1} of ${n} (${step.req.label})`,
        expected: want,
        seen: `${sequence(got)}, then ${describeRead(r)}`,
        level: levels.missing,
      });
    const res = r.response;
    got.push(res);
    const expected = base.get(step.key)?.status;
    if (res.status !== expected)
      fail({
        summary: `response ${i + 1} of ${n} has status ${res.status}, but ${step.key} alone gets ${expected}: responses and requests do not match (out of order, or a request was lost or misread)`,
        expected: want,
        seen: `${sequence(got)} (response ${i + 1}: ${describeResponse(res)})`,
        level: levels.order,
      });
    if (saysClose(res) && i < n - 1) return { responses: got, closedAt: i + 1, attributable };
  }
  return { responses: got, attributable };
}

/** The request of `step`, sent alone, got a response that announces the close. */
function announces(base: Map<string, HttpResponse>, step: Step): boolean {
  const res = base.get(step.key);
  return res !== undefined && saysClose(res);
}

/** How a response announces the close, for the evidence. */
function describeClose(res: HttpResponse): string {
  return connectionOptions(res.headers).has('close')
    ? 'Connection: close'
    : `${res.version} without keep-alive`;
}

/** After the last response: no further response, no stray bytes, and no silent close. */
async function nothingMore(ctx: ServerCtx, c: Conn, last: HttpResponse, n: number): Promise<void> {
  const end = await c.waitEnd({ timeoutMs: graceMs(ctx), probe: false });
  if (end.extra.length > 0 || end.partialBytes > 0)
    fail({
      summary: `the server sent more than the ${n} responses asked for`,
      expected: `exactly ${n} responses`,
      seen: `${end.extra.length ? `${end.extra.length} extra response(s): ${end.extra.map(describeResponse).join('; ')}` : ''}${end.extra.length && end.partialBytes ? ' and ' : ''}${end.partialBytes ? `${end.partialBytes} unsolicited bytes` : ''}`,
      level: 'MUST',
    });
  if (end.how !== 'open' && !saysClose(last))
    fail({
      summary: `the connection was closed right after response ${n}, which did not say Connection: close`,
      expected: 'Connection: close on the last response before the server closes (PERSIST-02)',
      seen: `${describeResponse(last)}, then ${describeEnd(end)}`,
      level: 'MUST',
    });
}

async function sendAll(c: Conn, steps: Step[], opts: SendOptions = {}): Promise<void> {
  const sent = await c.send(
    steps.map((s) => s.req),
    opts,
  );
  if (!sent.ok)
    fail({
      summary: `could not write the ${steps.length} pipelined requests`,
      expected: 'the connection to accept the requests',
      seen: `the write failed: ${sent.error}`,
    });
}

/** The outcome of a pipeline that was answered in order, in full or up to an announced close. */
function orderVerdict(read: PipelineRead, steps: Step[]): Finding {
  const note = read.attributable ? '' : ' (every request gets the same status alone, so order is unproven)';
  if (read.closedAt === undefined)
    return satisfied(
      `${steps.length} pipelined responses in request order: ${sequence(read.responses)}${note}`,
    );
  if (read.closedAt < 2)
    skip(
      `the server answered only the first of ${steps.length} pipelined requests, with Connection: close; order cannot be checked`,
    );
  return satisfied(
    `the first ${read.closedAt} of ${steps.length} pipelined responses came in request order (${sequence(read.responses)}); the server then closed, announced with Connection: close${note}`,
  );
}

// ---- PIPE-01: order ---------------------------------------------------------------

type Kind = 'get' | 'missing' | 'head';

function orderScenario(id: string, kinds: Kind[], title: string): ServerScenario {
  return {
    id,
    role: 'server',
    area: 'pipelining',
    level: 'MUST',
    rfc: 'RFC 9112 §9.3.2',
    covers: ['PIPE-01'],
    title,
    async run(ctx) {
      const steps = kinds.map((k) =>
        k === 'get' ? getPath(ctx) : k === 'head' ? headPath(ctx) : getMissing(ctx),
      );
      const base = await baseline(ctx, steps);
      const c = await ctx.connect();
      await sendAll(c, steps);
      const read = await readPipeline(c, steps, base, { missing: 'MUST', order: 'MUST' });
      if (read.closedAt === undefined)
        await nothingMore(ctx, c, read.responses[read.responses.length - 1]!, steps.length);
      return orderVerdict(read, steps);
    },
  };
}

// ---- PIPE-02: segment boundaries ------------------------------------------------------

/** Two requests (GET <path>, GET /ka-spec-<nonce>) written with the given split; two correct responses wanted. */
function splitScenario(
  id: string,
  title: string,
  how: string,
  split: (first: Req, second: Req) => SendOptions,
): ServerScenario {
  return {
    id,
    role: 'server',
    area: 'pipelining',
    level: 'MUST',
    rfc: 'RFC 9112 §9.3.2, §2.2',
    covers: ['PIPE-02'],
    title,
    async run(ctx) {
      const steps = [getPath(ctx), getMissing(ctx)];
      const base = await baseline(ctx, steps);
      const c = await ctx.connect();
      c.note(`writing two requests ${how}`);
      // A server that announces the close on response 1 may close while request 2 still trickles
      // in, and the next write fails: what it sent is judged all the same.
      const sent = await c.send(
        steps.map((s) => s.req),
        split(steps[0]!.req, steps[1]!.req),
      );
      if (!sent.ok) c.note(`the write did not complete (${sent.error}); reading what the server sent`);
      const read = await readPipeline(c, steps, base, { missing: 'MUST', order: 'MUST' });
      if (read.closedAt !== undefined)
        skip(
          `the server closed after the first request (announced: ${describeClose(read.responses[0]!)})${sent.ok ? '' : `, while the second was still being written (${sent.error})`}, so the second could not be checked`,
        );
      await nothingMore(ctx, c, read.responses[1]!, 2);
      return satisfied(`both requests, written ${how}, were answered: ${sequence(read.responses)}`);
    },
  };
}

/** Boundary `into` bytes into the \r\n\r\n that ends request `which`. */
function crlfSplit(which: 1 | 2, into: 1 | 2 | 3): ServerScenario {
  const where = `${into} byte${into > 1 ? 's' : ''} into the CRLFCRLF that ends request ${which}`;
  return splitScenario(
    `pipe-split-crlf-${which}-${into}`,
    `a write boundary ${where} does not lose or corrupt either request`,
    which === 1
      ? `in two writes 200 ms apart, the boundary ${where}`
      : `in two writes, the second once request 1 was answered (at most 1 s later), the boundary ${where}`,
    (first, second) => {
      const end = which === 1 ? first.bytes.length : first.bytes.length + second.bytes.length;
      // Inside request 1 the server cannot answer before the rest comes: a plain pause. Inside request 2,
      // waiting for the answer to request 1 proves the server read the first write on its own.
      return which === 1
        ? { splitAt: [end - 4 + into], pauseMs: 200 }
        : { splitAt: [end - 4 + into], pauseMs: 1000, untilAnswered: true };
    },
  );
}

// ---- PIPE-03: deep pipeline ------------------------------------------------------------

const DEPTH = 200;
const BATCH = 10;
const LARGE_BYTES = 16 * 1024 * 1024;

const deepPipeline: ServerScenario = {
  id: 'pipe-deep',
  role: 'server',
  // holds many connections or a deep pipeline: other scenarios would change what it measures
  alone: true,
  area: 'pipelining',
  level: 'SHOULD',
  rfc: 'RFC 9112 §9.5',
  covers: ['PIPE-03'],
  title: 'a deep pipeline read late is slowed by flow control, never reset or cut short silently',
  budgetMs: (t) => 2 * t.timeoutMs,
  async run(ctx) {
    // The pipeline starts with enough requests for the target's large resource that its output
    // must back up (LARGE_BYTES, far more than loopback socket buffers hold while nobody reads),
    // then goes on with small requests up to DEPTH: a GET, every tenth a HEAD and every tenth a
    // missing path, so that a lost, repeated or misplaced response shows.
    const large = ctx.target.resources.largePath;
    const pattern = (i: number) =>
      i % 10 === 9 ? headPath(ctx) : i % 10 === 4 ? getMissing(ctx) : getPath(ctx);
    const probe = [
      ...(large ? [getPath(ctx, large)] : []),
      ...Array.from({ length: 10 }, (_, i) => pattern(i)),
    ];
    const base = await baseline(ctx, probe);
    const size = large ? (base.get(probe[0]!.key)?.body.length ?? 0) : 0;
    const bigOnes = large ? Math.min(DEPTH / 2, Math.ceil(LARGE_BYTES / Math.max(size, 1))) : 0;
    const steps = Array.from({ length: DEPTH }, (_, i) => (i < bigOnes ? getPath(ctx, large) : pattern(i)));
    const what = large
      ? `${bigOnes} x GET ${large} (${size} bytes each), then small requests`
      : `small requests (the target names no large resource, so its output may not back up)`;
    // The first request alone is answered with the close announced: the server closes after it.
    const first = base.get(steps[0]!.key);
    const closesAfterFirst = first !== undefined && saysClose(first);
    const statusOf = (st: Step) => base.get(st.key)?.status;
    const mix = `a GET ${ctx.path} (${statusOf(getPath(ctx))}) / GET /ka-spec-<nonce> (${statusOf(getMissing(ctx))}) / HEAD ${ctx.path} (${statusOf(headPath(ctx))}, no body) mix`;
    const wanted = (n: number) =>
      `${n} responses in request order (${bigOnes ? `${Math.min(n, bigOnes)} x ${statusOf(steps[0]!)} for GET ${large}${n > bigOnes ? `, then ${mix}` : ''}` : mix})`;
    const c = await ctx.connect();
    // Read nothing while writing: the server's output must back up into TCP flow control.
    c.pauseReading();
    c.note(`reading paused; writing ${DEPTH} requests (${what}) in writes of ${BATCH}`);
    let written = 0;
    let blocked: string | undefined;
    while (written < DEPTH) {
      const sent = await c.send(
        steps.slice(written, written + BATCH).map((s) => s.req),
        { pauseMs: 0 },
      );
      if (!sent.ok && !/blocked/.test(sent.error) && closesAfterFirst)
        fail({
          summary: `the connection was reset after ${written} pipelined requests had been written, before any response was read: ${steps[0]!.key} alone is answered with the close announced (${describeClose(first)}), so this is an abortive close after response 1 with the rest of the pipeline unread, not a flow-control failure`,
          expected:
            'after the announced close, a staged close: FIN, with the unread pipelined requests read and discarded, so that response 1 stays readable (RFC 9112 §9.6)',
          seen: `the write failed: ${sent.error}`,
        });
      if (!sent.ok && !/blocked/.test(sent.error))
        fail({
          summary: `the connection failed after ${written} pipelined requests had been written, before any response was read`,
          expected: 'the server to stop reading (flow control) rather than reset the connection',
          seen: `the write failed: ${sent.error}`,
        });
      // A write that blocked stays queued and goes out once the server reads again.
      written += BATCH;
      if (!sent.ok) {
        blocked = sent.error;
        break;
      }
    }
    // Keep not reading for a while (no event tells when the server has read the pipeline and
    // filled the socket buffers; a busy server may take its time), so that its output backs up.
    const hold = Math.min(1000, ctx.timing.timeoutMs / 2);
    await ctx.sleep(hold);
    c.note(`resuming reads after ${hold} ms; ${written} requests written${blocked ? ` (${blocked})` : ''}`);
    c.resumeReading();
    const sentSteps = steps.slice(0, written);
    const read = await readPipeline(
      c,
      sentSteps,
      base,
      { missing: 'SHOULD', order: 'MUST' },
      wanted(written),
    );
    const depth = blocked ? `${written} (the writes blocked after that)` : String(written);
    if (read.closedAt !== undefined) {
      const end = await c.waitEnd();
      if (end.how === 'rst')
        fail({
          summary: `after announcing close on response ${read.closedAt}, the server reset the connection`,
          expected:
            'a clean FIN after the announced close (the unread pipelined requests drained, not reset)',
          seen: describeEnd(end),
        });
      return measured(
        `${depth} pipelined requests written: the first ${read.closedAt} were answered in order, then the server announced Connection: close and ended with ${describeEnd(end)}`,
        read.closedAt,
      );
    }
    await nothingMore(ctx, c, read.responses[read.responses.length - 1]!, written);
    return satisfied(
      `all ${written} pipelined requests (${what}) were answered in order after reading resumed`,
    );
  },
};

// ---- PIPE-04: a big or slow first response ------------------------------------------------

function firstResponseScenario(id: string, kind: 'largePath' | 'slowPath', what: string): ServerScenario {
  return {
    id,
    role: 'server',
    area: 'pipelining',
    level: 'MUST',
    rfc: 'RFC 9112 §9.3.2',
    covers: ['PIPE-04'],
    title: `the response to a ${what} first request is sent whole before the next response starts`,
    async run(ctx) {
      const path = ctx.resource(kind);
      const steps = [getPath(ctx, path), getMissing(ctx)];
      const base = await baseline(ctx, steps);
      const c = await ctx.connect();
      await sendAll(c, steps);
      const read = await readPipeline(c, steps, base, { missing: 'MUST', order: 'MUST' });
      if (read.closedAt !== undefined)
        skip('the server closed after the first response (announced), so nothing could overtake it');
      await nothingMore(ctx, c, read.responses[1]!, 2);
      const first = read.responses[0]!;
      return satisfied(
        `GET ${path} (${first.status}, ${first.body.length} body bytes) was answered whole before the ${read.responses[1]!.status} of the next request${read.attributable ? '' : ' (both get the same status alone, so order is unproven)'}`,
      );
    },
  };
}

/** Area `pipelining`. */
export const pipelining: ServerScenario[] = [
  orderScenario(
    'pipe-order-mixed',
    ['get', 'missing', 'head', 'get'],
    'four requests written at once (GET, GET missing, HEAD, GET) get four responses, in order',
  ),
  orderScenario(
    'pipe-order-ten',
    ['get', 'missing', 'head', 'get', 'get', 'missing', 'missing', 'head', 'get', 'missing'],
    'ten requests written at once get ten responses, in order',
  ),
  splitScenario(
    'pipe-split-leftover',
    'the first bytes of the next request, read with the previous one, are kept',
    'as request 1 plus the first 7 bytes of request 2, then the rest once request 1 was answered (at most 1 s later)',
    // Waiting for the answer to request 1 proves the server read request 1 with the 7 leftover bytes, alone.
    (first) => ({ splitAt: [first.bytes.length + 7], pauseMs: 1000, untilAnswered: true }),
  ),
  splitScenario(
    'pipe-split-bytewise',
    'two requests written one byte per write are parsed as two requests',
    'one byte per write, 1 ms apart',
    () => ({ trickle: 1, pauseMs: 1 }),
  ),
  crlfSplit(1, 1),
  crlfSplit(1, 2),
  crlfSplit(1, 3),
  crlfSplit(2, 2),
  deepPipeline,
  firstResponseScenario('pipe-large-first', 'largePath', 'large'),
  firstResponseScenario('pipe-slow-first', 'slowPath', 'slow'),
];
