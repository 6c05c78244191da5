// An error status is not a framing verdict: where a well-formed request of the
// same shape gets the same error (a resource behind authentication, say), a
// framing scenario does not apply there, and says so, unless bytes desynchronised.

import * as net from 'node:net';
import { expect } from 'chai';
import { runServerSuite, startServerTarget } from '../harness/server-mode.js';
import { serverScenarios } from '../suites/index.js';
import { TEST_TIMING } from './helpers.js';

/** Answers GET 200 and every POST 401 at its header section, keeping the connection and ignoring the rest. */
async function authServer(): Promise<{ url: string; close(): void }> {
  const server = net.createServer((s) => {
    let buf = '';
    let posted = false;
    s.on('data', (d) => {
      if (posted) return;
      buf += d.toString('latin1');
      for (let end = buf.indexOf('\r\n\r\n'); end >= 0 && !posted; end = buf.indexOf('\r\n\r\n')) {
        const head = buf.slice(0, end);
        buf = buf.slice(end + 4);
        if (head.startsWith('POST')) {
          posted = true;
          s.write('HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic\r\nContent-Length: 0\r\n\r\n');
        } else s.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
      }
    });
    s.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/`,
    close: () => server.close(),
  };
}

describe('an error status is not a framing verdict', function () {
  this.timeout(60_000);

  it('skips an invalid Content-Length scenario where a valid POST gets the same 401', async () => {
    const srv = await authServer();
    try {
      const running = await startServerTarget({ url: srv.url }, TEST_TIMING);
      const [r] = await runServerSuite(
        running,
        { url: srv.url },
        {
          scenarios: serverScenarios().filter((s) => s.id === 'frame-cl-invalid-abc'),
          timing: TEST_TIMING,
          strict: true,
          concurrency: 1,
        },
        { signal: new AbortController().signal },
      );
      expect(r!.outcome, JSON.stringify(r!.finding)).to.equal('skip');
      expect(r!.finding.kind === 'notApplicable' && r!.finding.reason).to.match(
        /answered 401 even when well-formed/,
      );
    } finally {
      srv.close();
    }
  });
});
