// Area `close`: Connection: close from the client, closes the server announces,
// the staged (lingering) close, half-closes and truncated requests.

import { randomBytes } from 'node:crypto';
import {
  type ClosedAfter,
  closedAfter,
  describeEnd,
  describeRead,
  describeResponse,
  expectResponse,
  fail,
  saysClose,
  skip,
} from '../../harness/check.js';
import { type Finding, type Level, measured, satisfied } from '../../harness/model.js';
import type { ServerCtx, ServerScenario } from '../../harness/server-context.js';
import { type HeaderList, type Req, rawRequest } from '../../harness/wire/build.js';
import type { Conn, EndObservation } from '../../harness/wire/conn.js';
import type { HttpResponse } from '../../harness/wire/parse.js';
import { graceMs } from './steps.js';

const CLOSE: HeaderList = [['Connection', 'close']];

const ms = (n: number) => `${Math.round(n)} ms`;
const kib = (n: number) => `${Math.round(n / 1024)} KiB`;

/** How the connection ended, timed from the completion of `res` (the end may precede the wait). */
function endAfter(c: Conn, res: HttpResponse, end: EndObservation): string {
  if (end.how === 'open') return describeEnd(end);
  const done = c.completedAt(res);
  const when =
    end.at !== undefined && done !== undefined ? ` ${ms(Math.max(0, end.at - done))} after the response` : '';
  return `${end.how.toUpperCase()}${when} (${end.verdict})`;
}

async function sendAll(c: Conn, data: Req | Req[] | Buffer | string, what: string): Promise<void> {
  const sent = await c.send(data);
  if (!sent.ok)
    fail({
      summary: `could not send ${what}`,
      expected: `the connection to accept ${what}`,
      seen: `the write failed: ${sent.error}`,
    });
}

/**
 * The suite's one rule for "closed after the response" (harness/check.ts closedAfter):
 * a close that came, but only later than the bound, is a failure like a connection
 * left open. `after` completes "closed ... after <after>".
 */
function failIfLate(
  res: HttpResponse,
  seen: ClosedAfter,
  after: string,
  level: Level | undefined = 'MUST',
): void {
  if (seen.verdict !== 'late') return;
  fail({
    summary: `the server closed the connection only ${ms(seen.lagMs ?? 0)} after ${after}, not right after it (as a server that waits for its idle timeout does)`,
    expected: `the close right after ${after}: FIN or RST within ${ms(seen.boundMs)} of the response's last byte`,
    seen: `${describeResponse(res)}, then ${seen.text}`,
    level,
  });
}

/**
 * After the last response a connection may carry: no further response, then
 * the end (FIN or RST) within the bound of closedAfter. Returns how and when it
 * ended, for the summary.
 */
async function expectNoMoreThenEnd(
  ctx: ServerCtx,
  c: Conn,
  last: HttpResponse,
  after: string,
): Promise<string> {
  const r = await c.readResponse();
  const since = (t: number) => ms(t - (c.completedAt(last) ?? t));
  const expected = `no response after ${after}, then the end of the connection`;
  if (r.type === 'response')
    fail({
      summary: `the server answered a further request after ${after}`,
      expected,
      seen: `${describeResponse(last)}, then ${describeResponse(r.response)} ${since(r.at)} later`,
      level: 'MUST NOT',
    });
  if (r.type === 'malformed')
    fail({
      summary: `the server sent more bytes after ${after}`,
      expected,
      seen: `${describeResponse(last)}, then ${describeRead(r)}`,
      level: 'MUST NOT',
    });
  if (r.type === 'timeout')
    fail({
      summary: `the connection stayed open after ${after}`,
      expected: `the server to close the connection after ${after}`,
      seen: `${describeResponse(last)}, then no FIN or RST within ${ms(r.waitedMs)}`,
      level: 'MUST',
    });
  if (r.partialBytes > 0)
    fail({
      summary: `the server sent part of a further response after ${after}`,
      expected,
      seen: `${describeResponse(last)}, then ${r.partialBytes} bytes (${r.state}), then ${r.how.toUpperCase()}`,
      level: 'MUST NOT',
    });
  // The end has come: time it from the last byte of the response.
  const seen = await closedAfter(c, last, ctx.transcript);
  failIfLate(last, seen, after);
  return `${r.how.toUpperCase()} ${since(r.at)} after it`;
}

