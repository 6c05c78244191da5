// Area `framing`, `Expect: 100-continue` (EXPECT-01..05): the server speaks first,
// a 100 is only interim, an early final status leaves the connection in sync, no
// 1xx toward HTTP/1.0, and `Connection: close` takes effect after the final response.

import { describeRead, describeResponse, fail, saysClose, skip } from '../../harness/check.js';
import { measured, satisfied } from '../../harness/model.js';
import type { ServerCtx, ServerScenario } from '../../harness/server-context.js';
import type { Req } from '../../harness/wire/build.js';
import type { Conn, ReadResult, SendResult } from '../../harness/wire/conn.js';
import type { HttpResponse } from '../../harness/wire/parse.js';
import { sendAll } from './framing-bodyless.js';
import { expectClosedAfter, surplus } from './steps.js';

const BODY = 'hello';

/** How long the server gets to answer a header section with Expect: T, and at least 2 s. */
function firstWaitMs(ctx: ServerCtx): number {
  return Math.max(ctx.timing.timeoutMs, 2000);
}

/** POST with `Expect: 100-continue` and a Content-Length, header section only. */
function expectingPost(
  ctx: ServerCtx,
  o: { target?: string; length?: number; version?: string; close?: boolean } = {},
): Req {
  return ctx.request({
    method: 'POST',
    target: o.target ?? ctx.target.resources.postPath ?? ctx.path,
    version: o.version,
    headers: [
      ['Expect', '100-continue'],
      ['Content-Length', String(o.length ?? BODY.length)],
      ...(o.close ? ([['Connection', 'close']] as const) : []),
    ],
  });
}

/** A request whose bytes are preceded by `prefix` (the previous request's body), sent in one write. */
function after(prefix: string, req: Req): Req {
  return { ...req, bytes: Buffer.concat([Buffer.from(prefix, 'latin1'), req.bytes]) };
}

/**
 * The announced body, then a request of the client's own, in one write. On a target that
 * does not answer pipelined requests (context.ts) a request waits for the response before
 * it, and the body that response waits for must not wait with it: the body goes first.
 */
async function bodyThen(ctx: ServerCtx, c: Conn, body: string, req: Req): Promise<SendResult> {
  if (!ctx.target.pipelineBroken) return c.send(after(body, req));
  const sent = await c.send(body);
  return sent.ok ? c.send(req) : sent;
}

/** The first thing the server sends after a header section with Expect, 1xx included. */
function firstAnswer(ctx: ServerCtx, c: Conn): Promise<ReadResult> {
  return c.readResponse({ keepInterim: true, timeoutMs: firstWaitMs(ctx) });
}

const ms = (n: number) => `${Math.round(n)} ms`;

const immediate: ServerScenario = {
  id: 'expect-100-immediate',
  role: 'server',
  area: 'framing',
  level: 'MUST',
  rfc: 'RFC 9110 §10.1.1',
  covers: ['EXPECT-01'],
  title:
    'a header section with Expect: 100-continue gets a 100 or a final status without waiting for the body',
  async run(ctx) {
    const c = await ctx.connect();
    const post = expectingPost(ctx);
    await sendAll(c, [post]);
    const sentAt = c.now();
    const r = await firstAnswer(ctx, c);
    if (r.type === 'response' && r.response.status === 408)
      fail({
        summary: `the server waited for the body and timed the request out (408) instead of sending 100 Continue`,
        expected: '100 Continue or a final status at once, before the body',
        seen: `${ms(r.at - sentAt)} after the header section: ${describeResponse(r.response)}`,
      });
    if (r.type === 'response') {
      const res = r.response;
      return satisfied(
        `${res.interim ? 'interim' : 'final'} ${res.status} ${ms(r.at - sentAt)} after the header section, before any body byte`,
      );
    }
    const wait = firstWaitMs(ctx);
    if (r.type === 'timeout') {
      // Show what the server was waiting for.
      const sent = await c.send(BODY);
      const late = sent.ok ? await c.readResponse({ keepInterim: true }) : undefined;
      fail({
        summary: `no 100 Continue and no final status within ${ms(wait)} of a header section with Expect: 100-continue`,
        expected: `100 Continue or a final status at once, before the body (allowed here: ${ms(wait)})`,
        seen:
          `silence for ${ms(r.waitedMs)} (${r.state}); ` +
          (late === undefined
            ? `then sending the body failed: ${sent.ok ? '' : sent.error}`
            : late.type === 'response'
              ? `${ms(late.at - sentAt)} after the header section, once the ${BODY.length}-byte body had been sent: ${describeResponse(late.response)} (the server waited for the body)`
              : `after the body was sent: ${describeRead(late)}`),
      });
    }
    fail({
      summary: 'no answer to a header section with Expect: 100-continue',
      expected: '100 Continue or a final status',
      seen: describeRead(r),
    });
  },
};

