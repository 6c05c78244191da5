// JUnit XML per docs/cli.md: one <testsuite> per role.area, one <testcase> per
// scenario (classname role.area, name "<id> <title>"), properties level/rfc/outcome,
// the transcript in <failure>, the reason in <skipped message>.

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import junitBuilder from 'junit-report-builder';
import { AREA_KEYS, type Result, ROLE_ORDER } from '../harness/model.js';
import { confirmationLine, evidence, findingLine, ruleLine } from './text.js';

// The package's default export is a builder instance; its type file does not resolve under nodenext.
interface TestCase {
  className(n: string): TestCase;
  name(n: string): TestCase;
  time(s: number): TestCase;
  property(n: string, v: string): TestCase;
  failure(message?: string, type?: string): TestCase;
  error(message?: string, type?: string, content?: string): TestCase;
  stacktrace(s?: string): TestCase;
  standardOutput(s?: string): TestCase;
  build(parent: unknown): XmlElement;
  getSkippedCount(): number;
}
interface XmlElement {
  ele(name: string, attrs?: Record<string, string>): XmlElement;
}
interface TestSuite {
  name(n: string): TestSuite;
  time(s: number): TestSuite;
  property(n: string, v: string): TestSuite;
  testCase(): TestCase;
}
interface Builder {
  newBuilder(): Builder;
  testSuite(): TestSuite;
  name(n: string): Builder;
  build(): string;
}

/** Text safe for XML 1.0 and CDATA: illegal characters and "]]>" become \xNN escapes, like the transcript's. */
export function xmlSafe(text: string): string {
  return text
    .replace(
      /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]/g,
      (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
    )
    .replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\\ufffd')
    .replace(/\r/g, '\\r')
    .replaceAll(']]>', ']]\\x3e');
}

export function junitXml(results: Result[], name = 'keepalive-spec', strict = false): string {
  const builder = (junitBuilder as unknown as Builder).newBuilder().name(name);
  const groups = new Map<string, Result[]>();
  const order = (r: Result) => ROLE_ORDER[r.scenario.role] + AREA_KEYS.indexOf(r.scenario.area);
  for (const r of [...results].sort((a, b) => order(a) - order(b))) {
    const key = `${r.scenario.role}.${r.scenario.area}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  for (const [suiteName, list] of groups) {
    const suite = builder.testSuite().name(suiteName);
    suite.time(list.reduce((n, r) => n + r.durationMs, 0) / 1000);
    for (const r of list) addCase(suite, suiteName, r, strict);
  }
  return builder.build();
}

function addCase(suite: TestSuite, classname: string, r: Result, strict: boolean): void {
  const tc = suite
    .testCase()
    .className(classname)
    .name(xmlSafe(`${r.scenario.id} ${r.scenario.title}`))
    .time(r.durationMs / 1000)
    .property('level', r.level)
    .property('rfc', r.scenario.rfc)
    .property('outcome', r.outcome)
    .property('covers', r.scenario.covers.join(' '));
  // A verdict checked by a rerun alone says so wherever it lands, a pass included.
  const out: string[] = [];
  const confirmed = confirmationLine(r);
  if (r.confirmation && confirmed) {
    tc.property('confirmation', r.confirmation.rerun);
    out.push(`rerun: ${confirmed}`);
  }
  const message = xmlSafe(`${findingLine(r.finding)} [${ruleLine(r)}]`);
  const details = xmlSafe(evidence(r));
  // A known failure (--expect) is not a CI failure: it is shown as skipped, with why.
  if (r.expected) {
    tc.property('expected', xmlSafe(r.expected));
    skipWith(tc, xmlSafe(`known failure: ${r.expected}; ${findingLine(r.finding)} [${ruleLine(r)}]`));
    out.push(`FAIL (known failure): ${details}`);
    tc.standardOutput(xmlSafe(out.join('\n')));
    return;
  }
  switch (r.outcome) {
    case 'fail':
      tc.failure(message, strict && r.level.startsWith('SHOULD') ? 'warn-strict' : 'violation').stacktrace(
        details,
      );
      break;
    case 'error':
      tc.error(message, 'harness-error', details);
      break;
    case 'skip':
      skipWith(tc, xmlSafe(findingLine(r.finding)));
      break;
    case 'warn':
    case 'info':
      out.push(`${r.outcome.toUpperCase()}: ${details}`);
      break;
    case 'pass':
      break;
  }
  if (out.length) tc.standardOutput(xmlSafe(out.join('\n')));
}

/** The builder writes <skipped/> without a reason; readers show skipped/@message. */
function skipWith(tc: TestCase, message: string): void {
  const build = tc.build.bind(tc);
  tc.build = (parent) => {
    const el = build(parent);
    el.ele('skipped', { message });
    return el;
  };
  tc.getSkippedCount = () => 1;
}

export function writeJunit(file: string, results: Result[], strict: boolean): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, junitXml(results, 'keepalive-spec', strict));
}
