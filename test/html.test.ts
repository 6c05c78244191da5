// The HTML report in a real browser (Debian's Chromium via playwright-core):
// it renders, and a target that sends <script> in headers and body cannot run
// any script in it.

import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { execa } from 'execa';
import { chromium } from 'playwright-core';

const CHROMIUM = '/usr/bin/chromium';
const CLI = join(import.meta.dirname, '..', 'dist', 'cli', 'cli.js');
const HOSTILE = join(import.meta.dirname, 'fixtures', 'hostile-server.mjs');
// Flags for a closed network, as the machine's notes advise.
const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

describe('the HTML report in Chromium', function () {
  this.timeout(120_000);

  before(function () {
    if (!existsSync(CHROMIUM)) {
      console.log(
        `      (skipped: ${CHROMIUM} is not installed; .ci/run installs the Debian package chromium)`,
      );
      this.skip();
    }
  });

  let dir: string | undefined;
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('renders a hostile target escaped: no script runs, every scenario and timeline is there', async () => {
    dir = mkdtempSync(join(tmpdir(), 'ka-html-'));
    const html = join(dir, 'report.html');
    const r = await execa(
      'node',
      [
        CLI,
        'server',
        '--launch',
        `node ${HOSTILE} script {port}`,
        '--html',
        html,
        '--timeout',
        '1000',
        '--idle-max',
        '2',
        '--quiet',
      ],
      {
        reject: false,
        env: { CI: 'true' },
      },
    );
    expect(r.exitCode, r.stderr).to.equal(1);
    const text = readFileSync(html, 'utf8');
    expect(text).to.contain('&#60;script&#62;window.pwned=3&#60;/script&#62;');
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    try {
      const page = await browser.newPage();
      const dialogs: string[] = [];
      page.on('dialog', (d) => {
        dialogs.push(d.message());
        void d.dismiss();
      });
      await page.goto(`file://${html}`);
      await page.locator('details.scenario').first().waitFor();
      // Open every scenario so any injected markup would be live.
      // (page code: written as a string, the project compiles without DOM types)
      await page.evaluate('for (const d of document.querySelectorAll("details")) d.open = true');
      await page.waitForTimeout(200);
      expect(dialogs, 'alerts from the target').to.deep.equal([]);
      expect(await page.evaluate('window.pwned')).to.equal(undefined);
      expect(await page.locator('script').count()).to.equal(0);
      expect(await page.locator('img').count()).to.equal(0);
      const listed = JSON.parse((await execa('node', [CLI, 'list', 'server', '--json'])).stdout) as unknown[];
      expect(await page.locator('details.scenario').count()).to.equal(listed.length);
      expect(await page.locator('svg.timeline').count()).to.be.greaterThan(0);
      expect(await page.locator('details.scenario.fail').count()).to.be.greaterThan(0);
    } finally {
      await browser.close();
    }
  });
});
