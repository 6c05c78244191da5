// Faulty targets for area `chunked`. Most faults live in how a server decodes
// a chunked request body, which the reference does inside its strict parser.
// ChunkDecoding is the reference with its own, overridable chunked decoder in
// front of that parser: header lines pass through (a fault may rewrite them),
// Content-Length bodies pass through, and a chunked body is decoded here and
// handed on re-encoded canonically. So the reference parser still frames every
// request (timers, 100-continue and error handling stay the reference's), but
// it sees the body the way the faulty decoder understood it.

import { toBuffer } from '../../../harness/wire/build.js';
import { type HttpMessage, type HttpRequest, isChunkExt } from '../../../harness/wire/parse.js';
import { REFERENCE_RESOURCES, ReferenceConnection, type ResponsePlan } from '../../servers/reference.js';
import type { FaultyServer } from './types.js';

const CR = 0x0d;
const LF = 0x0a;
const EMPTY = Buffer.alloc(0);
const MAX_HEAD_LINE = 64 * 1024;

type Phase = 'head' | 'length' | 'size' | 'data' | 'crlf' | 'trailers' | 'skip-line' | 'stopped';

/** What a chunk-size line means to a decoder. */
export type SizeLine = { size: number; last: boolean } | { error: string };

abstract class ChunkDecoding extends ReferenceConnection {
  private raw: Buffer = EMPTY;
  private phase: Phase = 'head';
  private left = 0;
  /** the current chunk was empty but not a last-chunk: nothing was handed on for it */
  private silentChunk = false;
  private headDone?: HttpMessage;
  /** requests that the decoder completed after a framing error (see resync()) */
  protected readonly broken = new WeakSet<HttpRequest>();

  /** the longest chunk-size line before it is an error */
  protected sizeLineLimit = 4096;

  /**
   * The request line and header lines (without CRLF) as the server understands
   * them. A fault that defines it sees each head whole before the parser does.
   */
  protected rewriteHead?(lines: string[]): string[];

  /** Reference: 1*HEXDIG, a valid chunk-ext, at most 12 significant digits; all-zero is the last-chunk. */
  protected sizeLine(text: string): SizeLine {
    const m = /^([0-9A-Fa-f]+)(.*)$/.exec(text);
    if (!m) return { error: `invalid chunk size ${JSON.stringify(text.slice(0, 40))}` };
    if (m[2] && !isChunkExt(m[2])) return { error: `invalid chunk extension ${JSON.stringify(m[2])}` };
    const digits = m[1]!.replace(/^0+/, '');
    if (digits.length > 12) return { error: `chunk size ${m[1]} is too large` };
    const size = digits ? Number.parseInt(digits, 16) : 0;
    return { size, last: size === 0 };
  }

  /** Whether a bare LF ends a chunk-size or trailer line (the reference: no). */
  protected bareLf = false;
  /** After chunk data: skip anything up to the next LF instead of requiring CRLF. */
  protected skipAfterData = false;
  /** Read trailer lines up to the empty line after the last-chunk (the reference: yes). */
  protected readTrailers = true;
  /** Trailer lines without a colon are dropped instead of being an error. */
  protected dropBadTrailers = false;

  /** Called on bad chunk framing; the reference answers 400 and closes. */
  protected onFramingError(_message: string, _lineConsumed: boolean): void {
    // Hand the reference parser bytes that are wrong at the same place.
    this.hand(this.phase === 'crlf' && !this.silentChunk ? '!' : '!\r\n');
    this.phase = 'stopped';
  }

  /**
   * For faults that resynchronise: end the current request where it stands (it is
   * answered 400 without closing, see handle()) and go on parsing after the bad line.
   */
  protected resync(lineConsumed: boolean): void {
    this.hand(this.phase === 'crlf' ? '\r\n0\r\n\r\n' : this.phase === 'trailers' ? '\r\n' : '0\r\n\r\n');
    const done = this.parser.messages[this.parser.messages.length - 1];
    if (done) this.broken.add(done as HttpRequest);
    this.phase = lineConsumed ? 'head' : 'skip-line';
  }

