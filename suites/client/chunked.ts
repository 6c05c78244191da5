import { fail } from '../../harness/check.js';
import {
  type ClientScenario,
  clientScenario,
  describeConns,
  describeLine,
  type Reply,
} from '../../harness/client-context.js';
import { satisfied } from '../../harness/model.js';
import { chunkedBody, toBuffer } from '../../harness/wire/build.js';

import {
  answerR1,
  CHUNKED_HEAD,
  expectError,
  expectNotReused,
  expectR2,
  expectResult,
  expectReused,
  twoRequests,
} from './steps.js';

// ---- decoding families -----------------------------------------------------------

interface Decoded {
  id: string;
  covers: string[];
  rfc: string;
  title: string;
  /** what r1's response is, for messages */
  what: string;
  reply: Reply;
  /** the body r1 must decode to */
  body: string;
}

/** A chunked r1 that the client must decode to `body`, then r2 on the same connection. */
function decoded(d: Decoded): ClientScenario {
  return clientScenario({
    id: d.id,
    area: 'chunked',
    level: 'MUST',
    rfc: d.rfc,
    covers: d.covers,
    title: d.title,
    plan: twoRequests(),
    script: answerR1(d.reply),
    check(obs) {
      expectResult(obs, 'r1', 200, d.body, d.what);
      expectR2(obs);
      return (
        expectReused(obs, d.what) ??
        satisfied(
          `r1 decoded to ${JSON.stringify(d.body)}, r2 correct on the same connection: ${describeConns(obs)}`,
        )
      );
    },
  });
}

const chunked = (body: Buffer | string): Reply => ({
  response: Buffer.concat([toBuffer(CHUNKED_HEAD), toBuffer(body)]),
});

/** CHUNK-02: one scenario per extension form, so a deliberate strictness (BWS) shows on its own. */
const extension = (key: string, label: string, body: Buffer) =>
  decoded({
    id: `client-chunk-ext-${key}`,
    covers: ['CHUNK-02'],
    rfc: 'RFC 9112 §7.1.1',
    title: `unknown chunk extensions are ignored: ${label}`,
    what: `a chunked response with the extension ${label}`,
    reply: chunked(body),
    body: 'hello world',
  });

/** CHUNK-14: one scenario per defect; r2 must go on a new connection. */
function incomplete(key: string, label: string, reply: Reply): ClientScenario {
  return clientScenario({
    id: `client-chunk-incomplete-${key}`,
    area: 'chunked',
    level: 'MUST',
    rfc: 'RFC 9112 §8',
    covers: ['CHUNK-14'],
    title: `a chunked response with ${label} is an error, and its connection is not reused`,
    plan: twoRequests(),
    script: answerR1(reply),
    check(obs) {
      const what = `a chunked response with ${label}`;
      expectError(obs, what);
      expectNotReused(obs, what);
      expectR2(obs);
      return satisfied(`r1: ${describeLine(obs, 'r1')}; r2 on a new connection: ${describeConns(obs)}`);
    },
  });
}

// Malformed sizes: the harness leaves the connection open for a second, so a client
// that took the bad line for a valid one has time to send r2 on it (+100 ms), then
// closes it, so a client that waits for more is not left hanging.
const BAD_SIZE_CLOSE_MS = 1000;

