// Faulty proxies for chunked request bodies: each decodes or forwards a chunked body the
// way some real intermediary once did. Most of them read requests with the LaxReader of
// framing-smuggling.ts, strict but for one leniency.

import type { HttpRequest } from '../../../harness/wire/parse.js';
import { DownstreamConnection } from '../../proxies/reference.js';
import { laxProxy, strictChunkLine } from './framing-smuggling.js';
import type { FaultyProxy } from './types.js';

/** Decodes a chunked request body, then sends the decoded bytes under the Transfer-Encoding: chunked it forwards. */
class ForwardsDecodedAsChunked extends DownstreamConnection {
  protected override requestBody(req: HttpRequest): Buffer {
    return req.body;
  }
}

export const chunkedFaults: FaultyProxy[] = [
  {
    name: 'proxy-chunk-decoded-as-chunked',
    breaks: ['proxy-chunk-body-intact'],
    description:
      'forwards a chunked request body decoded, without chunk framing, under Transfer-Encoding: chunked',
    connection: ForwardsDecodedAsChunked,
  },
  {
    name: 'proxy-chunk-ext-refused',
    breaks: ['proxy-chunk-ext-ignored'],
    description: 'refuses (400) a chunked request body whose chunks carry extensions',
    connection: laxProxy(
      { chunkLine: (line) => (/^[0-9A-Fa-f]+$/.test(line) ? strictChunkLine(line) : undefined) },
      'reframed',
    ),
  },
  {
    name: 'proxy-chunk-last-is-literal-0',
    breaks: ['proxy-chunk-zeros-and-case'],
    description:
      'takes only a chunk size written "0" for the last-chunk: after "000" it waits for more chunks',
    connection: laxProxy(
      {
        chunkLine: (line) => {
          const c = strictChunkLine(line);
          return c && { size: c.size, last: line.split(';')[0] === '0' };
        },
      },
      'reframed',
    ),
  },
  {
    name: 'proxy-chunk-no-trailers',
    breaks: ['proxy-chunk-trailers'],
    description:
      'ends a chunked request body at its last-chunk line, so trailer fields are read as the start of the next request',
    connection: laxProxy({ chunkedEnd: 'last-chunk-line' }, 'reframed'),
  },
  {
    name: 'proxy-chunk-ends-at-read',
    breaks: ['proxy-chunk-late-last-chunk'],
    description:
      'takes a chunked request body as complete where a read from the client ends between two chunks',
    connection: laxProxy({ chunkedEnd: 'read' }, 'reframed'),
  },
  {
    name: 'proxy-chunk-scans-terminator',
    breaks: ['proxy-chunk-terminator-in-data'],
    description:
      'ends a chunked request body at the first "0 CRLF CRLF" in its bytes instead of following the chunk sizes',
    connection: laxProxy({ chunkedEnd: 'scan' }, 'reframed'),
  },
  {
    name: 'proxy-chunk-ext-unlimited',
    breaks: [],
    measures: ['proxy-chunk-ext-limit'],
    description:
      'reads chunk lines of up to 1 MiB: a chunk extension of any reasonable-looking size is accepted, and the body forwarded',
    connection: laxProxy({ chunkLineLimit: 1 << 20 }, 'reframed'),
  },
];
