// The package as a user gets it: `npm pack`, unpacked into a scratch project
// outside the repository, then the API, both test-runner adapters, the types
// and the command used from there. Its dependencies are linked from ours: no
// test may reach the registry.

import {
  chmodSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { execa } from 'execa';

const ROOT = join(import.meta.dirname, '..');
const FIXTURES = join(import.meta.dirname, 'fixtures', 'user-project');
const BIN = join(ROOT, 'node_modules', '.bin');

describe('the npm package, used from a scratch project', function () {
  this.timeout(180_000);
  let dir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ka-spec-scratch-'));
    // dist/ is built by `npm test`; packing must not build again.
    const packed = await execa('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], {
      cwd: ROOT,
    });
    const { filename } = (JSON.parse(packed.stdout) as Array<{ filename: string }>)[0]!;
    const pkg = join(dir, 'node_modules', 'keepalive-spec');
    mkdirSync(pkg, { recursive: true });
    await execa('tar', ['-xzf', join(dir, filename), '-C', pkg, '--strip-components=1']);
    const manifest = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8'));
    for (const dep of Object.keys(manifest.dependencies))
      symlinkSync(join(ROOT, 'node_modules', dep), join(dir, 'node_modules', dep));
    mkdirSync(join(dir, 'node_modules', '@types'));
    symlinkSync(join(ROOT, 'node_modules', '@types', 'node'), join(dir, 'node_modules', '@types', 'node'));
    // What npm install does for a bin.
    const bin = join(pkg, manifest.bin['keepalive-spec']);
    chmodSync(bin, 0o755);
    mkdirSync(join(dir, 'node_modules', '.bin'));
    symlinkSync(bin, join(dir, 'node_modules', '.bin', 'keepalive-spec'));
    writeFileSync(join(dir, 'package.json'), '{ "name": "scratch", "type": "module", "private": true }\n');
    cpSync(FIXTURES, dir, { recursive: true });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('ships only the built files, with types for every entry point', () => {
    const manifest = JSON.parse(
      readFileSync(join(dir, 'node_modules', 'keepalive-spec', 'package.json'), 'utf8'),
    );
    for (const entry of Object.values(manifest.exports) as Array<
      string | { types: string; default: string }
    >) {
      if (typeof entry === 'string') continue;
      expect(readFileSync(join(dir, 'node_modules', 'keepalive-spec', entry.types), 'utf8')).to.contain(
        'export',
      );
      expect(readFileSync(join(dir, 'node_modules', 'keepalive-spec', entry.default), 'utf8')).to.contain(
        'export',
      );
    }
  });

  it('npx keepalive-spec --version', async () => {
    const r = await execa('npx', ['--offline', 'keepalive-spec', '--version'], { cwd: dir });
    const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
    expect(r.stdout.trim()).to.equal(version);
  });

  it('the API runs a suite and lists the scenarios', async () => {
    const script = `
      import { listScenarios, runServerSuite } from 'keepalive-spec';
      const run = await runServerSuite({ target: 'faulty:silent-close', grep: '^persist-silent-close$' });
      console.log(JSON.stringify({
        listed: listScenarios({ role: 'server' }).length,
        exitCode: run.exitCode,
        outcomes: run.results.map((r) => [r.scenario.id, r.outcome]),
      }));`;
    const r = await execa('node', ['--input-type=module', '-e', script], { cwd: dir });
    const out = JSON.parse(r.stdout);
    expect(out.listed).to.be.greaterThan(50);
    expect(out.exitCode).to.equal(1);
    expect(out.outcomes).to.deep.equal([['persist-silent-close', 'fail']]);
  });

  it("the mocha adapter: one test per scenario beside the user's own, failures with the finding", async () => {
    const r = await execa(join(BIN, 'mocha'), ['--no-config', '--reporter', 'json', 'conformance.spec.mjs'], {
      cwd: dir,
      reject: false,
    });
    const report = JSON.parse(r.stdout) as {
      passes: Array<{ fullTitle: string }>;
      failures: Array<{ fullTitle: string; err: { message: string } }>;
    };
    const passed = report.passes.map((t) => t.fullTitle);
    expect(passed).to.include('my server answers');
    expect(
      passed.some((t) => t.startsWith('my server keepalive-spec server persistence persist-default:')),
    ).to.equal(true);
    expect(report.failures.map((t) => t.fullTitle.split(':')[0])).to.deep.equal([
      'a server that closes silently keepalive-spec server persistence persist-silent-close',
    ]);
    expect(report.failures[0]!.err.message).to.match(/PERSIST-02; RFC 9112 §9\.3; MUST/);
    expect(report.failures[0]!.err.message).to.contain('transcript');
    expect(r.exitCode).to.equal(1);
  });

  it('the node:test adapter: one test per scenario, skips with their reason', async () => {
    const r = await execa('node', ['--test', '--test-reporter', 'tap', 'conformance.test.mjs'], {
      cwd: dir,
      reject: false,
    });
    expect(r.stdout).to.match(/ok \d+ - close-client-close: /);
    expect(r.stdout).to.match(/ok \d+ - close-tls-closure-alert: .* # SKIP the target is not https/);
    expect(r.stdout).to.match(/^# fail 0$/m);
    expect(r.exitCode).to.equal(0);
  });

  for (const [module, resolution] of [
    ['node16', 'node16'],
    ['esnext', 'bundler'],
  ])
    it(`a TypeScript file that imports the API type-checks (moduleResolution ${resolution})`, async () => {
      const r = await execa(
        join(BIN, 'tsc'),
        [
          '--noEmit',
          '--strict',
          '--module',
          module!,
          '--moduleResolution',
          resolution!,
          '--types',
          'node',
          'types.ts',
        ],
        { cwd: dir, reject: false },
      );
      expect(r.exitCode, r.stdout).to.equal(0);
    });
});
