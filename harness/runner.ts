// Runs scenarios in a concurrency pool. Each scenario has a hard deadline and
// its own AbortSignal; whatever happens, its connections are cleaned up and
// it yields exactly one Result.

import { setMaxListeners } from 'node:events';
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Verdict } from './check.js';
import { load } from './load.js';
import {
  type Finding,
  harnessError,
  notApplicable,
  type Outcome,
  type Result,
  type Role,
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
  /** `confirming`: a rerun alone, whose side observations (cross-cutting sightings) are not wanted */
  makeContext(
    s: Scenario<Ctx>,
    transcript: Transcript,
    signal: AbortSignal,
    timing: TimingConfig,
    confirming: boolean,
  ): Ctx;
  onStart?(s: ScenarioInfo): void;
  onResult?(r: Result): void;
  /**
   * Results of scenarios that own cross-cutting rules are held back until every
   * other scenario has finished, then passed through this before they are reported.
   */
  finalize?(r: Result, owns: readonly string[]): Result;
  /**
   * Doubtful verdicts rerun at once, away from the full run (default 1). A server
   * scenario mostly waits on sockets, so a few reruns side by side keep a hung
   * target from costing one doubled timeout per verdict; a client rerun starts a
   * driver process, which is itself load.
   */
  confirmConcurrency?: number;
}

/** The hard limit for one scenario: every read is bounded by T, so a few T plus its declared waits. */
export function deadlineOf(s: Scenario<unknown>, t: TimingConfig): number {
  return 6 * t.timeoutMs + 2000 + (s.budgetMs?.(t) ?? 0);
}

export function infoOf(s: ScenarioInfo): ScenarioInfo {
  const { id, role, area, level, rfc, covers, title } = s;
  return { id, role, area, level, rfc, covers, title };
}

/**
 * Scenarios at once by default, sized to the machine. A server scenario costs
 * sockets and little CPU; a client scenario starts a driver process, and many
 * processes starting at once on few cores are themselves the load that spoils
 * timing verdicts.
 */
export function defaultConcurrency(mode: Role, cores = availableParallelism()): number {
  // A proxy scenario costs sockets too, but on both hops of a target that has its own pools and limits.
  if (mode === 'proxy') return Math.min(16, 8 * cores);
  return mode === 'server' ? Math.min(32, 16 * cores) : Math.min(16, 4 * cores);
}

/** A rerun alone gets twice the time: on a busy machine the first deadline may have measured the load. */
export function confirmationTiming(t: TimingConfig): TimingConfig {
  return { ...t, timeoutMs: t.timeoutMs * 2 };
}

export async function runScenarios<Ctx extends Cleanup>(plan: RunPlan<Ctx>): Promise<Result[]> {
  setMaxListeners(0, plan.signal);
  load.start();
  const results = new Map<string, Result>();
  const running = new Map<string, { beside: number }>();
  const report = (s: Scenario<Ctx>, r: Result) => {
    results.set(s.id, r);
    if (!s.owns?.length || !plan.finalize) plan.onResult?.(r);
  };
  /** Run one scenario, counting the scenarios it ran beside; a doubtful verdict is held back. */
  const doubtful: Array<{ s: Scenario<Ctx>; r: Result; beside: number }> = [];
  const runCounted = async (s: Scenario<Ctx>) => {
    const me = { beside: running.size };
    for (const other of running.values()) other.beside++;
    running.set(s.id, me);
    plan.onStart?.(infoOf(s));
    const { r, signs } = await runOne(s, plan, plan.timing, false);
    running.delete(s.id);
    // A scenario about load that fails or warns beside others is judged alone instead
    // (a measurement beside others stands as one: it is no verdict, and a rerun costs its wait).
    const aloneDiffers = s.alone && DOUBTED.has(r.outcome) && me.beside > 0;
    if ((aloneDiffers || needsConfirmation(r, signs, plan.timing)) && !plan.signal.aborted)
      doubtful.push({ s, r, beside: me.beside });
    else report(s, r);
  };
  // Longest first: the run then ends about when its longest wait ends.
  const byLength = (list: ReadonlyArray<Scenario<Ctx>>) =>
    [...list].sort((a, b) => (b.budgetMs?.(plan.timing) ?? 0) - (a.budgetMs?.(plan.timing) ?? 0));
  await pool(byLength(plan.scenarios), plan.concurrency, plan.signal, runCounted);
  // Doubtful verdicts are run again alone, with more time; only a second failure stands
  // (for a scenario about load, the verdict alone stands, whatever it is).
  // Scenarios about load rerun last, each with nothing beside it.
  const confirmOne = async (d: (typeof doubtful)[number]) =>
    report(d.s, plan.signal.aborted ? d.r : await confirm(d.s, d.r, d.beside, plan));
  await pool(
    doubtful.filter((d) => !d.s.alone),
    plan.confirmConcurrency ?? 1,
    plan.signal,
    confirmOne,
  );
  for (const d of doubtful) if (!results.has(d.s.id)) await confirmOne(d);
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
  return plan.scenarios.map((s) => results.get(s.id) ?? notRunResult(s, reason, plan.strict));
}

