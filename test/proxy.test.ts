// Proxy mode through its public interfaces: the command, its errors, the API, and the
// reports' view of two hops (both hops in one transcript, on one clock).

import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { execa } from 'execa';
import { runProxySuite } from '../api/run.js';
import { timelineSvg } from '../reports/html.js';
import { expectValidJunit } from './helpers.js';

const CLI = join(import.meta.dirname, '..', 'dist', 'cli', 'cli.js');
const REFERENCE_MAIN = join(import.meta.dirname, '..', 'dist', 'targets', 'proxies', 'reference-main.js');
const FAST = ['--timeout', '1500', '--idle-max', '3', '--target-idle', '1'];
const run = (args: string[]) => execa('node', [CLI, ...args], { reject: false, timeout: 120_000 });
const tempDirs = () => readdirSync(tmpdir()).filter((d) => d.startsWith('keepalive-spec-proxy-'));

describe('proxy mode', function () {
  this.timeout(180_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'ks-proxy-test-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('passes the reference proxy with --strict, with both hops in the JUnit and JSON reports', async () => {
    const junit = join(dir, 'proxy.xml');
    const json = join(dir, 'proxy.json');
    const r = await run([
      'proxy',
      '--target',
      'reference-proxy',
      '--strict',
      '--junit',
      junit,
      '--json',
      json,
      ...FAST,
    ]);
    expect(r.exitCode, r.stdout + r.stderr).to.equal(0);
    expect(r.stdout).to.contain('proxy mode');
    const xml = await expectValidJunit(junit);
    expect(xml).to.match(/classname="proxy\.pipelining"/);
    const report = JSON.parse(readFileSync(json, 'utf8'));
    expect(report.mode).to.equal('proxy');
    const pipe = report.results.find((x: { id: string }) => x.id === 'proxy-pipe-slow-first');
    const lanes = new Set(pipe.transcript.map((e: { conn: string }) => e.conn));
    expect([...lanes]).to.include.members(['c1', 'u1']);
  });

  it('fails a faulty proxy and names the rule with what the origin received', async () => {
    const r = await run([
      'proxy',
      '--target',
      'faulty:proxy-forwards-connection-named',
      '--grep',
      'connection-named',
      ...FAST,
    ]);
    expect(r.exitCode, r.stdout + r.stderr).to.equal(1);
    expect(r.stdout).to.contain('PXHOP-01');
    expect(r.stdout).to.contain('X-Ks-Hop: for-the-first-hop-only');
  });

  it('launches a proxy with a config template, fills in {port} and {origin}, and removes the filled copy', async () => {
    const template = join(dir, 'proxy.json.tmpl');
    writeFileSync(template, '{"port": {port}, "origin": "{origin}", "idle": 1}\n');
    const before = tempDirs();
    const r = await run([
      'proxy',
      '--launch',
      `node ${REFERENCE_MAIN} --config {config}`,
      '--config',
      template,
      '--grep',
      'slow-first',
      ...FAST,
    ]);
    expect(r.exitCode, r.stdout + r.stderr).to.equal(0);
    expect(r.stdout).to.match(/launched: node .*reference-main\.js --config \/\S+proxy\.json/);
    expect(tempDirs().filter((d) => !before.includes(d))).to.deep.equal([]);
  });

  for (const [args, pattern] of [
    [['proxy', 'http://127.0.0.1:9/'], /needs --origin-port/],
    [['proxy'], /exactly one of/],
    [['proxy', '--target', 'no-such-proxy'], /unknown proxy target/],
    [['proxy', '--launch', 'true {port}'], /needs \{origin\}/],
    [['proxy', '--target', 'reference-proxy', '--config', '/nonexistent'], /--config goes with --launch/],
  ] as Array<[string[], RegExp]>) {
    it(`exits 2 on bad usage: ${args.join(' ')}`, async () => {
      const r = await run(args);
      expect(r.exitCode, r.stderr).to.equal(2);
      expect(r.stderr).to.match(pattern);
      expect(r.stderr.trim().split('\n'), r.stderr).to.have.length(1);
    });
  }

  it('exits 2, saying what each side saw, when the "proxy" does not forward to the origin', async () => {
    // A server, not a proxy: it answers, but nothing reaches the harness's origin.
    const server = join(import.meta.dirname, '..', 'dist', 'targets', 'servers', 'reference-main.js');
    const r = await run(['proxy', '--launch', `node ${server} --port {port} # {origin}`, ...FAST]);
    expect(r.exitCode, r.stdout + r.stderr).to.equal(2);
    expect(r.stderr).to.match(/the origin at 127\.0\.0\.1:\d+ saw nothing: is the proxy forwarding to/);
  });

  it('runs from the API and resolves to the results the reports hold', async () => {
    const seen: string[] = [];
    const end = await runProxySuite({
      target: 'reference-proxy',
      grep: 'proxy-pipe',
      strict: true,
      timeoutMs: 1500,
      idleMaxMs: 3000,
      targetIdleMs: 1000,
      onResult: (r) => seen.push(r.scenario.id),
    });
    expect(end.exitCode).to.equal(0);
    expect(end.info.mode).to.equal('proxy');
    expect([...seen].sort()).to.deep.equal(end.results.map((r) => r.scenario.id).sort());
    expect(end.results.every((r) => r.scenario.role === 'proxy')).to.equal(true);
  });

  it('lists proxy scenarios and intermediaries with role proxy', async () => {
    const list = JSON.parse((await run(['list', 'proxy', '--json'])).stdout);
    expect(list.length).to.be.greaterThan(0);
    expect(
      list.every((s: { id: string; role: string }) => s.role === 'proxy' && s.id.startsWith('proxy-')),
    ).to.equal(true);
    const targets = JSON.parse((await run(['targets', '--json'])).stdout);
    expect(
      targets.filter((t: { role: string }) => t.role === 'proxy').map((t: { name: string }) => t.name),
    ).to.include('reference-proxy');
  });

  it('draws the two hops as two bands on one clock in the HTML timeline', () => {
    const svg = timelineSvg([
      { t: 0, conn: 'c1', type: 'send', bytes: Buffer.from('GET') },
      { t: 1, conn: 'u1', type: 'recv', bytes: Buffer.from('GET') },
      { t: 2, conn: 'u1', type: 'send', bytes: Buffer.from('HTTP') },
      { t: 3, conn: 'c1', type: 'recv', bytes: Buffer.from('HTTP') },
    ]);
    expect(svg).to.contain('client ↔ proxy');
    expect(svg).to.contain('proxy ↔ origin');
    expect(svg.indexOf('>c1<')).to.be.lessThan(svg.indexOf('>u1<'));
  });
});

describe('the README example for nginx in proxy mode', function () {
  this.timeout(120_000);
  it('runs as written (docs/examples/nginx-proxy.conf.tmpl) and stops nginx', async function () {
    if (!existsSync('/usr/sbin/nginx')) this.skip();
    const template = join(import.meta.dirname, '..', 'docs', 'examples', 'nginx-proxy.conf.tmpl');
    const readme = readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8');
    // The README shows the same file.
    const shown = /```nginx\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(readFileSync(template, 'utf8')).to.contain(shown?.trim());
    const r = await run([
      'proxy',
      '--launch',
      '/usr/sbin/nginx -p {dir} -e stderr -c {config}',
      '--config',
      template,
      '--grep',
      'proxy-pipe-slow-first',
      ...FAST,
    ]);
    expect(r.exitCode, r.stdout + r.stderr).to.equal(0);
    expect(r.stdout).to.match(/launched: \/usr\/sbin\/nginx/);
  });
});
