import pc from 'picocolors';
import type { Outcome } from '../harness/model.js';

/** One table of outcome symbols and colours for every report. */
export const OUTCOMES: Record<
  Outcome,
  { symbol: string; word: string; color: (s: string) => string; describe: string }
> = {
  pass: { symbol: '✔', word: 'PASS', color: pc.green, describe: 'the rule held' },
  fail: {
    symbol: '✖',
    word: 'FAIL',
    color: pc.red,
    describe: 'a MUST-level rule was broken (or a SHOULD under --strict)',
  },
  warn: { symbol: '!', word: 'WARN', color: pc.yellow, describe: 'a SHOULD-level rule was broken' },
  info: { symbol: 'i', word: 'INFO', color: pc.cyan, describe: 'a measurement or a permitted choice' },
  skip: {
    symbol: '-',
    word: 'SKIP',
    color: pc.dim,
    describe: 'not applicable to this target, with the reason',
  },
  error: {
    symbol: 'E',
    word: 'ERROR',
    color: pc.magenta,
    describe: 'the harness could not run it (target unreachable, driver crashed)',
  },
};

export const OUTCOME_ORDER: Outcome[] = ['fail', 'error', 'warn', 'info', 'skip', 'pass'];

export function countOutcomes(outcomes: Iterable<Outcome>): Record<Outcome, number> {
  const counts: Record<Outcome, number> = { pass: 0, fail: 0, warn: 0, info: 0, skip: 0, error: 0 };
  for (const o of outcomes) counts[o]++;
  return counts;
}