  protected override handle(req: HttpRequest): ResponsePlan {
    if (this.broken.has(req))
      return {
        status: 400,
        headers: [['Content-Type', 'text/plain']],
        body: Buffer.from('bad chunked framing\n'),
      };
    return super.handle(req);
  }

  protected override onHead(head: HttpMessage): void {
    this.headDone = head;
    super.onHead(head);
  }

  protected override feed(chunk: Buffer): void {
    this.raw = this.raw.length ? Buffer.concat([this.raw, chunk]) : chunk;
    this.pump();
    this.collect();
  }

  private hand(bytes: Buffer | string): void {
    this.parser.push(toBuffer(bytes));
  }

  /** The next line (without its terminator) and whether it ended in CRLF, or null if incomplete. */
  private takeLine(): { text: string; crlf: boolean } | null {
    const lf = this.raw.indexOf(LF);
    if (lf < 0) return null;
    const crlf = lf > 0 && this.raw[lf - 1] === CR;
    const text = this.raw.toString('latin1', 0, crlf ? lf - 1 : lf);
    this.raw = this.raw.subarray(lf + 1);
    return { text, crlf };
  }

  /** Hand the parser the next piece of a request head; false when more bytes are needed. */
  private takeHead(): boolean {
    if (!this.rewriteHead) {
      // Line by line, so the parser never sees body bytes before the head is complete
      // (a line without its LF cannot complete a head, so it goes on at once).
      const lf = this.raw.indexOf(LF);
      if (lf < 0) {
        this.hand(this.raw);
        this.raw = EMPTY;
        return false;
      }
      this.hand(this.raw.subarray(0, lf + 1));
      this.raw = this.raw.subarray(lf + 1);
      return true;
    }
    // Whole heads: leading empty lines first, then everything up to the empty line.
    let skip = 0;
    while (this.raw[skip] === CR && this.raw[skip + 1] === LF) skip += 2;
    if (skip > 0) {
      this.hand(this.raw.subarray(0, skip));
      this.raw = this.raw.subarray(skip);
    }
    const end = this.raw.indexOf('\r\n\r\n');
    if (end < 0) {
      // A head the strict parser rejects anyway (bare LF, too long) goes to it as it is.
      if (this.raw.length > MAX_HEAD_LINE || /(^|[^\r])\n/.test(this.raw.toString('latin1'))) {
        this.hand(this.raw);
        this.raw = EMPTY;
        return true;
      }
      return false;
    }
    const lines = this.rewriteHead(this.raw.toString('latin1', 0, end).split('\r\n'));
    this.raw = this.raw.subarray(end + 4);
    this.hand(`${lines.join('\r\n')}\r\n\r\n`);
    return true;
  }

