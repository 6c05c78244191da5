// The built-in real intermediaries: each starts with its generated configuration,
// forwards one GET to the harness's origin and back (the preflight of every proxy
// run), and stops leaving no process and no temporary directory behind.

import { existsSync } from 'node:fs';
import { expect } from 'chai';
import { startProxyTarget } from '../harness/proxy-mode.js';
import { REAL_PROXIES } from '../targets/proxies/real-proxies.js';
import { gone, survivors, TEST_TIMING } from './helpers.js';

describe('real intermediaries (proxy mode)', function () {
  this.timeout(60_000);
  for (const target of REAL_PROXIES) {
    it(`${target.name}: starts, forwards to the origin, stops leaving nothing behind`, async function () {
      if (target.installed && !target.installed()) this.skip();
      // startProxyTarget throws unless one GET went through the proxy to the origin and back.
      const running = await startProxyTarget({ target, targetIdleTimeoutMs: 1000 }, TEST_TIMING);
      const groups = running.proxy.processGroups ?? [];
      const dir = running.proxy.tempDir;
      try {
        expect(groups, 'its process groups').to.not.be.empty;
        expect(survivors(groups), 'its processes, seen while it runs').to.not.be.empty;
        expect(dir && existsSync(dir), 'its temporary directory exists while it runs').to.equal(true);
        expect(running.origin.conns.length, 'connections the proxy made to the origin').to.be.greaterThan(0);
        expect(target.version?.(), 'its version').to.match(/\d/);
      } finally {
        await running.stop();
      }
      expect(await gone(groups, 5000), 'processes left after stop').to.deep.equal([]);
      expect(dir && existsSync(dir), 'its temporary directory after stop').to.equal(false);
    });
  }
});
