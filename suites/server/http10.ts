import {
  closedAfter,
  describeEnd,
  describeRead,
  describeResponse,
  expectResponse,
  fail,
  saysKeepAlive,
  skip,
} from '../../harness/check.js';
import { type Level, measured, satisfied } from '../../harness/model.js';
import type { ServerCtx, ServerScenario } from '../../harness/server-context.js';
import { chunkedBody, type HeaderList, type Req } from '../../harness/wire/build.js';
import type { Conn, EndObservation, ReadResult } from '../../harness/wire/conn.js';
import { fieldValue, fieldValues, type HttpResponse } from '../../harness/wire/parse.js';
import { escapeLine } from '../../harness/wire/transcript.js';
import { closedRightAfter, graceMs, keepAliveParam } from './steps.js';

/** describeResponse plus the Keep-Alive header, which this area judges. */
function describe10(res: HttpResponse): string {
  const ka = fieldValue(res.headers, 'keep-alive');
  const te = fieldValues(res.headers, 'transfer-encoding');
  return `${describeResponse(res)}${te.length ? `, Transfer-Encoding: ${escapeLine(te.join(', '), 60)}` : ''}${ka !== undefined ? `, Keep-Alive: ${escapeLine(ka, 60)}` : ''}`;
}

const hasTransferEncoding = (res: HttpResponse) => fieldValues(res.headers, 'transfer-encoding').length > 0;

/** A timeout while the parser is inside a body that only the close can end. */
const unendedCloseDelimited = (r: ReadResult) => r.type === 'timeout' && r.state.includes('close-delimited');

function request10(ctx: ServerCtx, headers: HeaderList, target = ctx.path) {
  return ctx.request({ method: 'GET', target, version: '1.0', headers });
}

/**
 * How a close-delimited body ended, timed from its last byte: the wait for the end starts only
 * once the body is complete, that is after the end, so its own timing says nothing.
 */
function endedBy(c: Conn, res: HttpResponse, end: EndObservation): string {
  const lag = c.closeLag(res);
  if (end.how === 'open' || lag === undefined) return describeEnd(end);
  const late = lag > c.graceMs ? '; a late close, judged under PERSIST-03' : '';
  return `${end.how === 'fin' ? 'FIN' : 'RST'} ${Math.round(lag)} ms after its last byte (${end.verdict}${late})`;
}

/** Send, or fail saying the write did not go through. */
async function send(c: Conn, req: Req): Promise<void> {
  const sent = await c.send(req);
  if (!sent.ok)
    fail({
      summary: `could not send ${req.label}`,
      expected: `the connection to accept ${req.label}`,
      seen: `the write failed: ${sent.error}`,
      level: 'MUST',
    });
}

/** Fail (RFC 9112 §6.1) if a response to an HTTP/1.0 request uses Transfer-Encoding. */
function noTransferEncoding(res: HttpResponse): void {
  if (hasTransferEncoding(res))
    fail({
      summary: 'a response to an HTTP/1.0 request carries Transfer-Encoding',
      expected:
        'no Transfer-Encoding toward an HTTP/1.0 client (Content-Length, or a body ended by the close)',
      seen: describe10(res),
      level: 'MUST NOT',
    });
}

/**
 * After a complete, length-delimited response: the connection must end, by the suite's one
 * rule for a close after a response (harness/check.ts closedAfter). A quiet grace window is
 * only a hint, so a further request is sent: an answer proves the connection was kept, and
 * a close that comes only then is timed from the response, and late.
 */
async function mustClose(
  ctx: ServerCtx,
  c: Conn,
  res: HttpResponse,
  why: string,
  before: string,
  next: Req,
): Promise<string> {
  const grace = graceMs(ctx);
  let seen = await closedAfter(c, res, ctx.transcript, { waitMs: grace });
  const e = seen.end;
  if (e.extra.length > 0)
    fail({
      summary: `further responses came ${why}, where the connection should have ended`,
      expected: 'the close right after the response',
      seen: `${before}, then ${e.extra.map(describe10).join('; ')}`,
    });
  let probed = '';
  if (seen.verdict === 'open') {
    const sent = await c.send(next);
    if (sent.ok) {
      const r = await c.readResponse();
      if (r.type !== 'end' || r.partialBytes > 0)
        fail({
          summary: `the connection stayed open ${why}`,
          expected: 'the server to close the connection right after the response',
          seen: `${before}; ${grace} ms later, ${next.label} on the same connection got ${describeRead(r)}`,
        });
      probed = ` (${next.label}, sent after ${grace} ms, was not answered)`;
    } else probed = ` (a further write failed: ${sent.error})`;
    seen = await closedAfter(c, res, ctx.transcript, { waitMs: 0 });
  }
  if (seen.verdict === 'late')
    fail({
      summary: `the server closed the connection only ${Math.round(seen.lagMs ?? 0)} ms ${why}, not right after the response`,
      expected: `the close right after the response: FIN or RST within ${seen.boundMs} ms of its last byte`,
      seen: `${before}, then ${seen.text}${probed}`,
    });
  return `${seen.text}${probed}`;
}

