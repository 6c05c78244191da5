// The edges of a run, through the built command (dist/cli/cli.js): Ctrl-C twice
// still leaves the reports, nothing temporary is left behind, a target that does
// not speak plain HTTP and a driver that cannot run are refused before the run,
// and a target that refuses POST gets skips, not failures.

import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { expect } from 'chai';
import { execa, type ResultPromise } from 'execa';
import { findProgram } from '../targets/programs.js';
import { TEST_CERT, TEST_KEY } from '../targets/servers/tls/test-cert.js';
import { expectValidJunit } from './helpers.js';

const CLI = join(import.meta.dirname, '..', 'dist', 'cli', 'cli.js');
const ENV = { CI: 'true', NO_COLOR: '1' };

const run = (args: string[], env: Record<string, string> = {}) =>
  execa('node', [CLI, ...args], { reject: false, timeout: 60_000, env: { ...ENV, ...env } });

/** Start the command in its own process group, as a shell job is. */
const start = (args: string[], env: Record<string, string> = {}) =>
  execa('node', [CLI, ...args], { reject: false, detached: true, env: { ...ENV, ...env } });

/** Resolve once the command has printed `text` on standard output (or after `ms`). */
function printed(child: ResultPromise, text: string, ms = 20_000): Promise<void> {
  return new Promise((resolve) => {
    let out = '';
    const timer = setTimeout(resolve, ms);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes(text)) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A loopback server for the length of a test; `port` once listening. */
async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as net.AddressInfo).port;
}

