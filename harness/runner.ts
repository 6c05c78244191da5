// Runs scenarios in a concurrency pool. Each scenario has a hard deadline and
// its own AbortSignal; whatever happens, its connections are cleaned up and
// it yields exactly one Result.

import { setMaxListeners } from 'node:events';
import { Verdict } from './check.js';
import {
  type Finding,
  harnessError,
  notApplicable,
  type Result,
  type Scenario,
  type ScenarioInfo,
  type TimingConfig,
} from './model.js';
import { levelOf, outcomeOf } from './outcome.js';
import { Aborted, ConnectError } from './wire/conn.js';
import { Transcript } from './wire/transcript.js';

export interface Cleanup {
  cleanup(): void | Promise<void>;
}

export interface RunPlan<Ctx extends Cleanup> {
  scenarios: ReadonlyArray<Scenario<Ctx>>;
  concurrency: number;
  timing: TimingConfig;
  strict: boolean;
  /** cancels the whole run (Ctrl-C, target died) */
  signal: AbortSignal;
  makeContext(s: Scenario<Ctx>, transcript: Transcript, signal: AbortSignal): Ctx;
  onStart?(s: ScenarioInfo): void;
  onResult?(r: Result): void;
  /**
   * Results of scenarios that own cross-cutting rules are held back until every
   * other scenario has finished, then passed through this before they are reported.
   */
  finalize?(r: Result, owns: readonly string[]): Result;
}

/** The hard limit for one scenario: every read is bounded by T, so a few T plus its declared waits. */
export function deadlineOf(s: Scenario<unknown>, t: TimingConfig): number {
  return 6 * t.timeoutMs + 2000 + (s.budgetMs?.(t) ?? 0);
}

export function infoOf(s: ScenarioInfo): ScenarioInfo {
  const { id, role, area, level, rfc, covers, title } = s;
  return { id, role, area, level, rfc, covers, title };
}

export async function runScenarios<Ctx extends Cleanup>(plan: RunPlan<Ctx>): Promise<Result[]> {
  setMaxListeners(0, plan.signal);
  const results = new Map<string, Result>();
  // Longest first: the run then ends about when its longest wait ends.
  const order = [...plan.scenarios].sort(
    (a, b) => (b.budgetMs?.(plan.timing) ?? 0) - (a.budgetMs?.(plan.timing) ?? 0),
  );
  let next = 0;
  const worker = async () => {
    while (next < order.length && !plan.signal.aborted) {
      const s = order[next++]!;
      plan.onStart?.(infoOf(s));
      const r = await runOne(s, plan);
      results.set(s.id, r);
      if (!s.owns?.length || !plan.finalize) plan.onResult?.(r);
    }
  };
  const workers = Array.from({ length: Math.max(1, Math.min(plan.concurrency, order.length)) }, worker);
  await Promise.all(workers);
  if (plan.finalize) {
    for (const s of plan.scenarios) {
      const r = results.get(s.id);
      if (!r || !s.owns?.length) continue;
      const final = plan.finalize(r, s.owns);
      results.set(s.id, final);
      plan.onResult?.(final);
    }
  }
  const reason = String(
    plan.signal.reason instanceof Error
      ? plan.signal.reason.message
      : (plan.signal.reason ?? 'run cut short'),
  );
  return plan.scenarios.map((s) => results.get(s.id) ?? notRun(s, plan, reason));
}

function notRun<Ctx extends Cleanup>(s: Scenario<Ctx>, plan: RunPlan<Ctx>, reason: string): Result {
  const finding = notApplicable(`not run: ${reason}`);
  return {
    scenario: infoOf(s),
    outcome: outcomeOf(finding, s.level, plan.strict),
    finding,
    level: s.level,
    startedAt: Date.now(),
    durationMs: 0,
    events: [],
  };
}

async function runOne<Ctx extends Cleanup>(s: Scenario<Ctx>, plan: RunPlan<Ctx>): Promise<Result> {
  const transcript = new Transcript();
  const ac = new AbortController();
  // Every connection and wait of a scenario listens on its signal: no leak, just many listeners.
  setMaxListeners(0, ac.signal);
  const startedAt = Date.now();
  const deadline = deadlineOf(s, plan.timing);
  const onRunAbort = () => ac.abort(plan.signal.reason);
  plan.signal.addEventListener('abort', onRunAbort, { once: true });
  const timer = setTimeout(
    () => ac.abort(new Error(`scenario exceeded its deadline of ${deadline} ms`)),
    deadline,
  );
  let finding: Finding;
  let ctx: Ctx | undefined;
  try {
    ctx = plan.makeContext(s, transcript, ac.signal);
    // A scenario stuck on something that ignores the signal still ends, a moment after the abort.
    const stuck = new Promise<never>((_, reject) => {
      ac.signal.addEventListener('abort', () => setTimeout(() => reject(new Aborted()), 1000).unref(), {
        once: true,
      });
    });
    finding = await Promise.race([s.run(ctx), stuck]);
  } catch (e) {
    finding = findingOf(e, ac.signal, plan.signal);
  } finally {
    clearTimeout(timer);
    plan.signal.removeEventListener('abort', onRunAbort);
    try {
      await ctx?.cleanup();
    } catch {
      // cleanup is best effort; the verdict stands
    }
  }
  if (!ac.signal.aborted) ac.abort(new Error('scenario finished'));
  return {
    scenario: infoOf(s),
    outcome: outcomeOf(finding, s.level, plan.strict),
    finding,
    level: levelOf(finding, s.level),
    startedAt,
    durationMs: Date.now() - startedAt,
    events: transcript.events,
  };
}

function findingOf(e: unknown, signal: AbortSignal, runSignal: AbortSignal): Finding {
  if (e instanceof Verdict) return e.finding;
  if (runSignal.aborted) {
    const why =
      runSignal.reason instanceof Error ? runSignal.reason.message : String(runSignal.reason ?? 'cancelled');
    return notApplicable(`cut short: ${why}`);
  }
  if (e instanceof ConnectError) return harnessError(e.message);
  if (e instanceof Aborted || signal.aborted) {
    const why = signal.reason instanceof Error ? signal.reason.message : String(signal.reason ?? 'cancelled');
    return harnessError(why);
  }
  const err = e instanceof Error ? (e.stack ?? e.message) : String(e);
  return harnessError(`scenario crashed: ${err}`);
}