/**
 * KA10-01 / KA10-04: one HTTP/1.0 request that does not ask for keep-alive;
 * the connection must end after its response.
 */
async function expectCloseAfter10(ctx: ServerCtx, headers: HeaderList, what: string) {
  const c = await ctx.connect();
  const req = request10(ctx, headers);
  await send(c, req);
  const r = await c.readResponse();
  if (unendedCloseDelimited(r))
    fail({
      summary: `the server kept the connection open after a close-delimited response to ${what}`,
      expected: 'the connection closed after the response, which also ends its body',
      seen: describeRead(r),
    });
  const res = expectResponse(r, req.label, 'MUST');
  noTransferEncoding(res);
  if (res.framing.kind === 'close-delimited') {
    const end = await c.waitEnd({ probe: false });
    return satisfied(`${describe10(res)}: the body was ended by the close (${endedBy(c, res, end)})`);
  }
  const end = await mustClose(
    ctx,
    c,
    res,
    `after answering ${what}`,
    describe10(res),
    request10(ctx, headers),
  );
  return satisfied(`${describe10(res)}, then ${end}`);
}

/** KA10-07 on one resource: an HTTP/1.0 keep-alive POST with Transfer-Encoding must end the connection. */
async function teCloses(ctx: ServerCtx, target: string): Promise<string> {
  const c = await ctx.connect();
  const req = ctx.request({
    method: 'POST',
    target,
    version: '1.0',
    headers: [
      ['Connection', 'keep-alive'],
      ['Transfer-Encoding', 'chunked'],
    ],
    body: chunkedBody(['hello']),
  });
  await send(c, req);
  const r = await c.readResponse();
  if (r.type === 'end' && r.partialBytes === 0)
    return `${req.label}: the server closed the connection without a response (${r.how.toUpperCase()})`;
  if (unendedCloseDelimited(r))
    fail({
      summary:
        'the server kept the connection open after answering an HTTP/1.0 request with Transfer-Encoding',
      expected: 'the connection closed after the response',
      seen: describeRead(r),
    });
  const res = expectResponse(r, req.label, 'MUST');
  if (res.framing.kind === 'close-delimited')
    return `${req.label}: ${describe10(res)}, body ended by the close`;
  const end = await mustClose(
    ctx,
    c,
    res,
    `after an HTTP/1.0 request with Transfer-Encoding to ${target} (faulty framing)`,
    describe10(res),
    ctx.get(),
  );
  return `${req.label}: ${describe10(res)}, then ${end}`;
}

/** What a server did with one HTTP/1.0 request that carried `Connection: <value>`. */
interface Probe10 {
  kind:
    | 'no-response' // nothing usable came
    | 'chunked' // Transfer-Encoding toward HTTP/1.0
    | 'open-unframed' // a close-delimited body, and no close
    | 'declined' // no keep-alive token, and the connection ended after the response
    | 'broken' // the keep-alive token, then the connection ended before a second request was answered
    | 'timed-out' // the keep-alive token with a Keep-Alive timeout short enough to explain the close
    | 'honoured' // kept, announced with keep-alive, second request answered
    | 'unannounced'; // kept (second request answered) without the keep-alive token
  /** the response carried the keep-alive connection option */
  announced: boolean;
  res?: HttpResponse;
  seen: string;
}

const PROBE_MEANING: Record<Probe10['kind'], string> = {
  'no-response': 'no usable response',
  chunked: 'a response with Transfer-Encoding',
  'open-unframed': 'a close-delimited body on a connection left open',
  declined: 'keep-alive declined (no keep-alive token, and the connection ended after the response)',
  broken:
    'keep-alive announced (the keep-alive token), then the connection ended before a second request was answered',
  'timed-out': 'keep-alive announced with a Keep-Alive timeout, and the connection ended at that timeout',
  honoured: 'keep-alive honoured and announced (a second request was answered)',
  unannounced: 'the connection kept without the keep-alive token (a second request was answered)',
};

