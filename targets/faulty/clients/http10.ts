import { chunkedBody } from '../../../harness/wire/build.js';
import { connectionOptions, type HttpResponse, hasField } from '../../../harness/wire/parse.js';
import { type Connection, type PlanRequest, ReferenceClient } from '../../clients/reference-client.js';
import { Misreader } from './chunked.js';
import type { FaultyClient } from './types.js';

const isHttp10 = (res: HttpResponse) => res.version === 'HTTP/1.0';

/** Applies HTTP/1.1 defaults to HTTP/1.0 responses: a length and no close are enough to keep the connection. */
class Http10PersistByDefault extends ReferenceClient {
  protected override keepAfter(req: PlanRequest, res: HttpResponse): boolean {
    if (
      isHttp10(res) &&
      res.framing.kind === 'content-length' &&
      !connectionOptions(res.headers).has('close')
    )
      return true;
    return super.keepAfter(req, res);
  }
}

/** Takes a Keep-Alive header on an HTTP/1.0 response as the keep-alive option. */
class Http10KeepAliveHeader extends ReferenceClient {
  protected override keepAfter(req: PlanRequest, res: HttpResponse): boolean {
    if (isHttp10(res) && hasField(res.headers, 'keep-alive') && res.framing.kind === 'content-length')
      return true;
    return super.keepAfter(req, res);
  }
}

/** Keeps an HTTP/1.0 connection after a chunked response that said keep-alive (ignores RFC 9112 §6.1). */
class Http10ChunkedKept extends ReferenceClient {
  protected override keepAfter(req: PlanRequest, res: HttpResponse): boolean {
    if (isHttp10(res) && res.framing.kind === 'chunked' && connectionOptions(res.headers).has('keep-alive'))
      return true;
    return super.keepAfter(req, res);
  }
}

/** Compares the whole Connection value of an HTTP/1.0 response with "keep-alive", exactly. */
class Http10TokenExact extends ReferenceClient {
  protected override keepAfter(req: PlanRequest, res: HttpResponse): boolean {
    const keep = super.keepAfter(req, res);
    if (!isHttp10(res) || !keep) return keep;
    return res.headers.some((h) => h.name.toLowerCase() === 'connection' && h.value === 'keep-alive');
  }
}

/** Ignores the Content-Length of an HTTP/1.0 keep-alive response and waits for EOF (a hang while the server keeps the connection). */
class Http10KeepAliveToEof extends Misreader {
  protected misread(m: HttpResponse): 'hang' | undefined {
    return isHttp10(m) &&
      m.framing.kind === 'content-length' &&
      connectionOptions(m.headers).has('keep-alive')
      ? 'hang'
      : undefined;
  }
}

/**
 * Takes an HTTP/1.0 keep-alive response without a length as an empty body: the
 * header section is read as if it carried Content-Length: 0 (the body bytes then
 * count as surplus, and the connection goes).
 */
class Http10NoLengthEmpty extends ReferenceClient {
  override receive(c: Connection, chunk: Buffer): void {
    const text = chunk.toString('latin1');
    const end = text.indexOf('\r\n\r\n');
    const head = text.slice(0, end);
    const starts = c.parser.pendingBytes === 0 && c.parser.messages.length === 0;
    if (
      starts &&
      end > 0 &&
      head.startsWith('HTTP/1.0 ') &&
      /^connection:.*keep-alive/im.test(head) &&
      !/^(content-length|transfer-encoding):/im.test(head)
    )
      chunk = Buffer.concat([Buffer.from(`${head}\r\nContent-Length: 0`, 'latin1'), chunk.subarray(end)]);
    super.receive(c, chunk);
  }
}

/** Stops using a connection after an HTTP/1.0 response it may not reuse, but leaves it open until the plan ends. */
class Http10LeaveOpen extends ReferenceClient {
  private last?: HttpResponse;
  protected override keepAfter(req: PlanRequest, res: HttpResponse): boolean {
    this.last = res;
    return super.keepAfter(req, res);
  }
  protected override retire(c: Connection): void {
    if (this.last && isHttp10(this.last)) c.dead = true;
    else super.retire(c);
  }
}

/**
 * Frames request bodies with chunked coding where it must not: when speaking
 * HTTP/1.0, or after the server answered HTTP/1.0 (toward HTTP/1.1 servers it
 * uses Content-Length, so that the fault shows only in the KA10-11 scenarios).
 */