  private pump(): void {
    for (;;) {
      if (this.parser.error || this.phase === 'stopped') {
        this.raw = EMPTY;
        return;
      }
      if (this.raw.length === 0) return;
      switch (this.phase) {
        case 'head': {
          if (!this.takeHead()) return;
          const head = this.headDone as HttpMessage | undefined;
          this.headDone = undefined;
          if (!head || this.parser.error) continue;
          if (head.framing.kind === 'chunked') this.phase = 'size';
          else if (head.framing.kind === 'content-length' && head.framing.length > 0) {
            this.left = head.framing.length;
            this.phase = 'length';
          }
          continue;
        }
        case 'length': {
          const n = Math.min(this.left, this.raw.length);
          this.hand(this.raw.subarray(0, n));
          this.raw = this.raw.subarray(n);
          this.left -= n;
          if (this.left === 0) this.phase = 'head';
          continue;
        }
        case 'size': {
          const line = this.takeLine();
          if (!line) {
            if (this.raw.length > this.sizeLineLimit)
              this.onFramingError(`chunk-size line longer than ${this.sizeLineLimit} bytes`, false);
            return;
          }
          if (!line.crlf && !this.bareLf) {
            this.onFramingError('bare LF ending a chunk-size line', true);
            continue;
          }
          const s = this.sizeLine(line.text);
          if ('error' in s) {
            this.onFramingError(s.error, true);
            continue;
          }
          if (s.last) {
            this.hand('0\r\n');
            if (this.readTrailers) this.phase = 'trailers';
            else {
              this.hand('\r\n');
              this.phase = 'head';
            }
            continue;
          }
          this.silentChunk = s.size === 0;
          if (!this.silentChunk) this.hand(`${s.size.toString(16)}\r\n`);
          this.left = s.size;
          this.phase = s.size === 0 ? 'crlf' : 'data';
          continue;
        }
        case 'data': {
          const n = Math.min(this.left, this.raw.length);
          this.hand(this.raw.subarray(0, n));
          this.raw = this.raw.subarray(n);
          this.left -= n;
          if (this.left === 0) this.phase = 'crlf';
          continue;
        }
        case 'crlf': {
          if (this.skipAfterData) {
            const line = this.takeLine();
            if (!line) {
              this.raw = EMPTY;
              return;
            }
          } else {
            if (this.raw[0] !== CR) {
              this.onFramingError('no CRLF after chunk data', false);
              continue;
            }
            if (this.raw.length < 2) return;
            if (this.raw[1] !== LF) {
              this.onFramingError('no CRLF after chunk data', false);
              continue;
            }
            this.raw = this.raw.subarray(2);
          }
          if (!this.silentChunk) this.hand('\r\n');
          this.silentChunk = false;
          this.phase = 'size';
          continue;
        }
        case 'trailers': {
          const line = this.takeLine();
          if (!line) {
            if (this.raw.length > MAX_HEAD_LINE) this.onFramingError('trailer line too long', false);
            return;
          }
          if (!line.crlf && !this.bareLf) {
            this.onFramingError('bare LF ending a trailer line', true);
            continue;
          }
          if (line.text === '') {
            this.hand('\r\n');
            this.phase = 'head';
          } else if (!this.dropBadTrailers || line.text.includes(':')) this.hand(`${line.text}\r\n`);
          continue;
        }
        case 'skip-line': {
          const lf = this.raw.indexOf(LF);
          if (lf < 0) {
            this.raw = EMPTY;
            return;
          }
          this.raw = this.raw.subarray(lf + 1);
          this.phase = 'head';
          continue;
        }
      }
    }
  }
}

// ---- request-side faults ------------------------------------------------------------

const isTe = (line: string): boolean => /^transfer-encoding:/i.test(line);
const teValue = (line: string): string => line.slice(line.indexOf(':') + 1);

/**
 * Knows no chunked coding: on an HTTP/1.1 request framed only by
 * "Transfer-Encoding: chunked" it ignores the field, so the body is read as the
 * next request (other framing is left to the reference, to break one rule only).
 */
class ChunkedIgnored extends ChunkDecoding {
  protected override rewriteHead(lines: string[]): string[] {
    const te = lines.filter(isTe).flatMap((l) =>
      teValue(l)
        .split(',')
        .map((v) => v.trim().toLowerCase()),
    );
    const plain =
      /HTTP\/1\.1$/.test(lines[0] ?? '') &&
      !lines.some((l) => /^content-length:/i.test(l)) &&
      te.length === 1 &&
      te[0] === 'chunked';
    return plain ? lines.filter((l) => !isTe(l)) : lines;
  }
}

/** Ends the body at the last-chunk line, without reading the trailer section. */
class TrailersUnread extends ChunkDecoding {
  protected override readTrailers = false;
}

/** Only a literal "0" is the last-chunk; "000" is taken as an empty chunk, so the body goes on. */
class LastChunkLiteralZero extends ChunkDecoding {
  protected override sizeLine(text: string): SizeLine {
    const s = super.sizeLine(text);
    if ('error' in s || !s.last) return s;
    return /^0(?![0-9A-Fa-f])/.test(text) ? s : { size: 0, last: false };
  }
}