/** `work` over `items`, at most `concurrency` at a time, until done or aborted. */
async function pool<T>(
  items: readonly T[],
  concurrency: number,
  signal: AbortSignal,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length && !signal.aborted) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
}

/** A stall this long during a rerun alone leaves its verdict open... */
function stallLimit(t: TimingConfig): number {
  return Math.max(200, t.timeoutMs / 10);
}

/**
 * ...if it is also this share of the rerun. Waits already move back by the harness's
 * own stalls, which gives a peer starved alike the same time again; what is left in
 * doubt is a peer starved much longer than the harness. Three seconds of stalls in a
 * 14 s wait for a hung client (seen beside a full test run) leave the hang plain.
 */
const STALL_SHARE = 1 / 3;

/** The outcomes a rerun alone may overturn. */
const DOUBTED: ReadonlySet<Outcome> = new Set(['fail', 'warn', 'error']);

/** A machine short of CPU this share of the time may have starved a peer in another process. */
const BUSY_MACHINE = 0.1;

/** What a run saw of time and load, beyond its result. */
interface RunSigns {
  /** bounded waits that ran out */
  expiredWaits: number;
  /** share of the run during which the machine was short of CPU (harness/load.ts) */
  cpuPressure: number;
}

/**
 * Whether a verdict needs a rerun alone before it stands: a harness error; a
 * failure or warning reached while the harness itself was stalled; or one that
 * rests on time (a wait that ran out, a driver stopped at its deadline) on a
 * machine busy enough to have starved the peer. A verdict about bytes alone (a
 * wrong order, a smuggled response), or about time on an idle machine, stands.
 */
function needsConfirmation(r: Result, signs: RunSigns, t: TimingConfig): boolean {
  if (!DOUBTED.has(r.outcome)) return false;
  if (r.finding.kind === 'harnessError') return true;
  if ((r.stalledMs ?? 0) >= stallLimit(t) / 2) return true;
  return signs.expiredWaits > 0 && signs.cpuPressure >= BUSY_MACHINE;
}