const thenFinal: ServerScenario = {
  id: 'expect-100-then-final',
  role: 'server',
  area: 'framing',
  level: 'MUST',
  rfc: 'RFC 9110 §10.1.1',
  covers: ['EXPECT-02'],
  title: 'after 100 Continue and the body, a final status follows and the next pipelined request is answered',
  async run(ctx) {
    const c = await ctx.connect();
    const post = expectingPost(ctx);
    await sendAll(c, [post]);
    const r = await firstAnswer(ctx, c);
    if (r.type !== 'response') skip(`no 100 Continue came (${describeRead(r)}); see expect-100-immediate`);
    if (!r.response.interim)
      skip(
        `the server answered ${r.response.status} before the body, without 100; see expect-early-final-sync`,
      );
    const cont = r.response;
    const missingPath = ctx.missingPath();
    const missing = ctx.get(missingPath);
    const shown = `${cont.status} ${cont.reason}`;
    const sent = await bodyThen(ctx, c, BODY, missing);
    if (!sent.ok)
      fail({
        summary: `the connection refused the body and ${missing.label}`,
        expected: `the server to accept the body and ${missing.label}`,
        seen: `${shown}, then the write failed: ${sent.error}`,
      });
    const fin = await c.readResponse();
    if (fin.type !== 'response')
      fail({
        summary: `no final response to ${post.label} after ${shown} and its body`,
        expected: 'a final status for the POST: a server that sends 100 must ultimately send one',
        seen: `${shown}, then ${describeRead(fin)}`,
      });
    const res = fin.response;
    if (saysClose(res)) {
      const end = await expectClosedAfter(ctx, c, res, 'after a final response that announced the close');
      return satisfied(`${shown}, then ${describeResponse(res)}, then ${end.text} as announced`);
    }
    const nx = await c.readResponse();
    if (nx.type !== 'response') {
      const gotGets = res.body.includes(missingPath);
      fail({
        summary: gotGets
          ? `the server sent no final response to ${post.label}: it treated ${shown} as the answer`
          : `no response to the pipelined ${missing.label} after the POST's final response`,
        expected: `${shown}, a final response to the POST, then a response to ${missing.label}`,
        seen:
          `${shown}, then ${describeResponse(res)}` +
          (gotGets ? ` (its body names ${missingPath}: the answer to the GET)` : '') +
          `, then ${describeRead(nx)}`,
      });
    }
    const extra = await surplus(ctx, c);
    if (nx.response.status === 400 || extra.length > 0)
      fail({
        summary: `the connection lost sync after ${shown}: the ${BODY.length}-byte body was mis-counted`,
        expected: `exactly two responses: the POST's final status, then the answer to ${missing.label}`,
        seen: [res, nx.response, ...extra].map(describeResponse).join('; '),
      });
    return satisfied(
      `${shown}, then ${res.status} for the POST, then ${nx.response.status} for the pipelined ${missing.label}`,
    );
  },
};

/** What EXPECT-03 saw on one resource, when it did not end the scenario with a violation. */
interface EarlyLeg {
  /** a final status came before the body */
  early: boolean;
  /** the connection ended without any answer: nothing to judge */
  unjudged?: boolean;
  text: string;
}

/**
 * EXPECT-03 on one resource: a POST with Expect whose announced body is itself a request
 * for /smuggled-<nonce>. An early final response without close is followed to the end:
 * the body is sent, then a request of the client's own, and the boundary is judged.
 */
