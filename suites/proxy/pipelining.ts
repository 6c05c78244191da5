import { describeResponse, expectResponse, fail } from '../../harness/check.js';
import { satisfied } from '../../harness/model.js';
import type { ProxyScenario } from '../../harness/proxy-context.js';

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
      const r1 = expectResponse(await c.readResponse(), first.label);
      const r2 = expectResponse(await c.readResponse(), second.label);
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
