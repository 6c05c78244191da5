// Why a requirement has no scenario (yet). The coverage table is generated from
// the scenarios' `covers`; this file only holds the reasons for the gaps.

export const UNCOVERED_REASONS: Record<string, string> = {};

/**
 * What the coverage table says for a requirement row (server or client role) that has neither a
 * scenario nor a reason above; test/docs.test.ts fails on any such row.
 */
export const NOT_COVERED_YET = 'not covered yet (no scenario, and no reason stated in suites/uncovered.ts)';
