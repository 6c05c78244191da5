// GitHub Actions: an annotation per failure, harness error and warning (shown on
// the run's page and the pull request), and a Markdown job summary when the
// runner provides GITHUB_STEP_SUMMARY.
// https://docs.github.com/actions/reference/workflow-commands-for-github-actions

import { appendFileSync } from 'node:fs';
import type { Result, RunInfo } from '../harness/model.js';
import type { Reporter } from '../harness/reporter.js';
import { countOutcomes, OUTCOME_ORDER } from './symbols.js';
import { findingLine, ruleLine } from './text.js';

/** Workflow-command data and properties escape %, CR, LF (and , : in properties). */
const data = (s: string) => s.replaceAll('%', '%25').replaceAll('\r', '%0D').replaceAll('\n', '%0A');
const property = (s: string) => data(s).replaceAll(':', '%3A').replaceAll(',', '%2C');

const COMMAND = { fail: 'error', error: 'error', warn: 'warning' } as const;

export function githubAnnotations(results: readonly Result[]): string[] {
  const lines: string[] = [];
  for (const r of results) {
    const command = r.expected ? 'notice' : COMMAND[r.outcome as keyof typeof COMMAND];
    if (!command) continue;
    const title = `keepalive-spec ${r.expected ? 'known failure' : r.outcome}: ${r.scenario.id} (${ruleLine(r)})`;
    lines.push(`::${command} title=${property(title)}::${data(findingLine(r.finding))}`);
  }
  return lines;
}

export function githubSummary(info: RunInfo, results: readonly Result[]): string {
  const counts = countOutcomes(results.map((r) => r.outcome));
  const cell = (s: string) => s.replaceAll('|', '\\|').replaceAll('\n', ' ');
  const out = [
    `### keepalive-spec, ${info.mode} mode: ${cell(info.target)}`,
    '',
    OUTCOME_ORDER.filter((o) => counts[o] > 0)
      .map((o) => `${counts[o]} ${o}`)
      .join(', ') +
      `; ${(info.wallMs / 1000).toFixed(1)} s${info.cutShort ? `; cut short: ${cell(info.cutShort)}` : ''}`,
    '',
  ];
  const bad = results.filter((r) => r.outcome === 'fail' || r.outcome === 'error' || r.outcome === 'warn');
  if (bad.length) {
    out.push('| outcome | scenario | rule | finding |', '|---|---|---|---|');
    for (const r of bad)
      out.push(
        `| ${r.outcome} | \`${r.scenario.id}\` | ${cell(ruleLine(r))} | ${cell(findingLine(r.finding))} |`,
      );
    out.push('');
  }
  return out.join('\n');
}

/** Annotations on stdout at the end of the run; the summary appended to `summaryFile` if given. */
export const githubReporter = (
  summaryFile = process.env.GITHUB_STEP_SUMMARY,
  out: NodeJS.WritableStream = process.stdout,
): Reporter => ({
  end(info, results) {
    for (const line of githubAnnotations(results)) out.write(`${line}\n`);
    if (summaryFile) appendFileSync(summaryFile, `${githubSummary(info, results)}\n`);
  },
});