/**
 * A connection that ended after a response to an HTTP/1.0 keep-alive request. Without the
 * keep-alive token that is a decline. With it, it is a broken promise (KA10-02; PERSIST-02
 * holds for HTTP/1.0 keep-alive responses too), unless the response also announced a
 * Keep-Alive timeout short enough to explain the close (timeout=0, say): then the server
 * kept its word.
 */
function endedAfter(
  res: HttpResponse,
  announced: boolean,
  lagMs: number | undefined,
  seen: string,
): Pick<Probe10, 'kind' | 'seen'> {
  if (!announced) return { kind: 'declined', seen };
  const timeout = keepAliveParam(res, 'timeout');
  const lag = lagMs ?? 0;
  if (timeout !== undefined && timeout * 1000 <= lag)
    return {
      kind: 'timed-out',
      seen: `${seen}: the close came ${Math.round(lag)} ms after the response, no earlier than its announced Keep-Alive: timeout=${timeout}`,
    };
  const promise = timeout !== undefined ? `, long before its announced timeout=${timeout} s` : '';
  return {
    kind: 'broken',
    seen: `${seen}: keep-alive was announced, yet the connection ended ${Math.round(lag)} ms after the response${promise}`,
  };
}

/** KA10-02: send `GET <path> HTTP/1.0` + `Connection: <value>` and classify what the server does. */
async function probe10(ctx: ServerCtx, value: string): Promise<Probe10> {
  const c = await ctx.connect();
  const req = () => request10(ctx, [['Connection', value]]);
  const first = req();
  const sent = await c.send(first);
  if (!sent.ok) return { kind: 'no-response', announced: false, seen: `the write failed: ${sent.error}` };
  const r = await c.readResponse();
  if (r.type !== 'response')
    return {
      kind: unendedCloseDelimited(r) ? 'open-unframed' : 'no-response',
      announced: false,
      seen: describeRead(r),
    };
  const res = r.response;
  const announced = saysKeepAlive(res);
  const base = { res, announced };
  if (hasTransferEncoding(res)) return { kind: 'chunked', ...base, seen: describe10(res) };
  if (res.framing.kind === 'close-delimited') {
    // A body only the close can end: with the keep-alive token, the close breaks what it announced.
    const end = await c.waitEnd({ probe: false });
    const lag = c.closeLag(res);
    return {
      ...base,
      ...endedAfter(res, announced, lag, `${describe10(res)}, body ended by ${endedBy(c, res, end)}`),
    };
  }
  // The suite's one rule for a close right after a response (harness/check.ts closedAfter);
  // a quiet window is only a hint: a second request shows whether the connection was kept.
  const closed = await closedAfter(c, res, ctx.transcript, { waitMs: graceMs(ctx) });
  if (closed.verdict !== 'open')
    return {
      ...base,
      ...endedAfter(res, announced, closed.lagMs, `${describe10(res)}, then ${closed.text}`),
    };
  const second = req();
  const sent2 = await c.send(second);
  const r2: ReadResult | undefined = sent2.ok ? await c.readResponse() : undefined;
  if (r2?.type !== 'response') {
    const seen = `${describe10(res)}; no close within ${graceMs(ctx)} ms, but a second request got ${r2 ? describeRead(r2) : `a failed write (${sent2.ok ? '' : sent2.error})`}`;
    // The connection ended instead of answering: time the end from the first response.
    if (!r2 || (r2.type === 'end' && r2.partialBytes === 0)) {
      const ended = await closedAfter(c, res, ctx.transcript, { waitMs: 0 });
      return { ...base, ...endedAfter(res, announced, ended.lagMs, seen) };
    }
    return { kind: 'declined', ...base, seen };
  }
  return {
    kind: announced ? 'honoured' : 'unannounced',
    ...base,
    seen: `${describe10(res)}; second request on the same connection: ${describe10(r2.response)}`,
  };
}

function keepAliveParams(res: HttpResponse): string {
  const t = keepAliveParam(res, 'timeout');
  const m = keepAliveParam(res, 'max');
  if (t === undefined && m === undefined) return 'no Keep-Alive timeout/max';
  return `Keep-Alive ${t !== undefined ? `timeout=${t}` : 'no timeout'}, ${m !== undefined ? `max=${m}` : 'no max'}`;
}

