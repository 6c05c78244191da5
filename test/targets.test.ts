// The built-in real server targets (targets/servers/): each one that is installed starts,
// serves every resource it declares with the expected status and framing, and stops leaving
// nothing behind: no process of its process groups (zombies aside), no temporary directory.
// A target whose server is not installed is skipped. haproxy's backend runs compiled: `npm run build`.

import { existsSync } from 'node:fs';
import { expect } from 'chai';
import { startServerTarget, TargetError } from '../harness/server-mode.js';
import type { RunningTarget, ServerTarget } from '../harness/targets.js';
import { buildRequest } from '../harness/wire/build.js';
import { openConn } from '../harness/wire/conn.js';
import type { HttpResponse } from '../harness/wire/parse.js';
import { Transcript } from '../harness/wire/transcript.js';
import { acceptFor, handshakeHeaders, newWebSocketKey, OPCODE } from '../harness/wire/websocket.js';
import { CLIENT_TARGETS } from '../targets/clients/index.js';
import { findServerTarget, SERVER_TARGETS } from '../targets/index.js';
import { REAL_SERVERS } from '../targets/servers/real-targets.js';
import { gone, survivors, TEST_TIMING } from './helpers.js';

/** One request on a fresh connection; its response, parsed strictly. */
async function request(
  running: RunningTarget,
  spec: { method?: string; target: string; headers?: Array<[string, string]>; body?: string },
): Promise<HttpResponse> {
  const ac = new AbortController();
  const transcript = new Transcript();
  const c = await openConn(
    { host: running.url.hostname, port: Number(running.url.port), tls: false },
    { label: 'c1', transcript, timeoutMs: 5000, signal: ac.signal },
  );
  try {
    await c.send(buildRequest({ host: running.url.host, ...spec }));
    const r = await c.readResponse({ timeoutMs: 5000 });
    if (r.type !== 'response')
      throw new Error(`no response to ${spec.method ?? 'GET'} ${spec.target}: ${JSON.stringify(r)}`);
    return r.response;
  } finally {
    c.destroy();
    ac.abort();
  }
}

/** A WebSocket handshake at `path`, then a ping: the 101's accept value and the pong's payload. */
async function webSocketPing(
  running: RunningTarget,
  path: string,
): Promise<{ status: number; accepted: boolean; pong?: string }> {
  const ac = new AbortController();
  const c = await openConn(
    { host: running.url.hostname, port: Number(running.url.port), tls: false },
    { label: 'c1', transcript: new Transcript(), timeoutMs: 5000, signal: ac.signal },
  );
  try {
    const key = newWebSocketKey();
    await c.send(buildRequest({ host: running.url.host, target: path, headers: handshakeHeaders(key) }));
    const r = await c.readResponse({ timeoutMs: 5000 });
    if (r.type !== 'response')
      throw new Error(`no response to the handshake at ${path}: ${JSON.stringify(r)}`);
    const accepted = header(r.response, 'sec-websocket-accept') === acceptFor(key);
    if (r.response.status !== 101) return { status: r.response.status, accepted };
    await c.sendFrame({ opcode: OPCODE.ping, payload: 'target check' });
    for (;;) {
      const f = await c.readFrame({ timeoutMs: 5000 });
      if (f.type !== 'frame') return { status: 101, accepted };
      if (f.frame.opcode === OPCODE.pong) return { status: 101, accepted, pong: f.frame.payload.toString() };
    }
  } finally {
    c.destroy();
    ac.abort();
  }
}

const header = (res: HttpResponse, name: string) =>
  res.headers.find((h) => h.name.toLowerCase() === name)?.value;

