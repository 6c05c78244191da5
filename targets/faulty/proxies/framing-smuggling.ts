// Faulty proxies for request smuggling: each reads one kind of ambiguous or malformed
// request framing the way some real intermediary once did, and forwards what it read.
// They replace the strict parser with LaxReader, a request reader that is as strict as
// the reference's except for one leniency (chunked.ts uses it too). The faults of the
// CL.TE / TE.CL / duplicate-length scenarios are in framing-desync.ts.

import {
  type Framing,
  type Header,
  type HttpMessage,
  type HttpRequest,
  isChunkExt,
  ParseError,
  type ParseErrorCode,
  Parser,
} from '../../../harness/wire/parse.js';
import { type ConnectionClass, DownstreamConnection } from '../../proxies/reference.js';
import type { FaultyProxy } from './types.js';

// ---- a request reader with one leniency ------------------------------------------------------

/** Where a LaxReader departs from the strict parser: each setting is one leniency; none set = strict. */
export interface Leniency {
  /** field lines end at CRLF only: a bare LF stays inside the field value */
  lfInValue?: boolean;
  /** a continuation line (obs-fold) is passed over: the field's value is its first line */
  foldIgnored?: boolean;
  /** Content-Length together with Transfer-Encoding: chunked: the length frames the body */
  lengthOverChunked?: boolean;
  /** a Transfer-Encoding other than plain chunked is passed over (a Content-Length, if any, frames the body) */
  unknownCodingIgnored?: boolean;
  /** its reading of the Content-Length field values, one per field line (undefined: invalid) */
  contentLength?: (values: string[]) => number | undefined;
  /** its reading of a chunk-size line (undefined: invalid) */
  chunkLine?: (line: string) => { size: number; last: boolean } | undefined;
  /** chunk-size lines and the CRLF after chunk data may be a bare LF */
  chunkLf?: boolean;
  /**
   * Where a chunked body ends, if not after the last-chunk and its trailer section: at the
   * last-chunk line itself; where a read ends between two chunks; at the first line in the bytes that
   * looks like a last-chunk followed by a trailer section (chunk sizes not followed).
   */
  chunkedEnd?: 'last-chunk-line' | 'read' | 'scan';
  /** the longest chunk line (size and extensions) it reads, instead of the strict parser's 4096 bytes */
  chunkLineLimit?: number;
}

/**
 * The bytes of a request as the client sent them, and whether the strict parser would have
 * stopped on its head or read its body otherwise: the part a proxy that forwards what it did
 * not understand "as received" sends that way.
 */
const RECEIVED = new WeakMap<
  HttpMessage,
  { head: Buffer; body: Buffer; laxHead: boolean; laxBody: boolean }
>();

/** Whether the strict parser, with the reference's refusals, would take these bytes as one request, with this body. */
function strictlyRead(bytes: Buffer, body?: Buffer): boolean {
  const p = new Parser({ kind: 'request' });
  p.push(bytes);
  const m = (p.messages[0] ?? p.partial) as HttpRequest | undefined;
  if (p.error || !m || m.clAndTe || m.notes.length > 0) return false;
  return (
    body === undefined || (p.messages.length === 1 && m.raw.length === bytes.length && m.body.equals(body))
  );
}

const CRLF = Buffer.from('\r\n');
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const BAD_VALUE_CHAR = /[\x00-\x08\x0a-\x1f\x7f]/;
const LINE_LIMIT = 4096;

/** The strict reading of Content-Length: digits only, every value the same. */
function strictLength(values: string[]): number | undefined {
  const all = values.flatMap((v) => v.split(',').map((x) => x.trim()));
  if (!all.every((v) => /^[0-9]+$/.test(v))) return undefined;
  const digits = new Set(all.map((v) => v.replace(/^0+(?=\d)/, '')));
  if (digits.size !== 1) return undefined;
  const [d] = [...digits];
  return d!.length > 15 ? undefined : Number(d);
}