/**
 * CLOSE-01: a request with these Connection header lines is the last one. The
 * server must close after answering (proven, when the close is slow, by a
 * further request that must not be answered), and should say close.
 */
async function closesAfterClientClose(ctx: ServerCtx, headers: HeaderList, what: string): Promise<Finding> {
  const c = await ctx.connect();
  const req = ctx.get(ctx.path, headers);
  await sendAll(c, req, req.label);
  const res = expectResponse(await c.readResponse(), `${req.label} with ${what}`, 'MUST');
  let seen = await closedAfter(c, res, ctx.transcript, { waitMs: graceMs(ctx) });
  const quick = seen.end;
  if (quick.extra.length > 0 || quick.partialBytes > 0)
    fail({
      summary: `the server sent more than the one response to a request with ${what}`,
      expected: 'one response, then the end of the connection',
      seen: `${describeResponse(res)}, then ${quick.extra.length ? describeResponse(quick.extra[0]!) : `${quick.partialBytes} more bytes`}`,
      level: 'MUST NOT',
    });
  let probed = '';
  if (seen.verdict === 'open') {
    // Not closed yet: a further request tells a kept connection from one that is only slow to close.
    const probe = ctx.get(ctx.missingPath());
    ctx.note(`no end within ${ms(graceMs(ctx))}: sending ${probe.label}, which must not be answered`);
    const sent = await c.send(probe);
    const r = await c.readResponse();
    if (r.type === 'response' || r.type === 'malformed' || (r.type === 'end' && r.partialBytes > 0))
      fail({
        summary: `the server kept the connection after a request with ${what} and answered the next request`,
        expected: `the connection closed after the response to the request with ${what}`,
        seen: `${describeResponse(res)}, then ${probe.label} was answered: ${describeRead(r)}`,
        level: 'MUST',
      });
    if (r.type === 'timeout')
      fail({
        summary: `the connection stayed open after a request with ${what}`,
        expected: `the server to close the connection right after its response (within ${ms(graceMs(ctx))})`,
        seen: `${describeResponse(res)}, then no FIN or RST (${describeRead(r)})`,
        level: 'MUST',
      });
    probed = sent.ok
      ? ` (${probe.label}, sent after ${ms(graceMs(ctx))}, was not answered)`
      : ` (the write of ${probe.label} failed: ${sent.error})`;
    // The end has come: time it from the response, by the one rule.
    seen = await closedAfter(c, res, ctx.transcript);
  }
  failIfLate(res, seen, `answering a request with ${what}${probed}`);
  const how = `${seen.end.how.toUpperCase()} ${ms(seen.lagMs ?? 0)} later`;
  if (!saysClose(res))
    fail({
      summary: `the server closed after a request with ${what}, but its response did not say Connection: close`,
      expected: 'Connection: close in the last response',
      seen: `${describeResponse(res)}, then ${how}`,
      level: 'SHOULD',
    });
  return satisfied(`${res.status} with Connection: close, then ${how}`);
}

interface CloseToken {
  id: string;
  title: string;
  headers: HeaderList;
}

/** CLOSE-04: the same check, once per spelling of the close option. */
function closeToken(v: CloseToken): ServerScenario {
  return {
    id: `close-token-${v.id}`,
    role: 'server',
    area: 'close',
    level: 'MUST',
    rfc: 'RFC 9110 §7.6.1',
    covers: ['CLOSE-04', 'CLOSE-01'],
    title: `the server closes after a request with ${v.title}`,
    run: (ctx) => closesAfterClientClose(ctx, v.headers, v.title),
  };
}

