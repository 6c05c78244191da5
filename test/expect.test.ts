// Known failures for CI (--expect, --update-expect), through the built command.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { execa } from 'execa';
import { parse } from 'yaml';

const CLI = join(import.meta.dirname, '..', 'dist', 'cli', 'cli.js');
const ONE = ['--grep', '^persist-(silent-close|default)$', '--timeout', '1500', '--idle-max', '3'];

const run = (args: string[]) =>
  execa('node', [CLI, 'server', ...args, ...ONE], { reject: false, env: { CI: 'true', NO_COLOR: '1' } });

describe('expectations (--expect, --update-expect)', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'ka-spec-expect-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('--update-expect writes the failures of a run, then the same failures no longer fail it', async () => {
    const file = join(dir, 'known.yaml');
    const first = await run(['--target', 'faulty:silent-close', '--expect', file, '--update-expect']);
    expect(first.exitCode, first.stdout + first.stderr).to.equal(0);
    expect(first.stdout).to.contain(`expectations written: ${file} (1 known failure)`);
    const list = parse(readFileSync(file, 'utf8'));
    expect(list).to.have.length(1);
    expect(list[0].id).to.equal('persist-silent-close');
    expect(list[0].reason).to.match(/closed right after response 2/);

    const junit = join(dir, 'known.xml');
    const again = await run(['--target', 'faulty:silent-close', '--expect', file, '--junit', junit]);
    expect(again.exitCode, again.stdout).to.equal(0);
    expect(again.stdout).to.match(/known failures \(expected, do not fail the run\): 1/);
    const xml = readFileSync(junit, 'utf8');
    expect(xml).to.match(/<skipped message="known failure: the connection was closed right after response 2/);
    expect(xml).to.not.contain('<failure');

    // Without the list the same run fails.
    expect((await run(['--target', 'faulty:silent-close'])).exitCode).to.equal(1);
  });

  it('a listed scenario that passes is named, so the list can shrink; reasons given by hand are kept', async () => {
    const file = join(dir, 'known.json');
    writeFileSync(
      file,
      JSON.stringify([
        { id: 'persist-silent-close', reason: 'our upstream bug #12' },
        { id: 'no-such-scenario', reason: 'a typo' },
      ]),
    );
    const r = await run(['--target', 'reference', '--expect', file]);
    expect(r.exitCode).to.equal(0);
    expect(r.stdout).to.match(/listed as known failures but did not fail .*: persist-silent-close/);
    expect(r.stderr).to.contain('no-such-scenario is not a scenario id');

    const updated = await run(['--target', 'faulty:silent-close', '--expect', file, '--update-expect']);
    expect(updated.exitCode).to.equal(0);
    expect(JSON.parse(readFileSync(file, 'utf8'))).to.deep.equal([
      { id: 'persist-silent-close', reason: 'our upstream bug #12' },
      { id: 'no-such-scenario', reason: 'a typo' },
    ]);
  });

  it('a broken expectations file is a usage error that says what is wrong', async () => {
    const file = join(dir, 'broken.yaml');
    writeFileSync(file, '- id: persist-silent-close\n');
    const r = await run(['--target', 'reference', '--expect', file]);
    expect(r.exitCode).to.equal(2);
    expect(r.stderr).to.contain(`${file}: persist-silent-close has no reason`);
    const none = await run(['--target', 'reference', '--update-expect']);
    expect(none.exitCode).to.equal(2);
    expect(none.stderr).to.contain('--update-expect needs --expect <file>');
  });
});
