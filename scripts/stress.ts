// npm run stress [-- --k N] [-- --rounds R] [-- --modes server,client,proxy] [-- --extra "<args>"]
//
// Robustness under load, as a CI runner sees it: K copies of the server suite,
// K of the client suite and K of the proxy suite run at once, all against the
// built-in reference targets with --strict, so every fail or error is false. Prints
// each run's failures and errors (with their one-line reasons) and a total.
// A measurement like `npm run bench`, not a mocha test.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { execa } from 'execa';

const { values } = parseArgs({
  options: {
    k: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '1' },
    /** which suites run K copies each (default all three) */
    modes: { type: 'string', default: 'server,client,proxy' },
    /** extra CLI arguments for every run, e.g. "--concurrency 8" */
    extra: { type: 'string', default: '' },
  },
});
const K = Number(values.k);
const ROUNDS = Number(values.rounds);
if (!Number.isInteger(K) || K < 1 || !Number.isInteger(ROUNDS) || ROUNDS < 1) {
  console.error('usage: npm run stress -- [--k N] [--rounds R] [--extra "<cli args>"]');
  process.exit(2);
}
const CLI = join(import.meta.dirname, '..', 'dist', 'cli', 'cli.js');
const extra = values.extra.split(/\s+/).filter(Boolean);
type Mode = 'server' | 'client' | 'proxy';
const MODES = values.modes.split(',').filter(Boolean) as Mode[];
if (MODES.some((m) => !['server', 'client', 'proxy'].includes(m))) {
  console.error('--modes takes server, client and proxy, comma-separated');
  process.exit(2);
}
const REFERENCE: Record<Mode, string> = {
  server: 'reference',
  client: 'reference',
  proxy: 'reference-proxy',
};

interface RunSummary {
  name: string;
  exitCode: number | undefined;
  wallMs: number;
  scenarios: number;
  bad: Array<{ id: string; outcome: string; why: string }>;
  confirmed: number;
  stderr: string;
}

function reasonOf(finding: { kind: string; summary?: string; reason?: string }): string {
  return (finding.summary ?? finding.reason ?? finding.kind).replace(/\s+/g, ' ').slice(0, 140);
}

async function suite(name: string, mode: Mode, dir: string): Promise<RunSummary> {
  const json = join(dir, `${name}.json`);
  const t0 = performance.now();
  const r = await execa(
    'node',
    [CLI, mode, '--target', REFERENCE[mode], '--strict', '--quiet', '--json', json, ...extra],
    {
      reject: false,
      env: { CI: 'true' },
      timeout: 600_000,
    },
  );
  const wallMs = performance.now() - t0;
  let scenarios = 0;
  let confirmed = 0;
  const bad: RunSummary['bad'] = [];
  try {
    const report = JSON.parse(readFileSync(json, 'utf8'));
    scenarios = report.results.length;
    for (const res of report.results) {
      if (res.confirmation) confirmed++;
      if (res.outcome === 'fail' || res.outcome === 'error')
        bad.push({ id: res.id, outcome: res.outcome, why: reasonOf(res.finding) });
    }
  } catch {
    bad.push({ id: '(no report)', outcome: 'error', why: r.stderr.split('\n').slice(-3).join(' | ') });
  }
  return { name, exitCode: r.exitCode, wallMs, scenarios, bad, confirmed, stderr: r.stderr };
}

let total = 0;
for (let round = 1; round <= ROUNDS; round++) {
  const dir = mkdtempSync(join(tmpdir(), 'ka-stress-'));
  try {
    const runs = await Promise.all(
      MODES.flatMap((mode) => Array.from({ length: K }, (_, i) => suite(`${mode}-${i + 1}`, mode, dir))),
    );
    console.log(
      `round ${round}/${ROUNDS}: ${MODES.length * K} suites at once (K=${K} of ${MODES.join(', ')}), --strict${extra.length ? ` ${extra.join(' ')}` : ''}`,
    );
    for (const r of runs) {
      const fails = r.bad.filter((b) => b.outcome === 'fail').length;
      const errors = r.bad.length - fails;
      total += r.bad.length;
      console.log(
        `  ${r.name.padEnd(9)} exit ${r.exitCode}  ${(r.wallMs / 1000).toFixed(1).padStart(5)} s  ${r.scenarios} scenarios  ${fails} false failures, ${errors} errors, ${r.confirmed} rerun alone`,
      );
      for (const b of r.bad) console.log(`      ${b.outcome} ${b.id}: ${b.why}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
console.log(`total: ${total} false failures and errors`);
