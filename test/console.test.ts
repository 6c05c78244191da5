// The console view: the evidence that decides a verdict stays visible when a
// transcript is cut, lines are cut to the width only on a terminal, the progress
// line says what is done and what is running, and skip reasons read well.

import { expect } from 'chai';
import type { Verdict } from '../harness/check.js';
import { type Result, violated, type WireEvent } from '../harness/model.js';
import { ServerCtx, type ServerTargetInfo } from '../harness/server-context.js';
import { Transcript } from '../harness/wire/transcript.js';
import { ConsoleReporter } from '../reports/console.js';

/** A stand-in for process.stdout that keeps what is written. */
function fakeOut(tty: boolean, columns = 80) {
  const out = {
    text: '',
    isTTY: tty,
    columns,
    write(s: string): boolean {
      out.text += s;
      return true;
    },
  };
  return out;
}

const stripAnsi = (s: string) => s.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');

function reporter(out: ReturnType<typeof fakeOut>): ConsoleReporter {
  return new ConsoleReporter({ out: out as unknown as NodeJS.WriteStream });
}

const bytes = (s: string) => Buffer.from(s, 'latin1');

function failing(events: WireEvent[], title = 'a deep pipeline is answered in order'): Result {
  return {
    scenario: {
      id: 'pipe-deep-test',
      role: 'server',
      area: 'pipelining',
      level: 'MUST',
      rfc: 'RFC 9112 §9.3.2',
      covers: ['PIPE-01'],
      title,
    },
    outcome: 'fail',
    finding: violated({
      summary: 'request 50 was answered 400',
      expected: '50 responses',
      seen: '49, then 400',
    }),
    level: 'MUST',
    startedAt: Date.now(),
    durationMs: 1200,
    events,
  };
}

/** 50 pipelined GETs in one write, 49 answers of 200, then a 400 and a reset. */
function pipelineTranscript(): WireEvent[] {
  const get = (i: number) => `GET /r${i} HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n`;
  const ok = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok';
  const events: WireEvent[] = [{ t: 0.5, conn: 'c1', type: 'connect', text: '127.0.0.1:8080' }];
  events.push({
    t: 1,
    conn: 'c1',
    type: 'send',
    bytes: bytes(Array.from({ length: 50 }, (_, i) => get(i)).join('')),
  });
  for (let i = 0; i < 49; i++) events.push({ t: 2 + i, conn: 'c1', type: 'recv', bytes: bytes(ok) });
  events.push({
    t: 60,
    conn: 'c1',
    type: 'recv',
    bytes: bytes('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n'),
  });
  events.push({ t: 61, conn: 'c1', type: 'rst', text: 'ECONNRESET' });
  return events;
}

describe('the console view', () => {
  it('keeps the end of a long transcript: the 400 and the RST that decide the verdict', () => {
    const out = fakeOut(false);
    reporter(out).result(failing(pipelineTranscript()));
    const text = stripAnsi(out.text);
    expect(text).to.contain('HTTP/1.1 400 Bad Request');
    expect(text).to.contain('RST (connection reset)');
    expect(text, 'the head is kept too').to.contain('connected: 127.0.0.1:8080');
    expect(text).to.match(/… \d+ lines cut \(--verbose, --json or --html show all\) …/);
    expect(text.split('\n').length, 'cut to about 60 transcript lines').to.be.lessThan(80);
  });

  it('shows a short transcript whole', () => {
    const out = fakeOut(false);
    reporter(out).result(failing(pipelineTranscript().slice(-3)));
    expect(stripAnsi(out.text)).to.not.contain('cut');
  });

  it('prints the whole title when the output is not a terminal, and cuts it on one', () => {
    const title = `a title much longer than any terminal line ${'and then some more words '.repeat(6)}END`;
    const piped = fakeOut(false, 80);
    reporter(piped).result(failing([], title));
    expect(stripAnsi(piped.text)).to.contain(title);
    const tty = fakeOut(true, 80);
    reporter(tty).result(failing([], title));
    const first = stripAnsi(tty.text)
      .split('\n')
      .find((l) => l.includes('pipe-deep-test'))!;
    expect(first).to.contain('…');
    expect(first).to.not.contain('END');
  });

  it('says how many are done and which are running on the progress line', () => {
    const ci = process.env.CI;
    delete process.env.CI;
    try {
      const out = fakeOut(true, 120);
      const r = reporter(out);
      r.header(['test'], 117);
      for (const id of ['a', 'b', 'c', 'd', 'e']) r.started({ ...failing([]).scenario, id });
      expect(stripAnsi(out.text)).to.contain('  0/117 done; running: a, b, c +2');
      r.result({ ...failing([]), scenario: { ...failing([]).scenario, id: 'a' }, outcome: 'pass' });
      expect(stripAnsi(out.text)).to.contain('  1/117 done; running: b, c, d +1');
    } finally {
      if (ci !== undefined) process.env.CI = ci;
    }
  });
});

describe('skip reasons for a missing resource', () => {
  it('read "the target offers no slow resource (name one with --slow-path)"', () => {
    const info: ServerTargetInfo = {
      url: new URL('http://127.0.0.1:8080/'),
      endpoint: { host: '127.0.0.1', port: 8080, tls: false },
      authority: '127.0.0.1:8080',
      resources: { path: '/' },
    };
    const ctx = new ServerCtx(
      info,
      { timeoutMs: 1000, idleMaxMs: 1000 },
      new Transcript(),
      new AbortController().signal,
    );
    const reasons: string[] = [];
    for (const kind of ['slowPath', 'chunkedPath'] as const) {
      try {
        ctx.resource(kind);
      } catch (e) {
        const f = (e as Verdict).finding;
        reasons.push(f.kind === 'notApplicable' ? f.reason : String(e));
      }
    }
    expect(reasons).to.deep.equal([
      'the target offers no slow resource (name one with --slow-path)',
      'the target offers no resource that answers with a chunked body (name one with --chunked-path)',
    ]);
  });
});
