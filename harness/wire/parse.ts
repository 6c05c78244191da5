// Incremental, strict HTTP/1.x message parser for requests and responses.
//
// Judging others' framing is the product, so this parser never guesses: every
// message is framed by its start line and header fields (RFC 9112 §6.3), never
// by read boundaries. Deviations a recipient may repair are repaired and noted
// (`lenient`); everything else stops the parser with a precise ParseError.

export interface Header {
  name: string;
  value: string;
}

export type Framing =
  | { kind: 'none'; reason: string }
  | { kind: 'content-length'; length: number }
  | { kind: 'chunked' }
  | { kind: 'close-delimited'; reason: string };

export interface ChunkInfo {
  size: number;
  /** the raw chunk-ext text after the size, '' when absent */
  ext: string;
}

interface MessageBase {
  version: string;
  headers: Header[];
  trailers: Header[];
  body: Buffer;
  chunks: ChunkInfo[];
  framing: Framing;
  /** the exact bytes of the message, from its start line to its last byte */
  raw: Buffer;
  /** empty lines skipped before the start line */
  leadingEmptyLines: number;
  /** deviations that were tolerated and repaired (lenient mode) or that the caller should judge */
  notes: string[];
  /** true when the header section mixes Content-Length and Transfer-Encoding */
  clAndTe: boolean;
}

export interface HttpRequest extends MessageBase {
  kind: 'request';
  method: string;
  target: string;
}

export interface HttpResponse extends MessageBase {
  kind: 'response';
  status: number;
  reason: string;
  /** the method of the request this response answers, as the parser assumed it */
  requestMethod: string;
  /** 1xx responses are interim: they do not answer the request */
  interim: boolean;
}

export type HttpMessage = HttpRequest | HttpResponse;

export type ParseErrorCode =
  | 'bad-start-line'
  | 'unsupported-version'
  | 'bad-header-line'
  | 'ws-before-colon'
  | 'obs-fold'
  | 'bare-cr'
  | 'bare-lf'
  | 'bad-field-value'
  | 'header-too-large'
  | 'invalid-content-length'
  | 'content-length-overflow'
  | 'unsupported-transfer-coding'
  | 'chunked-not-final'
  | 'chunked-params'
  | 'chunked-twice'
  | 'bad-chunk-size'
  | 'chunk-size-overflow'
  | 'bad-chunk-ext'
  | 'chunk-ext-too-long'
  | 'missing-chunk-crlf'
  | 'incomplete';

export class ParseError extends Error {
  constructor(
    readonly code: ParseErrorCode,
    message: string,
    /** offset in the connection's byte stream where the problem was found */
    readonly offset: number,
  ) {
    super(message);
    this.name = 'ParseError';
  }
}

export interface ParserOptions {
  kind: 'request' | 'response';
  /** repair what RFC 9112 lets a recipient repair (bare LF, obs-fold, space before colon, bare CR) and note it */
  lenient?: boolean;
  /** the longest header section (start line included); default 64 KiB */
  maxHeaderBytes?: number;
  /** the longest chunk-size line; default 4 KiB strict, 1 MiB lenient */
  maxChunkLineBytes?: number;
  /** called when a message's header section is complete, before its body (100-continue) */
  onHead?: (head: HttpMessage) => void;
  /**
   * Requests: stop after a request that offers an upgrade (Upgrade named in Connection), until
   * the server decides: resume() parses on as HTTP (declined), takeRest() hands the bytes
   * behind the request to the new protocol (101).
   */
  holdUpgrades?: boolean;
}

type State =
  | 'start'
  | 'headers'
  | 'body-length'
  | 'body-eof'
  | 'chunk-size'
  | 'chunk-data'
  | 'chunk-crlf'
  | 'trailers'
  | 'upgraded'
  | 'failed';

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const VERSION = /^HTTP\/(\d)\.(\d)$/;
const DIGITS = /^[0-9]+$/;
const HEX = /^[0-9A-Fa-f]+$/;
// Field values may hold VCHAR, obs-text, SP and HTAB only.
const BAD_VALUE_CHAR = /[\x00-\x08\x0a-\x1f\x7f]/;
const MAX_SAFE_DIGITS = 15;
const STRICT_STATUS = /^(HTTP\/\d\.\d) (\d{3})(?: (.*))?$/;
// A status line missing the SP before an empty reason, or with extra spaces (repaired when lenient).
const LOOSE_STATUS = /^(HTTP\/\d\.\d) +(\d{3})(?![0-9])\s*(.*)$/;

