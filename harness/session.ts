// One run from start to end, the same for both modes and for the CLI and the
// API: start the target, run, stop it whatever happens; a target that dies or
// an abort (Ctrl-C, the caller's signal) cuts the run short, and the reports
// are written at once from what is known, then again when the run has wound down.

import { TargetError } from './errors.js';
import { type Expectations, marked, nowPassing } from './expectations.js';
import type { Result, Role, RunInfo, ScenarioInfo, TimingConfig } from './model.js';
import type { Reporter } from './reporter.js';
import { notRunResult } from './runner.js';
import type { RunHooks } from './server-mode.js';
import { VERSION } from './version.js';

/** What a mode provides: the selected scenarios and a way to start its target. */
export interface ModeRun {
  mode: Role;
  /** the selected scenarios, in report order */
  scenarios: readonly ScenarioInfo[];
  start(signal: AbortSignal): Promise<StartedTarget>;
}

export interface StartedTarget {
  description: string;
  /** resolves if the target dies on its own, with a one-line reason */
  died?: Promise<string>;
  run(hooks: RunHooks): Promise<Result[]>;
  stop(): Promise<void>;
}

export interface SessionOptions {
  timing: TimingConfig;
  strict: boolean;
  concurrency: number;
  reporters: readonly Reporter[];
  signal?: AbortSignal;
  /** known failures: marked as expected in every report, and left out of the exit status */
  expected?: Expectations;
}

export interface SessionEnd {
  info: RunInfo;
  results: Result[];
  /** what the reporters wrote, e.g. 'JUnit: out/junit.xml' */
  written: string[];
  /** the reports that could not be written, each with why */
  unwritten: string[];
  /** scenarios listed as known failures that ran and did not fail */
  nowPassing: string[];
  /** why the run ended early; `targetDied`: the target stopped on its own */
  cutShort?: { reason: string; targetDied: boolean };
}

export async function runSession(m: ModeRun, o: SessionOptions): Promise<SessionEnd> {
  const ac = new AbortController();
  const started = Date.now();
  let description = '';
  const runInfo = (cutShort?: string): RunInfo => ({
    mode: m.mode,
    target: description,
    startedAt: new Date(started).toISOString(),
    wallMs: Date.now() - started,
    strict: o.strict,
    timeoutMs: o.timing.timeoutMs,
    idleMaxMs: o.timing.idleMaxMs,
    concurrency: o.concurrency,
    version: VERSION,
    ...(cutShort ? { cutShort } : {}),
  });
  const finished = new Map<string, Result>();
  const reasonOf = (signal: AbortSignal) =>
    String((signal.reason as Error)?.message ?? signal.reason ?? 'run cut short');
  // The reports first: a second signal may end the process before the wind-down does.
  const onAbort = () => {
    const why = reasonOf(o.signal!);
    const { unwritten } = writeAll(
      o.reporters,
      runInfo(why),
      resultsSoFar(m.scenarios, finished, why, o.strict),
    );
    for (const u of unwritten) process.stderr.write(`keepalive-spec: cannot write a report: ${u}\n`);
    ac.abort(o.signal!.reason);
  };
  if (o.signal?.aborted) ac.abort(o.signal.reason);
  else o.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    let results: Result[] = [];
    let target: StartedTarget | undefined;
    let ended = false;
    try {
      target = await m.start(ac.signal);
      description = target.description;
      void target.died?.then((why) => {
        if (!ended) ac.abort(new TargetError(why));
      });
      const info = runInfo();
      for (const r of o.reporters) r.begin?.(info, m.scenarios);
      results = await target.run({
        signal: ac.signal,
        onStart: (s) => {
          for (const r of o.reporters) r.started?.(s);
        },
        onResult: (one) => {
          const res = marked(one, o.expected);
          finished.set(res.scenario.id, res);
          for (const r of o.reporters) r.result?.(res);
        },
      });
    } finally {
      ended = true;
      await target?.stop();
    }
    results = results.map((r) => marked(r, o.expected));
    const reason = ac.signal.aborted ? reasonOf(ac.signal) : undefined;
    const passing = nowPassing(results, o.expected);
    const info = { ...runInfo(reason), ...(o.expected ? { nowPassing: passing } : {}) };
    const { written, unwritten } = writeAll(o.reporters, info, results);
    for (const r of o.reporters) r.end?.(info, results, written);
    return {
      info,
      results,
      written,
      unwritten,
      nowPassing: passing,
      ...(reason ? { cutShort: { reason, targetDied: ac.signal.reason instanceof TargetError } } : {}),
    };
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
  }
}

/** Every report, synchronously; one that cannot be written does not keep the others from it. */
function writeAll(reporters: readonly Reporter[], info: RunInfo, results: Result[]) {
  const written: string[] = [];
  const unwritten: string[] = [];
  for (const r of reporters) {
    try {
      const what = r.write?.(info, results);
      if (what) written.push(what);
    } catch (e) {
      unwritten.push((e as Error).message);
    }
  }
  return { written, unwritten };
}

/** Every selected scenario in order: its result if it finished, else not run for `why`. */
export function resultsSoFar(
  selected: readonly ScenarioInfo[],
  finished: ReadonlyMap<string, Result>,
  why: string,
  strict: boolean,
): Result[] {
  return selected.map((s) => finished.get(s.id) ?? notRunResult(s, why, strict));
}