describe('real server targets', function () {
  this.timeout(60_000);

  it('are registered as server targets, each with what it requires and how to install it', () => {
    for (const t of REAL_SERVERS) {
      expect(findServerTarget(t.name), t.name).to.equal(t);
      if (t.installed) {
        expect(t.requires, t.name).to.be.a('string');
        expect(t.install, t.name).to.match(/^(apt-get|npm) install /);
      }
    }
  });

  it("each installed target and client driver says its version (one place for a target's facts)", () => {
    const all = [...REAL_SERVERS, ...CLIENT_TARGETS.filter((t) => !t.name.startsWith('faulty:'))];
    for (const t of all.filter((t) => !t.installed || t.installed()))
      expect(t.version?.() ?? 'unknown', t.name).to.not.equal('unknown');
  });

  it('a target that is not installed is refused with the advice how to install it (exit 2)', async () => {
    const missing: ServerTarget = {
      name: 'test-not-installed',
      description: 'a server that is never installed',
      requires: 'nothing-at-all',
      install: 'apt-get install nothing-at-all',
      installed: () => false,
      start: () => Promise.reject(new Error('must not be started')),
    };
    SERVER_TARGETS.push(missing);
    try {
      const err = await startServerTarget({ target: missing }, TEST_TIMING).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(TargetError);
      expect((err as Error).message).to.equal(
        'test-not-installed is not installed (apt-get install nothing-at-all)',
      );
    } finally {
      SERVER_TARGETS.splice(SERVER_TARGETS.indexOf(missing), 1);
    }
  });

  for (const target of REAL_SERVERS) {
    it(`${target.name}: starts, serves its resources, stops leaving nothing behind`, async function () {
      if (target.installed && !target.installed()) this.skip();
      const running = await startServerTarget({ target, targetIdleTimeoutMs: 1000 }, TEST_TIMING);
      const groups = running.processGroups ?? [];
      const dir = running.tempDir;
      try {
        expect(groups, 'its process groups').to.not.be.empty;
        expect(survivors(groups), 'its processes, seen while it runs').to.not.be.empty;
        expect(dir && existsSync(dir), 'its temporary directory exists while it runs').to.equal(true);
        const r = running.resources;
        expect(r.path, 'the default resource').to.be.a('string');

        const index = await request(running, { target: r.path! });
        expect(index.status, `GET ${r.path}`).to.equal(200);
        expect(index.framing.kind, `GET ${r.path} framing`).to.equal('content-length');
        expect(index.body.length, `GET ${r.path} body`).to.be.within(20, 4096);
        const etag = header(index, 'etag');
        const lastModified = header(index, 'last-modified');
        expect(etag ?? lastModified, `GET ${r.path} has a validator`).to.be.a('string');
        const conditional = await request(running, {
          target: r.path!,
          headers: etag ? [['If-None-Match', etag]] : [['If-Modified-Since', lastModified!]],
        });
        expect(conditional.status, `conditional GET ${r.path}`).to.equal(304);
        expect(conditional.body.length).to.equal(0);

        if (r.largePath) {
          const large = await request(running, { target: r.largePath });
          expect(large.status, `GET ${r.largePath}`).to.equal(200);
          expect(large.body.length, `GET ${r.largePath} body`).to.be.at.least(256 * 1024);
        }
        if (r.chunkedPath) {
          const streamed = await request(running, { target: r.chunkedPath });
          expect(streamed.status, `GET ${r.chunkedPath}`).to.equal(200);
          expect(streamed.framing.kind, `GET ${r.chunkedPath} framing`).to.equal('chunked');
          expect(streamed.body.length).to.be.greaterThan(0);
        }
        if (r.noContentPath) {
          const none = await request(running, { target: r.noContentPath });
          expect(none.status, `GET ${r.noContentPath}`).to.equal(204);
          expect(none.body.length).to.equal(0);
        }
        if (r.slowPath) {
          const slow = await request(running, { target: r.slowPath });
          expect(slow.status, `GET ${r.slowPath}`).to.equal(200);
        }
        if (r.postPath) {
          const posted = await request(running, {
            method: 'POST',
            target: r.postPath,
            body: 'hello, target',
          });
          expect(posted.status, `POST ${r.postPath}`).to.equal(200);
          // A chunked request body is read to its end as well.
          const chunked = await request(running, {
            method: 'POST',
            target: r.postPath,
            headers: [['Transfer-Encoding', 'chunked']],
            body: '5\r\nhello\r\n0\r\n\r\n',
          });
          expect(chunked.status, `chunked POST ${r.postPath}`).to.equal(200);
        }
        if (r.echoPath) {
          const echoed = await request(running, {
            method: 'POST',
            target: r.echoPath,
            body: 'echo me, please',
          });
          expect(echoed.status, `POST ${r.echoPath}`).to.equal(200);
          expect(echoed.body.toString(), `POST ${r.echoPath} body`).to.equal('echo me, please');
        }
        if (r.wsPath) {
          const ws = await webSocketPing(running, r.wsPath);
          expect(ws, `WebSocket at ${r.wsPath}`).to.deep.equal({
            status: 101,
            accepted: true,
            pong: 'target check',
          });
        }
      } finally {
        await running.stop();
      }
      expect(await gone(groups, 3000), 'processes left in its process groups').to.deep.equal([]);
      expect(dir && existsSync(dir), 'its temporary directory after stop').to.equal(false);
    });
  }
});
