// The run loop's defences against a busy machine: verdicts about time are run
// again alone before they stand, a stalled rerun is inconclusive (an error,
// never a failure), scenarios about load run with nothing beside them, and
// waits move their deadline back by the time the harness was stalled.

import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { expect } from 'chai';
import { execa } from 'execa';
import { load } from '../harness/load.js';
import {
  type Finding,
  harnessError,
  measured,
  type Result,
  type Scenario,
  satisfied,
  type TimingConfig,
  violated,
} from '../harness/model.js';
import { defaultConcurrency, runScenarios } from '../harness/runner.js';
import type { Transcript } from '../harness/wire/transcript.js';
import { Waiters } from '../harness/wire/wait.js';

interface Ctx {
  transcript: Transcript;
  timing: TimingConfig;
  confirming: boolean;
  cleanup(): void;
}

const TIMING: TimingConfig = { timeoutMs: 500, idleMaxMs: 1000 };

function scenario(id: string, run: (ctx: Ctx) => Promise<Finding>, more: Partial<Scenario<Ctx>> = {}) {
  return {
    id,
    role: 'server',
    area: 'persistence',
    level: 'MUST',
    rfc: 'RFC 9112 §9.3',
    covers: ['PERSIST-01'],
    title: id,
    run,
    ...more,
  } as Scenario<Ctx>;
}

const noResponse = (ctx: Ctx): Finding => {
  ctx.transcript.expiredWaits++;
  return violated({ summary: 'no response within 500 ms', expected: 'a response', seen: 'nothing' });
};

/** Keep this process busy for `ms`: what a starved harness looks like from inside. */
function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // spin
  }
}

async function run(
  scenarios: Scenario<Ctx>[],
  concurrency = 4,
  confirmConcurrency?: number,
): Promise<Map<string, Result>> {
  const results = await runScenarios<Ctx>({
    scenarios,
    concurrency,
    ...(confirmConcurrency ? { confirmConcurrency } : {}),
    timing: TIMING,
    strict: true,
    signal: new AbortController().signal,
    makeContext: (_s, transcript, _signal, timing, confirming) => ({
      transcript,
      timing,
      confirming,
      cleanup: () => {},
    }),
  });
  return new Map(results.map((r) => [r.scenario.id, r]));
}

