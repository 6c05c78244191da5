// Faulty servers for the `framing` area: each one frames requests by a rule the
// RFC forbids. They share one mechanism, RewritingConnection: the bytes of each
// request head are rewritten (or rejected, or held) the way the faulty server
// would read them, before the reference's own strict parser sees them. Bodies
// pass through unchanged and the strict parser still frames them, so everything
// else (timers, 100-continue, errors, lingering close) stays the reference's.

import { fieldValue, type HttpRequest, ParseError, Parser } from '../../../harness/wire/parse.js';
import { ReferenceConnection, type ResponsePlan } from '../../servers/reference.js';
import type { FaultyServer } from './types.js';

/** How a faulty server reads one request head. */
type Rewrite =
  /** give the strict parser these head bytes instead */
  | { head: string }
  /** answer 400 and close, as for a parse error */
  | { error: ParseError }
  /** the request has a body up to the client's EOF: hold everything until then */
  | { untilEof: string };

interface Head {
  /** empty lines before the request line, as received */
  lead: string;
  line: string;
  fields: string[];
}

const CRLF2 = Buffer.from('\r\n\r\n');
const MAX_HEAD = 64 * 1024;

function splitHead(text: string): Head {
  let i = 0;
  while (text.startsWith('\r\n', i)) i += 2;
  const lines = text.slice(i).split('\r\n');
  lines.length -= 2; // the head ends with CRLF CRLF
  return { lead: text.slice(0, i), line: lines[0] ?? '', fields: lines.slice(1) };
}

function joinHead(h: Head): string {
  return `${h.lead}${[h.line, ...h.fields].map((l) => `${l}\r\n`).join('')}\r\n`;
}

/** Lower-case field name exactly as sent, '' for a line without a colon. */
function nameOf(field: string): string {
  const colon = field.indexOf(':');
  return colon < 0 ? '' : field.slice(0, colon).toLowerCase();
}

function fieldText(field: string): string {
  return field.slice(field.indexOf(':') + 1).trim();
}

const isCl = (f: string) => nameOf(f) === 'content-length';
const isTe = (f: string) => nameOf(f) === 'transfer-encoding';
const isFraming = (f: string) => isCl(f) || isTe(f);
const methodOf = (h: Head) => h.line.split(' ')[0] ?? '';

/** The reference server, except that each request head is first read the faulty way. */
abstract class RewritingConnection extends ReferenceConnection {
  private pending: Buffer = Buffer.alloc(0);
  /** a throwaway strict parser that finds where the current message's body ends */
  private measure?: Parser;
  private headLength = 0;
  /** after anything this layer cannot follow, the strict parser alone reads the rest */
  private passThrough = false;
  /** after a rejection nothing more is read */
  private dead = false;
  private eofHead?: string;

  /** The faulty reading of one request head (leading CRLFs included); undefined keeps it. */
  protected abstract rewrite(head: string): Rewrite | undefined;

  protected override feed(chunk: Buffer): void {
    if (this.dead) return;
    if (this.passThrough) {
      super.feed(chunk);
      return;
    }
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    this.measure?.push(chunk);
    if (this.eofHead === undefined) this.pump();
  }

  private pump(): void {
    for (;;) {
      if (this.measure) {
        // The body goes to the strict parser whole, up to the end of the message and never past it.
        const msg = this.measure.messages[0];
        if (!msg) {
          if (this.measure.error) this.giveUp();
          return;
        }
        const n = msg.raw.length + 2 * msg.leadingEmptyLines - this.headLength;
        this.measure = undefined;
        const body = this.pending.subarray(0, n);
        this.pending = this.pending.subarray(n);
        this.forward(body);
        if (this.parser.error || !this.parser.idle) {
          this.giveUp();
          return;
        }
      }
      if (this.pending.length === 0) return;
      let start = 0;
      while (this.pending[start] === 0x0d && this.pending[start + 1] === 0x0a) start += 2;
      const end = this.pending.indexOf(CRLF2, start);
      const scanTo = end < 0 ? this.pending.length : end;
      const bareLf = this.pending.subarray(0, scanTo).some((c, i, b) => c === 0x0a && b[i - 1] !== 0x0d);
      if (bareLf || (end < 0 && this.pending.length > MAX_HEAD)) {
        this.giveUp();
        return;
      }
      if (end < 0) return;
      const head = this.pending.subarray(0, end + 4).toString('latin1');
      this.pending = this.pending.subarray(end + 4);
      const r = this.rewrite(head) ?? { head };
      if ('error' in r) {
        this.queue.push({ kind: 'error', error: r.error });
        this.dead = true;
        this.pending = Buffer.alloc(0);
        return;
      }
      if ('untilEof' in r) {
        this.eofHead = r.untilEof;
        return;
      }
      const headBytes = Buffer.from(r.head, 'latin1');
      this.forward(headBytes);
      if (this.parser.error) {
        this.giveUp();
        return;
      }
      if (this.parser.idle) continue;
      this.measure = new Parser({ kind: 'request' });
      this.headLength = headBytes.length;
      this.measure.push(headBytes);
      if (this.pending.length > 0) this.measure.push(this.pending);
    }
  }