export const chunkedClient: ClientScenario[] = [
  extension('token', '`5;foo=bar`', chunkedBody(['hello', ' world'], { ext: { 0: ';foo=bar', 1: ';x' } })),
  extension('quoted', '`5;foo="a;b c"`', chunkedBody(['hello', ' world'], { ext: { 0: ';foo="a;b c"' } })),
  extension(
    'last-chunk',
    '`0;last=1` on the last-chunk',
    chunkedBody(['hello', ' world'], { lastExt: ';last=1' }),
  ),
  extension(
    'bws',
    'whitespace around `;` and `=` (`5 ; foo = bar`)',
    chunkedBody(['hello', ' world'], { ext: { 0: ' ; foo = bar' } }),
  ),
  decoded({
    id: 'client-chunk-size-forms',
    covers: ['CHUNK-04'],
    rfc: 'RFC 9112 §7.1',
    title: 'chunk sizes with leading zeros and upper-case hex, and a `000` last-chunk, are decoded',
    what: 'a chunked response with sizes `0005` and `A` and the last-chunk `000`',
    reply: chunked('0005\r\nhello\r\nA\r\n0123456789\r\n000\r\n\r\n'),
    body: 'hello0123456789',
  }),
  decoded({
    id: 'client-chunk-split-segments',
    covers: ['CHUNK-11'],
    rfc: 'RFC 9112 §7.1',
    title:
      'the end of a chunked body is found when its last-chunk and final CRLF arrive in separate segments',
    what: 'a chunked response written in five pieces 50 ms apart (`3\\r\\nab`, `c\\r\\n`, `0`, `\\r\\n`, `\\r\\n`)',
    reply: { pieces: [`${CHUNKED_HEAD}3\r\nab`, 'c\r\n', '0', '\r\n', '\r\n'], pieceDelayMs: 50 },
    body: 'abc',
  }),
  decoded({
    id: 'client-chunk-data-terminator',
    covers: ['CHUNK-12'],
    rfc: 'RFC 9112 §7.1',
    title: 'the bytes `0\\r\\n\\r\\n` inside chunk data do not end a chunked body',
    what: 'a chunk whose data holds `0\\r\\n\\r\\n`',
    reply: chunked('9\r\nab0\r\n\r\ncd\r\n0\r\n\r\n'),
    body: 'ab0\r\n\r\ncd',
  }),
  clientScenario({
    id: 'client-chunk-trailers',
    area: 'chunked',
    level: 'MUST',
    rfc: 'RFC 9112 §7.1.2',
    covers: ['CHUNK-13'],
    title: 'a trailer section is consumed and its fields are not merged into the header section',
    plan: twoRequests(),
    script: answerR1({
      response: `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\nTrailer: X-Trailer\r\n\r\n2\r\nok\r\n0\r\nX-Trailer: v\r\nX-Second: w\r\n\r\n`,
    }),
    check(obs) {
      const what = 'a chunked response with two trailer fields';
      expectResult(obs, 'r1', 200, 'ok', what);
      const merged = Object.keys(obs.line('r1')?.headers ?? {}).filter((n) =>
        ['x-trailer', 'x-second'].includes(n.toLowerCase()),
      );
      if (merged.length > 0)
        fail({
          summary: `the client merged trailer fields into the header section (${merged.join(', ')})`,
          expected: 'X-Trailer and X-Second kept apart from the header section, or dropped',
          seen: `r1 headers reported by the driver: ${JSON.stringify(obs.line('r1')?.headers)}`,
          level: 'MUST NOT',
        });
      expectR2(obs);
      const headers = obs.line('r1')?.headers
        ? 'not among the reported headers'
        : 'the driver reports no headers, so merging was not checked';
      return (
        expectReused(obs, what) ??
        satisfied(`trailers consumed (r2 correct on the same connection), ${headers}: ${describeConns(obs)}`)
      );
    },
  }),
  incomplete('fin-before-last', 'a FIN before the last-chunk', {
    response: `${CHUNKED_HEAD}5\r\nhello\r\n`,
    after: 'close',
    afterDelayMs: 50,
  }),
  incomplete('fin-in-data', 'a FIN inside chunk data', {
    response: `${CHUNKED_HEAD}a\r\nhel`,
    after: 'close',
    afterDelayMs: 50,
  }),
  incomplete('non-hex-size', 'a non-hex chunk size (`xyz`)', {
    response: `${CHUNKED_HEAD}5\r\nhello\r\nxyz\r\nabc\r\n0\r\n\r\n`,
    after: 'close',
    afterDelayMs: BAD_SIZE_CLOSE_MS,
  }),
  incomplete('overflow-size', 'a chunk size that overflows 64 bits (`10000000000000001`)', {
    response: `${CHUNKED_HEAD}10000000000000001\r\nA\r\n0\r\n\r\n`,
    after: 'close',
    afterDelayMs: BAD_SIZE_CLOSE_MS,
  }),
];
