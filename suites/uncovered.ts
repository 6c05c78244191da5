// Why a requirement has no scenario (yet). The coverage table is generated from
// the scenarios' `covers`; this file only holds the reasons for the gaps.

export const UNCOVERED_REASONS: Record<string, string> = {
  'TLS-01':
    'needs the scripted server on https with a certificate the client trusts; driver protocol v1 cannot hand the client a CA or an insecure flag, so an arbitrary client would refuse the connection (a plan field such as "ca" would be needed)',
  'TLS-03': 'same as TLS-01: an https scripted server the client trusts, which protocol v1 cannot arrange',
  'PERSIST-07':
    'driver protocol v1 has the client read every response body in full and has no per-request discardBody, so a client that abandons a body can be neither triggered nor observed',
};

/**
 * What the coverage table says for a requirement row (server or client role) that has neither a
 * scenario nor a reason above; test/docs.test.ts fails on any such row.
 */
export const NOT_COVERED_YET = 'not covered yet (no scenario, and no reason stated in suites/uncovered.ts)';
