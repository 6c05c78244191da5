import { describeEnd, fail, skip } from '../../harness/check.js';
import { satisfied } from '../../harness/model.js';
import type { ServerCtx, ServerScenario } from '../../harness/server-context.js';
import type { Conn } from '../../harness/wire/conn.js';
import { exchange } from './steps.js';

/** How one server-initiated close ended over TLS; undefined if the server did not close within `ms`. */
async function tlsClose(
  c: Conn,
  ms: number,
): Promise<{ alert: boolean; how: string; end: string } | undefined> {
  const end = await c.waitEnd({ timeoutMs: ms, probe: false });
  if (end.how === 'open') return undefined;
  const closure = c.closureAlert() ?? { alert: false, how: 'the connection was reset before any FIN' };
  return { ...closure, end: describeEnd(end) };
}

/** After `Connection: close`, and after the idle timeout (bounded by I), in parallel. */
async function observeCloses(ctx: ServerCtx) {
  const [a, b] = await Promise.all([ctx.connect(), ctx.connect()]);
  const [closeRes] = await Promise.all([
    exchange(a, ctx.get(ctx.path, [['Connection', 'close']])),
    exchange(b, ctx.get(ctx.path)),
  ]);
  const [afterClose, afterIdle] = await Promise.all([
    tlsClose(a, ctx.timing.timeoutMs),
    tlsClose(b, ctx.timing.idleMaxMs),
  ]);
  return { closeRes, afterClose, afterIdle };
}

export const tlsScenarios: ServerScenario[] = [
  {
    id: 'close-tls-closure-alert',
    role: 'server',
    area: 'close',
    level: 'MUST',
    rfc: 'RFC 9112 §9.8',
    covers: ['TLS-02'],
    transport: 'tls',
    title: 'over TLS, a server sends a closure alert before it closes the connection',
    budgetMs: (t) => t.idleMaxMs,
    async run(ctx) {
      if (!ctx.target.endpoint.tls) skip('the target is not https: closure alerts exist only over TLS');
      const { afterClose, afterIdle } = await observeCloses(ctx);
      const seen: string[] = [];
      for (const [what, close] of [
        ['after a request with Connection: close', afterClose],
        ['on its idle timeout', afterIdle],
      ] as const) {
        if (!close) {
          seen.push(`${what}: the server did not close within the wait`);
          continue;
        }
        if (!close.alert)
          fail({
            summary: `the server closed the TLS connection ${what} without a closure alert`,
            expected: 'a TLS close_notify alert before the TCP FIN',
            seen: `${close.how}; ${close.end}`,
          });
        seen.push(`${what}: ${close.how}`);
      }
      if (!afterClose && !afterIdle)
        skip('the server closed no connection within the waits, so no close could be judged');
      return satisfied(seen.join('; '));
    },
  },
];
