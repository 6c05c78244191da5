// The console view: a line per scenario as it finishes, evidence for what went
// wrong, a live progress line on a terminal, plain lines in CI, and a summary
// that names every failure with its rule.

import pc from 'picocolors';
import type { Outcome, Result, RunInfo, ScenarioInfo } from '../harness/model.js';
import type { Reporter } from '../harness/reporter.js';
import { countOutcomes, OUTCOME_ORDER, OUTCOMES } from './symbols.js';
import { confirmationLine, evidence, findingLine, ruleLine } from './text.js';

export interface ConsoleOptions {
  quiet?: boolean;
  verbose?: boolean;
  out?: NodeJS.WriteStream;
}

const DETAILED: ReadonlySet<Outcome> = new Set(['fail', 'warn', 'error']);
const MAX_TRANSCRIPT_LINES = 60;

export class ConsoleReporter implements Reporter {
  private readonly out: NodeJS.WriteStream;
  private readonly live: boolean;
  private readonly width: number;
  private running = new Set<string>();
  private done = 0;
  private total = 0;
  private liveShown = false;

  constructor(private readonly opts: ConsoleOptions = {}) {
    this.out = opts.out ?? process.stdout;
    this.live = Boolean(this.out.isTTY) && !process.env.CI && !opts.quiet;
    this.width = Math.max(60, Math.min(this.out.columns ?? 120, 160));
  }

  begin(info: RunInfo, scenarios: readonly ScenarioInfo[]): void {
    const how = [
      `${scenarios.length} scenarios`,
      ...(info.concurrency ? [`concurrency ${info.concurrency}`] : []),
      `--timeout ${info.timeoutMs} ms`,
      `--idle-max ${info.idleMaxMs / 1000} s${info.strict ? ', --strict' : ''}`,
    ];
    this.header(
      [`${info.version}, ${info.mode} mode`, `target: ${info.target}`, how.join(', ')],
      scenarios.length,
    );
  }

  end(info: RunInfo, results: Result[], written: string[]): void {
    const extra: string[] = [];
    if (info.nowPassing?.length)
      extra.push(
        OUTCOMES.pass.color(
          `listed as known failures but did not fail (take them off the expectations): ${info.nowPassing.join(', ')}`,
        ),
      );
    if (written.length) extra.push(`reports: ${written.join(', ')}`);
    this.summary(results, info.wallMs, extra);
  }

  header(lines: string[], total: number): void {
    this.total = total;
    if (this.opts.quiet) return;
    this.print(`${pc.bold('keepalive-spec')} ${lines.join('\n  ')}\n\n`);
  }

  started(s: ScenarioInfo): void {
    this.running.add(s.id);
    this.drawLive();
  }

  result(r: Result): void {
    this.running.delete(r.scenario.id);
    this.done++;
    this.clearLive();
    const show = !this.opts.quiet || r.outcome === 'fail' || r.outcome === 'error';
    if (show) {
      this.print(`${this.line(r)}\n`);
      if (this.opts.verbose || (DETAILED.has(r.outcome) && !this.opts.quiet))
        this.print(`${this.details(r)}\n`);
      // A verdict that was run again alone says so even when it passed (details carry it otherwise).
      else if (r.confirmation) this.print(`      ${pc.dim(`rerun: ${confirmationLine(r)}`)}\n`);
    }
    this.drawLive();
  }

  summary(results: Result[], wallMs: number, extra: string[] = []): void {
    this.clearLive();
    const counts = countOutcomes(results.map((r) => r.outcome));
    const parts = OUTCOME_ORDER.filter((o) => counts[o] > 0).map((o) =>
      OUTCOMES[o].color(`${counts[o]} ${o}`),
    );
    const out: string[] = [
      '',
      pc.bold(
        `${results.length} scenarios in ${(wallMs / 1000).toFixed(1)} s: ${parts.join(', ') || 'none'}`,
      ),
    ];
    const known = results.filter((r) => r.expected);
    for (const o of ['fail', 'error', 'warn'] as const) {
      const list = results.filter((r) => r.outcome === o && !r.expected);
      if (list.length === 0) continue;
      if (this.opts.quiet && o === 'warn') continue;
      out.push(
        OUTCOMES[o].color(`${o === 'fail' ? 'failures' : o === 'error' ? 'harness errors' : 'warnings'}:`),
      );
      for (const r of list)
        out.push(
          `  ${OUTCOMES[o].color(OUTCOMES[o].symbol)} ${r.scenario.id}: ${findingLine(r.finding)} [${ruleLine(r)}]`,
        );
    }
    if (known.length) {
      out.push(pc.dim(`known failures (expected, do not fail the run): ${known.length}`));
      for (const r of known) out.push(pc.dim(`  ✖ ${r.scenario.id}: ${r.expected}`));
    }
    const reruns = results.filter((r) => r.confirmation);
    if (reruns.length > 0) {
      const passed = reruns.filter((r) => r.confirmation!.rerun === 'passed').length;
      out.push(
        pc.dim(
          `${reruns.length} verdict${reruns.length === 1 ? '' : 's'} run again alone: ${reruns.length - passed} confirmed, ${passed} not reproduced (only beside other scenarios)`,
        ),
      );
    }
    out.push(...extra);
    this.print(`${out.join('\n')}\n`);
  }

  private line(r: Result): string {
    const o = OUTCOMES[r.outcome];
    const tag = r.expected
      ? pc.dim(`${o.symbol} ${o.word.padEnd(5)}`)
      : o.color(`${o.symbol} ${o.word.padEnd(5)}`);
    const secs = `${(r.durationMs / 1000).toFixed(1)}s`;
    const head = `${r.scenario.area.padEnd(11)} ${r.scenario.id}`;
    let tail = r.scenario.title;
    if (r.outcome === 'info' || r.outcome === 'skip') tail = findingLine(r.finding);
    if (r.expected) tail = `(known failure: ${r.expected}) ${tail}`;
    // Cut to the width on a terminal only: a CI log or a pipe keeps the whole line.
    const room = this.width - head.length - secs.length - 12;
    if (this.out.isTTY && tail.length > room) tail = `${tail.slice(0, Math.max(10, room - 1))}…`;
    return `${tag} ${head}  ${pc.dim(tail)} ${pc.dim(secs)}`;
  }

  private details(r: Result): string {
    // Cut, the transcript keeps its end: what was received and how the connection ended.
    const text = evidence(r, {
      transcript: r.outcome !== 'skip',
      ...(this.opts.verbose ? {} : { maxTranscriptLines: MAX_TRANSCRIPT_LINES }),
    });
    return text
      .split('\n')
      .map((l) => `      ${l}`)
      .join('\n');
  }

  private drawLive(): void {
    if (!this.live || this.running.size === 0) return;
    const names = [...this.running].slice(0, 3).join(', ');
    const more = this.running.size > 3 ? ` +${this.running.size - 3}` : '';
    const text = `  ${this.done}/${this.total} done; running: ${names}${more}`;
    this.out.write(`\r${pc.dim(text.slice(0, this.width - 1))}\x1b[K`);
    this.liveShown = true;
  }

  private clearLive(): void {
    if (!this.liveShown) return;
    this.out.write('\r\x1b[K');
    this.liveShown = false;
  }

  private print(text: string): void {
    this.out.write(text);
  }
}