describe('the run loop on a busy machine', () => {
  before(() => load.start());

  it('a failure about time that passes alone is a pass, with a note that says so', async () => {
    const timings: TimingConfig[] = [];
    const r = await run([
      scenario('flaky', async (ctx) => {
        timings.push(ctx.timing);
        if (ctx.confirming) return satisfied('answered');
        busy(150); // the harness was held up while it waited
        return noResponse(ctx);
      }),
      scenario('other', async () => satisfied('fine')),
    ]);
    const flaky = r.get('flaky')!;
    expect(flaky.outcome).to.equal('pass');
    expect(flaky.confirmation?.rerun).to.equal('passed');
    expect(flaky.confirmation?.first.outcome).to.equal('fail');
    expect(flaky.confirmation?.note).to.match(
      /failed once when run beside \d+ other scenarios?: no response/,
    );
    expect(flaky.confirmation?.note).to.match(/passed alone/);
    // The rerun alone had its deadlines doubled.
    expect(timings.map((t) => t.timeoutMs)).to.deep.equal([500, 1000]);
    expect(r.get('other')!.confirmation).to.equal(undefined);
  });

  it('a failure about time on a machine short of CPU that fails alone too stands, confirmed', async () => {
    // Other processes keep every core busy: a peer process could have been starved.
    const hogs = Array.from({ length: availableParallelism() + 1 }, () =>
      execa('node', ['-e', 'const e = Date.now() + 1500; while (Date.now() < e);'], { reject: false }),
    );
    try {
      await new Promise((res) => setTimeout(res, 300));
      const r = await run([
        scenario('broken', async (ctx) => {
          if (!ctx.confirming) await new Promise((res) => setTimeout(res, 500));
          return noResponse(ctx);
        }),
      ]);
      const broken = r.get('broken')!;
      expect(broken.outcome).to.equal('fail');
      expect(broken.confirmation?.rerun).to.equal('confirmed');
    } finally {
      for (const h of hogs) h.kill('SIGKILL');
      await Promise.all(hogs);
    }
  });

  it('a failure about time on an idle machine, with the harness never stalled, stands as measured', async () => {
    let runs = 0;
    const r = await run([
      scenario('slow', async (ctx) => {
        runs++;
        return noResponse(ctx);
      }),
    ]);
    expect(r.get('slow')!.outcome).to.equal('fail');
    // On a busy test machine it may be confirmed; it is never turned into a pass.
    expect(runs).to.be.within(1, 2);
  });

  it('a failure about bytes alone is not rerun', async () => {
    let runs = 0;
    const r = await run([
      scenario('bytes', async () => {
        runs++;
        return violated({ summary: 'responses out of order', expected: '200, 404', seen: '404, 200' });
      }),
    ]);
    expect(r.get('bytes')!.outcome).to.equal('fail');
    expect(r.get('bytes')!.confirmation).to.equal(undefined);
    expect(runs).to.equal(1);
  });

  it('a harness error is rerun, and one whose rerun was stalled is inconclusive: an error, never a failure', async () => {
    const r = await run([
      scenario('starved', async (ctx) => {
        if (!ctx.confirming) return harnessError('scenario exceeded its deadline');
        busy(400);
        return noResponse(ctx);
      }),
    ]);
    const starved = r.get('starved')!;
    expect(starved.outcome).to.equal('error');
    expect(starved.confirmation?.rerun).to.equal('inconclusive');
    expect(starved.finding.kind === 'harnessError' && starved.finding.reason).to.match(
      /^inconclusive: the harness was delayed \d+ ms/,
    );
  });

  it('a stalled rerun that fails on bytes alone stands: a stall does not change what the peer sent', async () => {
    const r = await run([
      scenario('reused', async (ctx) => {
        if (!ctx.confirming) return harnessError('scenario exceeded its deadline');
        busy(400);
        return violated({
          summary: 'a request after close',
          expected: 'a new connection',
          seen: 'GET /b on s1',
        });
      }),
    ]);
    expect(r.get('reused')!.outcome).to.equal('fail');
    expect(r.get('reused')!.confirmation?.rerun).to.equal('confirmed');
  });

  it('a short stall in a long rerun leaves its failure standing (a hang is plain beside it)', async () => {
    const r = await run([
      scenario('hung', async (ctx) => {
        if (!ctx.confirming) return harnessError('scenario exceeded its deadline');
        busy(250);
        await new Promise((res) => setTimeout(res, 2500));
        return noResponse(ctx);
      }),
    ]);
    const hung = r.get('hung')!;
    expect(hung.outcome).to.equal('fail');
    expect(hung.confirmation?.rerun).to.equal('confirmed');
  });

  it('a scenario about load that fails beside others is judged by a rerun with nothing beside it', async () => {
    const active = new Set<string>();
    const beside: Record<string, number[]> = {};
    const step = (id: string) => async (ctx: Ctx) => {
      active.add(id);
      let most = active.size - 1;
      await new Promise((res) => setTimeout(res, 30));
      most = Math.max(most, active.size - 1);
      active.delete(id);
      (beside[id] ??= []).push(most);
      // Beside others it measures something else than alone.
      return id === 'lonely' && !ctx.confirming
        ? violated({ summary: 'a new connection was not answered', expected: 'an answer', seen: 'none' })
        : id === 'measuring'
          ? measured('3 of 64 answered')
          : satisfied('ok');
    };
    const r = await run(
      [
        scenario('a', step('a')),
        scenario('lonely', step('lonely'), { alone: true }),
        scenario('calm', step('calm'), { alone: true }),
        scenario('measuring', step('measuring'), { alone: true }),
        scenario('b', step('b')),
      ],
      8,
    );
    expect(beside.lonely).to.have.length(2);
    expect(beside.lonely![1]).to.equal(0);
    expect(r.get('lonely')!.outcome).to.equal('pass');
    expect(r.get('lonely')!.confirmation?.note).to.match(
      /^failed once when run beside \d+ other.*passed alone/,
    );
    // A pass, or a measurement, beside others stands without a rerun.
    expect(beside.calm).to.have.length(1);
    expect(r.get('calm')!.confirmation).to.equal(undefined);
    expect(beside.measuring).to.have.length(1);
    expect(r.get('measuring')!.outcome).to.equal('info');
  });

  it('reruns at most confirmConcurrency at once, and a scenario about load with nothing beside it', async () => {
    const confirming = new Set<string>();
    let most = 0;
    let besideLonely = -1;
    const step = (id: string) => async (ctx: Ctx) => {
      if (!ctx.confirming) {
        return id === 'lonely'
          ? violated({ summary: 'a new connection was not answered', expected: 'an answer', seen: 'none' })
          : harnessError('scenario exceeded its deadline');
      }
      if (id === 'lonely') besideLonely = confirming.size;
      confirming.add(id);
      most = Math.max(most, confirming.size);
      await new Promise((res) => setTimeout(res, 20));
      confirming.delete(id);
      return satisfied('ok');
    };
    const ids = ['a', 'b', 'c', 'd', 'e', 'f'];
    const r = await run(
      [...ids.map((id) => scenario(id, step(id))), scenario('lonely', step('lonely'), { alone: true })],
      8,
      2,
    );
    expect(most).to.equal(2);
    expect(besideLonely).to.equal(0);
    for (const id of [...ids, 'lonely']) expect(r.get(id)!.outcome, id).to.equal('pass');
  });

  it('a wait moves its deadline back by the time the harness was stalled', async () => {
    const waiters = new Waiters();
    const signal = new AbortController().signal;
    let woken = false;
    setTimeout(() => {
      busy(300); // the harness stalls past the wait's 100 ms deadline ...
      setTimeout(() => {
        woken = true; // ... and the peer answers soon after it runs again
        waiters.wake();
      }, 20);
    }, 10);
    const r = await waiters.until(() => (woken ? 'answered' : undefined), 100, signal);
    expect(r).to.equal('answered');
  });

  it('a pause that is itself the test is not stretched', async () => {
    const waiters = new Waiters();
    const t0 = performance.now();
    setTimeout(() => busy(150), 5);
    const r = await waiters.until(() => undefined, 100, new AbortController().signal, false);
    expect(r).to.equal('timeout');
    expect(performance.now() - t0).to.be.lessThan(400);
  });

  it('the default concurrency follows the cores and the mode', () => {
    expect(defaultConcurrency('server', 2)).to.equal(32);
    expect(defaultConcurrency('client', 2)).to.equal(8);
    expect(defaultConcurrency('client', 1)).to.equal(4);
    expect(defaultConcurrency('client', 64)).to.equal(16);
  });
});
