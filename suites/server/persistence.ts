import { describeEnd, describeResponse, expectResponse, fail, saysClose } from '../../harness/check.js';
import { measured, satisfied } from '../../harness/model.js';
import type { ServerScenario } from '../../harness/server-context.js';
import { closedRightAfter, exchange, graceMs, keepAliveParam } from './steps.js';

export const persistence: ServerScenario[] = [
  {
    id: 'persist-default',
    role: 'server',
    area: 'persistence',
    level: 'SHOULD',
    rfc: 'RFC 9112 §9.3',
    covers: ['PERSIST-01'],
    title: 'an HTTP/1.1 connection persists by default across sequential requests',
    budgetMs: (t) => Math.min(1000, t.idleMaxMs / 2),
    async run(ctx) {
      const c = await ctx.connect();
      let res = await exchange(c, ctx.get());
      // The second pause stays inside the idle timeout the server advertises, if it does.
      const advertised = keepAliveParam(res, 'timeout');
      const gaps = [
        graceMs(ctx),
        Math.min(1000, ctx.timing.idleMaxMs / 2, advertised !== undefined ? advertised * 500 : 1000),
      ];
      for (const [i, gap] of gaps.entries()) {
        if (saysClose(res))
          fail({
            summary: `the server closes after request ${i + 1} and announces it (${res.version === 'HTTP/1.0' ? 'an HTTP/1.0 response without keep-alive' : 'Connection: close'})`,
            expected: 'the connection kept open for the next request',
            seen: describeResponse(res),
          });
        const end = await closedRightAfter(ctx, c);
        if (end)
          fail({
            summary: `the server closed the connection right after response ${i + 1}`,
            expected: 'the connection kept open for the next request',
            seen: `${describeResponse(res)}, then ${describeEnd(end)}`,
          });
        await ctx.sleep(Math.max(0, gap - graceMs(ctx)));
        if (c.ended)
          return measured(
            `the server closed the connection during a ${gap} ms idle pause (an idle timeout; see the timeouts area)`,
          );
        res = await exchange(c, ctx.get());
      }
      return satisfied(`3 requests answered on one connection, with pauses of ${gaps.join(' and ')} ms`);
    },
  },
  {
    id: 'persist-silent-close',
    role: 'server',
    area: 'persistence',
    level: 'MUST',
    rfc: 'RFC 9112 §9.3',
    covers: ['PERSIST-02'],
    owns: ['PERSIST-02'],
    title: 'a server that closes after a response says Connection: close in it',
    async run(ctx) {
      const c = await ctx.connect();
      for (let i = 1; i <= 3; i++) {
        const res = await exchange(c, ctx.get());
        const end = await closedRightAfter(ctx, c);
        if (end && !saysClose(res))
          fail({
            summary: `the connection was closed right after response ${i}, which did not say Connection: close`,
            expected: 'Connection: close on the last response before the server closes',
            seen: `${describeResponse(res)}, then ${describeEnd(end)}`,
          });
        if (end)
          return satisfied(`the server closed after response ${i} and announced it with Connection: close`);
      }
      return satisfied('3 responses without close; the connection stayed open after each');
    },
  },
  {
    id: 'persist-after-error',
    role: 'server',
    area: 'persistence',
    level: 'INFO',
    rfc: 'RFC 9112 §9.3',
    covers: ['PERSIST-04', 'PERSIST-02'],
    title: 'an error response (404) on a well-framed request does not end the connection',
    async run(ctx) {
      const c = await ctx.connect();
      const missing = ctx.missingPath();
      const res = await exchange(c, ctx.get(missing));
      if (res.status < 400)
        return measured(`GET ${missing} was answered ${res.status}, not an error; nothing to measure`);
      const end = await closedRightAfter(ctx, c);
      if (end && !saysClose(res))
        fail({
          summary: `the connection was closed right after a ${res.status} that did not say Connection: close`,
          expected: 'Connection: close on a response after which the server closes (PERSIST-02)',
          seen: `${describeResponse(res)}, then ${describeEnd(end)}`,
          level: 'MUST',
        });
      if (end || saysClose(res))
        return measured(`the server ends the connection after a ${res.status} (announced with close)`);
      const next = await exchange(c, ctx.get(), 'MUST');
      return measured(
        `the connection stayed usable after a ${res.status}: the next GET was answered ${next.status}`,
      );
    },
  },
  {
    id: 'persist-self-delimited',
    role: 'server',
    area: 'persistence',
    level: 'MUST',
    rfc: 'RFC 9112 §9.3',
    covers: ['PERSIST-03'],
    owns: ['PERSIST-03'],
    title: 'a response on a kept connection has a self-defined length, or the server closes after it',
    async run(ctx) {
      const paths = [
        ctx.path,
        ...(ctx.target.resources.chunkedPath ? [ctx.target.resources.chunkedPath] : []),
      ];
      const seen: string[] = [];
      for (const path of paths) {
        const c = await ctx.connect();
        const req = ctx.get(path);
        await c.send(req);
        const r = await c.readResponse();
        if (r.type === 'timeout' && r.state === 'inside a close-delimited body')
          fail({
            summary: `the response to ${req.label} has no self-defined length and the connection stayed open`,
            expected: 'Content-Length or chunked framing, or a close right after a close-delimited body',
            seen: `a close-delimited body of ${r.partialBytes} bytes so far, and no close within ${Math.round(r.waitedMs)} ms`,
          });
        const res = expectResponse(r, req.label);
        const lag = c.closeLag(res);
        if (lag !== undefined && lag > c.graceMs)
          fail({
            summary: `the response to ${req.label} has no self-defined length and the server closed only ${Math.round(lag)} ms after its last byte`,
            expected: `Content-Length or chunked framing, or a close right after a close-delimited body (within ${c.graceMs} ms)`,
            seen: `${describeResponse(res)}, the connection closed ${Math.round(lag)} ms after the last byte`,
          });
        seen.push(
          `${req.label}: ${res.framing.kind}${res.framing.kind === 'close-delimited' ? ' (then closed)' : ''}`,
        );
      }
      return satisfied(`every response is self-delimited or ends with the connection (${seen.join('; ')})`);
    },
  },
];
