// Plain-text renderings of a result shared by every report.

import type { Finding, Result } from '../harness/model.js';
import { escapeLine, formatTranscript } from '../harness/wire/transcript.js';
import { condenseTranscript } from './condense.js';

/** The finding in one line. */
export function findingLine(f: Finding): string {
  switch (f.kind) {
    case 'satisfied':
    case 'measured':
    case 'violated':
      return escapeLine(f.summary, 400);
    case 'notApplicable':
    case 'harnessError':
      return escapeLine(f.reason, 400);
  }
}

/** The rule a result was judged by: 'PERSIST-02, RFC 9112 §9.3, MUST'. */
export function ruleLine(r: Result): string {
  return `${r.scenario.covers.join(', ')}; ${r.scenario.rfc}; ${r.level}`;
}

/** How the verdict was checked by a rerun alone, or undefined: 'failed once beside 31 others: ...; passed alone'. */
export function confirmationLine(r: Result): string | undefined {
  return r.confirmation ? escapeLine(r.confirmation.note, 400) : undefined;
}

/**
 * Expected / seen / rule, then the transcript: the evidence for a failure or warning.
 * `maxTranscriptLines` cuts the transcript's middle, keeping its head and its end.
 */
export function evidence(
  r: Result,
  opts: { transcript?: boolean; maxTranscriptLines?: number } = {},
): string {
  const f = r.finding;
  const lines: string[] = [];
  if (f.kind === 'violated') {
    lines.push(`rule:     ${ruleLine(r)}`);
    lines.push(`expected: ${escapeLine(f.expected, 600)}`);
    lines.push(`seen:     ${escapeLine(f.seen, 600)}`);
  } else {
    lines.push(`rule:     ${ruleLine(r)}`);
    lines.push(`result:   ${findingLine(f)}`);
  }
  const confirmed = confirmationLine(r);
  if (confirmed) lines.push(`rerun:    ${confirmed}`);
  if (opts.transcript !== false && r.events.length > 0) {
    lines.push('transcript (ms since scenario start; > sent, < received):');
    lines.push(
      opts.maxTranscriptLines === undefined
        ? formatTranscript(r.events)
        : condenseTranscript(r.events, opts.maxTranscriptLines),
    );
  }
  return lines.join('\n');
}
