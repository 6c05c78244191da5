// Expectation files (--expect, --update-expect): the scenarios known to fail on
// a target, each with a reason, as JSON or YAML (by the file's extension):
//
//   - id: http10-te-closes
//     reason: keeps the connection after an HTTP/1.0 request with Transfer-Encoding (upstream #123)

import { readFileSync, writeFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse, stringify } from 'yaml';
import { UsageError } from '../harness/errors.js';
import type { Expectations } from '../harness/expectations.js';
import type { Result } from '../harness/model.js';
import { findingLine } from '../reports/text.js';

export interface Expectation {
  id: string;
  reason: string;
}

const isYaml = (file: string) => ['.yaml', '.yml'].includes(extname(file).toLowerCase());

/** The list in `file`: a list of {id, reason}, or {expected: [...]}. UsageError says what is wrong where. */
export function readExpectations(file: string): Expectation[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read the expectations ${file}: ${(e as Error).message}`);
  }
  let data: unknown;
  try {
    data = isYaml(file) ? parse(text) : JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${file} is not valid ${isYaml(file) ? 'YAML' : 'JSON'}: ${(e as Error).message}`);
  }
  if (data === null || data === undefined) return [];
  const list = Array.isArray(data) ? data : (data as { expected?: unknown }).expected;
  if (!Array.isArray(list))
    throw new UsageError(`${file}: expected a list of {id, reason} (or {"expected": [...]})`);
  const seen = new Set<string>();
  return list.map((e, i) => {
    const entry = e as Partial<Expectation>;
    if (typeof entry?.id !== 'string' || !entry.id)
      throw new UsageError(`${file}: entry ${i + 1} has no id (each entry is {id, reason})`);
    if (typeof entry.reason !== 'string' || !entry.reason.trim())
      throw new UsageError(`${file}: ${entry.id} has no reason: say why it is known to fail`);
    if (seen.has(entry.id)) throw new UsageError(`${file}: ${entry.id} is listed twice`);
    seen.add(entry.id);
    return { id: entry.id, reason: entry.reason };
  });
}

export function expectationsOf(list: readonly Expectation[]): Expectations {
  return new Map(list.map((e) => [e.id, e.reason]));
}

/**
 * The list a run gives: every failure, with the reason already given for it or
 * else its finding. Listed scenarios the run did not judge keep their entries.
 */
export function updatedExpectations(
  results: readonly Result[],
  previous: readonly Expectation[],
): Expectation[] {
  // A skip or a harness error says nothing either way: such entries stay.
  const judged = new Set(
    results.filter((r) => ['pass', 'info', 'warn', 'fail'].includes(r.outcome)).map((r) => r.scenario.id),
  );
  const reasons = new Map(previous.map((e) => [e.id, e.reason]));
  const failing = results
    .filter((r) => r.outcome === 'fail')
    .map((r) => ({ id: r.scenario.id, reason: reasons.get(r.scenario.id) ?? findingLine(r.finding) }));
  const kept = previous.filter((e) => !judged.has(e.id));
  return [...failing, ...kept];
}

export function writeExpectations(file: string, list: readonly Expectation[]): void {
  const text = isYaml(file)
    ? `# keepalive-spec expectations: the scenarios known to fail, each with why\n${list.length ? stringify(list) : '[]\n'}`
    : `${JSON.stringify(list, null, 2)}\n`;
  writeFileSync(file, text);
}