/** Values of every field with this name, in order, each list element trimmed. */
export function fieldValues(headers: Header[], name: string): string[] {
  const lower = name.toLowerCase();
  const out: string[] = [];
  for (const h of headers) {
    if (h.name.toLowerCase() !== lower) continue;
    for (const part of h.value.split(',')) {
      const v = part.trim();
      if (v) out.push(v);
    }
  }
  return out;
}

/** The first value of a field, untrimmed of list structure, or undefined. */
export function fieldValue(headers: Header[], name: string): string | undefined {
  const lower = name.toLowerCase();
  return headers.find((h) => h.name.toLowerCase() === lower)?.value;
}

export function hasField(headers: Header[], name: string): boolean {
  return fieldValue(headers, name) !== undefined;
}

/** The message offers an upgrade: Upgrade present and named in Connection (RFC 9110 §7.8). */
export function offersUpgrade(headers: Header[]): boolean {
  return fieldValues(headers, 'upgrade').length > 0 && connectionOptions(headers).has('upgrade');
}

/** Connection options, lower-cased (RFC 9110 §7.6.1: case-insensitive tokens in a list, on any number of lines). */
export function connectionOptions(headers: Header[]): Set<string> {
  return new Set(fieldValues(headers, 'connection').map((v) => v.toLowerCase()));
}

interface Builder {
  start: number;
  rawParts: Buffer[];
  leadingEmptyLines: number;
  headBytes: number;
  startLine?: string;
  /** the start line's parts: version, then method/status, then target/reason */
  start1?: { version: string; a: string; b: string };
  headers: Header[];
  trailers: Header[];
  bodyParts: Buffer[];
  chunks: ChunkInfo[];
  notes: string[];
  remaining: number;
  msg?: HttpMessage;
}

const newBuilder = (start: number): Builder => ({
  start,
  rawParts: [],
  leadingEmptyLines: 0,
  headBytes: 0,
  headers: [],
  trailers: [],
  bodyParts: [],
  chunks: [],
  notes: [],
  remaining: 0,
});

export class Parser {
  readonly kind: 'request' | 'response';
  /** complete messages not yet taken by the caller */
  readonly messages: HttpMessage[] = [];
  error?: ParseError;
  private readonly lenient: boolean;
  private readonly maxHeaderBytes: number;
  private readonly maxChunkLine: number;
  private readonly onHead?: (head: HttpMessage) => void;
  private readonly holdUpgrades: boolean;
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  /** stream offset of buf[0] */
  private base = 0;
  private state: State = 'start';
  private b: Builder = newBuilder(0);
  private readonly methods: string[] = [];
  private ended = false;

  constructor(opts: ParserOptions) {
    this.kind = opts.kind;
    this.lenient = opts.lenient ?? false;
    this.maxHeaderBytes = opts.maxHeaderBytes ?? 64 * 1024;
    this.maxChunkLine = opts.maxChunkLineBytes ?? (this.lenient ? 1024 * 1024 : 4096);
    this.onHead = opts.onHead;
    this.holdUpgrades = opts.holdUpgrades ?? false;
  }

  /** After a held upgrade offer that the server declined: go on parsing HTTP. */
  resume(): void {
    if (this.state !== 'upgraded' || this.kind !== 'request') return;
    this.state = 'start';
    // The peer may have finished sending while the offer was held: parse what came, then the end.
    const ended = this.ended;
    this.ended = false;
    this.push(Buffer.alloc(0), true);
    if (ended) this.end();
  }

  /** After a 101 (or a held offer): the bytes received behind it, which belong to the new protocol. */
  takeRest(): Buffer {
    const rest = Buffer.from(this.buf.subarray(this.pos));
    this.base += this.buf.length;
    this.buf = Buffer.alloc(0);
    this.pos = 0;
    return rest;
  }