/** Decodes hex digits a-f in lower case only. */
class HexLowerCaseOnly extends ChunkDecoding {
  protected override sizeLine(text: string): SizeLine {
    return /^[0-9a-f]+(?![0-9A-F])/.test(text)
      ? super.sizeLine(text)
      : { error: `invalid chunk size ${JSON.stringify(text)}` };
  }
}

/** Accumulates the chunk size in an unsigned 64-bit integer, which wraps. */
class ChunkSizeWraps extends ChunkDecoding {
  protected override sizeLine(text: string): SizeLine {
    const m = /^([0-9A-Fa-f]+)/.exec(text);
    if (!m) return super.sizeLine(text);
    const size = Number(BigInt(`0x${m[1]}`) & 0xffffffffffffffffn);
    return { size, last: size === 0 };
  }
}

/** Rejects any chunk extension as malformed. */
class ChunkExtRejected extends ChunkDecoding {
  protected override sizeLine(text: string): SizeLine {
    return text.includes(';') ? { error: 'chunk extensions are not supported' } : super.sizeLine(text);
  }
}

/**
 * Lenient like a strtol()-based decoder: the size is whatever hex number the
 * line starts with (none = 0, "-1" = 0, "0x5" = 5), bare LF ends lines, bytes
 * after chunk data up to the next LF are skipped, and bad trailer lines dropped.
 */
class LenientChunkFraming extends ChunkDecoding {
  protected override bareLf = true;
  protected override skipAfterData = true;
  protected override dropBadTrailers = true;
  protected override sizeLine(text: string): SizeLine {
    const n = Number.parseInt(text.trim(), 16);
    const size = Number.isFinite(n) && n > 0 ? n : 0;
    return { size, last: size === 0 };
  }
}

/** On bad chunk framing: answers 400 but keeps the connection and carries on after the bad line. */
class ChunkResync extends ChunkDecoding {
  protected override onFramingError(_message: string, lineConsumed: boolean): void {
    this.resync(lineConsumed);
  }
}

/** Drops transfer codings it does not know, and frames the request by what is left. */
class UnknownCodingIgnored extends ChunkDecoding {
  protected override rewriteHead(lines: string[]): string[] {
    return lines.flatMap((line) => {
      if (!isTe(line)) return [line];
      const known = teValue(line)
        .split(',')
        .map((v) => v.trim())
        .filter((v) => v.toLowerCase() === 'chunked');
      return known.length ? [`Transfer-Encoding: ${known.join(', ')}`] : [];
    });
  }
}

/**
 * Normalises Transfer-Encoding values it should reject: "chunked, chunked" becomes
 * chunked, and "chunked;foo=bar" is not recognised at all, so that body is read as
 * the next request.
 */
class ChunkedParamsAccepted extends ChunkDecoding {
  protected override rewriteHead(lines: string[]): string[] {
    return lines.flatMap((line) => {
      if (!isTe(line)) return [line];
      const codings = teValue(line)
        .split(',')
        .map((v) => v.trim().toLowerCase());
      if (codings.some((c) => c.startsWith('chunked') && c.includes(';'))) return [];
      if (codings.every((c) => c === 'chunked')) return ['Transfer-Encoding: chunked'];
      return [line];
    });
  }
}

// ---- response-side faults ------------------------------------------------------------

/** Chunked responses lack the final CRLF after the last-chunk. */
class ChunkedResponseNoFinalCrlf extends ReferenceConnection {
  protected override serialize(req: HttpRequest, plan: ResponsePlan, close: boolean): Buffer {
    const out = super.serialize(req, plan, close);
    const chunked = plan.chunks && req.version === 'HTTP/1.1' && req.method !== 'HEAD';
    return chunked && out.subarray(-5).toString('latin1') === '0\r\n\r\n' ? out.subarray(0, -2) : out;
  }
}

/** Flushes an empty write mid-stream as a zero-size chunk, which ends the body early. */
class ChunkedResponseEarlyLastChunk extends ReferenceConnection {
  protected override handle(req: HttpRequest): ResponsePlan {
    const plan = super.handle(req);
    if (!plan.chunks || plan.chunks.length < 2) return plan;
    return { ...plan, chunks: [plan.chunks[0]!, Buffer.alloc(0), ...plan.chunks.slice(1)] };
  }
}