describe('the edges of a run', function () {
  this.timeout(90_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'ka-spec-edges-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  describe('two interrupts in a row', () => {
    for (const mode of ['server', 'client']) {
      it(`${mode} --target reference: exits 130 with the reports written and valid`, async () => {
        const junit = join(dir, `${mode}-twice.xml`);
        const json = join(dir, `${mode}-twice.json`);
        const child = start([mode, '--target', 'reference', '--junit', junit, '--json', json]);
        // Once scenarios are running: the header is printed when the run starts.
        await printed(child, 'scenarios, concurrency');
        await pause(500);
        child.kill('SIGINT');
        await pause(50);
        child.kill('SIGINT');
        const r = await child;
        expect(r.exitCode, r.stderr).to.equal(130);
        expect(existsSync(junit), 'JUnit file').to.equal(true);
        const xml = await expectValidJunit(junit);
        expect(xml).to.match(/<skipped message="(not run|cut short): interrupted \(SIGINT\)/);
        const report = JSON.parse(readFileSync(json, 'utf8'));
        expect(report.cutShort).to.equal('interrupted (SIGINT)');
        const listed = JSON.parse((await run(['list', mode, '--json'])).stdout) as unknown[];
        expect(report.results).to.have.length(listed.length);
      });
    }
  });

  describe('temporary files', () => {
    it('a group SIGINT during client --target curl leaves no keepalive-spec-curl-* folder', async function () {
      if (!findProgram('curl')) this.skip();
      // Its own temporary directory: other runs on this machine cannot disturb the count.
      const tmp = mkdtempSync(join(dir, 'tmp-'));
      const curlDirs = () => readdirSync(tmp).filter((n) => n.startsWith('keepalive-spec-curl-'));
      const before = curlDirs();
      const junit = join(dir, 'curl-group.xml');
      const child = start(['client', '--target', 'curl', '--junit', junit], { TMPDIR: tmp });
      // Drivers are running once their folders exist.
      for (let i = 0; i < 300 && curlDirs().length === 0; i++) await pause(20);
      expect(curlDirs().length, 'curl drivers running').to.be.greaterThan(0);
      // As `timeout -s INT` does: the process, then its whole group.
      process.kill(child.pid!, 'SIGINT');
      process.kill(-child.pid!, 'SIGINT');
      const r = await child;
      expect(r.exitCode, r.stderr).to.equal(130);
      expect(curlDirs(), 'folders left behind').to.deep.equal(before);
      // The second signal came in the middle of the wind-down: the report is from the first.
      await expectValidJunit(junit);
    });
  });

  describe('a target that does not speak plain HTTP', () => {
    const servers: net.Server[] = [];
    afterEach(() => {
      for (const s of servers.splice(0)) s.close();
    });
    const serve = (server: net.Server) => {
      servers.push(server);
      server.on('connection', (s) => s.on('error', () => {}));
      return listen(server);
    };

    it('an http:// URL on a TLS port exits 2 at once with a hint', async () => {
      const server = tls.createServer({ key: TEST_KEY, cert: TEST_CERT }, (s) => s.end());
      server.on('tlsClientError', () => {});
      const port = await serve(server);
      const started = Date.now();
      const r = await run(['server', `http://127.0.0.1:${port}/`]);
      expect(r.exitCode, r.stderr).to.equal(2);
      expect(Date.now() - started).to.be.lessThan(10_000);
      expect(r.stderr.trim().split('\n'), r.stderr).to.have.length(1);
      expect(r.stderr).to.contain(`no HTTP response from 127.0.0.1:${port} (the connection ended (FIN)`);
      expect(r.stderr).to.contain('is it a TLS port? try https://');
      expect(r.stdout, 'no scenario ran').to.equal('');
    });

    it('names the first bytes when they are a TLS alert', async () => {
      // A TLS alert record (fatal, protocol_version), as some TLS servers answer plain text.
      const port = await serve(net.createServer((s) => s.end(Buffer.from([0x15, 3, 1, 0, 2, 2, 0x46]))));
      const r = await run(['server', `http://127.0.0.1:${port}/`]);
      expect(r.exitCode, r.stderr).to.equal(2);
      expect(r.stderr).to.contain('the first bytes were \\x15\\x03\\x01');
      expect(r.stderr).to.contain('is it a TLS port? try https://');
    });

    it('a --launch command whose socket just closes exits 2 with the hint', async () => {
      const script = join(dir, 'closer.mjs');
      const code = `import net from 'node:net';
net.createServer((s) => s.destroy()).listen(Number(process.argv[2]), '127.0.0.1');`;
      writeFileSync(script, code);
      const r = await run(['server', '--launch', `node ${script} {port}`]);
      expect(r.exitCode, r.stderr).to.equal(2);
      expect(r.stderr).to.match(
        /no HTTP response from 127\.0\.0\.1:\d+ \(the connection ended \((FIN|RST)\)/,
      );
      expect(r.stderr).to.contain('is it a TLS port? try https://');
    });

    it('an https:// URL on a plain HTTP port exits 2 with a hint', async () => {
      const port = await serve(
        net.createServer((s) => s.once('data', () => s.end('HTTP/1.1 400 Bad Request\r\n\r\n'))),
      );
      const r = await run(['server', `https://127.0.0.1:${port}/`, '--insecure']);
      expect(r.exitCode, r.stderr).to.equal(2);
      expect(r.stderr.trim().split('\n'), r.stderr).to.have.length(1);
      expect(r.stderr).to.contain('is it a plain HTTP port? try http://');
    });
  });

  describe('a driver that cannot run', () => {
    for (const [driver, pattern] of [
      ['no-such-command-xyz', /exited with status 127: .*no-such-command-xyz.*not found/],
      ["sh -c 'exit 1'", /exited with status 1\b/],
    ] as Array<[string, RegExp]>) {
      it(`client --driver "${driver}" exits 2 at once with the driver's own words`, async () => {
        const started = Date.now();
        const r = await run(['client', '--driver', driver]);
        expect(r.exitCode, r.stderr).to.equal(2);
        expect(Date.now() - started).to.be.lessThan(10_000);
        expect(r.stderr.trim().split('\n'), r.stderr).to.have.length(1);
        expect(r.stderr).to.contain('keepalive-spec: the driver cannot run a plain GET: ');
        expect(r.stderr).to.match(pattern);
        expect(r.stdout, 'no per-scenario errors').to.equal('');
      });
    }

    it('client --target reference still runs', async () => {
      const r = await run([
        'client',
        '--target',
        'reference',
        '--grep',
        'client-reuse-sequential|client-pipe-order',
      ]);
      expect(r.exitCode, r.stdout + r.stderr).to.equal(0);
      expect(r.stdout).to.match(/^2 scenarios in [\d.]+ s: /m);
      expect(r.stdout).to.not.match(/\berror\b/);
    });
  });

  describe('a target that refuses POST', () => {
    it('python http.server (501 to POST): the scenarios that send a body skip with the reason', async function () {
      if (!findProgram('python3')) this.skip();
      const json = join(dir, 'python-post.json');
      const r = await run([
        'server',
        '--launch',
        'python3 -m http.server {port} --bind 127.0.0.1',
        '--grep',
        'chunk-request-body|chunk-bad-|frame-cl-invalid-',
        '--json',
        json,
        '--timeout',
        '2000',
      ]);
      expect(r.exitCode, r.stdout + r.stderr).to.equal(0);
      const report = JSON.parse(readFileSync(json, 'utf8')) as {
        results: Array<{ id: string; outcome: string; finding: { reason?: string } }>;
      };
      const ids = report.results.map((x) => x.id);
      expect(ids).to.include.members([
        'chunk-request-body',
        'chunk-bad-lf-size-line',
        'frame-cl-invalid-abc',
      ]);
      for (const x of report.results) {
        expect(x.outcome, x.id).to.equal('skip');
        expect(x.finding.reason, x.id).to.match(
          /^the target refuses a valid POST at \/ \(501 Unsupported method \('POST'\)\): this scenario needs one/,
        );
      }
    });
  });
});
