// The built-in real intermediaries (targets/proxies/): each one that is installed starts in
// front of the harness's origin, forwards the preflight GET to it, and stops leaving nothing
// behind: no process of its process groups (zombies aside), no temporary directory.
// A proxy that is not installed is skipped, saying how to install it.

import { existsSync } from 'node:fs';
import { expect } from 'chai';
import { startProxyTarget } from '../harness/proxy-mode.js';
import { findProxyTarget } from '../targets/proxies/index.js';
import { REAL_PROXIES } from '../targets/proxies/real-proxies.js';
import { gone, survivors, TEST_TARGET_IDLE_MS, TEST_TIMING } from './helpers.js';

describe('real proxy targets', function () {
  this.timeout(60_000);

  it('are registered as proxy targets, each with what it requires, how to install it and its version', () => {
    expect(REAL_PROXIES.length).to.be.at.least(8);
    for (const t of REAL_PROXIES) {
      expect(findProxyTarget(t.name), t.name).to.equal(t);
      expect(t.name, t.name).to.match(/^[a-z0-9]+(-[a-z0-9]+)*-proxy(-[a-z]+)?$/);
      expect(t.requires, t.name).to.be.a('string');
      expect(t.install, t.name).to.match(/^apt-get install /);
      expect(t.description, t.name).to.be.a('string');
      if (t.installed?.()) expect(t.version?.() ?? 'unknown', t.name).to.not.equal('unknown');
    }
  });

  for (const target of REAL_PROXIES) {
    it(`${target.name}: starts, forwards a GET to the origin, stops leaving nothing behind`, async function () {
      if (target.installed && !target.installed()) {
        this.test!.title += ` (skipped: not installed, ${target.install})`;
        this.skip();
      }
      const running = await startProxyTarget(
        { target, targetIdleTimeoutMs: TEST_TARGET_IDLE_MS, startupTimeoutMs: 20_000 },
        TEST_TIMING,
      );
      const groups = running.proxy.processGroups ?? [];
      const dir = running.proxy.tempDir;
      try {
        expect(groups, 'its process groups').to.not.be.empty;
        expect(survivors(groups), 'its processes, seen while it runs').to.not.be.empty;
        expect(dir && existsSync(dir), 'its temporary directory exists while it runs').to.equal(true);
        // The preflight GET reached the origin through it.
        expect(running.origin.arrivals('00000000f11e'), 'the preflight at the origin').to.not.be.empty;
      } finally {
        await running.stop();
      }
      expect(await gone(groups, 3000), 'its processes after stop()').to.deep.equal([]);
      expect(dir && existsSync(dir), 'its temporary directory after stop()').to.equal(false);
    });
  }
});
