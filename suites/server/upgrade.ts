// Upgrade offers a server declines, or must not act on (RFC 9110 §7.8): the
// connection goes on as persistent HTTP/1.1, whatever else was on the wire.

import {
  describeRead,
  describeResponse,
  expectResponse,
  fail,
  saysClose,
  skip,
  statuses,
} from '../../harness/check.js';
import { satisfied } from '../../harness/model.js';
import type { ServerScenario } from '../../harness/server-context.js';
import type { HttpResponse } from '../../harness/wire/parse.js';
import { exchange } from './steps.js';
import { handshake, NOBODY, nobodyOffer, priorRequest, stillHttp, switchProblems } from './upgrade-steps.js';

/** A 101 where the scenario's offer could not be taken: the failure, in words. */
function noSwitch(res: HttpResponse, why: string, expected: string): void {
  if (res.status === 101) fail({ summary: why, expected, seen: describeResponse(res) });
}

export const upgradeScenarios: ServerScenario[] = [
  {
    id: 'upgrade-declined-keeps-connection',
    role: 'server',
    area: 'upgrade',
    level: 'MUST',
    rfc: 'RFC 9110 §7.8',
    covers: ['UPG-01', 'UPG-02'],
    title:
      'an upgrade offer to a protocol nobody speaks is declined, and the connection serves the next request',
    async run(ctx) {
      let c = await ctx.connect();
      const prior = await priorRequest(ctx, c);
      // A server that closes after every response still gets the offer, on a fresh connection.
      if (prior.closed) c = await ctx.connect();
      const offer = nobodyOffer(ctx);
      const res = await exchange(c, offer);
      noSwitch(
        res,
        `the server switched protocols on an offer of ${NOBODY}, a protocol it cannot speak`,
        `an ordinary response to ${offer.label}: a server MUST NOT switch to a protocol the client did not offer, and cannot speak ${NOBODY}`,
      );
      const after = await stillHttp(ctx, c, res, `the ${NOBODY} offer`);
      return satisfied(
        `declined: ${after}${prior.closed ? ` (on a fresh connection: ${prior.closed})` : ''}`,
      );
    },
  },
  {
    id: 'upgrade-http10-ignored',
    role: 'server',
    area: 'upgrade',
    level: 'MUST',
    rfc: 'RFC 9110 §7.8',
    covers: ['UPG-03'],
    title:
      'an Upgrade field in an HTTP/1.0 request is ignored (a WebSocket handshake at --ws-path when there is one)',
    async run(ctx) {
      const ws = ctx.target.resources.wsPath !== undefined;
      const req = ws
        ? handshake(ctx, { version: '1.0', connection: 'keep-alive, Upgrade' }).req
        : nobodyOffer(ctx, ctx.path, '1.0');
      const c = await ctx.connect();
      const sent = await c.send(req);
      if (!sent.ok) skip(`the request could not be written: ${sent.error}`);
      const read = await c.readResponse();
      // A server that ignores Upgrade answers the request like any other; silence means it did not.
      if (read.type !== 'response')
        fail({
          summary:
            'an HTTP/1.0 request that carried Upgrade got no response: it was not treated as an ordinary request',
          expected: `a response to ${req.label} (any status): a server MUST ignore Upgrade in an HTTP/1.0 request`,
          seen: describeRead(read),
        });
      const res = read.response;
      noSwitch(
        res,
        'the server switched protocols on an HTTP/1.0 request',
        'no 101: a server MUST ignore an Upgrade header field received in an HTTP/1.0 request',
      );
      return satisfied(
        `${ws ? 'a WebSocket handshake' : `an offer of ${NOBODY}`} in HTTP/1.0 got ${describeResponse(res)}`,
      );
    },
  },
  {
    id: 'upgrade-not-in-connection-ignored',
    role: 'server',
    area: 'upgrade',
    level: 'MUST',
    rfc: 'RFC 6455 §4.2.1; RFC 9110 §7.8',
    covers: ['UPG-04'],
    title: 'Upgrade without the upgrade option in Connection is not acted on, and the connection stays HTTP',
    async run(ctx) {
      const ws = ctx.target.resources.wsPath !== undefined;
      const req = ws
        ? handshake(ctx, { connection: 'keep-alive' }).req
        : ctx.get(ctx.path, [
            ['Connection', 'keep-alive'],
            ['Upgrade', NOBODY],
          ]);
      const c = await ctx.connect();
      const res = await exchange(c, req);
      noSwitch(
        res,
        'the server switched protocols on an Upgrade field that Connection does not name',
        'no 101: without "upgrade" in Connection the request is no upgrade offer (and no WebSocket handshake: RFC 6455 §4.2.1)',
      );
      return satisfied(await stillHttp(ctx, c, res, req.label));
    },
  },
  {
    id: 'upgrade-declined-pipelined',
    role: 'server',
    area: 'upgrade',
    level: 'MUST',
    rfc: 'RFC 9110 §7.8; RFC 9112 §9.3.2',
    covers: ['UPG-05'],
    title: 'a GET written in the same segment behind a declined upgrade offer is answered, in order',
    async run(ctx) {
      if (ctx.target.pipelineBroken)
        skip(
          `the target answers no pipelined requests (${ctx.target.pipelineBroken}; the pipelining scenarios judge that)`,
        );
      const c = await ctx.connect();
      const offer = nobodyOffer(ctx);
      const next = ctx.get(ctx.missingPath('ka-spec-after-upgrade'));
      const sent = await c.send([offer, next]);
      if (!sent.ok) skip(`the two requests could not be written: ${sent.error}`);
      const first = expectResponse(await c.readResponse(), offer.label);
      noSwitch(
        first,
        `the server switched protocols on an offer of ${NOBODY}`,
        `an ordinary response to ${offer.label}`,
      );
      if (saysClose(first))
        return satisfied(
          `declined with an announced close (${describeResponse(first)}): the request behind it is for the client to send again`,
        );
      const r = await c.readResponse();
      if (r.type !== 'response')
        fail({
          summary: 'the request written behind the declined upgrade offer was not answered',
          expected: `a response to ${next.label} after the response to the offer: once declined, the bytes behind an offer are HTTP`,
          seen: `${describeResponse(first)}, then ${describeRead(r)}`,
        });
      return satisfied(`both answered in order: ${statuses([first, r.response])}`);
    },
  },
  {
    id: 'upgrade-expect-100-before-101',
    role: 'server',
    area: 'upgrade',
    level: 'MUST',
    rfc: 'RFC 9110 §7.8',
    covers: ['UPG-06'],
    title: 'a WebSocket handshake with Expect: 100-continue gets its 100 before the 101',
    async run(ctx) {
      const { req, key } = handshake(ctx, {
        extra: [
          ['Content-Type', 'text/plain'],
          ['Expect', '100-continue'],
        ],
        body: 'hello',
      });
      const head = req.bytes.subarray(0, req.bytes.length - 5);
      const c = await ctx.connect();
      if (!(await c.send({ ...req, bytes: head })).ok) skip('the request head could not be written');
      const first = await c.readResponse({ keepInterim: true });
      const seen: string[] = [];
      if (first.type === 'response') seen.push(describeResponse(first.response));
      else seen.push(`nothing within ${ctx.timing.timeoutMs} ms`);
      if (first.type === 'response' && first.response.status === 101)
        fail({
          summary: 'the server switched protocols without the 100 (Continue) the request asked for',
          expected: 'HTTP/1.1 100 Continue before the 101 (Switching Protocols)',
          seen: `${describeResponse(first.response)} as the first answer to the head of ${req.label}`,
        });
      if (first.type === 'response' && first.response.status !== 100)
        skip(
          `the server declined the upgrade (${describeResponse(first.response)}): the rule is about a switch`,
        );
      await c.send(Buffer.from('hello'));
      // More than one 100 may come (a proxy's own and the origin's): the answer is the first other response.
      let second = await c.readResponse({ keepInterim: true });
      for (let i = 0; i < 5 && second.type === 'response' && second.response.status === 100; i++) {
        seen.push(describeResponse(second.response));
        second = await c.readResponse({ keepInterim: true });
      }
      if (second.type !== 'response')
        skip(`no answer after the body (${describeRead(second)}): the rule is about a switch`);
      seen.push(describeResponse(second.response));
      if (second.response.status !== 101)
        skip(`the server declined the upgrade (${seen.join(', then ')}): the rule is about a switch`);
      if (first.type !== 'response')
        fail({
          summary: 'the server switched protocols without the 100 (Continue) the request asked for',
          expected: 'HTTP/1.1 100 Continue before the 101 (Switching Protocols)',
          seen: `no 100 within ${ctx.timing.timeoutMs} ms of the head, then, after the body, ${describeResponse(second.response)}`,
        });
      const problems = switchProblems(second.response, key);
      return satisfied(`100, then 101${problems.length ? ` (its fields: ${problems.join('; ')})` : ''}`);
    },
  },
];
