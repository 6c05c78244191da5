import { expect } from 'chai';
import fc from 'fast-check';
import { buildRequest, buildResponse, chunkedBody } from '../harness/wire/build.js';
import {
  connectionOptions,
  type HttpRequest,
  type HttpResponse,
  isChunkExt,
  Parser,
} from '../harness/wire/parse.js';

const response = (kind: 'response' | 'request' = 'response', lenient = kind === 'response') =>
  new Parser({ kind, lenient });

function feed(p: Parser, bytes: Buffer, cuts: number[] = []): void {
  let prev = 0;
  for (const c of [...cuts, bytes.length]) {
    p.push(bytes.subarray(prev, c));
    prev = c;
  }
}

/** A pipeline of responses with every framing the parser knows, answering GET, HEAD, GET, GET, GET. */
const PIPELINE = Buffer.concat([
  buildResponse({ status: 200, headers: [['Content-Type', 'text/plain']], body: 'hello' }),
  buildResponse({ status: 200, headers: [['Content-Length', '1000']] }), // HEAD: no body despite CL
  buildResponse({ status: 100 }).subarray(0, -0 || undefined),
  buildResponse({
    status: 200,
    headers: [['Transfer-Encoding', 'chunked']],
    body: chunkedBody(['ab', 'cdef'], { ext: { 1: ';x="a;b"' }, trailers: [['X-T', 'v']] }),
  }),
  buildResponse({ status: 304, headers: [['ETag', '"e"']], contentLength: false }),
  buildResponse({ status: 404, body: 'no\n' }),
]);
const METHODS = ['GET', 'HEAD', 'GET', 'GET', 'GET'];

function parsePipeline(cuts: number[]): HttpResponse[] {
  const p = response();
  for (const m of METHODS) p.expectResponseTo(m);
  feed(p, PIPELINE, cuts);
  expect(p.error, p.error?.message).to.equal(undefined);
  return p.messages as HttpResponse[];
}