/** The strict reading of a chunk-size line: hex digits, then valid extensions; no overflow. */
export function strictChunkLine(line: string): { size: number; last: boolean } | undefined {
  const m = /^([0-9A-Fa-f]+)(.*)$/.exec(line);
  if (!m) return undefined;
  const ext = m[2]!;
  if (ext && (!/^[ \t;]/.test(ext) || !isChunkExt(ext))) return undefined;
  const significant = m[1]!.replace(/^0+/, '');
  if (significant.length > 12) return undefined;
  const size = significant ? Number.parseInt(significant, 16) : 0;
  return { size, last: size === 0 };
}

/**
 * Reads requests as the reference's strict parser does, except for its one leniency; the
 * messages it completes carry the bytes they came in (RECEIVED). Only what DownstreamConnection
 * uses of a Parser is here.
 */
export class LaxReader {
  readonly messages: HttpMessage[] = [];
  error?: ParseError;
  private buf = Buffer.alloc(0);
  /** stream offset of buf[0] */
  private base = 0;
  /** the message whose header section is read: where it started and where its body starts */
  private current?: { msg: HttpRequest; start: number; bodyAt: number };
  private ended = false;

  constructor(
    private readonly lax: Leniency,
    private readonly onHead: (head: HttpMessage) => void,
  ) {}

  push(d: Buffer): void {
    if (this.error || this.ended) return;
    this.buf = Buffer.concat([this.buf, d]);
    try {
      while (this.step()) {}
    } catch (e) {
      if (!(e instanceof ParseError)) throw e;
      this.error = e;
    }
  }

  end(): void {
    if (this.error || this.ended) return;
    this.ended = true;
    if (this.current || this.buf.length > 0)
      this.error = new ParseError('incomplete', 'the connection ended inside a request', this.base);
  }

  private fail(code: ParseErrorCode, message: string): never {
    throw new ParseError(code, message, this.base);
  }

  /** One more complete message, if its bytes are all here. */
  private step(): boolean {
    if (!this.current) {
      let start = 0;
      while (this.buf.subarray(start, start + 2).equals(CRLF)) start += 2;
      const end = this.buf.indexOf('\r\n\r\n', start);
      if (end < 0) {
        if (this.buf.length > 65536) this.fail('header-too-large', 'header section longer than 64 KiB');
        return false;
      }
      const msg = this.readHead(this.buf.toString('latin1', start, end));
      this.current = { msg, start, bodyAt: end + 4 };
      const head = this.buf.subarray(start, end + 4);
      RECEIVED.set(msg, { head, body: Buffer.alloc(0), laxHead: !strictlyRead(head), laxBody: false });
      this.onHead(msg);
    }
    const { msg, start, bodyAt } = this.current;
    const body = this.readBody(msg, bodyAt);
    if (!body) return false;
    msg.body = body.data;
    msg.trailers.push(...body.trailers);
    msg.raw = this.buf.subarray(start, body.end);
    const received = RECEIVED.get(msg)!;
    received.body = this.buf.subarray(bodyAt, body.end);
    received.laxBody = !strictlyRead(msg.raw, msg.body);
    this.messages.push(msg);
    this.buf = this.buf.subarray(body.end);
    this.base += body.end;
    this.current = undefined;
    return true;
  }