  /** Response parsing: the method of the next request sent, so HEAD responses are framed right. */
  expectResponseTo(method: string): void {
    this.methods.push(method.toUpperCase());
  }

  /** Bytes received but not yet part of a complete message. */
  get pendingBytes(): number {
    return (
      this.buf.length -
      this.pos +
      (this.state === 'start' ? 0 : this.b.rawParts.reduce((n, p) => n + p.length, 0))
    );
  }

  /** The message whose header section is complete but not its body (also once an end cut it short). */
  get partial(): HttpMessage | undefined {
    return this.b.msg;
  }

  /** True between messages: nothing of a next message has arrived yet. */
  get idle(): boolean {
    return this.state === 'start' && this.pos === this.buf.length && this.b.leadingEmptyLines === 0;
  }

  /** True once a 101 response switched the connection away from HTTP/1.1. */
  get upgraded(): boolean {
    return this.state === 'upgraded';
  }

  /** Total bytes consumed into messages so far. */
  get offset(): number {
    return this.base + this.pos;
  }

  /** The message whose head is complete and whose body is still being read, if any. */
  get inBody(): HttpMessage | undefined {
    return this.state.startsWith('body') || this.state.startsWith('chunk') || this.state === 'trailers'
      ? this.b.msg
      : undefined;
  }

  /** A short description of where the parser is, for evidence ("inside chunk data, 3 of 5 bytes"). */
  describeState(): string {
    switch (this.state) {
      case 'start':
        return this.pos < this.buf.length ? 'inside a start line' : 'between messages';
      case 'headers':
        return 'inside a header section';
      case 'body-length':
        return `inside a Content-Length body, ${this.b.remaining} bytes still due`;
      case 'body-eof':
        return 'inside a close-delimited body';
      case 'chunk-size':
        return 'at a chunk-size line';
      case 'chunk-data':
        return `inside chunk data, ${this.b.remaining} bytes still due`;
      case 'chunk-crlf':
        return 'at the CRLF after chunk data';
      case 'trailers':
        return 'inside the trailer section';
      case 'upgraded':
        return 'after a protocol upgrade';
      case 'failed':
        return `stopped: ${this.error?.message ?? 'error'}`;
    }
  }

  push(chunk: Buffer, force = false): void {
    if (this.state === 'failed' || this.ended || (chunk.length === 0 && !force)) return;
    if (this.pos >= this.buf.length) {
      this.base += this.buf.length;
      this.buf = chunk;
    } else {
      this.base += this.pos;
      this.buf = Buffer.concat([this.buf.subarray(this.pos), chunk]);
    }
    this.pos = 0;
    if (this.state === 'upgraded') return;
    try {
      this.run();
    } catch (e) {
      if (!(e instanceof ParseError)) throw e;
      this.error = e;
      this.state = 'failed';
    }
  }

  /** The peer closed its side. Completes a close-delimited body; anything else unfinished is an error. */
  end(): void {
    if (this.ended || this.state === 'failed') return;
    this.ended = true;
    const at = this.offset;
    const fail = (message: string) => {
      this.error = new ParseError('incomplete', message, at);
      this.state = 'failed';
    };
    switch (this.state) {
      case 'start':
        if (this.pos < this.buf.length)
          fail(`connection ended inside a start line (${this.buf.length - this.pos} bytes)`);
        return;
      case 'body-eof':
        this.finish();
        return;
      case 'upgraded':
        return;
      case 'headers':
        fail('connection ended inside the header section');
        return;
      case 'body-length':
        fail(`connection ended with ${this.b.remaining} of the announced Content-Length bytes still due`);
        return;
      default:
        fail(`connection ended inside a chunked body (${this.describeState()}) before its last-chunk`);
    }
  }

  private run(): void {
    for (;;) {
      const before = this.pos;
      const stateBefore = this.state;
      this.step();
      if (this.pos === before && this.state === stateBefore) return;
      if (this.state === 'upgraded' || this.state === 'failed') return;
    }
  }

  private fail(code: ParseErrorCode, message: string, at = this.offset): never {
    throw new ParseError(code, message, at);
  }

  private take(n: number): Buffer {
    const part = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    this.b.rawParts.push(part);
    return part;
  }

