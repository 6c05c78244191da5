// The report files of a run (--junit, --json, --html). They are written when the
// run ends, and on Ctrl-C at once from what is known so far: a second Ctrl-C may
// end the process before the run has wound down.

import { writeHtml } from '../reports/html.js';
import { type RunInfo, writeJson } from '../reports/json.js';
import { writeJunit } from '../reports/junit.js';
import type { Result, ScenarioInfo } from './model.js';
import { notRunResult } from './runner.js';

export interface ReportFiles {
  junit?: string;
  json?: string;
  html?: string;
}

/** Write every requested report (synchronously); what was written, e.g. 'JUnit: out/junit.xml'. */
export function writeReports(files: ReportFiles, info: RunInfo, results: Result[]): string[] {
  const written: string[] = [];
  if (files.junit) {
    writeJunit(files.junit, results, info.strict);
    written.push(`JUnit: ${files.junit}`);
  }
  if (files.json) {
    writeJson(files.json, info, results);
    written.push(`JSON: ${files.json}`);
  }
  if (files.html) {
    writeHtml(files.html, info, results);
    written.push(`HTML: ${files.html}`);
  }
  return written;
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