describe('response parser', () => {
  it('frames a pipeline of CL, HEAD, 1xx, chunked, 304 and 404 responses', () => {
    const msgs = parsePipeline([]);
    expect(msgs.map((m) => `${m.status}${m.interim ? 'i' : ''}:${m.body.toString()}`)).to.deep.equal([
      '200:hello',
      '200:',
      '100i:',
      '200:abcdef',
      '304:',
      '404:no\n',
    ]);
    const chunked = msgs[3]!;
    expect(chunked.framing.kind).to.equal('chunked');
    expect(chunked.chunks.map((c) => c.size)).to.deep.equal([2, 4, 0]);
    expect(chunked.chunks[1]!.ext).to.equal(';x="a;b"');
    expect(chunked.trailers).to.deep.equal([{ name: 'X-T', value: 'v' }]);
    expect(msgs[1]!.framing).to.deep.equal({ kind: 'none', reason: 'response to HEAD' });
    expect(Buffer.concat(msgs.map((m) => m.raw)).equals(PIPELINE)).to.equal(true);
  });

  it('gives the same messages for every single split point of the pipeline', () => {
    const whole = parsePipeline([]).map((m) => m.raw.toString('latin1'));
    for (let i = 1; i < PIPELINE.length; i++) {
      const split = parsePipeline([i]).map((m) => m.raw.toString('latin1'));
      expect(split, `split at ${i}`).to.deep.equal(whole);
    }
  });

  it('gives the same messages fed byte by byte and in random pieces', () => {
    const whole = parsePipeline([]).map((m) => m.raw.toString('latin1'));
    expect(
      parsePipeline(Array.from({ length: PIPELINE.length - 1 }, (_, i) => i + 1)).map((m) =>
        m.raw.toString('latin1'),
      ),
    ).to.deep.equal(whole);
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: PIPELINE.length - 1 }), { maxLength: 30 }),
        (cuts) => {
          const got = parsePipeline([...cuts].sort((a, b) => a - b)).map((m) => m.raw.toString('latin1'));
          expect(got).to.deep.equal(whole);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('ends a close-delimited body at EOF, and only there', () => {
    const p = response();
    p.push(Buffer.from('HTTP/1.0 200 OK\r\n\r\npart one '));
    p.push(Buffer.from('part two'));
    expect(p.messages).to.have.length(0);
    p.end();
    expect(p.messages).to.have.length(1);
    expect(p.messages[0]!.body.toString()).to.equal('part one part two');
    expect(p.messages[0]!.framing.kind).to.equal('close-delimited');
  });

  it('reports a body cut short by EOF as incomplete, with how much was missing', () => {
    const p = response();
    p.push(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n12345'));
    p.end();
    expect(p.error?.code).to.equal('incomplete');
    expect(p.error?.message).to.contain('5 of the announced');
  });

  it('reports a chunked body cut before its last-chunk as incomplete', () => {
    const p = response();
    p.push(Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel'));
    p.end();
    expect(p.error?.code).to.equal('incomplete');
    expect(p.error?.message).to.contain('chunk');
  });

  it('does not take 0\\r\\n\\r\\n inside chunk data as the end', () => {
    const p = response();
    p.push(
      Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n9\r\nab0\r\n\r\ncd\r\n0\r\n\r\n'),
    );
    expect(p.messages[0]!.body.toString()).to.equal('ab0\r\n\r\ncd');
  });

  it('accepts leading zeros, upper-case hex and a 000 last-chunk', () => {
    const p = response();
    p.push(
      Buffer.from(
        'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0005\r\nhello\r\nA\r\n0123456789\r\n000\r\n\r\n',
      ),
    );
    expect(p.messages[0]!.body.toString()).to.equal('hello0123456789');
  });

  it('lets Transfer-Encoding win over Content-Length and flags the pair', () => {
    const p = response();
    p.push(
      Buffer.from(
        'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n',
      ),
    );
    const m = p.messages[0]!;
    expect(m.body.toString()).to.equal('hello');
    expect(m.clAndTe).to.equal(true);
  });

  it('treats a response whose Transfer-Encoding is not chunked as close-delimited', () => {
    const p = response();
    p.push(Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nraw'));
    p.end();
    expect(p.messages[0]!.framing.kind).to.equal('close-delimited');
  });

  it('ignores the headers of 204, 304 and 1xx responses for framing', () => {
    const p = response();
    p.push(
      Buffer.from(
        'HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok',
      ),
    );
    expect(p.messages.map((m) => (m as HttpResponse).status)).to.deep.equal([204, 200]);
  });

  it('repairs what a lenient recipient may repair, and notes it', () => {
    const p = response();
    p.push(Buffer.from('HTTP/1.1 200 OK\nContent-Length : 2\r\nX-Folded: a\r\n b\r\n\r\nok'));
    const m = p.messages[0]!;
    expect(m.body.toString()).to.equal('ok');
    expect(m.notes.join(' | '))
      .to.match(/bare LF/)
      .and.match(/whitespace before colon/)
      .and.match(/obs-fold/);
  });

  it('stops with a precise error on garbage, never throwing', () => {
    for (const garbage of [
      'garbage\r\n\r\n',
      'HTTP/2 200 OK\r\n\r\n',
      'HTTP/1.1 2000 OK\r\n\r\n',
      '\x00\x01\x02\r\n',
    ]) {
      const p = response();
      expect(() => p.push(Buffer.from(garbage, 'latin1'))).to.not.throw();
      expect(p.error?.code, garbage).to.be.oneOf(['bad-start-line', 'unsupported-version']);
    }
  });

  it('rejects invalid and conflicting Content-Length values', () => {
    for (const v of ['abc', '-1', '+5', '0x10', '5 5', '1.0', '', '5, 6']) {
      const p = response();
      p.push(Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${v}\r\n\r\n`));
      expect(p.error?.code, JSON.stringify(v)).to.equal('invalid-content-length');
    }
    const p = response();
    p.push(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n'));
    expect(p.error?.code).to.equal('content-length-overflow');
  });

  it('accepts identical Content-Length values, noting the repetition', () => {
    const p = response();
    p.push(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\nContent-Length: 2\r\n\r\nok'));
    expect(p.messages[0]!.body.toString()).to.equal('ok');
    expect(p.messages[0]!.notes[0]).to.match(/3 times/);
  });

  it('rejects chunk sizes that are not hex or would overflow', () => {
    for (const size of ['xyz', '-1', '0x5', '', '10000000000000001']) {
      const p = response();
      p.push(Buffer.from(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${size}\r\nA\r\n0\r\n\r\n`));
      expect(p.error?.code, JSON.stringify(size)).to.be.oneOf(['bad-chunk-size', 'chunk-size-overflow']);
    }
  });

  it('rejects chunk data longer than its size', () => {
    const p = response();
    p.push(Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcdef\r\n0\r\n\r\n'));
    expect(p.error?.code).to.equal('missing-chunk-crlf');
  });

  it('switches off after a 101 and keeps the rest as raw bytes', () => {
    const p = response();
    p.push(Buffer.from('HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n\x00binary'));
    expect(p.upgraded).to.equal(true);
    expect(p.messages).to.have.length(1);
  });
});

describe('request parser (strict, as the reference server uses it)', () => {
  const parse = (text: string) => {
    const p = response('request');
    p.push(Buffer.from(text, 'latin1'));
    return p;
  };

  it('parses pipelined requests with CL, chunked and no body, whatever the split', () => {
    const bytes = Buffer.concat([
      buildRequest({ method: 'POST', target: '/a', host: 'h', body: 'hello' }).bytes,
      buildRequest({
        method: 'POST',
        target: '/b',
        host: 'h',
        headers: [['Transfer-Encoding', 'chunked']],
        body: chunkedBody(['abc'], { trailers: [['X-T', '1']] }),
      }).bytes,
      buildRequest({ method: 'GET', target: '/c', host: 'h' }).bytes,
    ]);
    for (let i = 0; i <= bytes.length; i++) {
      const p = response('request');
      feed(p, bytes, i > 0 && i < bytes.length ? [i] : []);
      const got = (p.messages as HttpRequest[]).map((m) => `${m.method} ${m.target} ${m.body.toString()}`);
      expect(got, `split at ${i}`).to.deep.equal(['POST /a hello', 'POST /b abc', 'GET /c ']);
    }
  });

  it('skips empty lines before a request line and counts them', () => {
    const p = parse('\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n');
    expect(p.messages[0]!.leadingEmptyLines).to.equal(2);
  });

  it('calls onHead before the body arrives (100-continue)', () => {
    const heads: string[] = [];
    const p = new Parser({ kind: 'request', onHead: (h) => heads.push((h as HttpRequest).target) });
    p.push(Buffer.from('POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n'));
    expect(heads).to.deep.equal(['/x']);
    expect(p.messages).to.have.length(0);
    p.push(Buffer.from('hello'));
    expect(p.messages).to.have.length(1);
  });

  const rejects: Array<[string, string]> = [
    ['GET / HTTP/1.1 extra\r\nHost: h\r\n\r\n', 'bad-start-line'],
    ['GET / HTTP/1.1\r\nHost: h\r\nno-colon-line\r\n\r\n', 'bad-header-line'],
    ['GET / HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n', 'bare-cr'],
    ['GET / HTTP/1.1\nHost: h\r\n\r\n', 'bare-lf'],
    ['POST / HTTP/1.1\r\nHost: h\r\nContent-Length : 5\r\n\r\nhello', 'ws-before-colon'],
    ['POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding:\r\n chunked\r\n\r\n', 'obs-fold'],
    ['POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n\r\n', 'unsupported-transfer-coding'],
    ['POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, gzip\r\n\r\n', 'chunked-not-final'],
    ['POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked;foo=bar\r\n\r\n', 'chunked-params'],
    ['POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, chunked\r\n\r\n', 'chunked-twice'],
    ['POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 18446744073709551617\r\n\r\n', 'content-length-overflow'],
    ['POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n', 'bare-lf'],
    ['GET / HTTP/2.0\r\nHost: h\r\n\r\n', 'unsupported-version'],
  ];
  for (const [text, code] of rejects) {
    it(`rejects ${JSON.stringify(text.split('\r\n').find((l) => /[^\x20-\x7e]| : |extra|no-colon|gzip|chunked|1844|HTTP\/2|\n/.test(l)) ?? text).slice(0, 60)} as ${code}`, () => {
      expect(parse(text).error?.code).to.equal(code);
    });
  }

  it('accepts the chunk-extension grammar including BWS and quoted strings', () => {
    for (const ok of [';a=b', ';a', ' ; a = b', ';a="x;y z"', ';a=b;c="\\"q\\""'])
      expect(isChunkExt(ok), ok).to.equal(true);
    for (const bad of ['a', ';', ';a=', ';a="unterminated', ' '])
      expect(isChunkExt(bad), bad).to.equal(false);
  });

  it('rejects a chunk-size line longer than its limit instead of buffering it', () => {
    const p = new Parser({ kind: 'request', maxChunkLineBytes: 100 });
    p.push(
      Buffer.from(`POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5${';a=b'.repeat(50)}`),
    );
    expect(p.error?.code).to.equal('chunk-ext-too-long');
  });

  it('never throws on arbitrary bytes (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.boolean(), (bytes, lenient) => {
        const p = new Parser({ kind: 'request', lenient });
        p.push(Buffer.from(bytes));
        p.end();
        const q = new Parser({ kind: 'response', lenient });
        q.push(Buffer.from(bytes));
        q.end();
      }),
      { numRuns: 500 },
    );
  });
});

describe('connection options', () => {
  it('are case-insensitive tokens from every Connection line', () => {
    const opts = connectionOptions([
      { name: 'Connection', value: 'X-Foo, Keep-Alive' },
      { name: 'connection', value: 'CLOSE' },
    ]);
    expect([...opts]).to.deep.equal(['x-foo', 'keep-alive', 'close']);
  });
});
