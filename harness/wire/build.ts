// Exact request and response bytes, including deliberately malformed ones.
// Nothing here normalises: what the spec says is what goes on the wire.

export type HeaderList = ReadonlyArray<readonly [string, string]>;

/** Bytes to send plus what the response parser must know about them. */
export interface Req {
  bytes: Buffer;
  /** the method the response parser assumes (HEAD responses have no body) */
  method: string;
  /** a short label for evidence, e.g. 'GET /ka-spec-x1' */
  label: string;
  /** the HTTP version the request claims, e.g. 'HTTP/1.1' */
  version?: string;
  /**
   * True for a well-formed HTTP/1.1 request that leaves the connection open
   * (no close, no CL+TE): after its response the server has no reason to close
   * unannounced. Cross-cutting checks (PERSIST-02) look only at these.
   */
  persistent?: boolean;
}

export interface RequestSpec {
  method?: string;
  target?: string;
  /** '1.1' (default), '1.0', or any literal version text */
  version?: string;
  /** Host header value; null leaves it out */
  host?: string | null;
  /** header fields in order, after Host */
  headers?: HeaderList;
  /** body bytes, sent as given (the caller frames them) */
  body?: string | Buffer;
  /** add a Content-Length matching the body (default when a body is given and no framing header is present) */
  contentLength?: boolean;
}

const hasHeader = (headers: HeaderList, name: string) =>
  headers.some(([n]) => n.toLowerCase() === name.toLowerCase());

export function buildRequest(spec: RequestSpec): Req {
  const method = spec.method ?? 'GET';
  const target = spec.target ?? '/';
  const version = spec.version ?? '1.1';
  const headers: Array<readonly [string, string]> = [];
  if (spec.host !== null && spec.host !== undefined) headers.push(['Host', spec.host]);
  headers.push(...(spec.headers ?? []));
  const body = spec.body === undefined ? undefined : toBuffer(spec.body);
  const framed = hasHeader(headers, 'content-length') || hasHeader(headers, 'transfer-encoding');
  if (body && (spec.contentLength ?? !framed)) headers.push(['Content-Length', String(body.length)]);
  const versionText = /^\d\.\d$/.test(version) ? `HTTP/${version}` : version;
  const head = `${method} ${target} ${versionText}\r\n${headers.map(([n, v]) => `${n}: ${v}\r\n`).join('')}\r\n`;
  const bytes = body ? Buffer.concat([Buffer.from(head, 'latin1'), body]) : Buffer.from(head, 'latin1');
  const connection = headers
    .filter(([n]) => n.toLowerCase() === 'connection')
    .map(([, v]) => v.toLowerCase());
  const persistent =
    versionText === 'HTTP/1.1' &&
    !connection.some((v) => v.split(',').some((t) => t.trim() === 'close')) &&
    !(hasHeader(headers, 'content-length') && hasHeader(headers, 'transfer-encoding'));
  return { bytes, method, label: `${method} ${target}`, version: versionText, persistent };
}

/** Arbitrary bytes sent as a request (malformed on purpose); `method` tells the parser how to frame the answer. */
export function rawRequest(bytes: string | Buffer, method = 'GET', label?: string): Req {
  const buf = toBuffer(bytes);
  return { bytes: buf, method, label: label ?? firstLine(buf) };
}

export interface ChunkedOptions {
  /** chunk extension text per chunk index, e.g. {0: ';a=b'} */
  ext?: Record<number, string>;
  /** text after the last-chunk size, e.g. ';last=1' */
  lastExt?: string;
  /** the last-chunk size text, default '0' */
  last?: string;
  trailers?: HeaderList;
  /** size text per chunk index, e.g. {0: '0005'} (default: lower-case hex) */
  sizeText?: Record<number, string>;
}

/** A chunked body: each chunk framed with its hex size, then last-chunk, trailers and the final CRLF. */
export function chunkedBody(chunks: ReadonlyArray<string | Buffer>, opts: ChunkedOptions = {}): Buffer {
  const parts: Buffer[] = [];
  chunks.forEach((c, i) => {
    const data = toBuffer(c);
    const size = opts.sizeText?.[i] ?? data.length.toString(16);
    parts.push(Buffer.from(`${size}${opts.ext?.[i] ?? ''}\r\n`, 'latin1'), data, Buffer.from('\r\n'));
  });
  const trailers = (opts.trailers ?? []).map(([n, v]) => `${n}: ${v}\r\n`).join('');
  parts.push(Buffer.from(`${opts.last ?? '0'}${opts.lastExt ?? ''}\r\n${trailers}\r\n`, 'latin1'));
  return Buffer.concat(parts);
}

export interface ResponseSpec {
  status: number;
  reason?: string;
  version?: string;
  headers?: HeaderList;
  body?: string | Buffer;
  /** add Content-Length for the body unless a framing header is present (default true) */
  contentLength?: boolean;
}

export function buildResponse(spec: ResponseSpec): Buffer {
  const version = spec.version ?? '1.1';
  const headers: Array<readonly [string, string]> = [...(spec.headers ?? [])];
  const body = spec.body === undefined ? Buffer.alloc(0) : toBuffer(spec.body);
  const framed = hasHeader(headers, 'content-length') || hasHeader(headers, 'transfer-encoding');
  if ((spec.contentLength ?? true) && !framed) headers.push(['Content-Length', String(body.length)]);
  const reason = spec.reason ?? REASONS[spec.status] ?? 'Unknown';
  const head = `HTTP/${version} ${spec.status} ${reason}\r\n${headers.map(([n, v]) => `${n}: ${v}\r\n`).join('')}\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), body]);
}

export const REASONS: Record<number, string> = {
  100: 'Continue',
  101: 'Switching Protocols',
  102: 'Processing',
  103: 'Early Hints',
  200: 'OK',
  204: 'No Content',
  304: 'Not Modified',
  400: 'Bad Request',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  411: 'Length Required',
  413: 'Content Too Large',
  417: 'Expectation Failed',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
  505: 'HTTP Version Not Supported',
};

export function toBuffer(data: string | Buffer): Buffer {
  return typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
}

function firstLine(buf: Buffer): string {
  const text = buf.subarray(0, 120).toString('latin1');
  const end = text.search(/\r|\n/);
  return end >= 0 ? text.slice(0, end) : text;
}
