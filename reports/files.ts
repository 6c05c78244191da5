// The report files of a run (--junit, --json, --html), as reporters: each is
// written when the run ends, and at once from what is known when it is
// interrupted (harness/session.ts).

import type { Reporter } from '../harness/reporter.js';
import { writeHtml } from './html.js';
import { writeJson } from './json.js';
import { writeJunit } from './junit.js';

export const junitReporter = (file: string): Reporter => ({
  write(info, results) {
    writeJunit(file, results, info.strict);
    return `JUnit: ${file}`;
  },
});

export const jsonReporter = (file: string): Reporter => ({
  write(info, results) {
    writeJson(file, info, results);
    return `JSON: ${file}`;
  },
});

export const htmlReporter = (file: string): Reporter => ({
  write(info, results) {
    writeHtml(file, info, results);
    return `HTML: ${file}`;
  },
});