/**
 * The level at which a variant spelling handled differently from keep-alive is judged: declining
 * keep-alive cleanly (no keep-alive token, then the close) or honouring it is the server's choice
 * (RFC 9112 §9.3: "the recipient wishes to honor"), and a kept connection answered HTTP/1.1 is
 * announced by its version; anything else breaks a rule of KA10-02 at the scenario's level.
 */
function variantLevel(p: Probe10): Level | undefined {
  switch (p.kind) {
    case 'declined':
      return p.announced ? undefined : 'INFO';
    case 'honoured':
    case 'timed-out':
      return 'INFO';
    case 'unannounced':
      return p.res?.version === 'HTTP/1.0' ? 'SHOULD' : 'INFO';
    default:
      return undefined;
  }
}

/** KA10-06: one variant spelling of the keep-alive option, judged against the lower-case spelling. */
function tokenVariant(id: string, value: string, what: string): ServerScenario {
  return {
    id,
    role: 'server',
    area: 'http10',
    level: 'MUST',
    rfc: 'RFC 9110 §7.6.1; RFC 9112 §9.3',
    covers: ['KA10-06'],
    title: `Connection: ${value} on an HTTP/1.0 request is handled like Connection: keep-alive (${what}), or declined cleanly`,
    async run(ctx) {
      const [base, variant] = await Promise.all([probe10(ctx, 'keep-alive'), probe10(ctx, value)]);
      const same = base.kind === variant.kind && base.announced === variant.announced;
      const token = (p: Probe10) => (p.announced ? 'with' : 'without');
      if (!same) {
        const level = variantLevel(variant);
        fail({
          summary: `Connection: ${value} was handled differently from Connection: keep-alive${level === 'INFO' ? ' (a permitted choice: RFC 9112 §9.3 lets a server decline or honour HTTP/1.0 keep-alive)' : ''}`,
          expected: `the same as for keep-alive: ${PROBE_MEANING[base.kind]}, ${token(base)} the keep-alive token (${base.seen})`,
          seen: `${PROBE_MEANING[variant.kind]}, ${token(variant)} the keep-alive token (${variant.seen})`,
          level,
        });
      }
      return satisfied(
        `Connection: ${value} and Connection: keep-alive both got: ${PROBE_MEANING[variant.kind]}, ${token(variant)} the keep-alive token`,
      );
    },
  };
}