  private forward(bytes: Buffer): void {
    super.feed(bytes);
  }

  private giveUp(): void {
    this.passThrough = true;
    this.measure = undefined;
    const rest = this.pending;
    this.pending = Buffer.alloc(0);
    if (rest.length) super.feed(rest);
  }

  protected override onClientEnd(): void {
    if (this.eofHead !== undefined && !this.closing) {
      // A close-delimited request body: it ends here.
      const body = this.pending;
      const h = splitHead(this.eofHead);
      h.fields = [...h.fields.filter((f) => !isFraming(f)), `Content-Length: ${body.length}`];
      this.eofHead = undefined;
      this.pending = Buffer.alloc(0);
      this.passThrough = true;
      super.feed(Buffer.concat([Buffer.from(joinHead(h), 'latin1'), body]));
    } else if (this.pending.length > 0 && !this.passThrough) {
      this.giveUp();
    }
    super.onClientEnd();
  }

  protected override onIdleTimeout(): void {
    // Bytes held back here are a request in progress, not an idle connection.
    if (this.pending.length > 0 || this.eofHead !== undefined) this.onRequestTimeout();
    else super.onIdleTimeout();
  }
}

/** Reads the head with the strict parser, without its framing fields: what a handler would see. */
function headOnly(h: Head): HttpRequest | undefined {
  const p = new Parser({ kind: 'request' });
  p.push(Buffer.from(joinHead({ ...h, lead: '', fields: h.fields.filter((f) => !isFraming(f)) }), 'latin1'));
  return p.messages[0] as HttpRequest | undefined;
}

/** Answers error statuses straight from the head and leaves the request body unread. */
class SkipBodyOnError extends RewritingConnection {
  protected rewrite(text: string): Rewrite | undefined {
    const h = splitHead(text);
    if (!h.fields.some(isFraming)) return undefined;
    const req = headOnly(h);
    if (!req || this.handle(req).status < 400) return undefined;
    return { head: joinHead({ ...h, fields: h.fields.filter((f) => !isFraming(f)) }) };
  }
}

/** Decides from the method whether there is a body: GET and HEAD never have one. */
class BodyByMethod extends RewritingConnection {
  protected rewrite(text: string): Rewrite | undefined {
    const h = splitHead(text);
    if (!['GET', 'HEAD'].includes(methodOf(h))) return undefined;
    return { head: joinHead({ ...h, fields: h.fields.filter((f) => !isFraming(f)) }) };
  }
}

const UNREAD = 'x-faulty-unread-body';

/** Refuses a Content-Length over 16 KiB with 413 at once, leaves the body unread, and keeps the connection. */
class LargeBodyUnread extends RewritingConnection {
  protected rewrite(text: string): Rewrite | undefined {
    const h = splitHead(text);
    const cl = h.fields.find(isCl);
    const v = cl === undefined ? '' : fieldText(cl);
    if (h.fields.some(isTe) || !/^\d{5,15}$/.test(v) || Number(v) <= 16 * 1024) return undefined;
    return { head: joinHead({ ...h, fields: h.fields.map((f) => (isCl(f) ? `${UNREAD}: 1` : f)) }) };
  }
  protected override handle(req: HttpRequest): ResponsePlan {
    if (fieldValue(req.headers, UNREAD) === undefined) return super.handle(req);
    return {
      status: 413,
      headers: [['Content-Type', 'text/plain']],
      body: Buffer.from('request body too large\n'),
    };
  }
}

/** Takes a POST without Content-Length or Transfer-Encoding to have a body that ends at EOF. */
class PostWaitsForBody extends RewritingConnection {
  protected rewrite(text: string): Rewrite | undefined {
    const h = splitHead(text);
    // Any framing field, even a malformed one, is left to the strict parser.
    if (methodOf(h) !== 'POST' || h.fields.some((f) => /^(content-length|transfer-encoding)\s*:/i.test(f)))
      return undefined;
    return { untilEof: text };
  }
}

