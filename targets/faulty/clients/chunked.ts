import { type HttpResponse, ParseError } from '../../../harness/wire/parse.js';
import {
  type Connection,
  type Line,
  type PlanRequest,
  ReferenceClient,
} from '../../clients/reference-client.js';
import type { FaultyClient } from './types.js';

/**
 * The reference client with one decoding mistake: `misread` sees every response
 * the strict parser completes, together with the read that completed it, and says
 * what the faulty decoder would have made of it: 'hang' (it keeps waiting), an
 * error message (it fails the request), or nothing (it may change the message in place).
 */
export abstract class Misreader extends ReferenceClient {
  protected abstract misread(m: HttpResponse, read: Buffer): 'hang' | string | undefined;

  override receive(c: Connection, chunk: Buffer): void {
    const before = c.parser.messages.length;
    super.receive(c, chunk);
    for (let i = before; i < c.parser.messages.length; i++) {
      const m = c.parser.messages[i] as HttpResponse;
      if (m.interim) continue;
      const verdict = this.misread(m, chunk);
      if (verdict === undefined) continue;
      c.parser.messages.splice(i);
      if (verdict !== 'hang') c.parser.error = new ParseError('bad-chunk-size', verdict, 0);
      return;
    }
  }
}

/** The chunk-size lines of a complete chunked message, as sent (size and extensions). */
export function chunkSizeLines(raw: Buffer): Array<{ text: string; at: number }> {
  const out: Array<{ text: string; at: number }> = [];
  let p = raw.indexOf('\r\n\r\n') + 4;
  for (;;) {
    const e = raw.indexOf('\r\n', p);
    if (e < 0) return out;
    const text = raw.toString('latin1', p, e);
    out.push({ text, at: p });
    const size = Number.parseInt(text, 16);
    if (!(size > 0)) return out;
    p = e + 2 + size + 2;
  }
}

const isChunked = (m: HttpResponse) => m.framing.kind === 'chunked';

/** Chokes on any chunk extension. */
class ChunkExtRejected extends Misreader {
  protected misread(m: HttpResponse): string | undefined {
    const ext = m.chunks.find((c) => c.ext !== '');
    return ext ? `chunk extension ${JSON.stringify(ext.ext)} not supported` : undefined;
  }
}

/** Reads chunk sizes as decimal numbers. */
class ChunkSizeDecimal extends Misreader {
  protected misread(m: HttpResponse): string | undefined {
    if (!isChunked(m)) return undefined;
    const bad = chunkSizeLines(m.raw).find((l) => !/^[0-9]+(?:[ \t;]|$)/.test(l.text));
    return bad ? `invalid chunk size ${JSON.stringify(bad.text)}` : undefined;
  }
}

/** Knows only a literal `0` as the last-chunk: after `000` it keeps waiting for more chunks. */
class LastChunkLiteralZero extends Misreader {
  protected misread(m: HttpResponse): 'hang' | undefined {
    if (!isChunked(m)) return undefined;
    const last = chunkSizeLines(m.raw).pop();
    return last && /^0[0-9]/.test(last.text) ? 'hang' : undefined;
  }
}

/** Looks for the end of a chunked body only within one read: a last-chunk split across reads is never seen. */
class TerminatorInOneRead extends Misreader {
  protected misread(m: HttpResponse, read: Buffer): 'hang' | undefined {
    if (!isChunked(m)) return undefined;
    const last = chunkSizeLines(m.raw).pop();
    return last && !read.includes(m.raw.subarray(last.at)) ? 'hang' : undefined;
  }
}

/** Ends a chunked body at the first `0\r\n\r\n` in the stream, even inside chunk data. */
class TerminatorScan extends Misreader {
  protected misread(m: HttpResponse): undefined {
    if (!isChunked(m)) return undefined;
    const at = m.body.indexOf('0\r\n\r\n');
    if (at >= 0) m.body = m.body.subarray(0, at);
    return undefined;
  }
}

/** Adds trailer fields to the header section. */
class TrailersMerged extends Misreader {
  protected misread(m: HttpResponse): undefined {
    m.headers.push(...m.trailers);
    return undefined;
  }
}

/** Expects the empty line right after the last-chunk: a trailer section is an error. */
class TrailersRejected extends Misreader {
  protected misread(m: HttpResponse): string | undefined {
    return m.trailers.length > 0 ? 'expected an empty line after the last-chunk' : undefined;
  }
}