export const http10: ServerScenario[] = [
  {
    id: 'http10-close-by-default',
    role: 'server',
    area: 'http10',
    level: 'MUST',
    rfc: 'RFC 9112 §9.3',
    covers: ['KA10-01', 'KA10-03'],
    title: 'the server closes the connection after answering an HTTP/1.0 request without keep-alive',
    run: (ctx) => expectCloseAfter10(ctx, [], 'an HTTP/1.0 request without keep-alive'),
  },
  {
    id: 'http10-keepalive-request',
    role: 'server',
    area: 'http10',
    level: 'MAY',
    rfc: 'RFC 9112 §9.3',
    covers: ['KA10-02'],
    title:
      'an HTTP/1.0 keep-alive request is either declined by a close, or honoured with the keep-alive token and a Content-Length',
    async run(ctx) {
      const p = await probe10(ctx, 'keep-alive');
      switch (p.kind) {
        case 'no-response':
          return fail({
            summary: 'no response to an HTTP/1.0 request with Connection: keep-alive',
            expected: 'a complete response',
            seen: p.seen,
            level: 'MUST',
          });
        case 'chunked':
          return fail({
            summary: 'a chunked (Transfer-Encoding) response to an HTTP/1.0 request',
            expected: 'a body delimited by Content-Length or by the close (RFC 9112 §6.1)',
            seen: p.seen,
            level: 'MUST NOT',
          });
        case 'open-unframed':
          return fail({
            summary: 'the server kept the connection open after a response without a self-defined length',
            expected: 'a Content-Length on a kept connection, or the close right after the body',
            seen: p.seen,
            level: 'MUST',
          });
        case 'unannounced':
          // An HTTP/1.1 response announces persistence by its version (RFC 9112 §9.3); only an
          // HTTP/1.0 response without the token says the connection ends, and then it should.
          return fail({
            summary:
              p.res?.version === 'HTTP/1.0'
                ? 'the server kept the HTTP/1.0 connection open without announcing keep-alive'
                : `the server kept the HTTP/1.0 connection open with an ${p.res?.version ?? 'HTTP/1.1'} response and no keep-alive token: its version says the connection persists (RFC 9112 §9.3)`,
            expected: 'Connection: keep-alive on the response, or a close after it',
            seen: p.seen,
            level: p.res?.version === 'HTTP/1.0' ? 'SHOULD' : 'INFO',
          });
        case 'broken':
          return fail({
            summary:
              'the server announced keep-alive on its response to an HTTP/1.0 keep-alive request, then closed the connection right after it',
            expected:
              'either no keep-alive token and the close (keep-alive declined), or the connection kept for a further request (keep-alive honoured): the keep-alive token promises persistence (RFC 9112 §9.3; PERSIST-02 holds here too)',
            seen: p.seen,
            level: 'MUST',
          });
        case 'timed-out':
          return measured(`keep-alive announced with a Keep-Alive timeout that ended it: ${p.seen}`);
        case 'declined':
          return measured(`keep-alive declined: ${p.seen}`);
        case 'honoured':
          return measured(`keep-alive honoured (${p.res ? keepAliveParams(p.res) : ''}): ${p.seen}`);
      }
    },
  },
  {
    id: 'http10-no-chunked',
    role: 'server',
    area: 'http10',
    level: 'MUST NOT',
    rfc: 'RFC 9112 §6.1',
    covers: ['KA10-03'],
    owns: ['KA10-03'],
    title:
      'a body of unknown length goes to an HTTP/1.0 keep-alive client without chunked coding, and without a length only with a close',
    async run(ctx) {
      const path = ctx.resource('chunkedPath');
      const c = await ctx.connect();
      const req = request10(ctx, [['Connection', 'keep-alive']], path);
      await send(c, req);
      const r = await c.readResponse();
      if (unendedCloseDelimited(r))
        fail({
          summary:
            'a response without Content-Length to an HTTP/1.0 keep-alive request, and no close after it',
          expected: 'a Content-Length on a kept connection, or the close right after the body',
          seen: describeRead(r),
          level: 'MUST',
        });
      const res = expectResponse(r, req.label, 'MUST');
      noTransferEncoding(res);
      if (res.framing.kind === 'close-delimited') {
        const end = await c.waitEnd({ probe: false });
        return satisfied(
          `${describe10(res)}: no chunked coding; the body was ended by ${endedBy(c, res, end)}`,
        );
      }
      return satisfied(`${describe10(res)}: no chunked coding`);
    },
  },
  {
    id: 'http10-keepalive-header-ignored',
    role: 'server',
    area: 'http10',
    level: 'MUST',
    rfc: 'RFC 9112 §9.3; RFC 9110 §7.6.1',
    covers: ['KA10-04'],
    title:
      'a Keep-Alive header without the keep-alive connection option does not keep an HTTP/1.0 connection',
    run: (ctx) =>
      expectCloseAfter10(
        ctx,
        [['Keep-Alive', '300']],
        'an HTTP/1.0 request with Keep-Alive: 300 but no token',
      ),
  },
  {
    id: 'http10-keepalive-per-request',
    role: 'server',
    area: 'http10',
    level: 'MUST',
    rfc: 'RFC 9112 §9.3',
    covers: ['KA10-05'],
    title:
      'on a kept HTTP/1.0 connection, a later request without keep-alive ends the connection after its response',
    async run(ctx) {
      const c = await ctx.connect();
      const first = request10(ctx, [['Connection', 'keep-alive']]);
      await send(c, first);
      const r1 = await c.readResponse();
      if (unendedCloseDelimited(r1))
        fail({
          summary: 'the first response (to an HTTP/1.0 keep-alive request) never ended',
          expected: 'a Content-Length on a kept connection, or the close right after the body',
          seen: describeRead(r1),
        });
      const res1 = expectResponse(r1, first.label, 'MUST');
      // A close that broke an announced keep-alive is judged by http10-keepalive-request.
      const declined = () =>
        saysKeepAlive(res1)
          ? 'the server closed the connection although it announced keep-alive (judged by http10-keepalive-request)'
          : 'the server declined keep-alive';
      if (c.ended) skip(`${declined()}: ${describe10(res1)}, body ended by the close`);
      const end1 = await closedRightAfter(ctx, c);
      if (end1) skip(`${declined()}: ${describe10(res1)}, then ${describeEnd(end1)}`);
      const second = request10(ctx, []);
      const sent = await c.send(second);
      const r2 = sent.ok ? await c.readResponse() : undefined;
      if (!r2 || (r2.type === 'end' && r2.partialBytes === 0))
        skip(
          `the server closed the connection after the first response (${describe10(res1)}) before a second request could be answered`,
        );
      if (unendedCloseDelimited(r2))
        fail({
          summary:
            'the server kept the connection open after a close-delimited response to a request without keep-alive',
          expected: 'the connection closed after the second response',
          seen: describeRead(r2),
        });
      const res2 = expectResponse(r2, second.label, 'MUST');
      if (res2.framing.kind === 'close-delimited')
        return satisfied(`${describe10(res2)}: body ended by the close after the request without keep-alive`);
      const end = await mustClose(
        ctx,
        c,
        res2,
        'after answering a second HTTP/1.0 request that did not carry keep-alive',
        `first request (keep-alive): ${describe10(res1)}; second (no token): ${describe10(res2)}`,
        request10(ctx, []),
      );
      return satisfied(
        `first request (keep-alive): ${describe10(res1)}; second (no token): ${describe10(res2)}, then ${end}`,
      );
    },
  },
  tokenVariant('http10-token-capitalised', 'Keep-Alive', 'capitalised'),
  tokenVariant('http10-token-upper-case', 'KEEP-ALIVE', 'upper case'),
  tokenVariant('http10-token-in-list', 'x-foo, keep-alive', 'second in a list'),
  {
    id: 'http10-te-closes',
    role: 'server',
    area: 'http10',
    level: 'MUST',
    rfc: 'RFC 9112 §6.1',
    covers: ['KA10-07'],
    title:
      'after an HTTP/1.0 request that carries Transfer-Encoding, the server closes the connection even when keep-alive was asked',
    async run(ctx) {
      // Both the POST resource and the default one: a resource that answers close-delimited
      // (a CGI, say) cannot show whether the server would keep the connection.
      const targets = [...new Set([ctx.target.resources.postPath ?? ctx.path, ctx.path])];
      const seen = await Promise.all(targets.map((t) => teCloses(ctx, t)));
      return satisfied(seen.join('; '));
    },
  },
  {
    id: 'http10-keepalive-header-paired',
    role: 'server',
    area: 'http10',
    level: 'MUST',
    rfc: 'RFC 9110 §7.6.1',
    covers: ['KA10-08'],
    title: 'a response carries a Keep-Alive header only together with the keep-alive connection option',
    async run(ctx) {
      const cases: Array<{ what: string; version: string; headers: HeaderList }> = [
        {
          what: 'HTTP/1.0 with Connection: keep-alive',
          version: '1.0',
          headers: [['Connection', 'keep-alive']],
        },
        { what: 'HTTP/1.1', version: '1.1', headers: [] },
        { what: 'HTTP/1.0 without keep-alive', version: '1.0', headers: [] },
      ];
      // Only the header section is judged: a response whose body never completes is left out.
      const results = await Promise.all(
        cases.map(async (k) => {
          const c = await ctx.connect();
          const req = ctx.request({
            method: 'GET',
            target: ctx.path,
            version: k.version,
            headers: k.headers,
          });
          await send(c, req);
          const r = await c.readResponse();
          return { ...k, res: r.type === 'response' ? r.response : undefined, seen: describeRead(r) };
        }),
      );
      const seen = results.flatMap((s) => (s.res ? [{ ...s, res: s.res }] : []));
      const missing = results
        .filter((s) => !s.res)
        .map((s) => `${s.what}: ${s.seen}`)
        .join('; ');
      if (seen.length === 0) skip(`no complete response to judge (${missing})`);
      for (const s of seen) {
        if (fieldValue(s.res.headers, 'keep-alive') !== undefined && !saysKeepAlive(s.res))
          fail({
            summary: `the response to ${s.what} carries a Keep-Alive header without the keep-alive connection option`,
            expected:
              'Connection: keep-alive alongside any Keep-Alive header (RFC 9110 §7.6.1: the sender of a connection-specific field MUST list its name in Connection)',
            seen: describe10(s.res),
          });
      }
      const params = seen
        .map((s) =>
          fieldValue(s.res.headers, 'keep-alive') !== undefined
            ? `${s.what}: ${keepAliveParams(s.res)}`
            : `${s.what}: no Keep-Alive header`,
        )
        .join('; ');
      const unjudged = missing ? ` (not judged, no complete response: ${missing})` : '';
      return satisfied(`every Keep-Alive header came with the keep-alive token: ${params}${unjudged}`);
    },
  },
];
