// The API from code (built dist/, as a user imports it): a Ctrl-C during a run
// that handles signals ends it cleanly, with the launched server stopped.

import { join } from 'node:path';
import { expect } from 'chai';
import { execa } from 'execa';

const API = join(import.meta.dirname, '..', 'dist', 'api', 'index.js');
const HOSTILE = join(import.meta.dirname, 'fixtures', 'hostile-server.mjs');

describe('the API', function () {
  this.timeout(60_000);

  it('handleSignals: a SIGINT ends the run cleanly (exit code 130, unrun scenarios skipped, the server stopped)', async () => {
    const script = `
      import { runServerSuite } from ${JSON.stringify(API)};
      setTimeout(() => process.kill(process.pid, 'SIGINT'), 1500);
      const run = await runServerSuite({
        launch: ${JSON.stringify(`node ${HOSTILE} silent {port}`)},
        handleSignals: true,
        timeoutMs: 1000,
        idleMaxMs: 2000,
      });
      const pid = /pid (\\d+)/.exec(run.info.target)[1];
      // Live members of its process group (a zombie is dead: only its parent can reap it).
      const { readdirSync, readFileSync } = await import('node:fs');
      const alive = readdirSync('/proc').filter((p) => /^\\d+$/.test(p)).some((p) => {
        try {
          const stat = readFileSync('/proc/' + p + '/stat', 'utf8');
          const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
          return Number(f[2]) === Number(pid) && f[0] !== 'Z';
        } catch { return false; }
      });
      console.log(JSON.stringify({
        exitCode: run.exitCode,
        cutShort: run.cutShort,
        skipped: run.results.filter((r) => r.outcome === 'skip').length,
        alive,
      }));`;
    const r = await execa('node', ['--input-type=module', '-e', script], { reject: false, timeout: 40_000 });
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(out.exitCode, r.stderr).to.equal(130);
    expect(out.cutShort.reason).to.equal('interrupted (SIGINT)');
    expect(out.skipped).to.be.greaterThan(0);
    expect(out.alive, 'the launched server group after the run').to.equal(false);
    expect(r.exitCode, 'the process itself was not killed by the signal').to.equal(0);
  });
});
