// What the test-runner adapters share: which tests to declare, one run of the
// suite for all of them, and what each scenario's result means as a test.

import type { Area, Result, ScenarioInfo } from '../harness/model.js';
import { evidence, findingLine, ruleLine } from '../reports/text.js';
import {
  type ClientSuiteOptions,
  runClientSuite,
  runServerSuite,
  type ServerSuiteOptions,
  type SuiteRun,
} from './run.js';
import { listScenarios } from './scenarios.js';

/** The selection and judgement, known when the tests are declared. */
export interface ConformanceOptions {
  areas?: Area[];
  grep?: RegExp | string;
  exclude?: RegExp | string;
  /** SHOULD-level violations fail their test (default: they pass with the warning printed) */
  strict?: boolean;
  timeoutMs?: number;
  idleMaxMs?: number;
  concurrency?: number;
  /** the name of the enclosing describe (default 'keepalive-spec <role>') */
  title?: string;
}

/** The target, known only when the tests run (a server started in a before hook, say). */
export type ServerTargetOf = () => ServerSuiteOptions | Promise<ServerSuiteOptions>;
export type ClientTargetOf = () => ClientSuiteOptions | Promise<ClientSuiteOptions>;

/** What a test does with its scenario's result. */
export type Verdict =
  | { kind: 'pass'; note?: string }
  | { kind: 'skip'; reason: string }
  | { kind: 'fail'; message: string };

export function verdictOf(r: Result | undefined, failure?: Error): Verdict {
  if (!r)
    return { kind: 'fail', message: failure ? `the suite did not run: ${failure.message}` : 'no result' };
  const head = `${r.scenario.id}: ${findingLine(r.finding)} [${ruleLine(r)}]`;
  switch (r.outcome) {
    case 'pass':
    case 'info': // a measurement, no verdict: the JSON and HTML reports carry it
      return { kind: 'pass' };
    case 'warn':
      return { kind: 'pass', note: `warning: ${head}\n${evidence(r)}` };
    case 'skip':
      return { kind: 'skip', reason: findingLine(r.finding) };
    case 'fail':
    case 'error':
      return {
        kind: 'fail',
        message: `${r.outcome === 'error' ? 'harness error: ' : ''}${head}\n${evidence(r)}`,
      };
  }
}

/** The scenarios to declare, grouped by area in report order. */
export function declared(role: 'server' | 'client', o: ConformanceOptions): Map<Area, ScenarioInfo[]> {
  const byArea = new Map<Area, ScenarioInfo[]>();
  for (const s of listScenarios({ role, areas: o.areas, grep: o.grep, exclude: o.exclude })) {
    const list = byArea.get(s.area) ?? [];
    list.push(s);
    byArea.set(s.area, list);
  }
  return byArea;
}

/** One run of the suite for every declared test; its results by scenario id. */
export async function runOnce(
  role: 'server' | 'client',
  target: ServerTargetOf | ClientTargetOf,
  o: ConformanceOptions,
  signal?: AbortSignal,
): Promise<{ results: Map<string, Result>; run?: SuiteRun; failure?: Error }> {
  const { title: _title, ...selection } = o;
  try {
    const given = await target();
    // A Ctrl-C during the run stops the targets it started before the test runner exits.
    const options = { handleSignals: true, ...selection, ...given, ...(signal ? { signal } : {}) };
    const run =
      role === 'server'
        ? await runServerSuite(options as ServerSuiteOptions)
        : await runClientSuite(options as ClientSuiteOptions);
    return { results: new Map(run.results.map((r) => [r.scenario.id, r])), run };
  } catch (e) {
    return { results: new Map(), failure: e as Error };
  }
}