/** Frames a request with both Content-Length and Transfer-Encoding by its Content-Length, and keeps the connection. */
class ContentLengthWins extends RewritingConnection {
  protected rewrite(text: string): Rewrite | undefined {
    const h = splitHead(text);
    if (!h.fields.some(isCl) || !h.fields.some(isTe)) return undefined;
    return { head: joinHead({ ...h, fields: h.fields.filter((f) => !isTe(f)) }) };
  }
}

/** Decodes a request with Content-Length and Transfer-Encoding by its chunked coding, but keeps the connection. */
class KeepAfterClAndTe extends ReferenceConnection {
  protected override shouldClose(req: HttpRequest, plan: ResponsePlan): boolean {
    return super.shouldClose({ ...req, clAndTe: false }, plan);
  }
}

/** Replaces the Content-Length fields by one length computed from their values. */
abstract class ContentLengthReader extends RewritingConnection {
  protected abstract length(values: string[]): number | undefined;
  protected rewrite(text: string): Rewrite | undefined {
    const h = splitHead(text);
    if (h.fields.some(isTe) || !h.fields.some(isCl)) return undefined;
    const n = this.length(h.fields.filter(isCl).map(fieldText));
    const fields = h.fields.filter((f) => !isCl(f));
    if (n !== undefined) fields.push(`Content-Length: ${n}`);
    return { head: joinHead({ ...h, fields }) };
  }
}

/** parseInt leniency: the first value wins, signs, trailing junk and '0x' are read as far as they go. */
class ParseIntContentLength extends ContentLengthReader {
  protected length(values: string[]): number | undefined {
    const n = Number.parseInt(values[0] ?? '', 10);
    return Number.isNaN(n) ? undefined : Math.max(0, n);
  }
}

/** Keeps the digits of all Content-Length values together: '5, 5' is 55. */
class DigitsOnlyContentLength extends ContentLengthReader {
  protected length(values: string[]): number | undefined {
    const digits = values.join(', ').replace(/\D/g, '');
    return digits ? Number(digits.slice(0, 15)) : 0;
  }
}

/** Converts Content-Length into an unsigned 64-bit integer that wraps around. */
class WrappingContentLength extends RewritingConnection {
  protected rewrite(text: string): Rewrite | undefined {
    const h = splitHead(text);
    const cl = h.fields.filter(isCl).map(fieldText);
    if (h.fields.some(isTe) || cl.length !== 1 || !/^\d+$/.test(cl[0]!)) return undefined;
    const n = BigInt(cl[0]!) % 2n ** 64n;
    // A wrapped length too large to arrive: the server waits for it.
    if (n > 10n ** 15n) return { untilEof: text };
    return {
      head: joinHead({ ...h, fields: [...h.fields.filter((f) => !isCl(f)), `Content-Length: ${n}`] }),
    };
  }
}

/** Accumulates the Content-Length digits in a signed 32-bit integer that wraps; a negative result means no body. */
class Int32ContentLength extends RewritingConnection {
  protected rewrite(text: string): Rewrite | undefined {
    const h = splitHead(text);
    const cl = h.fields.filter(isCl).map(fieldText);
    if (h.fields.some(isTe) || cl.length !== 1 || !/^\d+$/.test(cl[0]!)) return undefined;
    let n = 0;
    for (const d of cl[0]!) n = (n * 10 + Number(d)) | 0;
    const fields = h.fields.filter((f) => !isCl(f));
    if (n > 0) fields.push(`Content-Length: ${n}`);
    return { head: joinHead({ ...h, fields }) };
  }
}

/** Removes whitespace between a field name and its colon instead of rejecting the message. */
class TrimBeforeColon extends RewritingConnection {
  protected rewrite(text: string): Rewrite | undefined {
    const h = splitHead(text);
    const fields = h.fields.map((f) => f.replace(/^([^:\s]+)[ \t]+:/, '$1:'));
    return { head: joinHead({ ...h, fields }) };
  }
}

/** Reads a folded framing field only up to the fold: an empty value means the field is absent. */
class HalfFold extends RewritingConnection {
  protected rewrite(text: string): Rewrite | undefined {
    const h = splitHead(text);
    const folded = (i: number) => /^[ \t]/.test(h.fields[i + 1] ?? '');
    const fields: string[] = [];
    let dropping = false;
    for (const [i, f] of h.fields.entries()) {
      if (/^[ \t]/.test(f) && dropping) continue;
      dropping = isFraming(f) && fieldText(f) === '' && folded(i);
      if (!dropping) fields.push(f);
    }
    return { head: joinHead({ ...h, fields }) };
  }
}