  private readHead(text: string): HttpRequest {
    const [startLine, ...lines] = text.split('\r\n');
    const parts = startLine!.split(' ');
    if (parts.length !== 3 || !TOKEN.test(parts[0]!) || !parts[1] || !/^HTTP\/1\.[01]$/.test(parts[2]!))
      this.fail('bad-start-line', `malformed request line ${JSON.stringify(startLine!.slice(0, 80))}`);
    const headers: Header[] = [];
    for (const line of lines) {
      if (/^[ \t]/.test(line)) {
        if (this.lax.foldIgnored && headers.length > 0) continue;
        this.fail('obs-fold', 'obsolete line folding');
      }
      const colon = line.indexOf(':');
      if (colon <= 0) this.fail('bad-header-line', `field line without a colon: ${JSON.stringify(line)}`);
      const name = line.slice(0, colon);
      if (/[ \t]$/.test(name)) this.fail('ws-before-colon', `whitespace before the colon in ${name}`);
      if (!TOKEN.test(name)) this.fail('bad-header-line', `invalid field name ${JSON.stringify(name)}`);
      const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '');
      if (BAD_VALUE_CHAR.test(this.lax.lfInValue ? value.replace(/\n/g, '') : value))
        this.fail(value.includes('\n') ? 'bare-lf' : 'bad-field-value', `control character in ${name}`);
      headers.push({ name, value });
    }
    return {
      kind: 'request',
      method: parts[0]!,
      target: parts[1]!,
      version: parts[2]!,
      headers,
      trailers: [],
      body: Buffer.alloc(0),
      chunks: [],
      framing: this.framingOf(headers),
      raw: Buffer.alloc(0),
      leadingEmptyLines: 0,
      notes: [],
      clAndTe: false,
    };
  }

  private framingOf(headers: Header[]): Framing {
    const named = (n: string) => headers.filter((h) => h.name.toLowerCase() === n).map((h) => h.value);
    const te = named('transfer-encoding')
      .flatMap((v) => v.split(','))
      .map((v) => v.trim())
      .filter(Boolean);
    const cl = named('content-length');
    const chunked = te.length === 1 && te[0]!.toLowerCase() === 'chunked';
    if (te.length > 0 && !chunked && !this.lax.unknownCodingIgnored)
      this.fail('unsupported-transfer-coding', `Transfer-Encoding ${te.join(', ')} is not supported`);
    const length = () => {
      const n = (this.lax.contentLength ?? strictLength)(cl);
      if (n === undefined) this.fail('invalid-content-length', `invalid Content-Length ${cl.join(' and ')}`);
      return { kind: 'content-length' as const, length: n };
    };
    if (chunked && cl.length > 0) {
      if (!this.lax.lengthOverChunked)
        this.fail('invalid-content-length', 'Content-Length and Transfer-Encoding together');
      return length();
    }
    if (chunked) return { kind: 'chunked' };
    if (cl.length > 0) return length();
    return { kind: 'none', reason: 'no Content-Length or Transfer-Encoding' };
  }

  /** The body, where it ends and its trailers, once all its bytes are here. */
  private readBody(
    msg: HttpRequest,
    at: number,
  ): { end: number; data: Buffer; trailers: Header[] } | undefined {
    const f = msg.framing;
    if (f.kind === 'content-length')
      return this.buf.length - at >= f.length
        ? { end: at + f.length, data: this.buf.subarray(at, at + f.length), trailers: [] }
        : undefined;
    if (f.kind !== 'chunked') return { end: at, data: Buffer.alloc(0), trailers: [] };
    if (this.lax.chunkedEnd === 'scan') return this.scanChunked(at);
    const parts: Buffer[] = [];
    const done = (end: number, trailers: Header[] = []) => ({ end, data: Buffer.concat(parts), trailers });
    for (let pos = at; ; ) {
      // A read that ends between two chunks ends the body, for a reader that goes by reads.
      if (this.lax.chunkedEnd === 'read' && parts.length > 0 && pos === this.buf.length) return done(pos);
      const line = this.line(pos);
      if (!line) return undefined;
      const c = (this.lax.chunkLine ?? strictChunkLine)(line.text);
      if (!c)
        this.fail('bad-chunk-size', `invalid chunk-size line ${JSON.stringify(line.text.slice(0, 40))}`);
      pos = line.next;
      if (c.last) {
        if (this.lax.chunkedEnd === 'last-chunk-line') return done(pos);
        const trailers: Header[] = [];
        for (;;) {
          const t = this.line(pos);
          if (!t) return undefined;
          pos = t.next;
          if (t.text === '') return done(pos, trailers);
          const colon = t.text.indexOf(':');
          if (colon <= 0 || !TOKEN.test(t.text.slice(0, colon)))
            this.fail('bad-header-line', `invalid trailer line ${JSON.stringify(t.text.slice(0, 40))}`);
          trailers.push({ name: t.text.slice(0, colon), value: t.text.slice(colon + 1).trim() });
        }
      }
      if (this.buf.length - pos < c.size) return undefined;
      parts.push(this.buf.subarray(pos, pos + c.size));
      pos += c.size;
      if (this.buf.length - pos < 1) return undefined;
      if (this.lax.chunkLf && this.buf[pos] === 0x0a) {
        pos += 1;
        continue;
      }
      if (this.buf[pos] !== 0x0d) this.fail('missing-chunk-crlf', 'no CRLF after chunk data');
      if (this.buf.length - pos < 2) return undefined;
      if (this.buf[pos + 1] !== 0x0a) this.fail('missing-chunk-crlf', 'no CRLF after chunk data');
      pos += 2;
    }
  }

  /** A line of the chunked framing (CRLF, or a bare LF where allowed), or undefined: not all here yet. */
  private line(pos: number): { text: string; next: number } | undefined {
    const lf = this.buf.indexOf(0x0a, pos);
    const limit = this.lax.chunkLineLimit ?? LINE_LIMIT;
    if ((lf < 0 ? this.buf.length : lf) - pos > limit)
      this.fail('chunk-ext-too-long', `chunk line longer than ${limit} bytes`);
    if (lf < 0) return undefined;
    const cr = lf > pos && this.buf[lf - 1] === 0x0d;
    if (!cr && !this.lax.chunkLf) this.fail('bare-lf', 'bare LF ending a line of the chunked framing');
    const text = this.buf.toString('latin1', pos, cr ? lf - 1 : lf);
    if (text.includes('\r')) this.fail('bare-cr', 'bare CR in a line of the chunked framing');
    return { text, next: lf + 1 };
  }

  /**
   * The naive reading: the body ends at the first line that looks like a last-chunk and the end of
   * a trailer section; the chunks before it are decoded up to there, the last one cut short if need be.
   */
  private scanChunked(at: number): { end: number; data: Buffer; trailers: Header[] } | undefined {
    const text = this.buf.toString('latin1', at);
    const m = /(?:^|\n)(0+(?:;[^\r\n]*)?\r\n(?:[^\r\n]+\r\n)*\r\n)/.exec(text);
    if (!m) return undefined;
    const last = at + m.index + m[0].length - m[1]!.length;
    const parts: Buffer[] = [];
    for (let pos = at; pos < last; ) {
      const line = this.line(pos);
      if (!line) break;
      const c = strictChunkLine(line.text);
      if (!c)
        this.fail('bad-chunk-size', `invalid chunk-size line ${JSON.stringify(line.text.slice(0, 40))}`);
      parts.push(this.buf.subarray(line.next, Math.min(line.next + c.size, last)));
      pos = line.next + c.size + 2;
    }
    return { end: at + m.index + m[0].length, data: Buffer.concat(parts), trailers: [] };
  }
}

