import { describeResponse, fail } from '../../harness/check.js';
import { satisfied } from '../../harness/model.js';
import type { ProxyScenario } from '../../harness/proxy-context.js';
import { connectionOptions, fieldValue } from '../../harness/wire/parse.js';
import { arrived, describeHeaders, exchange } from './steps.js';

export const persistence: ProxyScenario[] = [
  {
    id: 'proxy-hop-connection-named',
    role: 'proxy',
    area: 'persistence',
    level: 'MUST',
    rfc: 'RFC 9110 §7.6.1',
    covers: ['PXHOP-01'],
    title: 'a field the client names in Connection is not forwarded to the origin',
    async run(ctx) {
      const c = await ctx.connect();
      const req = ctx.get(ctx.at('named'), [
        ['Connection', 'X-Ks-Hop'],
        ['X-Ks-Hop', 'for-the-first-hop-only'],
      ]);
      const res = await exchange(c, req);
      const a = await arrived(ctx, 'named');
      const h = a.req.msg.headers;
      const leaked = fieldValue(h, 'x-ks-hop');
      if (leaked !== undefined || connectionOptions(h).has('x-ks-hop'))
        fail({
          summary: `the origin received ${leaked !== undefined ? `X-Ks-Hop: ${leaked}` : 'Connection: X-Ks-Hop'}, which the client had named in Connection`,
          expected: 'X-Ks-Hop and the Connection option naming it removed before forwarding',
          seen: `origin got: ${describeHeaders(h)}`,
        });
      return satisfied(`X-Ks-Hop removed before forwarding; the client got ${describeResponse(res)}`);
    },
  },
];
