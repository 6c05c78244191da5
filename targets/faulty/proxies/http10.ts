import { connectionOptions, type Header, type HttpRequest } from '../../../harness/wire/parse.js';
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
];