// ---- chunked bodies on the default path, with no chunked resource declared ----------------

/** REFERENCE_RESOURCES without a chunked resource: the harness finds `/` answering chunked itself. */
const NO_CHUNKED_RESOURCE = Object.fromEntries(
  Object.entries(REFERENCE_RESOURCES).filter(([kind]) => kind !== 'chunkedPath'),
) as Partial<typeof REFERENCE_RESOURCES>;

/** How a chunked body on `/` is broken. */
type RootChunkFault = 'no-last-chunk' | 'size-0x' | 'no-final-crlf';

const isRootGet = (req: HttpRequest) =>
  (req.method === 'GET' || req.method === 'HEAD') && req.target.split('?')[0] === '/';

/**
 * Serves `/` (a dynamic page, say) with a chunked body of three chunks, broken in one way:
 * no last-chunk (the connection is closed after the last data chunk), chunk sizes written
 * with a "0x" prefix (printf's %#x), or no CRLF after the last-chunk.
 */
function chunkedRootWith(fault: RootChunkFault) {
  return class ChunkedRootBroken extends ReferenceConnection {
    private cut = false;
    protected override handle(req: HttpRequest): ResponsePlan {
      const plan = super.handle(req);
      if (!isRootGet(req) || plan.status !== 200 || !plan.body) return plan;
      const text = plan.body.toString('latin1');
      const third = Math.ceil(text.length / 3);
      const chunks = [0, 1, 2].map((i) => Buffer.from(text.slice(i * third, (i + 1) * third), 'latin1'));
      return { ...plan, body: undefined, chunks };
    }
    protected override serialize(req: HttpRequest, plan: ResponsePlan, close: boolean): Buffer {
      const out = super.serialize(req, plan, close);
      if (!plan.chunks || req.version !== 'HTTP/1.1' || req.method === 'HEAD') return out;
      const head = out.subarray(0, out.indexOf('\r\n\r\n') + 4);
      const size = (n: number) => (fault === 'size-0x' ? `0x${n.toString(16)}` : n.toString(16));
      const chunks = plan.chunks
        .filter((c) => c.length > 0)
        .map((c) => Buffer.concat([Buffer.from(`${size(c.length)}\r\n`), c, Buffer.from('\r\n')]));
      const end = { 'no-last-chunk': '', 'size-0x': '0\r\n\r\n', 'no-final-crlf': '0\r\n' }[fault];
      this.cut = fault === 'no-last-chunk';
      return Buffer.concat([head, ...chunks, Buffer.from(end)]);
    }
    protected override async answer(req: HttpRequest): Promise<void> {
      await super.answer(req);
      // The body ended by closing the connection instead of with the last-chunk.
      if (this.cut) {
        this.cut = false;
        this.closeGracefully();
      }
    }
  };
}

const BAD_FRAMING = [
  'chunk-bad-data-overrun',
  'chunk-bad-size-xyz',
  'chunk-bad-size-negative',
  'chunk-bad-size-0x',
  'chunk-bad-size-empty',
  'chunk-bad-lf-size-line',
  'chunk-bad-lf-after-data',
];

