// Is a target's verdict stable? npx tsx scripts/stability.ts [--runs N] [--only a,b] [--client]
//
// Runs the server suite (or, with --client, the client suite) N times against
// every installed built-in real target, one run at a time, and prints for
// each target the failures and warnings of every run and the scenarios whose
// verdict changed between runs. A --strict run only maps warn to fail, so the
// strict set is the union of both. Build first (npm run build).

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { execa } from 'execa';
import { CLIENT_TARGETS } from '../targets/clients/index.js';
import { REAL_SERVERS } from '../targets/servers/real-targets.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    only: { type: 'string' },
    client: { type: 'boolean', default: false },
  },
});
const RUNS = Number(values.runs);
const CLI = join(import.meta.dirname, '..', 'dist', 'cli', 'cli.js');
const only = values.only?.split(',');
const mode = values.client ? 'client' : 'server';
const targets = (values.client ? CLIENT_TARGETS.filter((t) => t.requires) : REAL_SERVERS)
  .filter((t) => !only || only.includes(t.name))
  .filter((t) => !t.installed || t.installed());

const dir = mkdtempSync(join(tmpdir(), 'ka-stability-'));
let unstable = 0;
try {
  for (const t of targets) {
    const sets: string[][] = [];
    for (let i = 0; i < RUNS; i++) {
      const json = join(dir, `${t.name}-${i}.json`);
      await execa('node', [CLI, mode, '--target', t.name, '--quiet', '--json', json], {
        reject: false,
        env: { CI: 'true' },
        timeout: 900_000,
      });
      const report = JSON.parse(readFileSync(json, 'utf8')) as {
        results: Array<{ id: string; outcome: string }>;
      };
      sets.push(
        report.results
          .filter((r) => r.outcome === 'fail' || r.outcome === 'warn' || r.outcome === 'error')
          .map((r) => `${r.outcome}:${r.id}`)
          .sort(),
      );
    }
    const all = [...new Set(sets.flat())].sort();
    const flapping = all.filter((x) => !sets.every((s) => s.includes(x)));
    if (flapping.length) unstable++;
    const counts = sets.map(
      (s) =>
        `${s.filter((x) => x.startsWith('fail')).length}f/${s.filter((x) => x.startsWith('warn')).length}w/${s.filter((x) => x.startsWith('error')).length}e`,
    );
    console.log(
      `${t.name.padEnd(20)} ${counts.join('  ')}  ${flapping.length ? `UNSTABLE: ${flapping.join(' ')}` : 'stable'}`,
    );
    if (flapping.length === 0) console.log(`  ${all.join(' ') || '(no failure or warning)'}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(`${targets.length} targets, ${RUNS} runs each: ${unstable} unstable`);