async function earlyFinalOn(ctx: ServerCtx, target: string, where: string): Promise<EarlyLeg> {
  const c = await ctx.connect();
  const smuggled = ctx.missingPath('smuggled');
  const body = `GET ${smuggled} HTTP/1.1\r\nHost: ${ctx.target.authority}\r\n\r\n`;
  const post = expectingPost(ctx, { target, length: body.length });
  c.note(`EXPECT-03 ${where}: ${post.label}`);
  await sendAll(c, [post]);
  const r = await firstAnswer(ctx, c);
  if (r.type === 'malformed')
    fail({
      summary: `a malformed answer to the POST ${where}`,
      expected: 'a response',
      seen: describeRead(r),
    });
  if (r.type === 'end')
    return {
      early: false,
      unjudged: true,
      text: `${where}: the server ended the connection without answering (${describeRead(r)})`,
    };
  const early = r.type === 'response' && !r.response.interim ? r.response : undefined;
  const shown =
    r.type === 'timeout'
      ? `no answer within ${ms(r.waitedMs)}`
      : early
        ? `an early final ${describeResponse(early)}`
        : `${r.response.status} ${r.response.reason}`;
  if (early && saysClose(early)) {
    const end = await expectClosedAfter(
      ctx,
      c,
      early,
      'after an early final response that announced the close',
    );
    return { early: true, text: `${where}: ${shown}, then ${end.text}: the body was never parsed` };
  }
  // A final response without close (the server keeps reading), a 100, or silence: the
  // client sends the announced body, which is itself a request, then a request of its own.
  const next = ctx.get(ctx.missingPath('next'));
  const sent = await bodyThen(ctx, c, body, next);
  const due = early ? 1 : 2;
  const got: HttpResponse[] = [];
  let last: ReadResult | undefined;
  while (got.length < due) {
    last = await c.readResponse();
    if (last.type !== 'response') break;
    got.push(last.response);
    if (saysClose(last.response)) break;
  }
  const extra = last?.type === 'response' ? await surplus(ctx, c) : [];
  const all = [...got, ...extra];
  const label = (x: HttpResponse) =>
    `${describeResponse(x)}${x.body.includes(smuggled) ? ` (its body names ${smuggled})` : ''}`;
  const story = () =>
    `${shown}; after the ${body.length}-byte body and ${next.label}: ` +
    (all.length ? all.map(label).join('; ') : 'no response') +
    (last && last.type !== 'response' ? `; then ${describeRead(last)}` : '') +
    (sent.ok ? '' : ` (sending them failed: ${sent.error})`);
  if (all.some((x) => x.body.includes(smuggled)) || all.length > due)
    fail({
      summary: `the body of the POST ${where} was answered as a request${early ? ` after the early ${early.status}` : ''}`,
      expected: `no response for ${smuggled} (the POST's body): ${early ? `one response, for ${next.label}` : `the POST's final status, then the response to ${next.label}`}`,
      seen: story(),
    });
  const nextRes = got.length === due ? got[due - 1] : undefined;
  if (nextRes?.status === 400)
    fail({
      summary: `${next.label} was answered 400: the body of the POST ${where} was parsed as a request`,
      expected: `the body discarded, ${next.label} answered normally`,
      seen: story(),
    });
  if (nextRes)
    return {
      early: Boolean(early),
      text: `${where}: ${story()}: ${early ? 'the body was read and discarded' : 'the body was read as a body'}`,
    };
  const closing = got.find(saysClose);
  if (closing) {
    const end = await expectClosedAfter(ctx, c, closing, 'after a final response that announced the close');
    return {
      early: Boolean(early),
      text: `${where}: ${story()}, then ${end.text}: closed as announced, the body never answered`,
    };
  }
  if (early && last?.type === 'end')
    fail({
      summary: `the server closed after an early ${early.status} to the POST ${where} that did not announce it`,
      expected: `either Connection: close on the early response (RFC 9112 §9.6: a sender that intends to close says so), or the body discarded and ${next.label} answered`,
      seen: story(),
      level: 'SHOULD',
    });
  fail({
    summary: early
      ? `after an early ${early.status} to the POST ${where} without close, ${next.label} got no response`
      : `no response to ${next.label} after the body of the POST ${where}`,
    expected: early
      ? `the body discarded and ${next.label} answered (or Connection: close on the early response)`
      : `the POST's final status, then the response to ${next.label}`,
    seen: story(),
  });
}

const earlyFinal: ServerScenario = {
  id: 'expect-early-final-sync',
  role: 'server',
  area: 'framing',
  level: 'MUST',
  // §9.3: read the whole body or close after the response (MUST); §9.6: say close when closing (SHOULD).
  rfc: 'RFC 9112 §9.3, §9.6',
  covers: ['EXPECT-03'],
  title:
    'a final status sent before an announced body either says close, or the body is then read and discarded',
  async run(ctx) {
    // A made-up path (likely an early 404) and the resource that really takes bodies, where an
    // early 401, 413 or 417 is most likely: a server may send 100 on one and answer early on the other.
    const postPath = ctx.target.resources.postPath ?? ctx.path;
    const legs = await Promise.all([
      earlyFinalOn(ctx, ctx.missingPath(), 'on a made-up path'),
      earlyFinalOn(ctx, postPath, `on the POST resource ${postPath}`),
    ]);
    const seen = legs.map((l) => l.text).join('; ');
    if (legs.every((l) => l.unjudged)) return measured(seen);
    if (!legs.some((l) => l.early))
      return satisfied(
        `no resource answered before the body (no early final response to judge; each body was read as a body and the next request answered in step): ${seen}`,
      );
    return satisfied(seen);
  },
};

