import {
  connectionOptions,
  fieldValues,
  type Header,
  type HttpRequest,
  type HttpResponse,
} from '../../../harness/wire/parse.js';
import { DownstreamConnection, type Exchange, endToEnd } from '../../proxies/reference.js';
import type { FaultyProxy } from './types.js';

/** Treats an HTTP/1.0 client like an HTTP/1.1 one: its connection persists unless it says close. */
class Persists10 extends DownstreamConnection {
  protected override closeAfter(ex: Exchange): boolean {
    if (connectionOptions(ex.req.headers).has('close')) return true;
    return !ex.res || ex.early;
  }
}

/** Keeps an HTTP/1.0 client's connection open when it asks for keep-alive (the old 1.0 extension). */
class Honours10KeepAlive extends DownstreamConnection {
  protected override closeAfter(ex: Exchange): boolean {
    if (
      ex.req.version === 'HTTP/1.0' &&
      ex.res &&
      !ex.early &&
      connectionOptions(ex.req.headers).has('keep-alive')
    )
      return false;
    return super.closeAfter(ex);
  }
}

/** Passes an HTTP/1.0 client's Connection: keep-alive and Keep-Alive on to the origin. */
class Forwards10KeepAlive extends DownstreamConnection {
  protected override requestFields(req: HttpRequest): Header[] {
    if (req.version !== 'HTTP/1.0') return super.requestFields(req);
    const kept = ['connection', 'keep-alive'];
    return [...endToEnd(req.headers), ...req.headers.filter((h) => kept.includes(h.name.toLowerCase()))];
  }
}

/** Tells an HTTP/1.0 client the connection ends, but first answers every request already read on it. */
class Serves10Buffered extends DownstreamConnection {
  protected override closeAfter(ex: Exchange): boolean {
    const i = this.heads.indexOf(ex.req);
    if (ex.req.version === 'HTTP/1.0' && ex.res && !ex.early && i >= 0 && this.heads.length > i + 1)
      return false;
    return super.closeAfter(ex);
  }

  protected override responseBytes(res: HttpResponse, req: HttpRequest, close: boolean): Buffer {
    return super.responseBytes(res, req, close || req.version === 'HTTP/1.0');
  }
}

const withHeaders = (ex: Exchange, res: HttpResponse, headers: Header[]): Exchange => ({
  ...ex,
  res: { ...res, headers },
});

/** Takes an HTTP/1.0 response without keep-alive for a persistent one: its upstream connection is pooled. */
class Reuses10Origin extends DownstreamConnection {
  protected override reuses(ex: Exchange): boolean {
    const res = ex.res;
    if (res?.version !== 'HTTP/1.0' || connectionOptions(res.headers).has('keep-alive'))
      return super.reuses(ex);
    return super.reuses(withHeaders(ex, res, [...res.headers, { name: 'Connection', value: 'keep-alive' }]));
  }
}

/** Pools the upstream connection of an HTTP/1.0 response with Transfer-Encoding (and keep-alive) as if its framing were sound. */
class Reuses10Chunked extends DownstreamConnection {
  protected override reuses(ex: Exchange): boolean {
    const res = ex.res;
    if (res?.version !== 'HTTP/1.0' || fieldValues(res.headers, 'transfer-encoding').length === 0)
      return super.reuses(ex);
    const kept = res.headers.filter((h) => h.name.toLowerCase() !== 'transfer-encoding');
    return super.reuses(withHeaders(ex, res, kept));
  }
}

export const http10Faults: FaultyProxy[] = [
  {
    name: 'proxy-http10-persists',
    breaks: ['proxy-http10-closes', 'proxy-http10-keep-alive-closes'],
    description: 'keeps an HTTP/1.0 client connection open after the response, as for HTTP/1.1',
    connection: Persists10,
  },
  {
    name: 'proxy-http10-honours-keep-alive',
    breaks: ['proxy-http10-keep-alive-closes'],
    description: 'keeps an HTTP/1.0 client connection open when the client sends Connection: keep-alive',
    connection: Honours10KeepAlive,
  },
  {
    name: 'proxy-http10-forwards-keep-alive',
    breaks: ['proxy-http10-keep-alive-not-forwarded'],
    description: "forwards an HTTP/1.0 client's Connection: keep-alive and Keep-Alive to the origin",
    connection: Forwards10KeepAlive,
  },
  {
    name: 'proxy-http10-serves-buffered',
    breaks: ['proxy-http10-no-second-response'],
    description:
      'says close to an HTTP/1.0 client, but first answers every further request it has already read on that connection',
    connection: Serves10Buffered,
  },
  {
    name: 'proxy-reuses-http10-origin',
    breaks: ['proxy-http10-origin-not-reused'],
    description:
      'pools an upstream connection after an HTTP/1.0 response without keep-alive, as if it were HTTP/1.1',
    connection: Reuses10Origin,
  },
  {
    name: 'proxy-reuses-http10-chunked-origin',
    breaks: ['proxy-http10-origin-te-not-reused'],
    description:
      'pools an upstream connection after an HTTP/1.0 response with Transfer-Encoding and keep-alive, instead of treating its framing as faulty and closing',
    connection: Reuses10Chunked,
  },
];