  /** Next line without its terminator, or null if incomplete. Enforces CRLF (bare LF repaired only when lenient). */
  private line(limit: number, what: string): string | null {
    const lf = this.buf.indexOf(0x0a, this.pos);
    if (lf < 0) {
      if (this.buf.length - this.pos > limit)
        this.fail(this.lineLimitCode(what), `${what} longer than ${limit} bytes`);
      return null;
    }
    if (lf - this.pos > limit) this.fail(this.lineLimitCode(what), `${what} longer than ${limit} bytes`);
    const at = this.offset;
    const raw = this.take(lf - this.pos + 1);
    let end = raw.length - 1;
    if (end > 0 && raw[end - 1] === 0x0d) end--;
    else if (this.lenient)
      this.b.notes.push(`bare LF line terminator in ${what} at byte ${at + raw.length - 1}`);
    else
      this.fail(
        'bare-lf',
        `bare LF without CR ending ${what} at byte ${at + raw.length - 1}`,
        at + raw.length - 1,
      );
    let text = raw.toString('latin1', 0, end);
    const cr = text.indexOf('\r');
    if (cr >= 0) {
      if (!this.lenient) this.fail('bare-cr', `bare CR inside ${what} at byte ${at + cr}`, at + cr);
      this.b.notes.push(`bare CR inside ${what} replaced by SP`);
      text = text.replace(/\r/g, ' ');
    }
    return text;
  }

  private lineLimitCode(what: string): ParseErrorCode {
    return what.includes('chunk') ? 'chunk-ext-too-long' : 'header-too-large';
  }

  private step(): void {
    switch (this.state) {
      case 'start':
        this.stepStart();
        return;
      case 'headers':
        this.stepHeaders();
        return;
      case 'body-length': {
        const n = Math.min(this.b.remaining, this.buf.length - this.pos);
        if (n === 0) return;
        this.b.bodyParts.push(this.take(n));
        this.b.remaining -= n;
        if (this.b.remaining === 0) this.finish();
        return;
      }
      case 'body-eof': {
        const n = this.buf.length - this.pos;
        if (n > 0) this.b.bodyParts.push(this.take(n));
        return;
      }
      case 'chunk-size':
        this.stepChunkSize();
        return;
      case 'chunk-data': {
        const n = Math.min(this.b.remaining, this.buf.length - this.pos);
        if (n === 0) return;
        this.b.bodyParts.push(this.take(n));
        this.b.remaining -= n;
        if (this.b.remaining === 0) this.state = 'chunk-crlf';
        return;
      }
      case 'chunk-crlf': {
        const have = this.buf.length - this.pos;
        if (have === 0) return;
        const c0 = this.buf[this.pos];
        if (c0 === 0x0a && this.lenient) {
          this.b.notes.push('bare LF after chunk data');
          this.take(1);
          this.state = 'chunk-size';
          return;
        }
        if (c0 !== 0x0d)
          this.fail('missing-chunk-crlf', `expected CRLF after chunk data, got ${describeByte(c0!)}`);
        if (have < 2) return;
        if (this.buf[this.pos + 1] !== 0x0a)
          this.fail(
            'missing-chunk-crlf',
            `expected CRLF after chunk data, got CR ${describeByte(this.buf[this.pos + 1]!)}`,
          );
        this.take(2);
        this.state = 'chunk-size';
        return;
      }
      case 'trailers':
        this.stepTrailers();
        return;
      case 'upgraded':
      case 'failed':
        return;
    }
  }

  private stepStart(): void {
    // Empty lines before a start line (RFC 9112 §2.2): counted, the caller judges them.
    while (this.pos < this.buf.length) {
      const c = this.buf[this.pos];
      if (c === 0x0d && this.pos + 1 < this.buf.length && this.buf[this.pos + 1] === 0x0a) {
        this.pos += 2;
        this.b.leadingEmptyLines++;
      } else if (c === 0x0d && this.pos + 1 === this.buf.length) {
        return;
      } else if (c === 0x0a && this.lenient) {
        this.pos += 1;
        this.b.leadingEmptyLines++;
      } else break;
    }
    if (this.pos >= this.buf.length) return;
    const skipped = this.b.leadingEmptyLines;
    this.b.start = this.offset;
    this.b.rawParts = [];
    const line = this.line(this.maxHeaderBytes, 'the start line');
    if (line === null) return;
    this.b.leadingEmptyLines = skipped;
    this.checkStartLine(line);
    this.b.startLine = line;
    this.b.headBytes = line.length + 2;
    this.state = 'headers';
  }

