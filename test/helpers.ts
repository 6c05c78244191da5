// Shared by the tests: run scenarios against built-in targets through the same entry points the CLI uses.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { validateXML } from 'xmllint-wasm';
import { runClientSuite } from '../harness/client-mode.js';
import type { Result, TimingConfig } from '../harness/model.js';
import { runProxySuite, startProxyTarget } from '../harness/proxy-mode.js';
import { runServerSuite, startServerTarget } from '../harness/server-mode.js';
import { evidence } from '../reports/text.js';
import { clientScenarios, proxyScenarios, serverScenarios } from '../suites/index.js';
import { findClientTarget } from '../targets/clients/index.js';
import { resolveServerTarget } from '../targets/index.js';
import { resolveProxyTarget } from '../targets/proxies/index.js';

export const TEST_TIMING: TimingConfig = { timeoutMs: 2000, idleMaxMs: 4000 };
/** built-in targets in tests idle out after this long, so idle scenarios finish fast */
export const TEST_TARGET_IDLE_MS = 1000;

export async function runAgainst(
  target: string,
  ids?: string[],
  opts: { strict?: boolean; timing?: TimingConfig } = {},
): Promise<Map<string, Result>> {
  const timing = opts.timing ?? TEST_TIMING;
  const scenarios = serverScenarios().filter((s) => !ids || ids.includes(s.id));
  const running = await startServerTarget(
    { target: resolveServerTarget(target), targetIdleTimeoutMs: TEST_TARGET_IDLE_MS },
    timing,
  );
  try {
    const results = await runServerSuite(
      running,
      {},
      { scenarios, timing, strict: opts.strict ?? true, concurrency: 64 },
      { signal: new AbortController().signal },
    );
    return new Map(results.map((r) => [r.scenario.id, r]));
  } finally {
    await running.stop();
  }
}

/** Run proxy scenarios against a built-in intermediary (the harness on both of its hops). */
export async function runProxyAgainst(
  target: string,
  ids?: string[],
  opts: { strict?: boolean; timing?: TimingConfig } = {},
): Promise<Map<string, Result>> {
  const timing = opts.timing ?? TEST_TIMING;
  const scenarios = proxyScenarios().filter((s) => !ids || ids.includes(s.id));
  const running = await startProxyTarget(
    { target: resolveProxyTarget(target), targetIdleTimeoutMs: TEST_TARGET_IDLE_MS },
    timing,
  );
  try {
    const results = await runProxySuite(
      running,
      { scenarios, timing, strict: opts.strict ?? true, concurrency: 16 },
      { signal: new AbortController().signal },
    );
    return new Map(results.map((r) => [r.scenario.id, r]));
  } finally {
    await running.stop();
  }
}

/** The evidence of a result, for assertion messages. */
export function why(r: Result | undefined): string {
  return r ? `${r.outcome}: ${evidence(r)}` : 'no result';
}

/** Run client scenarios with a built-in driver (compiled: needs `npm run build`). */
export async function runClientAgainst(
  target: string,
  ids?: string[],
  opts: { strict?: boolean; timing?: TimingConfig } = {},
): Promise<Map<string, Result>> {
  const timing = opts.timing ?? TEST_TIMING;
  const scenarios = clientScenarios().filter((s) => !ids || ids.includes(s.id));
  const t = findClientTarget(target);
  if (!t) throw new Error(`no client target ${target}`);
  const results = await runClientSuite(
    t.command(),
    { scenarios, timing, strict: opts.strict ?? true, concurrency: 16 },
    { signal: new AbortController().signal },
  );
  return new Map(results.map((r) => [r.scenario.id, r]));
}

const XSD = readFileSync(join(import.meta.dirname, 'fixtures', 'junit.xsd'), 'utf8');

/** The JUnit file, after checking it against the JUnit schema. */
export async function expectValidJunit(file: string): Promise<string> {
  const xml = readFileSync(file, 'utf8');
  const result = await validateXML({
    xml: [{ fileName: 'report.xml', contents: xml }],
    schema: [{ fileName: 'junit.xsd', contents: XSD }],
  });
  expect(
    result.errors.map((e) => e.rawMessage),
    'JUnit XSD validation',
  ).to.deep.equal([]);
  return xml;
}

/** Live processes (not zombies) whose process group is one of `groups`. */
export function survivors(groups: number[]): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    // pid (comm) state ppid pgrp ...: comm may hold spaces and parentheses
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const [state, , pgrp] = rest;
    if (state !== 'Z' && groups.includes(Number(pgrp)))
      found.push(`${pid} ${stat.slice(0, stat.lastIndexOf(')') + 1)}`);
  }
  return found;
}

export async function gone(groups: number[], withinMs: number): Promise<string[]> {
  const until = Date.now() + withinMs;
  let left = survivors(groups);
  while (left.length && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 50));
    left = survivors(groups);
  }
  return left;
}