export const chunkedFaults: FaultyServer[] = [
  {
    name: 'chunked-ignored',
    breaks: [
      'chunk-request-body',
      'chunk-ext-token',
      'chunk-ext-quoted',
      'chunk-ext-last',
      'chunk-ext-bws',
      'chunk-trailers',
      'chunk-size-hex-forms',
      'chunk-last-zeros',
      'chunk-size-overflow',
      ...BAD_FRAMING,
      'chunk-ext-limit',
    ],
    description:
      'ignores "Transfer-Encoding: chunked" on HTTP/1.1 requests: the body is read as the next request (no chunked support, no refusal)',
    connection: ChunkedIgnored,
  },
  {
    name: 'chunk-trailers-unread',
    breaks: ['chunk-trailers'],
    description:
      'ends a chunked request body at the last-chunk line and parses the trailer lines as a request',
    connection: TrailersUnread,
  },
  {
    name: 'chunk-last-literal-zero',
    breaks: ['chunk-last-zeros'],
    description: 'recognises only a literal "0" as the last-chunk; "000" is taken as an empty chunk',
    connection: LastChunkLiteralZero,
  },
  {
    name: 'chunk-hex-lower-only',
    breaks: ['chunk-size-hex-forms'],
    description: 'decodes chunk sizes with lower-case hex digits only (rejects "A")',
    connection: HexLowerCaseOnly,
  },
  {
    name: 'chunk-ext-rejected',
    breaks: ['chunk-ext-token', 'chunk-ext-quoted', 'chunk-ext-last', 'chunk-ext-bws'],
    description: 'answers 400 to any chunk extension instead of ignoring it',
    connection: ChunkExtRejected,
  },
  {
    name: 'chunk-size-wraps',
    breaks: ['chunk-size-overflow'],
    description: 'keeps the chunk size in an unsigned 64-bit integer that wraps (2^64 + 1 becomes 1)',
    connection: ChunkSizeWraps,
  },
  {
    name: 'chunk-lenient',
    breaks: BAD_FRAMING,
    description:
      'decodes broken chunk framing leniently: strtol-like sizes, bare LF line ends, bytes after chunk data skipped up to the next LF',
    connection: LenientChunkFraming,
  },
  {
    name: 'chunk-resync',
    breaks: [...BAD_FRAMING, 'chunk-ext-limit', 'chunk-size-overflow'],
    description:
      'answers 400 to bad chunk framing but keeps the connection and goes on parsing after the bad line',
    connection: ChunkResync,
  },
  {
    name: 'te-unknown-ignored',
    breaks: ['chunk-te-gzip', 'chunk-te-chunked-gzip', 'chunk-te-unknown', 'chunk-te-chunked-params'],
    description: 'drops transfer codings it does not know and frames the request by what is left',
    connection: UnknownCodingIgnored,
  },
  {
    name: 'te-chunked-params',
    breaks: ['chunk-te-chunked-params'],
    // "chunked, chunked" breaks a sender rule only (RFC 9112 §6.1): taking it as chunked is reported.
    measures: ['chunk-te-chunked-twice'],
    description:
      'takes "chunked, chunked" as chunked and does not recognise "chunked;foo=bar", reading that body as the next request',
    connection: ChunkedParamsAccepted,
  },
  {
    name: 'chunked-resp-no-final-crlf',
    breaks: ['chunk-response-framing'],
    description: 'ends chunked responses after the last-chunk line, without the final CRLF',
    connection: ChunkedResponseNoFinalCrlf,
  },
  {
    name: 'chunked-root-no-last-chunk',
    breaks: ['chunk-response-framing'],
    description:
      'answers its own path (no chunked resource declared) with a chunked body that has no last-chunk: it closes the connection after the last data chunk',
    connection: chunkedRootWith('no-last-chunk'),
    resources: NO_CHUNKED_RESOURCE,
  },
  {
    name: 'chunked-root-bad-size',
    breaks: ['chunk-response-framing'],
    description:
      'answers its own path (no chunked resource declared) with a chunked body whose chunk sizes carry a "0x" prefix (not hex digits only)',
    connection: chunkedRootWith('size-0x'),
    resources: NO_CHUNKED_RESOURCE,
  },
  {
    name: 'chunked-root-no-final-crlf',
    breaks: ['chunk-response-framing'],
    description:
      'answers its own path (no chunked resource declared) with a chunked body that ends after the last-chunk line, without the final CRLF',
    connection: chunkedRootWith('no-final-crlf'),
    resources: NO_CHUNKED_RESOURCE,
  },
  {
    name: 'chunked-resp-early-last',
    breaks: ['chunk-response-framing'],
    description: 'writes an empty mid-stream flush as a zero-size chunk, ending the response body early',
    connection: ChunkedResponseEarlyLastChunk,
  },
];