  private stepHeaders(): void {
    const budget = this.maxHeaderBytes - this.b.headBytes;
    if (budget <= 0) this.fail('header-too-large', `header section longer than ${this.maxHeaderBytes} bytes`);
    const at = this.offset;
    const line = this.line(budget, 'a header field line');
    if (line === null) return;
    this.b.headBytes += line.length + 2;
    if (line === '') {
      this.headComplete();
      return;
    }
    if (line[0] === ' ' || line[0] === '\t') {
      const prev = this.b.headers[this.b.headers.length - 1];
      if (!this.lenient || !prev)
        this.fail(
          'obs-fold',
          `obsolete line folding (a field line starting with whitespace) at byte ${at}`,
          at,
        );
      this.b.notes.push(`obs-fold in field ${prev.name} unfolded`);
      prev.value = `${prev.value} ${line.trim()}`.trim();
      return;
    }
    this.b.headers.push(this.fieldLine(line, at, 'header'));
  }

  private fieldLine(line: string, at: number, section: string): Header {
    const colon = line.indexOf(':');
    if (colon <= 0)
      this.fail(
        'bad-header-line',
        `${section} line without a field name and colon at byte ${at}: ${JSON.stringify(line.slice(0, 60))}`,
        at,
      );
    let name = line.slice(0, colon);
    if (/[ \t]$/.test(name)) {
      if (!this.lenient)
        this.fail(
          'ws-before-colon',
          `whitespace between field name and colon in ${JSON.stringify(name)} at byte ${at}`,
          at,
        );
      this.b.notes.push(`whitespace before colon in field ${JSON.stringify(name)} removed`);
      name = name.trimEnd();
    }
    if (!TOKEN.test(name))
      this.fail('bad-header-line', `invalid field name ${JSON.stringify(name)} at byte ${at}`, at);
    const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '');
    if (BAD_VALUE_CHAR.test(value)) {
      if (!this.lenient)
        this.fail('bad-field-value', `control character in the value of ${name} at byte ${at}`, at);
      this.b.notes.push(`control character in the value of ${name}`);
    }
    return { name, value };
  }

  /** Validate the start line as soon as it is complete, so garbage fails fast instead of waiting for headers. */
  private checkStartLine(line: string): void {
    const at = this.b.start;
    if (this.kind === 'request') {
      const parts = line.split(' ');
      if (parts.length !== 3 || !TOKEN.test(parts[0]!) || !parts[1] || /[\x00-\x20\x7f]/.test(parts[1]))
        this.fail('bad-start-line', `malformed request line ${JSON.stringify(line.slice(0, 100))}`, at);
      this.checkVersion(parts[2]!, at);
      this.b.start1 = { version: parts[2]!, a: parts[0]!, b: parts[1]! };
      return;
    }
    let m = STRICT_STATUS.exec(line);
    if (!m) {
      m = this.lenient ? LOOSE_STATUS.exec(line) : null;
      if (!m) this.fail('bad-start-line', `malformed status line ${JSON.stringify(line.slice(0, 100))}`, at);
      this.b.notes.push(
        `status line ${JSON.stringify(line)} does not match HTTP-version SP status-code SP reason`,
      );
    }
    this.checkVersion(m[1]!, at);
    this.b.start1 = { version: m[1]!, a: m[2]!, b: m[3] ?? '' };
  }

  private headComplete(): void {
    const b = this.b;
    const { version, a, b: rest } = b.start1!;
    let msg: HttpMessage;
    if (this.kind === 'request') {
      msg = { kind: 'request', method: a, target: rest, ...this.common(version) };
    } else {
      const status = Number(a);
      msg = {
        kind: 'response',
        status,
        reason: rest,
        requestMethod: this.methods[0] ?? 'GET',
        interim: status >= 100 && status < 200,
        ...this.common(version),
      };
    }
    msg.framing = this.framingOf(msg);
    b.msg = msg;
    this.onHead?.(msg);
    switch (msg.framing.kind) {
      case 'none':
        this.finish();
        if (msg.kind === 'response' && msg.status === 101) this.state = 'upgraded';
        return;
      case 'content-length':
        b.remaining = msg.framing.length;
        if (b.remaining === 0) this.finish();
        else this.state = 'body-length';
        return;
      case 'chunked':
        this.state = 'chunk-size';
        return;
      case 'close-delimited':
        this.state = 'body-eof';
        return;
    }
  }

  private common(version: string) {
    return {
      version,
      headers: this.b.headers,
      trailers: this.b.trailers,
      body: Buffer.alloc(0),
      chunks: this.b.chunks,
      framing: { kind: 'none', reason: '' } as Framing,
      raw: Buffer.alloc(0),
      leadingEmptyLines: this.b.leadingEmptyLines,
      notes: this.b.notes,
      clAndTe: false,
    };
  }

  private checkVersion(version: string, at: number): void {
    const v = VERSION.exec(version);
    if (!v) this.fail('bad-start-line', `malformed HTTP version ${JSON.stringify(version)}`, at);
    if (v[1] !== '1') this.fail('unsupported-version', `HTTP version ${version} is not HTTP/1.x`, at);
  }

  /** RFC 9112 §6.3, in its order. */
  private framingOf(msg: HttpMessage): Framing {
    const h = msg.headers;
    const te = fieldValues(h, 'transfer-encoding');
    const clFields = h.filter((x) => x.name.toLowerCase() === 'content-length');
    msg.clAndTe = te.length > 0 && clFields.length > 0;
    if (msg.kind === 'response') {
      const s = msg.status;
      const reason =
        msg.requestMethod === 'HEAD'
          ? 'response to HEAD'
          : s < 200
            ? `${s} (1xx) response`
            : s === 204
              ? '204 response'
              : s === 304
                ? '304 response'
                : msg.requestMethod === 'CONNECT' && s < 300
                  ? '2xx response to CONNECT'
                  : '';
      if (reason) return { kind: 'none', reason };
    }
    if (te.length > 0) {
      const codings = te.map((c) => c.toLowerCase());
      const last = codings[codings.length - 1]!;
      const chunkedCount = codings.filter((c) => c.split(';')[0]!.trim() === 'chunked').length;
      if (last.split(';')[0]!.trim() === 'chunked') {
        if (last !== 'chunked') {
          if (msg.kind === 'request')
            this.fail(
              'chunked-params',
              `Transfer-Encoding ${JSON.stringify(te.join(', '))}: chunked takes no parameters`,
              this.b.start,
            );
          msg.notes.push('chunked transfer coding with parameters');
        }
        if (chunkedCount > 1) {
          if (msg.kind === 'request')
            this.fail(
              'chunked-twice',
              `Transfer-Encoding ${JSON.stringify(te.join(', '))} applies chunked more than once`,
              this.b.start,
            );
          msg.notes.push('chunked applied more than once');
        }
        return { kind: 'chunked' };
      }
      if (msg.kind === 'request') {
        if (chunkedCount > 0)
          this.fail(
            'chunked-not-final',
            `Transfer-Encoding ${JSON.stringify(te.join(', '))}: chunked is not the final coding`,
            this.b.start,
          );
        this.fail(
          'unsupported-transfer-coding',
          `Transfer-Encoding ${JSON.stringify(te.join(', '))} without a final chunked coding`,
          this.b.start,
        );
      }
      return {
        kind: 'close-delimited',
        reason: `Transfer-Encoding ${te.join(', ')} without a final chunked`,
      };
    }
    if (clFields.length > 0) {
      const values = clFields.flatMap((f) => f.value.split(',').map((v) => v.trim()));
      const shown = clFields.map((f) => JSON.stringify(f.value)).join(' and ');
      if (values.some((v) => !DIGITS.test(v)))
        this.fail('invalid-content-length', `invalid Content-Length ${shown}`, this.b.start);
      if (new Set(values.map((v) => v.replace(/^0+(?=\d)/, ''))).size > 1)
        this.fail('invalid-content-length', `conflicting Content-Length values ${shown}`, this.b.start);
      const digits = values[0]!.replace(/^0+(?=\d)/, '');
      if (digits.length > MAX_SAFE_DIGITS)
        this.fail('content-length-overflow', `Content-Length ${values[0]} is too large`, this.b.start);
      if (values.length > 1) msg.notes.push(`Content-Length given ${values.length} times (${shown})`);
      return { kind: 'content-length', length: Number(digits) };
    }
    if (msg.kind === 'request')
      return { kind: 'none', reason: 'request without Content-Length or Transfer-Encoding' };
    return { kind: 'close-delimited', reason: 'no Content-Length and no Transfer-Encoding' };
  }

  private stepChunkSize(): void {
    const at = this.offset;
    const line = this.line(this.maxChunkLine, 'a chunk-size line');
    if (line === null) return;
    const m = /^([0-9A-Fa-f]*)(.*)$/.exec(line)!;
    const sizeText = m[1]!;
    const ext = m[2]!;
    // '0x5' or '5abc': the size itself is malformed, not an extension.
    if (!HEX.test(sizeText) || (ext !== '' && !/^[ \t;]/.test(ext)))
      this.fail(
        'bad-chunk-size',
        `invalid chunk size ${JSON.stringify(line.slice(0, 40))} at byte ${at}`,
        at,
      );
    if (ext && !isChunkExt(ext))
      this.fail(
        'bad-chunk-ext',
        `invalid chunk size or extension ${JSON.stringify(line.slice(0, 60))} at byte ${at}`,
        at,
      );
    const significant = sizeText.replace(/^0+/, '');
    if (significant.length > 12) this.fail('chunk-size-overflow', `chunk size ${sizeText} is too large`, at);
    const size = significant ? Number.parseInt(significant, 16) : 0;
    this.b.chunks.push({ size, ext });
    if (size === 0) {
      this.state = 'trailers';
      return;
    }
    this.b.remaining = size;
    this.state = 'chunk-data';
  }

  private stepTrailers(): void {
    const at = this.offset;
    const line = this.line(this.maxHeaderBytes, 'a trailer field line');
    if (line === null) return;
    if (line === '') {
      this.finish();
      return;
    }
    if (line[0] === ' ' || line[0] === '\t')
      this.fail('obs-fold', `obsolete line folding in the trailer section at byte ${at}`, at);
    this.b.trailers.push(this.fieldLine(line, at, 'trailer'));
  }

  private finish(): void {
    const b = this.b;
    const msg = b.msg!;
    msg.body = b.bodyParts.length === 1 ? b.bodyParts[0]! : Buffer.concat(b.bodyParts);
    msg.raw = b.rawParts.length === 1 ? b.rawParts[0]! : Buffer.concat(b.rawParts);
    if (msg.kind === 'response' && !msg.interim) this.methods.shift();
    this.messages.push(msg);
    this.b = newBuilder(this.offset);
    this.state = 'start';
    if (this.holdUpgrades && msg.kind === 'request' && offersUpgrade(msg.headers)) this.state = 'upgraded';
  }
}

/** chunk-ext = *( BWS ";" BWS ext-name [ BWS "=" BWS ext-val ] ), RFC 9112 §7.1.1 */
export function isChunkExt(ext: string): boolean {
  return /^(?:[ \t]*;[ \t]*[!#$%&'*+\-.^_`|~0-9A-Za-z]+(?:[ \t]*=[ \t]*(?:[!#$%&'*+\-.^_`|~0-9A-Za-z]+|"(?:[\t \x21\x23-\x5b\x5d-\x7e\x80-\xff]|\\[\t \x21-\x7e\x80-\xff])*"))?)*$/.test(
    ext,
  );
}

function describeByte(c: number): string {
  if (c === 0x0d) return 'CR';
  if (c === 0x0a) return 'LF';
  if (c >= 0x21 && c <= 0x7e) return JSON.stringify(String.fromCharCode(c));
  return `0x${c.toString(16).padStart(2, '0')}`;
}