/** What a lenient decoder makes of the bytes of a response cut short: the status and the body so far. */
export function partialResponse(
  bytes: Buffer,
): { status: number; framing: 'chunked' | 'content-length' | 'other'; body: Buffer } | undefined {
  const end = bytes.indexOf('\r\n\r\n');
  const status = /^HTTP\/1\.\d (\d{3})/.exec(bytes.toString('latin1', 0, Math.max(end, 0)));
  if (end < 0 || !status) return undefined;
  const head = bytes.toString('latin1', 0, end);
  const rest = bytes.subarray(end + 4);
  if (/^transfer-encoding:.*chunked/im.test(head)) {
    const parts: Buffer[] = [];
    for (let p = 0; ; ) {
      const e = rest.indexOf('\r\n', p);
      const size = e < 0 ? Number.NaN : Number.parseInt(rest.toString('latin1', p, e), 16);
      if (!(size > 0)) break;
      parts.push(rest.subarray(e + 2, e + 2 + size));
      p = e + 2 + size + 2;
      if (p > rest.length) break;
    }
    return { status: Number(status[1]), framing: 'chunked', body: Buffer.concat(parts) };
  }
  // Only a well-formed Content-Length counts: a cut-short body, not an invalid length.
  const lengths = head.match(/^content-length:[^\r\n]*/gim) ?? [];
  const valid = lengths.length === 1 && /^content-length:[ \t]*\d+[ \t]*$/i.test(lengths[0]!);
  return { status: Number(status[1]), framing: valid ? 'content-length' : 'other', body: rest };
}

/** Hands out a response of the given framing that could not be completed (cut short, or malformed) as a success, with the body so far. */
export abstract class IncompleteAccepted extends ReferenceClient {
  protected abstract readonly framing: 'chunked' | 'content-length';
  private readonly exchange = new Map<Connection, Buffer[]>();
  private lastConn?: Connection;

  override receive(c: Connection, chunk: Buffer): void {
    if (c.receivedNow === chunk.length) this.exchange.set(c, []);
    this.exchange.get(c)?.push(chunk);
    this.lastConn = c;
    super.receive(c, chunk);
  }

  override async perform(req: PlanRequest): Promise<Line> {
    this.lastConn = undefined;
    const line = await super.perform(req);
    if (!('error' in line) || !this.lastConn) return line;
    const got = partialResponse(Buffer.concat(this.exchange.get(this.lastConn) ?? []));
    if (got?.framing !== this.framing) return line;
    return { id: req.id, status: got.status, body: got.body.toString('latin1'), headers: {} };
  }
}

class ChunkedIncompleteAccepted extends IncompleteAccepted {
  protected readonly framing = 'chunked';
}

export const chunkedClientFaults: FaultyClient[] = [
  {
    name: 'chunk-ext-rejected',
    breaks: [
      'client-chunk-ext-token',
      'client-chunk-ext-quoted',
      'client-chunk-ext-last-chunk',
      'client-chunk-ext-bws',
    ],
    description: 'fails every chunked response that carries a chunk extension',
    client: ChunkExtRejected,
  },
  {
    name: 'chunk-size-decimal',
    breaks: ['client-chunk-size-forms'],
    description: 'reads chunk sizes as decimal numbers (fails on hex letters)',
    client: ChunkSizeDecimal,
  },
  {
    name: 'last-chunk-literal-0',
    breaks: ['client-chunk-size-forms'],
    description: 'knows only a literal `0` as the last-chunk, and waits on after `000`',
    client: LastChunkLiteralZero,
  },
  {
    name: 'chunk-end-one-read',
    breaks: ['client-chunk-split-segments'],
    description: 'finds the last-chunk only when it arrives within one read; otherwise waits on',
    client: TerminatorInOneRead,
  },
  {
    name: 'chunk-end-scan',
    breaks: ['client-chunk-data-terminator'],
    description: 'ends a chunked body at the first `0\\r\\n\\r\\n`, even inside chunk data',
    client: TerminatorScan,
  },
  {
    name: 'trailers-merged',
    breaks: ['client-chunk-trailers'],
    description: 'merges trailer fields into the header section',
    client: TrailersMerged,
  },
  {
    name: 'trailers-rejected',
    breaks: ['client-chunk-trailers'],
    description: 'fails a chunked response whose last-chunk is followed by trailer fields',
    client: TrailersRejected,
  },
  {
    name: 'chunked-incomplete-ok',
    breaks: [
      'client-chunk-incomplete-fin-before-last',
      'client-chunk-incomplete-fin-in-data',
      'client-chunk-incomplete-non-hex-size',
      'client-chunk-incomplete-overflow-size',
    ],
    description:
      'hands out a chunked response cut short or with a bad chunk size as a success, with the body so far',
    client: ChunkedIncompleteAccepted,
  },
];
