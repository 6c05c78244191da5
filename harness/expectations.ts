// Known failures (--expect): a failure listed with a reason does not fail the
// run; a listed scenario that no longer fails is said, so the list can shrink.

import type { Result } from './model.js';

/** scenario id -> why it is known to fail */
export type Expectations = ReadonlyMap<string, string>;

/** The result marked as an expected failure, if it is one. */
export function marked(r: Result, expected: Expectations | undefined): Result {
  const reason = expected?.get(r.scenario.id);
  return reason !== undefined && r.outcome === 'fail' ? { ...r, expected: reason } : r;
}

/** Listed scenarios that ran and did not fail (a skip or an error says nothing either way). */
export function nowPassing(results: readonly Result[], expected: Expectations | undefined): string[] {
  if (!expected) return [];
  return results
    .filter((r) => expected.has(r.scenario.id) && ['pass', 'info', 'warn'].includes(r.outcome))
    .map((r) => r.scenario.id);
}
