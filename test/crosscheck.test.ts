// The cross-cutting checks flag only a broken promise: a close-delimited body
// on a connection the response said would persist (PERSIST-03), not one that
// announced its close (RFC 9112 §6.3 rule 8).

import * as net from 'node:net';
import { expect } from 'chai';
import type { CrossRule } from '../harness/crosscheck.js';
import { buildRequest } from '../harness/wire/build.js';
import { openConn } from '../harness/wire/conn.js';
import { Transcript } from '../harness/wire/transcript.js';

/** A server that answers the first request with `head` + "hello", then closes after `closeAfterMs`. */
async function serve(head: string, closeAfterMs: number): Promise<{ port: number; close(): void }> {
  const server = net.createServer((s) => {
    s.once('data', () => {
      s.write(`${head}\r\n\r\nhello`);
      setTimeout(() => s.end(), closeAfterMs);
    });
    s.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as net.AddressInfo).port, close: () => server.close() };
}

async function sightings(head: string, closeAfterMs: number): Promise<CrossRule[]> {
  const srv = await serve(head, closeAfterMs);
  const seen: CrossRule[] = [];
  const ac = new AbortController();
  try {
    const c = await openConn(
      { host: '127.0.0.1', port: srv.port, tls: false },
      {
        label: 'c1',
        transcript: new Transcript(),
        timeoutMs: 2000,
        signal: ac.signal,
        observe: (rule) => seen.push(rule),
      },
    );
    await c.send(buildRequest({ host: `127.0.0.1:${srv.port}`, target: '/' }));
    const r = await c.readResponse();
    expect(r.type).to.equal('response');
    c.destroy();
  } finally {
    ac.abort();
    srv.close();
  }
  return seen;
}

describe('cross-cutting checks on close-delimited responses', () => {
  it('flag a late close after a close-delimited body that promised persistence', async () => {
    expect(await sightings('HTTP/1.1 200 OK', 600)).to.include('PERSIST-03');
  });

  it('do not flag one that announced Connection: close', async () => {
    expect(await sightings('HTTP/1.1 200 OK\r\nConnection: close', 600)).to.not.include('PERSIST-03');
  });

  it('do not flag an HTTP/1.0 response without keep-alive', async () => {
    expect(await sightings('HTTP/1.0 200 OK', 600)).to.not.include('PERSIST-03');
  });
});
