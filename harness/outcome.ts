import type { Finding, Level, Outcome } from './model.js';

const FAILING: ReadonlySet<Level> = new Set(['MUST', 'MUST NOT']);
const WARNING: ReadonlySet<Level> = new Set(['SHOULD', 'SHOULD NOT']);

/** The one place where a finding becomes an outcome. */
export function outcomeOf(finding: Finding, scenarioLevel: Level, strict: boolean): Outcome {
  switch (finding.kind) {
    case 'satisfied':
      return 'pass';
    case 'measured':
      return 'info';
    case 'notApplicable':
      return 'skip';
    case 'harnessError':
      return 'error';
    case 'violated': {
      const level = finding.level ?? scenarioLevel;
      if (FAILING.has(level)) return 'fail';
      if (WARNING.has(level)) return strict ? 'fail' : 'warn';
      return 'info';
    }
  }
}

/** The level a finding is judged at. */
export function levelOf(finding: Finding, scenarioLevel: Level): Level {
  return finding.kind === 'violated' && finding.level ? finding.level : scenarioLevel;
}

/** Exit status of a run (docs/cli.md): 1 on any failure, 2 when only harness errors spoiled it. */
export function exitCodeOf(outcomes: Iterable<Outcome>): 0 | 1 | 2 {
  let error = false;
  for (const o of outcomes) {
    if (o === 'fail') return 1;
    if (o === 'error') error = true;
  }
  return error ? 2 : 0;
}
