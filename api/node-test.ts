// keepalive-spec/node-test: our scenarios as tests in a `node --test` run, one
// per scenario under a describe per area. The suite runs once, concurrently, in
// a before hook; each test then reports its scenario's verdict.
//
//   import { conformance } from 'keepalive-spec/node-test';
//   conformance(() => ({ url: server.url }), { areas: ['pipelining'] });

import { before, describe, it } from 'node:test';
import {
  type ClientTargetOf,
  type ConformanceOptions,
  declared,
  runOnce,
  type ServerTargetOf,
  verdictOf,
} from './adapter.js';

function register(role: 'server' | 'client', target: ServerTargetOf | ClientTargetOf, o: ConformanceOptions) {
  describe(o.title ?? `keepalive-spec ${role}`, () => {
    let outcome: Awaited<ReturnType<typeof runOnce>> | undefined;
    // Every read inside is bounded by timeoutMs; the run as a whole is not a test.
    before(
      async () => {
        outcome = await runOnce(role, target, o);
      },
      { timeout: Number.POSITIVE_INFINITY },
    );
    for (const [area, list] of declared(role, o))
      describe(area, () => {
        for (const s of list)
          it(`${s.id}: ${s.title}`, (t) => {
            const v = verdictOf(outcome?.results.get(s.id), outcome?.failure);
            if (v.kind === 'skip') return t.skip(v.reason);
            if (v.kind === 'fail') {
              const e = new Error(v.message);
              e.stack = v.message;
              throw e;
            }
            if (v.note) t.diagnostic(v.note);
          });
      });
  });
}

/** Declare the server suite against the target `target()` gives when the tests run. */
export function conformance(target: ServerTargetOf, o: ConformanceOptions = {}): void {
  register('server', target, o);
}

/** Declare the client suite for the driver `target()` gives when the tests run. */
export function clientConformance(target: ClientTargetOf, o: ConformanceOptions = {}): void {
  register('client', target, o);
}

export type { ClientTargetOf, ConformanceOptions, ServerTargetOf };