/**
 * The reference proxy with a LaxReader: it forwards what the reader made of each request,
 * framed again ('reframed', the reference's way); or ('raw') what the strict parser would not
 * have read so exactly as received (the head, the body), and everything else framed again.
 */
export function laxProxy(lax: Leniency, forward: 'raw' | 'reframed'): ConnectionClass {
  return class extends DownstreamConnection {
    protected override requestParser(onHead: (head: HttpMessage) => void): Parser {
      return new LaxReader(lax, onHead) as unknown as Parser;
    }

    // The reader already refused what it cannot read: what it read goes on.
    protected override refuse(): undefined {
      return undefined;
    }

    protected override requestHead(req: HttpRequest): Buffer {
      const r = RECEIVED.get(req)!;
      return forward === 'raw' && r.laxHead ? r.head : super.requestHead(req);
    }

    protected override requestBody(req: HttpRequest): Buffer {
      const r = RECEIVED.get(req)!;
      return forward === 'raw' && (r.laxHead || r.laxBody) ? r.body : super.requestBody(req);
    }
  };
}

// ---- lenient number readings ---------------------------------------------------------------

/**
 * strtol(value, 0)-style: optional sign, 0x for hex, digits up to the first other character. Its
 * only leniency is the number: several values must still agree (differing ones: framing-desync.ts).
 */
