// keepalive-spec/mocha: our scenarios as tests in a user's mocha run, one per
// scenario under a describe per area. The suite runs once, concurrently, in a
// before hook; each test then reports its scenario's verdict.
//
//   import { conformance } from 'keepalive-spec/mocha';
//   conformance(() => ({ url: server.url }), { areas: ['pipelining'] });

import {
  type ClientTargetOf,
  type ConformanceOptions,
  declared,
  runOnce,
  type ServerTargetOf,
  verdictOf,
} from './adapter.js';

interface MochaContext {
  timeout(ms: number): void;
  skip(): never;
  test?: { title: string };
}
type Body = (this: MochaContext) => void | Promise<void>;
interface MochaGlobals {
  describe(title: string, fn: () => void): void;
  it(title: string, fn: Body): void;
  before(fn: Body): void;
}

function mocha(): MochaGlobals {
  const g = globalThis as unknown as Partial<MochaGlobals>;
  if (typeof g.describe !== 'function' || typeof g.it !== 'function' || typeof g.before !== 'function')
    throw new Error(
      'keepalive-spec/mocha: call conformance() from a spec file that mocha loads (describe/it are not defined)',
    );
  return g as MochaGlobals;
}

function register(role: 'server' | 'client', target: ServerTargetOf | ClientTargetOf, o: ConformanceOptions) {
  const { describe, it, before } = mocha();
  describe(o.title ?? `keepalive-spec ${role}`, () => {
    let outcome: Awaited<ReturnType<typeof runOnce>> | undefined;
    before(async function () {
      this.timeout(0); // every read inside is bounded by timeoutMs; the run as a whole is not a test
      outcome = await runOnce(role, target, o);
    });
    for (const [area, list] of declared(role, o))
      describe(area, () => {
        for (const s of list)
          it(`${s.id}: ${s.title}`, function () {
            const v = verdictOf(outcome?.results.get(s.id), outcome?.failure);
            if (v.kind === 'skip') {
              if (this.test) this.test.title += ` (skipped: ${v.reason})`;
              this.skip();
            }
            if (v.kind === 'fail') {
              const e = new Error(v.message);
              e.stack = v.message; // the finding and its transcript are the evidence, not our stack
              throw e;
            }
            // On stderr: a reporter may own stdout (mocha --reporter json).
            if (v.note) process.stderr.write(`      ${v.note.split('\n').join('\n      ')}\n`);
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