const TOKENS: CloseToken[] = [
  { id: 'capitalised', title: 'Connection: Close', headers: [['Connection', 'Close']] },
  { id: 'upper', title: 'Connection: CLOSE', headers: [['Connection', 'CLOSE']] },
  { id: 'list-last', title: 'Connection: x-foo, close', headers: [['Connection', 'x-foo, close']] },
  { id: 'list-first', title: 'Connection: close ,x-foo', headers: [['Connection', 'close ,x-foo']] },
  {
    id: 'after-keep-alive',
    title: 'Connection: keep-alive, close',
    headers: [['Connection', 'keep-alive, close']],
  },
  {
    id: 'second-line',
    title: 'close on a second Connection line',
    headers: [
      ['Connection', 'x-foo'],
      ['Connection', 'close'],
    ],
  },
];

/** The reading side of a truncated request: no success response, then the end within T. */
async function treatsAsIncomplete(
  ctx: ServerCtx,
  c: Conn,
  what: string,
  used: (res: HttpResponse) => string | undefined,
): Promise<Finding> {
  const r = await c.readResponse();
  let answer = 'no response';
  if (r.type === 'response') {
    const res = r.response;
    const why = used(res);
    if (why)
      fail({
        summary: `the server processed ${what} as a complete request`,
        expected: 'no response or an error response (such as 400 or 408), then the end of the connection',
        seen: `${describeResponse(res)}: ${why}`,
      });
    answer = `${res.status}`;
  }
  if (r.type === 'timeout')
    fail({
      summary: `the connection stayed open after the client half-closed in ${what}`,
      expected: `the server to treat the request as incomplete and close within ${ms(ctx.timing.timeoutMs)}`,
      seen: `nothing: ${describeRead(r)}`,
    });
  if (r.type === 'malformed') answer = describeRead(r);
  if (r.type === 'end') return satisfied(`no response; the server closed (${r.how.toUpperCase()})`);
  // After an (error) response, the suite's one rule for a close after a response applies.
  const seen = r.type === 'response' ? await closedAfter(c, r.response, ctx.transcript) : undefined;
  const end = seen?.end ?? (await c.waitEnd({ probe: false }));
  if (end.how === 'open')
    fail({
      summary: `the connection stayed open after the client half-closed in ${what}`,
      expected: `the server to treat the request as incomplete and close within ${ms(ctx.timing.timeoutMs)}`,
      seen: `${answer}, then ${describeEnd(end)}`,
    });
  if (seen && r.type === 'response') failIfLate(r.response, seen, `its ${answer} to ${what}`, undefined);
  return satisfied(`${answer}, then the server closed: ${seen ? seen.text : describeEnd(end)}`);
}

/** CLOSE-06: requests followed by a half-close are all answered. */
async function answersAfterHalfClose(ctx: ServerCtx, reqs: Req[]): Promise<Finding> {
  const c = await ctx.connect();
  await sendAll(c, reqs, reqs.map((r) => r.label).join(' + '));
  c.halfClose();
  const got: HttpResponse[] = [];
  for (const req of reqs) {
    const prev = got[got.length - 1];
    // After a response that announces the close, later requests are not answered (RFC 9112 §9.6).
    if (prev && saysClose(prev)) {
      const end = await c.waitEnd({ probe: false });
      if (end.extra.length > 0)
        fail({
          summary: `the server announced the close, then answered ${req.label} all the same`,
          expected: 'no response after one that announces the close (RFC 9112 §9.6)',
          seen: `${describeResponse(prev)}, then ${describeResponse(end.extra[0]!)}`,
          level: 'MUST NOT',
        });
      return measured(
        `${got.map((r) => r.status).join(', ')} after the half-close, announcing the close (${describeResponse(prev)}), so ${req.label} was rightly left unanswered; then ${end.how === 'open' ? 'the connection stayed open' : endAfter(c, prev, end)}`,
      );
    }
    const r = await c.readResponse();
    if (r.type !== 'response')
      fail({
        summary: `no response to ${req.label} after the client half-closed`,
        expected: `${reqs.length} complete response(s): a half-close does not cancel requests already sent`,
        seen: `${got.length ? `${got.map(describeResponse).join('; ')}, then ` : ''}${describeRead(r)}`,
      });
    got.push(r.response);
  }
  const end = await c.waitEnd({ probe: false });
  return satisfied(
    `${got.map((r) => r.status).join(', ')} after the half-close, then ${end.how === 'open' ? 'the connection stayed open' : endAfter(c, got[got.length - 1]!, end)}`,
  );
}

