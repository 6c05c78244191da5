// What a report format implements. The run names no format: it calls every
// reporter it was given (reports/index.ts builds them from options).

import type { Result, RunInfo, ScenarioInfo } from './model.js';

export interface Reporter {
  /** the run starts: what and how, and the scenarios it will run, in report order */
  begin?(info: RunInfo, scenarios: readonly ScenarioInfo[]): void;
  started?(s: ScenarioInfo): void;
  result?(r: Result): void;
  /**
   * Write the report for these results, synchronously, and say what was written
   * (e.g. 'JUnit: out/junit.xml'). Called when the run ends, and at once when it is
   * interrupted (unrun scenarios are results too), so that a second Ctrl-C loses nothing.
   */
  write?(info: RunInfo, results: Result[]): string | undefined;
  /** the run is over; `written` is what the reporters wrote */
  end?(info: RunInfo, results: Result[], written: string[]): void;
}
