import { fail } from '../../harness/check.js';
import { type ClientObservation, clientScenario, describeConns, describeLine } from '../../harness/client.js';
import type { ClientScenario } from '../../harness/client.js';
import { satisfied } from '../../harness/model.js';
import { connectionOptions } from '../../harness/wire/parse.js';

/** Three sequential GETs, 100 ms apart: the plan of the reuse scenarios. */
const THREE = {
  requests: [
    { id: 'r1', path: '/a' },
    { id: 'r2', path: '/b', delayMs: 100 },
    { id: 'r3', path: '/c', delayMs: 100 },
  ],
};

/** Every step got a 200 whose body names its path (the default script's answer). */
export function allAnswered(obs: ClientObservation): void {
  for (const step of obs.plan.requests) {
    const l = obs.line(step.id);
    if (l?.status !== 200 || l.body !== `ok ${step.path}`)
      fail({
        summary: `the client did not report the response to ${step.id} correctly`,
        expected: `status 200 and body "ok ${step.path}" for ${step.id}`,
        seen: `${describeLine(obs, step.id)}; connections: ${describeConns(obs)}`,
        level: 'MUST',
      });
  }
}

export const persistenceClient: ClientScenario[] = [
  clientScenario({
    id: 'client-reuse-sequential',
    area: 'persistence',
    level: 'SHOULD',
    rfc: 'RFC 9112 §9.3',
    covers: ['PERSIST-05'],
    title: 'sequential requests to one origin reuse one persistent connection',
    plan: THREE,
    check(obs) {
      allAnswered(obs);
      if (obs.conns.length !== 1)
        fail({
          summary: `three sequential requests used ${obs.conns.length} connections`,
          expected: 'all three requests on one connection (the responses were persistent HTTP/1.1)',
          seen: describeConns(obs),
        });
      return satisfied(`all three requests on one connection: ${describeConns(obs)}`);
    },
  }),
  clientScenario({
    id: 'client-close-announced',
    area: 'persistence',
    level: 'MUST',
    rfc: 'RFC 9112 §9.3',
    covers: ['PERSIST-06'],
    title: 'a client that closes a connection after one exchange said Connection: close on its request',
    plan: THREE,
    settleMs: (t) => Math.min(500, t.timeoutMs),
    check(obs) {
      allAnswered(obs);
      const last = obs.plan.requests[obs.plan.requests.length - 1]!.path;
      for (const c of obs.conns) {
        const closedByClient = c.clientFinAt !== undefined || c.clientRstAt !== undefined;
        const only = c.requests[0];
        if (!closedByClient || c.requests.length !== 1 || !only || only.msg.target === last) continue;
        if (!connectionOptions(only.msg.headers).has('close'))
          fail({
            summary: `the client closed ${c.label} after one exchange without announcing it`,
            expected: 'Connection: close on a request after which the client closes the connection',
            seen: `${only.msg.method} ${only.msg.target} without close, then the client closed ${c.label}; ${describeConns(obs)}`,
          });
      }
      return satisfied(`no connection was closed unannounced after one exchange: ${describeConns(obs)}`);
    },
  }),
];
