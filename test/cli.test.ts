// End-to-end tests of the built command (dist/cli/cli.js): exit codes,
// reports, listing, and that no run can hang on a broken or hostile target.

import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { execa } from 'execa';
import { freePort, waitForPort } from '../harness/launch/ports.js';
import { launch } from '../harness/launch/process.js';
import { AREA_KEYS } from '../harness/model.js';
import { expectValidJunit } from './helpers.js';

const CLI = join(import.meta.dirname, '..', 'dist', 'cli', 'cli.js');
const HOSTILE = join(import.meta.dirname, 'fixtures', 'hostile-server.mjs');
const FAST = ['--timeout', '1500', '--idle-max', '3', '--target-idle', '1'];

const run = (args: string[], opts: { timeout?: number } = {}) =>
  execa('node', [CLI, ...args], {
    reject: false,
    timeout: opts.timeout ?? 60_000,
    env: { CI: 'true', NO_COLOR: '1' },
  });

/** Processes of a process group that are still running (zombies are dead: only init can reap them here). */
function liveInGroup(pgid: number): string[] {
  const live: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid && fields[0] !== 'Z') live.push(`${pid} ${stat.slice(0, 80)}`);
    } catch {
      // the process ended while we looked
    }
  }
  return live;
}

describe('the keepalive-spec command', function () {
  this.timeout(90_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'ka-spec-cli-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('passes the reference target, writes valid JUnit and JSON, and exits 0', async () => {
    const junit = join(dir, 'ref.xml');
    const json = join(dir, 'ref.json');
    const r = await run(['server', '--target', 'reference', '--junit', junit, '--json', json, ...FAST]);
    expect(r.exitCode, r.stdout + r.stderr).to.equal(0);
    const xml = await expectValidJunit(junit);
    const listed = JSON.parse((await run(['list', 'server', '--json'])).stdout) as Array<{
      id: string;
      area: string;
    }>;
    for (const s of listed) expect(xml).to.contain(`name="${s.id} `);
    for (const area of new Set(listed.map((s) => s.area)))
      expect(xml).to.contain(`<testsuite name="server.${area}"`);
    const names = [...xml.matchAll(/<testcase classname="([^"]+)" name="([^"]+)"/g)].map(
      (m) => `${m[1]}/${m[2]}`,
    );
    expect(new Set(names).size, 'unique testcase names').to.equal(names.length);
    const report = JSON.parse(readFileSync(json, 'utf8'));
    expect(report.results).to.have.length(listed.length);
    expect(report.counts.fail).to.equal(0);
    expect(report.results[0].transcript.length).to.be.greaterThan(0);
  });

  it('tests an https URL (with --insecure for a self-signed certificate) and refuses an untrusted one without it', async () => {
    const port = await freePort();
    const server = launch(
      `node ${join(import.meta.dirname, '..', 'dist', 'targets', 'servers', 'reference-main.js')} --tls --idle 1 --port ${port}`,
    );
    try {
      await waitForPort('127.0.0.1', port, 10_000);
      const url = `https://127.0.0.1:${port}/`;
      const ok = await run(['server', url, '--insecure', '--area', 'persistence,close', ...FAST.slice(0, 4)]);
      expect(ok.exitCode, ok.stdout + ok.stderr).to.equal(0);
      expect(ok.stdout).to.match(/close-tls-closure-alert/);
      const refused = await run(['server', url, '--area', 'persistence']);
      expect(refused.exitCode).to.equal(2);
      expect(refused.stderr).to.match(/cannot complete TLS with 127\.0\.0\.1:\d+: (SELF_SIGNED|DEPTH_ZERO)/);
    } finally {
      await server.stop();
    }
  });

  it('exits 2 with a one-line reason when the target is unreachable', async () => {
    const r = await run(['server', 'http://127.0.0.1:9']);
    expect(r.exitCode).to.equal(2);
    expect(r.stderr.trim().split('\n')).to.have.length(1);
    expect(r.stderr).to.match(/cannot connect to 127\.0\.0\.1:9: ECONNREFUSED/);
  });

  for (const [args, pattern] of [
    [['server', 'not a url'], /not a URL/],
    [['server', 'ftp://example.com/'], /unsupported scheme/],
    [['server', '--bogus'], /unknown option '--bogus'/],
    [['server', '--target', 'reference', '--area', 'nope'], /unknown area nope/],
    [['server', '--target', 'no-such-target'], /unknown target/],
    [['server', '--target', 'reference', '--timeout', '-5'], /--timeout/],
    [['server'], /exactly one of/],
    [['server', '--launch', 'true'], /must contain \{port\}/],
    [['list', 'gateway'], /unknown role/],
  ] as Array<[string[], RegExp]>) {
    it(`exits 2 on bad usage: ${args.join(' ')}`, async () => {
      const r = await run(args);
      expect(r.exitCode, r.stderr).to.equal(2);
      expect(r.stderr).to.match(pattern);
      expect(r.stderr.trim().split('\n'), r.stderr).to.have.length(1);
    });
  }

  it('prints help for every command and exits 0', async () => {
    for (const cmd of [[], ['server'], ['list'], ['targets']]) {
      const r = await run([...cmd, '--help']);
      expect(r.exitCode).to.equal(0);
      expect(r.stdout).to.contain('Usage: keepalive-spec');
    }
    expect((await run(['server', '--help'])).stdout).to.contain('--idle-max');
  });

  it('lists every scenario as JSON with the fields of the contract', async () => {
    const r = await run(['list', '--json']);
    expect(r.exitCode).to.equal(0);
    const rows = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
    expect(rows.length).to.be.greaterThan(0);
    for (const row of rows) {
      expect(row).to.have.all.keys('id', 'role', 'area', 'level', 'rfc', 'title', 'covers');
      expect(AREA_KEYS).to.include(row.area);
    }
  });

  it('lists the built-in targets', async () => {
    const r = await run(['targets', '--json']);
    const rows = JSON.parse(r.stdout) as Array<{ name: string }>;
    expect(rows.map((t) => t.name)).to.include('reference');
    expect(rows.some((t) => t.name.startsWith('faulty:'))).to.equal(true);
  });

  it('exits 1 and names the rule when a faulty target breaks it', async () => {
    const r = await run([
      'server',
      '--target',
      'faulty:silent-close',
      '--grep',
      'persist-silent-close',
      ...FAST,
    ]);
    expect(r.exitCode).to.equal(1);
    expect(r.stdout).to.match(/persist-silent-close.*PERSIST-02; RFC 9112 §9\.3; MUST/);
    expect(r.stdout).to.contain('FIN received');
  });

  for (const mode of ['silent', 'garbage', 'reset', 'slowloris']) {
    it(`ends with a verdict, never a hang, against a ${mode} server started with --launch`, async () => {
      const junit = join(dir, `${mode}.xml`);
      const html = join(dir, `${mode}.html`);
      const started = Date.now();
      const r = await run(
        [
          'server',
          '--launch',
          `node ${HOSTILE} ${mode} {port}`,
          '--junit',
          junit,
          '--html',
          html,
          '--timeout',
          '1000',
          '--idle-max',
          '2',
        ],
        {
          timeout: 90_000,
        },
      );
      expect(r.exitCode, r.stdout + r.stderr).to.equal(1);
      // A bound against a hang, not a speed test (npm run bench measures speed): generous for a busy CI machine.
      expect(Date.now() - started).to.be.lessThan(75_000);
      const xml = await expectValidJunit(junit);
      expect(xml).to.contain('<failure');
      if (mode === 'garbage') expect(xml, 'target bytes escaped').to.contain('\\x00\\x01garbage');
      const page = readFileSync(html, 'utf8');
      expect(page, 'the HTML report carries no markup from the target').to.not.match(/<script/i);
      if (mode === 'garbage') expect(page).to.contain('&#60;script&#62;alert(1)&#60;/script&#62;');
      const pid = /pid (\d+)/.exec(r.stdout)?.[1];
      expect(pid, 'the launched pid is shown').to.be.a('string');
      expect(liveInGroup(Number(pid)), 'processes left in the launched process group').to.deep.equal([]);
    });
  }

  it('writes the JUnit file with the unrun scenarios skipped when interrupted', async () => {
    const junit = join(dir, 'interrupted.xml');
    const child = execa(
      'node',
      [
        CLI,
        'server',
        '--launch',
        `node ${HOSTILE} silent {port}`,
        '--junit',
        junit,
        '--timeout',
        '20000',
        '--concurrency',
        '1',
      ],
      {
        reject: false,
        env: { CI: 'true' },
      },
    );
    await new Promise((r) => setTimeout(r, 1500));
    child.kill('SIGINT');
    const r = await child;
    expect(r.exitCode).to.equal(130);
    expect(existsSync(junit)).to.equal(true);
    const xml = await expectValidJunit(junit);
    expect(xml).to.match(/<skipped message="(not run|cut short): interrupted \(SIGINT\)/);
  });
});