/** Resynchronises instead of rejecting: extra request-line tokens and lines without a colon are skipped, a bare CR ends a line. */
class Resynchronise extends RewritingConnection {
  protected rewrite(text: string): Rewrite | undefined {
    const h = splitHead(text);
    const line = h.line.split(' ').slice(0, 3).join(' ');
    // Lines without a colon go, except obs-fold continuations, which the strict parser still rejects.
    const fields = h.fields.flatMap((f) => f.split('\r')).filter((f) => f.includes(':') || /^[ \t]/.test(f));
    return { head: joinHead({ ...h, line, fields }) };
  }
}

/** Rejects an empty line before the request line as a malformed request. */
class RejectLeadingCrlf extends RewritingConnection {
  protected rewrite(text: string): Rewrite | undefined {
    if (!text.startsWith('\r\n')) return undefined;
    return { error: new ParseError('bad-start-line', 'empty line before the request line', 0) };
  }
}

const INVALID_CL = ['abc', 'negative', 'plus', 'hex', 'space', 'decimal', 'empty', 'two-lines', 'list'].map(
  (v) => `frame-cl-invalid-${v}`,
);

export const framingFaults: FaultyServer[] = [
  {
    name: 'skip-body-on-error',
    breaks: ['frame-unread-body-404', 'frame-unread-body-chunked'],
    description: 'answers 4xx/5xx from the request head and leaves the body unread on the connection',
    connection: SkipBodyOnError,
  },
  {
    name: 'body-by-method',
    breaks: ['frame-unread-body-get'],
    description: 'ignores Content-Length and Transfer-Encoding on GET and HEAD requests',
    connection: BodyByMethod,
  },
  {
    name: 'large-body-unread',
    breaks: ['frame-unread-body-large'],
    description: 'answers 413 to a body over 16 KiB without reading it, and keeps the connection',
    connection: LargeBodyUnread,
  },
  {
    name: 'post-waits-for-body',
    breaks: ['frame-post-no-length'],
    description: 'reads the body of a POST without Content-Length or Transfer-Encoding up to EOF',
    connection: PostWaitsForBody,
  },
  {
    name: 'content-length-wins',
    breaks: ['frame-cl-te', 'frame-te-cl', 'frame-cl-te-chunked-twice'],
    description: 'frames a request with Content-Length and Transfer-Encoding by its Content-Length',
    connection: ContentLengthWins,
  },
  {
    name: 'keep-after-cl-te',
    breaks: ['frame-cl-te', 'frame-te-cl'],
    description:
      'decodes a request with Content-Length and Transfer-Encoding as chunked, but keeps the connection',
    connection: KeepAfterClAndTe,
  },
  {
    name: 'parseint-content-length',
    breaks: INVALID_CL,
    description: 'reads Content-Length with parseInt: the first value wins, "+5", "5abc" and "0x10" pass',
    connection: ParseIntContentLength,
  },
  {
    name: 'digits-only-content-length',
    breaks: [...INVALID_CL, 'frame-cl-identical-list', 'frame-cl-identical-lines'],
    description: 'keeps only the digits of all Content-Length values, so "5, 5" reads as 55',
    connection: DigitsOnlyContentLength,
  },
  {
    name: 'wrapping-content-length',
    // 99999999999999999999999 wraps to 200376420520689663: the server waits, which shows no wrap.
    breaks: ['frame-cl-huge-2pow64'],
    description: 'stores Content-Length in an unsigned 64-bit integer that wraps around',
    connection: WrappingContentLength,
  },
  {
    name: 'int32-content-length',
    breaks: ['frame-cl-huge-2pow64', 'frame-cl-huge-23-digits'],
    description:
      'accumulates Content-Length digits in a signed 32-bit integer that wraps around; a negative result means no body',
    connection: Int32ContentLength,
  },
  {
    name: 'trim-before-colon',
    breaks: ['frame-ws-colon-cl', 'frame-ws-colon-te', 'frame-ws-colon-get'],
    description: 'removes whitespace between a field name and the colon instead of answering 400',
    connection: TrimBeforeColon,
  },
  {
    name: 'half-fold',
    breaks: ['frame-fold-te', 'frame-fold-cl'],
    description: 'takes a framing field folded onto the next line as empty, and so as absent',
    connection: HalfFold,
  },
  {
    name: 'resynchronise',
    breaks: ['frame-malformed-request-line', 'frame-malformed-no-colon', 'frame-malformed-bare-cr'],
    description:
      'skips malformed parts of a request (extra tokens, lines without a colon) and ends lines at a bare CR',
    connection: Resynchronise,
  },
  {
    name: 'reject-leading-crlf',
    breaks: ['frame-leading-crlf', 'frame-crlf-after-body'],
    description: 'answers 400 to an empty line before a request line',
    connection: RejectLeadingCrlf,
  },
];