const http10: ServerScenario = {
  id: 'expect-http10-no-interim',
  role: 'server',
  area: 'framing',
  level: 'MUST NOT',
  rfc: 'RFC 9110 §15.2',
  covers: ['EXPECT-04'],
  title: 'an HTTP/1.0 request with Expect: 100-continue gets no 1xx, only a final response',
  async run(ctx) {
    const c = await ctx.connect();
    const post = expectingPost(ctx, { version: '1.0' });
    await sendAll(c, [post]);
    // Long enough for a server's immediate 100, short of the request timeouts of built-in targets
    // (a 1xx that comes later is still seen: the reads after the body keep interim responses).
    const quiet = Math.min(500, ctx.timing.timeoutMs / 2);
    const interim: HttpResponse[] = [];
    let r = await c.readResponse({ keepInterim: true, timeoutMs: quiet });
    let when = 'before the body';
    let bodySent = false;
    for (;;) {
      if (r.type === 'response' && r.response.interim) interim.push(r.response);
      else if (r.type !== 'timeout' || bodySent) break;
      if (!bodySent) {
        const sent = await c.send(BODY);
        if (!sent.ok && interim.length === 0)
          fail({
            summary: 'the connection refused the body of an HTTP/1.0 POST',
            expected: 'the server to accept the body, then one final response',
            seen: `no answer within ${ms(quiet)}, then the write failed: ${sent.error}`,
          });
        if (!sent.ok) break;
        bodySent = true;
        when = 'after the body';
      }
      r = await c.readResponse({ keepInterim: true });
    }
    const first = interim[0];
    if (first)
      fail({
        summary: `a ${first.status} interim response to an HTTP/1.0 request`,
        expected: 'no 1xx toward an HTTP/1.0 client (the Expect is ignored), one final response',
        seen: `${interim.map(describeResponse).join('; ')}${r.type === 'response' && !r.response.interim ? `, then ${describeResponse(r.response)}` : ''}`,
      });
    if (r.type !== 'response')
      fail({
        summary: 'no final response to an HTTP/1.0 POST with Expect: 100-continue',
        expected: 'one final response',
        seen: describeRead(r),
      });
    return satisfied(`no 1xx; the final ${describeResponse(r.response)} came ${when}`);
  },
};

const closeAfter: ServerScenario = {
  id: 'expect-close-after-final',
  role: 'server',
  area: 'framing',
  level: 'MUST',
  rfc: 'RFC 9112 §9.6',
  covers: ['EXPECT-05'],
  title:
    'with Expect: 100-continue and Connection: close the server closes after the final response, not the 100',
  async run(ctx) {
    const c = await ctx.connect();
    const post = expectingPost(ctx, { close: true });
    await sendAll(c, [post]);
    const r = await firstAnswer(ctx, c);
    let res: HttpResponse;
    let story: string;
    if (r.type === 'response' && !r.response.interim) {
      res = r.response;
      story = `an early final ${describeResponse(res)}`;
    } else {
      story =
        r.type === 'response'
          ? `${r.response.status} ${r.response.reason}`
          : r.type === 'timeout'
            ? `no answer within ${ms(r.waitedMs)}`
            : describeRead(r);
      if (r.type === 'end' || r.type === 'malformed')
        fail({
          summary:
            r.type === 'end'
              ? 'the connection ended before any final response'
              : 'a malformed answer to the header section',
          expected: 'a final response, and only then the close',
          seen: story,
        });
      const sent = await c.send(BODY);
      const fin = await c.readResponse();
      if (fin.type !== 'response')
        fail({
          summary:
            fin.type === 'end'
              ? `the server closed the connection after ${r.type === 'response' ? `the ${story}` : 'the body'}, before a final response`
              : `no final response to ${post.label} after its body`,
          expected: `a final response to ${post.label} after its body, and only then the close`,
          seen: `${story}, then ${sent.ok ? 'the body was sent' : `sending the body failed (${sent.error})`}, then ${describeRead(fin)}`,
        });
      res = fin.response;
      story = `${story}, then ${describeResponse(res)}`;
    }
    const end = await expectClosedAfter(
      ctx,
      c,
      res,
      `after the final response to a request with Connection: close (${story})`,
    );
    return satisfied(`${story}, then ${end.text}`);
  },
};

export const expectContinue: ServerScenario[] = [immediate, thenFinal, earlyFinal, http10, closeAfter];