const LIMIT_SEARCH = 1000;
const PIPELINE_BYTES = 64 * 1024;
const UPLOAD_BYTES = 4 * 1024 * 1024;
const UPLOAD_PIECE = 64 * 1024;
const UPLOAD_PAUSE_MS = 20;
const KEEP_SENDING_MS = 500;

/** Area `close`. */
export const close: ServerScenario[] = [
  {
    id: 'close-client-close',
    role: 'server',
    area: 'close',
    level: 'MUST',
    rfc: 'RFC 9112 §9.6',
    covers: ['CLOSE-01'],
    title: 'the server closes after answering a request with Connection: close, and says close',
    run: (ctx) => closesAfterClientClose(ctx, CLOSE, 'Connection: close'),
  },
  {
    id: 'close-no-further-requests',
    role: 'server',
    area: 'close',
    level: 'MUST NOT',
    rfc: 'RFC 9112 §9.6',
    covers: ['CLOSE-02'],
    title: 'a request pipelined behind one with Connection: close is not answered',
    async run(ctx) {
      const c = await ctx.connect();
      const first = ctx.get(ctx.path, CLOSE);
      const next = ctx.get(ctx.missingPath());
      await sendAll(c, [first, next], `${first.label} + ${next.label}`);
      const res = expectResponse(await c.readResponse(), `${first.label} with Connection: close`, 'MUST');
      const end = await expectNoMoreThenEnd(ctx, c, res, 'the response to a request with Connection: close');
      return satisfied(
        `one response (${res.status}), then ${end}; the pipelined ${next.label} was not answered`,
      );
    },
  },
  {
    id: 'close-server-close-error',
    role: 'server',
    area: 'close',
    level: 'MUST',
    rfc: 'RFC 9112 §9.6',
    covers: ['CLOSE-03', 'PERSIST-02'],
    title: 'after an error response with Connection: close to a malformed request, nothing more is answered',
    async run(ctx) {
      const c = await ctx.connect();
      const bad = rawRequest(
        `GET ${ctx.path} HTTP/1.1\r\nHost: ${ctx.target.authority}\r\nno-colon-line\r\n\r\n`,
        'GET',
        'a request with a header line without a colon',
      );
      const next = ctx.get(ctx.missingPath());
      await sendAll(c, [bad, next], `${bad.label} + ${next.label}`);
      const r = await c.readResponse();
      if (r.type === 'end')
        return satisfied(
          `the server closed (${r.how.toUpperCase()}) without answering the malformed request; ${next.label} was not answered`,
        );
      if (r.type !== 'response')
        return measured(`no response to the malformed request (${describeRead(r)}); no close to judge`);
      const res = r.response;
      if (!saysClose(res)) {
        const end = await c.waitEnd({ timeoutMs: graceMs(ctx) });
        if (end.how !== 'open' && end.extra.length === 0)
          fail({
            summary: `the connection was closed right after a ${res.status} that did not say Connection: close`,
            expected: 'Connection: close on a response after which the server closes (PERSIST-02)',
            seen: `${describeResponse(res)}, then ${describeEnd(end)}`,
          });
        return measured(
          `the malformed request was answered ${res.status} without Connection: close and the connection was kept; no close to judge`,
        );
      }
      const end = await expectNoMoreThenEnd(ctx, c, res, `its ${res.status} with Connection: close`);
      return satisfied(
        `${res.status} with Connection: close, then ${end}; the pipelined ${next.label} was not answered`,
      );
    },
  },
  {
    id: 'close-server-close-limit',
    role: 'server',
    area: 'close',
    level: 'MUST',
    rfc: 'RFC 9112 §9.6',
    covers: ['CLOSE-03', 'PERSIST-02'],
    title: 'after the response that ends a connection at its request limit, no pipelined request is answered',
    async run(ctx) {
      const c = await ctx.connect();
      const reqs = Array.from({ length: LIMIT_SEARCH + 1 }, () => ctx.get());
      const sent = await c.send(reqs);
      if (!sent.ok)
        ctx.note(`the write of ${reqs.length} pipelined requests failed (${sent.error}); reading on`);
      let last: HttpResponse | undefined;
      for (let k = 1; k <= LIMIT_SEARCH; k++) {
        const r = await c.readResponse();
        if (r.type !== 'response') {
          if (r.type === 'end' && last && r.partialBytes === 0 && !saysClose(last)) {
            const gap = r.at - (c.completedAt(last) ?? r.at);
            if (gap <= graceMs(ctx))
              fail({
                summary: `the server closed after ${k - 1} pipelined responses without announcing it`,
                expected: `Connection: close on response ${k - 1}, the last before the close (PERSIST-02)`,
                seen: `${describeResponse(last)}, then ${r.how.toUpperCase()} ${ms(gap)} later`,
              });
          }
          skip(`no request limit found: after ${k - 1} pipelined responses, ${describeRead(r)}`);
        }
        last = r.response;
        if (saysClose(last)) {
          const end = await expectNoMoreThenEnd(ctx, c, last, `response ${k}, which said Connection: close`);
          return satisfied(
            `response ${k} (${last.status}) said Connection: close; the ${reqs.length - k} requests pipelined behind it were not answered; ${end}`,
          );
        }
      }
      skip(`no request limit within ${LIMIT_SEARCH} pipelined requests (no response said Connection: close)`);
    },
  },
  ...TOKENS.map(closeToken),
  {
    id: 'close-linger-pipeline',
    role: 'server',
    area: 'close',
    // RFC 9112 §9.6 describes the staged close ("servers typically close a connection in stages"): no keyword.
    level: 'INFO',
    rfc: 'RFC 9112 §9.6',
    covers: ['CLOSE-05'],
    title: 'a close with unread pipelined requests ends in FIN (staged close), not a reset',
    async run(ctx) {
      const c = await ctx.connect();
      const first = ctx.get(ctx.path, CLOSE);
      const missing = ctx.missingPath();
      const filler: Req[] = [];
      for (let size = 0; size < PIPELINE_BYTES; ) {
        const r = ctx.get(missing);
        filler.push(r);
        size += r.bytes.length;
      }
      const unread = filler.reduce((n, r) => n + r.bytes.length, 0);
      const sent = await c.send([first, ...filler]);
      if (!sent.ok) ctx.note(`the write failed (${sent.error}); reading on`);
      await ctx.sleep(300);
      const r = await c.readResponse();
      if (r.type === 'end' && r.how === 'rst')
        fail({
          summary: `the server reset the connection (${kib(unread)} of pipelined requests unread) before its response could be read`,
          expected:
            'a complete response, then FIN (half-close, then drain the input before closing: the staged close RFC 9112 §9.6 describes)',
          seen: describeRead(r),
        });
      const res = expectResponse(r, `${first.label} with Connection: close`);
      const seen = await closedAfter(c, res, ctx.transcript, { probe: true });
      const end = seen.end;
      if (end.extra.length > 0)
        fail({
          summary: `the server answered ${end.extra.length} of the requests pipelined behind one with Connection: close`,
          expected: 'no response after the one to the request with Connection: close (CLOSE-02)',
          seen: `${describeResponse(res)}, then ${describeResponse(end.extra[0]!)}`,
          level: 'MUST NOT',
        });
      if (end.how === 'open')
        fail({
          summary: 'the connection stayed open after a request with Connection: close',
          expected: 'the server to close the connection after its response (CLOSE-01)',
          seen: `${describeResponse(res)}, then ${describeEnd(end)}`,
          level: 'MUST',
        });
      failIfLate(res, seen, 'the response to a request with Connection: close (CLOSE-01)');
      if (end.how === 'rst')
        fail({
          summary: `the server reset the connection instead of a staged close (${kib(unread)} of pipelined requests unread)`,
          expected:
            'FIN after the complete response (half-close, then drain the input before closing: the staged close RFC 9112 §9.6 describes)',
          seen: `${describeResponse(res)}, then ${endAfter(c, res, end)}`,
        });
      return satisfied(
        `complete ${res.status}, then ${endAfter(c, res, end)}, with ${kib(unread)} of requests unread`,
      );
    },
  },
  {
    id: 'close-linger-upload',
    role: 'server',
    area: 'close',
    // RFC 9112 §9.6 only describes the staged close; RFC 2616 §8.2.3's SHOULD NOT is history, not a level.
    level: 'INFO',
    rfc: 'RFC 9112 §9.6',
    covers: ['CLOSE-05', 'CLOSE-03'],
    title: 'a server that answers before a large upload is complete and closes keeps reading, ending in FIN',
    budgetMs: () => 3000,
    async run(ctx) {
      const c = await ctx.connect();
      const head = ctx.request({
        method: 'POST',
        target: ctx.path,
        headers: [
          ['Content-Type', 'application/octet-stream'],
          ['Content-Length', String(UPLOAD_BYTES)],
        ],
      });
      await sendAll(c, head, head.label);
      const piece = Buffer.alloc(UPLOAD_PIECE, 'keepalive-spec upload body.\n');
      let sent = 0;
      let answeredAt: number | undefined;
      let sentBefore = 0;
      let writeError: string | undefined;
      while (sent < UPLOAD_BYTES) {
        const answered = c.parser.messages.some((m) => !(m as HttpResponse).interim) || c.ended;
        if (answeredAt === undefined && answered) {
          answeredAt = c.now();
          sentBefore = sent;
        }
        if (answeredAt !== undefined && c.now() - answeredAt >= KEEP_SENDING_MS) break;
        const n = Math.min(UPLOAD_PIECE, UPLOAD_BYTES - sent);
        const w = await c.send(n === UPLOAD_PIECE ? piece : piece.subarray(0, n));
        if (!w.ok) {
          writeError = w.error;
          break;
        }
        sent += n;
        await c.sleep(UPLOAD_PAUSE_MS);
      }
      const early = answeredAt !== undefined && sentBefore < UPLOAD_BYTES;
      // RFC 9112 §9.5: a client that sees an early response stops sending the body and closes its side.
      const halfClosed = early && c.rstAt === undefined;
      if (halfClosed) c.halfClose();
      // A server that drains the rest of the body (lingering close) may hold its FIN until now.
      const stoppedAt = c.now();
      const progress = `${early ? `answered after ${kib(sentBefore)} of the body; ` : ''}${kib(sent)} of ${kib(UPLOAD_BYTES)} sent${writeError ? `, then a write failed (${writeError})` : ''}${halfClosed ? ', then the client half-closed' : ''}`;
      ctx.note(progress);
      const r = await c.readResponse();
      if (r.type === 'timeout')
        return measured(`no response within ${ms(r.waitedMs)} (${progress}); no close to judge`);
      if (r.type !== 'response')
        fail({
          summary:
            r.type === 'end' && r.how === 'rst'
              ? 'the connection was reset during the upload before a complete response was read'
              : 'no intact response to the upload',
          expected: 'a complete response, then FIN (the server keeps reading what the client still sends)',
          seen: `${describeRead(r)} (${progress})`,
        });
      const res = r.response;
      if (!saysClose(res) && !c.ended)
        return measured(
          `${res.status} without Connection: close (${progress}); the connection was kept, no close to judge`,
        );
      // After the harness's own FIN no probe write is possible; an RST still shows as an error.
      const seen = await closedAfter(c, res, ctx.transcript, { probe: !halfClosed, dueFrom: stoppedAt });
      const end = seen.end;
      if (end.how === 'open')
        fail({
          summary: `the server said Connection: close but did not close (${progress})`,
          expected: 'the server to close the connection after a response with Connection: close (CLOSE-03)',
          seen: `${describeResponse(res)}, then ${describeEnd(end)}`,
          level: 'MUST',
        });
      failIfLate(res, seen, `its ${res.status} with Connection: close (CLOSE-03; ${progress})`);
      if (end.how === 'rst')
        fail({
          summary: `the server reset the connection after its ${res.status} instead of reading the rest of the body`,
          expected: 'FIN after the complete response, with what the client still sends read and discarded',
          seen: `${describeResponse(res)} (${progress}), then ${endAfter(c, res, end)}`,
        });
      const how = `${res.status}, then ${endAfter(c, res, end)} (${progress})`;
      return early
        ? satisfied(`an early ${how}`)
        : measured(`the whole body was read before the answer: ${how}; no early close to judge`);
    },
  },
  {
    id: 'close-half-close',
    role: 'server',
    area: 'close',
    level: 'SHOULD',
    rfc: 'RFC 9112 §9.6',
    covers: ['CLOSE-06'],
    title: 'a request followed by a client half-close still gets its complete response',
    run: (ctx) => answersAfterHalfClose(ctx, [ctx.get()]),
  },
  {
    id: 'close-half-close-pipelined',
    role: 'server',
    area: 'close',
    level: 'SHOULD',
    rfc: 'RFC 9112 §9.6',
    covers: ['CLOSE-06'],
    title: 'two pipelined requests followed by a client half-close both get their responses',
    run: (ctx) => answersAfterHalfClose(ctx, [ctx.get(), ctx.get(ctx.missingPath())]),
  },
  {
    id: 'close-truncated-head',
    role: 'server',
    area: 'close',
    // No complete message, so §6.3's MUST (a body short of its Content-Length) does not reach it: octets that
    // do not match the grammar get 400 and a close, a SHOULD (§2.2); §8 lets the server answer first (MAY).
    level: 'SHOULD',
    rfc: 'RFC 9112 §2.2, §8',
    covers: ['CLOSE-07'],
    title: 'a header section cut off by a client half-close is not processed, and the server closes',
    async run(ctx) {
      const c = await ctx.connect();
      const cut = rawRequest(
        `GET ${ctx.path} HTTP/1.1\r\nHost: ${ctx.target.authority}\r\nUser-Agent: keepalive-spec\r\nX-Cut: abc`,
        'GET',
        'a header section cut off in the middle of a line',
      );
      await sendAll(c, cut, cut.label);
      c.halfClose();
      return treatsAsIncomplete(ctx, c, 'a header section cut off in the middle of a line', (res) =>
        res.status < 400 ? 'a non-error response to a request whose header section never ended' : undefined,
      );
    },
  },
  {
    id: 'close-truncated-body',
    role: 'server',
    area: 'close',
    level: 'MUST',
    rfc: 'RFC 9112 §6.3',
    covers: ['CLOSE-07'],
    title: 'a body cut short by a client half-close is not used, and the server closes',
    async run(ctx) {
      const c = await ctx.connect();
      const { echoPath, postPath } = ctx.target.resources;
      const part = randomBytes(3).toString('hex').slice(0, 5);
      const req = ctx.request({
        method: 'POST',
        target: echoPath ?? postPath ?? ctx.path,
        headers: [
          ['Content-Type', 'application/octet-stream'],
          ['Content-Length', '10'],
        ],
        body: part,
      });
      await sendAll(c, req, req.label);
      c.halfClose();
      return treatsAsIncomplete(ctx, c, 'a body with 5 of 10 bytes', (res) => {
        if (res.status < 200 || res.status >= 300) return undefined;
        if (echoPath)
          return `the echo resource answered with ${res.body.length} bytes ("${res.body.toString('latin1').slice(0, 20)}"), so it used the truncated body`;
        ctx.note(
          `a ${res.status} from ${req.label}; without an echo resource it cannot show whether the body was used`,
        );
        return undefined;
      });
    },
  },
];