class ChunkedTowardHttp10 extends ReferenceClient {
  private sawHttp10 = false;
  protected override keepAfter(req: PlanRequest, res: HttpResponse): boolean {
    if (isHttp10(res)) this.sawHttp10 = true;
    return super.keepAfter(req, res);
  }
  protected override requestBytes(req: PlanRequest, url: URL): Buffer {
    if (req.body === undefined || (this.httpVersion !== '1.0' && !this.sawHttp10))
      return super.requestBytes(req, url);
    const { body, ...rest } = req;
    const head = super.requestBytes(
      { ...rest, headers: { ...req.headers, 'Transfer-Encoding': 'chunked' } },
      url,
    );
    return Buffer.concat([head, chunkedBody(body === '' ? [] : [Buffer.from(body)])]);
  }
}

/** Sends Keep-Alive: 300 on every request without the keep-alive token (as an old proxy forwarding it would). */
class KeepAliveHeaderUnpaired extends ReferenceClient {
  protected override requestBytes(req: PlanRequest, url: URL): Buffer {
    const bytes = super.requestBytes(req, url);
    const at = bytes.indexOf('\r\n\r\n');
    const head = bytes
      .toString('latin1', 0, at)
      .split('\r\n')
      .filter((l) => !/^connection:\s*keep-alive$/i.test(l));
    head.splice(1, 0, 'Keep-Alive: 300');
    return Buffer.concat([Buffer.from(head.join('\r\n'), 'latin1'), bytes.subarray(at)]);
  }
}

export const http10ClientFaults: FaultyClient[] = [
  {
    name: 'http10-persist-by-default',
    breaks: ['client-http10-response-no-keep-alive', 'client-http10-keep-alive-header-without-token'],
    description: 'reuses the connection after an HTTP/1.0 response without keep-alive (HTTP/1.1 defaults)',
    client: Http10PersistByDefault,
  },
  {
    name: 'http10-keep-alive-header',
    breaks: ['client-http10-keep-alive-header-without-token'],
    description: 'takes a Keep-Alive header on an HTTP/1.0 response as the keep-alive option',
    client: Http10KeepAliveHeader,
  },
  {
    name: 'http10-chunked-kept',
    breaks: ['client-http10-transfer-encoding-response'],
    description: 'reuses the connection after an HTTP/1.0 response with Transfer-Encoding and keep-alive',
    client: Http10ChunkedKept,
  },
  {
    name: 'http10-token-exact',
    breaks: [
      'client-http10-keep-alive-token-mixed-case',
      'client-http10-keep-alive-token-upper-case',
      'client-http10-keep-alive-token-in-list',
    ],
    description: 'recognises HTTP/1.0 keep-alive only as the exact Connection value "keep-alive"',
    client: Http10TokenExact,
  },
  {
    name: 'http10-keep-alive-to-eof',
    breaks: [
      'client-http10-keep-alive-reuse',
      'client-http10-keep-alive-token-mixed-case',
      'client-http10-keep-alive-token-upper-case',
      'client-http10-keep-alive-token-in-list',
      'client-http10-request-body-length',
      'client-http10-request-body-after-http10-response',
    ],
    description: 'ignores the Content-Length of HTTP/1.0 keep-alive responses and reads to EOF',
    client: Http10KeepAliveToEof,
  },
  {
    name: 'http10-no-length-empty',
    breaks: ['client-http10-keep-alive-no-length'],
    description: 'takes an HTTP/1.0 keep-alive response without a length as an empty body',
    client: Http10NoLengthEmpty,
  },
  {
    name: 'http10-leave-open',
    breaks: [
      'client-http10-response-no-keep-alive',
      'client-http10-keep-alive-header-without-token',
      'client-http10-transfer-encoding-response',
    ],
    description: 'does not reuse a connection after a non-persistent HTTP/1.0 response, but leaves it open',
    client: Http10LeaveOpen,
  },
  {
    name: 'http10-chunked-request-body',
    breaks: ['client-http10-request-body-length', 'client-http10-request-body-after-http10-response'],
    description:
      'frames request bodies with chunked coding when speaking HTTP/1.0 or after an HTTP/1.0 response',
    client: ChunkedTowardHttp10,
  },
  {
    name: 'keep-alive-header-unpaired',
    breaks: ['client-http10-keep-alive-header-paired', 'client-http10-legacy-request-headers'],
    description: 'sends Keep-Alive: 300 on every request without the keep-alive connection option',
    client: KeepAliveHeaderUnpaired,
  },
];
