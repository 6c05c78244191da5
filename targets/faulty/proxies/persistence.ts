import {
  connectionOptions,
  type Header,
  type HttpRequest,
  type HttpResponse,
} from '../../../harness/wire/parse.js';
import { DownstreamConnection, type Exchange, endToEnd, HOP_BY_HOP } from '../../proxies/reference.js';
import type { FaultyProxy } from './types.js';

/** Removes the fixed hop-by-hop fields but not the ones the client names in Connection. */
class ForwardsNamedFields extends DownstreamConnection {
  protected override requestFields(req: HttpRequest): Header[] {
    return req.headers.filter((h) => !HOP_BY_HOP.includes(h.name.toLowerCase()));
  }
}

/** A proxy that takes one hop-by-hop request field for an end-to-end one and forwards it as received. */
function forwardsRequestField(name: string): typeof DownstreamConnection {
  return class extends DownstreamConnection {
    protected override requestFields(req: HttpRequest): Header[] {
      return [...endToEnd(req.headers), ...req.headers.filter((h) => h.name.toLowerCase() === name)];
    }
  };
}

/** Removes the fixed hop-by-hop fields of a response, not the ones the origin names in Connection. */
class ForwardsNamedResponseFields extends DownstreamConnection {
  protected override responseFields(res: HttpResponse): Header[] {
    return res.headers.filter((h) => !HOP_BY_HOP.includes(h.name.toLowerCase()));
  }
}

/** Removes Connection and what it names from a response, but not Keep-Alive, Proxy-Connection or Upgrade. */
class ForwardsFixedResponseFields extends DownstreamConnection {
  protected override responseFields(res: HttpResponse): Header[] {
    const named = connectionOptions([...res.headers]);
    const framing = ['connection', 'transfer-encoding', 'trailer', 'te'];
    return res.headers.filter(
      (h) => !framing.includes(h.name.toLowerCase()) && !named.has(h.name.toLowerCase()),
    );
  }
}

/** Keeps an upstream connection in its pool although the origin's response said close. */
class IgnoresOriginClose extends DownstreamConnection {
  protected override reuses(ex: Exchange): boolean {
    const res = ex.res;
    return !!res && !ex.early && res.framing.kind !== 'close-delimited';
  }
}

/** Ends the client connection (announced) whenever the origin's response said close. */
class EndsClientWithOrigin extends DownstreamConnection {
  protected override closeAfter(ex: Exchange): boolean {
    return super.closeAfter(ex) || (!!ex.res && connectionOptions(ex.res.headers).has('close'));
  }
}

export const persistenceFaults: FaultyProxy[] = [
  {
    name: 'proxy-forwards-connection-named',
    breaks: ['proxy-hop-connection-named'],
    description:
      'forwards the fields a client names in Connection (it removes only the fixed hop-by-hop list)',
    connection: ForwardsNamedFields,
  },
  {
    name: 'proxy-forwards-keep-alive',
    breaks: ['proxy-hop-keep-alive'],
    description: "forwards a client's Keep-Alive header to the origin as received",
    connection: forwardsRequestField('keep-alive'),
  },
  {
    name: 'proxy-forwards-proxy-connection',
    breaks: ['proxy-hop-proxy-connection'],
    description: "forwards a client's Proxy-Connection header to the origin as received",
    connection: forwardsRequestField('proxy-connection'),
  },
  {
    name: 'proxy-forwards-te',
    breaks: ['proxy-hop-te'],
    description: "forwards a client's TE header to the origin as received (it drops only Connection: TE)",
    connection: forwardsRequestField('te'),
  },
  {
    name: 'proxy-forwards-upgrade',
    breaks: ['proxy-hop-upgrade'],
    description:
      "forwards a client's Upgrade offer to the origin as received (it drops only Connection: Upgrade)",
    connection: forwardsRequestField('upgrade'),
  },
  {
    name: 'proxy-forwards-response-named',
    breaks: ['proxy-hop-response-named'],
    description: "forwards the fields the origin names in its response's Connection to the client",
    connection: ForwardsNamedResponseFields,
  },
  {
    name: 'proxy-forwards-response-fixed',
    breaks: ['proxy-hop-response-fixed'],
    description:
      "forwards the origin's Keep-Alive, Proxy-Connection and Upgrade to the client when Connection does not name them",
    connection: ForwardsFixedResponseFields,
  },
  {
    name: 'proxy-reuses-after-origin-close',
    breaks: ['proxy-per-origin-close-retires', 'proxy-close-origin-mid-stream'],
    description:
      "pools an upstream connection for further requests although the origin's response said close",
    connection: IgnoresOriginClose,
  },
  {
    name: 'proxy-ends-client-with-origin',
    breaks: [],
    measures: ['proxy-per-client-survives-origin-close'],
    description:
      "closes the client connection (saying close) whenever the origin's response said close: client persistence lasts one upstream connection",
    connection: EndsClientWithOrigin,
  },
];