async function confirm<Ctx extends Cleanup>(
  s: Scenario<Ctx>,
  first: Result,
  beside: number,
  plan: RunPlan<Ctx>,
): Promise<Result> {
  plan.onStart?.(infoOf(s));
  const timing = confirmationTiming(plan.timing);
  const { r: again, signs } = await runOne(s, plan, timing, true);
  const firstReason = findingReason(first.finding);
  const others = `${beside} other scenario${beside === 1 ? '' : 's'}`;
  const stalled = Math.round(again.stalledMs ?? 0);
  const doubted = DOUBTED.has(again.outcome);
  const base = { first: { outcome: first.outcome, reason: firstReason }, beside };
  // A stall casts doubt on a verdict about time only: bytes the peer sent stay what they were.
  const aboutTime = signs.expiredWaits > 0 || again.finding.kind === 'harnessError';
  if (doubted && aboutTime && stalled >= stallLimit(timing) && stalled >= STALL_SHARE * again.durationMs) {
    const finding = harnessError(
      `inconclusive: the harness was delayed ${stalled} ms when this scenario ran again alone (first, beside ${others}: ${firstReason})`,
    );
    return {
      ...again,
      finding,
      outcome: outcomeOf(finding, s.level, plan.strict),
      confirmation: {
        ...base,
        rerun: 'inconclusive',
        note: `${first.outcome} beside ${others}, and the harness was delayed ${stalled} ms when run alone`,
      },
    };
  }
  if (doubted)
    return {
      ...again,
      confirmation: {
        ...base,
        rerun: 'confirmed',
        note: `${again.outcome === first.outcome ? 'confirmed' : `${first.outcome} beside ${others}, then ${again.outcome}`}: run again alone with --timeout ${timing.timeoutMs} ms`,
      },
    };
  return {
    ...again,
    confirmation: {
      ...base,
      rerun: 'passed',
      note: `${first.outcome === 'error' ? 'an error' : `${first.outcome}ed`} once when run beside ${others}: ${firstReason}; ${again.outcome === 'pass' ? 'passed' : `${again.outcome}`} alone`,
    },
  };
}

function findingReason(f: Finding): string {
  const text = f.kind === 'notApplicable' || f.kind === 'harnessError' ? f.reason : f.summary;
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

/** A scenario that did not finish: skipped, "not run: <why>" (also the reports' view of an interrupted run). */
export function notRunResult(s: ScenarioInfo, why: string, strict: boolean): Result {
  const finding = notApplicable(`not run: ${why}`);
  return {
    scenario: infoOf(s),
    outcome: outcomeOf(finding, s.level, strict),
    finding,
    level: s.level,
    startedAt: Date.now(),
    durationMs: 0,
    events: [],
  };
}

async function runOne<Ctx extends Cleanup>(
  s: Scenario<Ctx>,
  plan: RunPlan<Ctx>,
  timing: TimingConfig,
  confirming: boolean,
): Promise<{ r: Result; signs: RunSigns }> {
  const transcript = new Transcript();
  const ac = new AbortController();
  // Every connection and wait of a scenario listens on its signal: no leak, just many listeners.
  setMaxListeners(0, ac.signal);
  const startedAt = Date.now();
  const started = performance.now();
  const deadline = deadlineOf(s, timing);
  const onRunAbort = () => ac.abort(plan.signal.reason);
  plan.signal.addEventListener('abort', onRunAbort, { once: true });
  // The deadline is in time the harness could run: a stall (a busy machine) moves it back, up to once more.
  let timer: NodeJS.Timeout;
  const arm = (ms: number) => {
    timer = setTimeout(() => {
      const due = started + deadline + Math.min(load.stalledMs(started), deadline);
      const left = due - performance.now();
      if (left > 1) arm(left);
      else ac.abort(new Error(`scenario exceeded its deadline of ${deadline} ms`));
    }, ms);
  };
  arm(deadline);
  let finding: Finding;
  let ctx: Ctx | undefined;
  try {
    ctx = plan.makeContext(s, transcript, ac.signal, timing, confirming);
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
    clearTimeout(timer!);
    plan.signal.removeEventListener('abort', onRunAbort);
    try {
      await ctx?.cleanup();
    } catch {
      // cleanup is best effort; the verdict stands
    }
  }
  if (!ac.signal.aborted) ac.abort(new Error('scenario finished'));
  const stalledMs = Math.round(load.stalledMs(started));
  const r: Result = {
    scenario: infoOf(s),
    outcome: outcomeOf(finding, s.level, plan.strict),
    finding,
    level: levelOf(finding, s.level),
    startedAt,
    durationMs: Date.now() - startedAt,
    events: transcript.events,
    ...(stalledMs > 0 ? { stalledMs } : {}),
  };
  return { r, signs: { expiredWaits: transcript.expiredWaits, cpuPressure: load.cpuPressure(started) } };
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