function strtolLength(values: string[]): number | undefined {
  const read = values.map((v) => {
    const m = /^\s*\+?(?:0x([0-9a-f]+)|([0-9]+))/i.exec(v);
    return m && (m[1] !== undefined ? Number.parseInt(m[1], 16) : Number(m[2]));
  });
  const [n] = read;
  return n != null && read.every((x) => x === n) ? n : undefined;
}

/** strtoul(line, 16)-style chunk size: an optional 0x, hex digits, the rest ignored. */
function strtolChunkLine(line: string): { size: number; last: boolean } | undefined {
  const m = /^\s*(?:0x)?([0-9a-f]+)/i.exec(line);
  if (!m) return undefined;
  const size = Number.parseInt(m[1]!, 16);
  return { size, last: size === 0 };
}

/** A chunk size kept in an unsigned 64-bit integer: larger values wrap around. */
function wrappingChunkLine(line: string): { size: number; last: boolean } | undefined {
  const m = /^([0-9A-Fa-f]+)(.*)$/.exec(line);
  if (!m || (m[2] && !isChunkExt(m[2]))) return undefined;
  const size = Number(BigInt(`0x${m[1]}`) & 0xffff_ffff_ffff_ffffn);
  return { size, last: size === 0 };
}

export const smugglingFaults: FaultyProxy[] = [
  {
    name: 'proxy-smuggle-cl-over-te',
    // CL over TE is the CL.TE desync itself, whatever the spelling of the chunked coding.
    breaks: ['proxy-smug-te-tab', 'proxy-smug-cl-te'],
    description:
      'frames a request that has Content-Length and Transfer-Encoding by its Content-Length, and forwards the header section as received',
    connection: laxProxy({ lengthOverChunked: true }, 'raw'),
  },
  {
    name: 'proxy-cl-lenient-number',
    breaks: ['proxy-smug-cl-plus', 'proxy-smug-cl-two-numbers', 'proxy-smug-cl-hex'],
    description:
      'reads Content-Length as strtol does (a sign, 0x hex, digits up to the first other character), and forwards the request framed by that',
    connection: laxProxy({ contentLength: strtolLength }, 'reframed'),
  },
  {
    name: 'proxy-te-unknown-ignored',
    breaks: ['proxy-smug-te-chunked-identity', 'proxy-smug-te-two-lines', 'proxy-smug-te-xchunked'],
    description:
      'passes over a Transfer-Encoding other than plain chunked, frames the request by its Content-Length, and forwards the header section as received',
    connection: laxProxy({ unknownCodingIgnored: true }, 'raw'),
  },
  {
    name: 'proxy-folded-te-first-line',
    // Both obs-fold scenarios (PXSMUG-04): the folded field reaches the origin folded.
    breaks: ['proxy-smug-te-obs-fold', 'proxy-smug-obs-fold'],
    description:
      'reads only the first line of a folded field (obs-fold) instead of rejecting or unfolding it, and forwards the header section as received',
    connection: laxProxy({ foldIgnored: true }, 'raw'),
  },
  {
    name: 'proxy-forwards-bare-lf',
    breaks: ['proxy-smug-bare-lf-head'],
    description:
      'keeps a bare LF inside a field value (lines end at CRLF only) instead of rejecting it or replacing it with SP, and forwards the header section as received',
    connection: laxProxy({ lfInValue: true }, 'raw'),
  },
  {
    name: 'proxy-chunk-size-strtol',
    breaks: ['proxy-smug-chunk-size-0x'],
    description:
      'reads chunk sizes as strtoul(16) does (a 0x prefix accepted), and forwards the body as received',
    connection: laxProxy({ chunkLine: strtolChunkLine }, 'raw'),
  },
  {
    name: 'proxy-chunk-size-wraps',
    breaks: ['proxy-smug-chunk-size-overflow'],
    description: 'keeps chunk sizes in 64 bits, so a larger size wraps around to a small one',
    connection: laxProxy({ chunkLine: wrappingChunkLine }, 'reframed'),
  },
  {
    name: 'proxy-chunk-bare-lf',
    breaks: ['proxy-smug-chunk-lf'],
    description: 'accepts bare LF line ends in the chunked framing, and forwards the body as received',
    connection: laxProxy({ chunkLf: true }, 'raw'),
  },
];
