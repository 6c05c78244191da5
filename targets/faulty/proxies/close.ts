import { connectionOptions, type HttpRequest, type HttpResponse } from '../../../harness/wire/parse.js';
import { DownstreamConnection, type Exchange, type Upstream, UpstreamPool } from '../../proxies/reference.js';
import type { FaultyProxy } from './types.js';

const saidClose = (req: HttpRequest) => connectionOptions(req.headers).has('close');

/** Answers a request with Connection: close saying close, but keeps the client connection open. */
class IgnoresClientClose extends DownstreamConnection {
  protected override closeAfter(ex: Exchange): boolean {
    if (saidClose(ex.req) && ex.res && !ex.early && ex.req.version !== 'HTTP/1.0') return false;
    return super.closeAfter(ex);
  }

  protected override responseBytes(res: HttpResponse, req: HttpRequest, close: boolean): Buffer {
    return super.responseBytes(res, req, close || saidClose(req));
  }
}

/** Closes the client connection after a request with Connection: close, without saying so. */
class SilentClientClose extends DownstreamConnection {
  protected override responseBytes(res: HttpResponse, req: HttpRequest, close: boolean): Buffer {
    return super.responseBytes(res, req, close && !saidClose(req));
  }
}

/** Retires the upstream connection as soon as a response head says close: the body still on its way is lost. */
class ClosesAtCloseHead extends DownstreamConnection {
  protected override async relay(up: Upstream, head: HttpRequest, index: number, ex: Exchange) {
    const watch = () => {
      const m = up.parser.inBody as HttpResponse | undefined;
      if (m && !m.interim && connectionOptions(m.headers).has('close')) up.close();
    };
    up.socket.on('data', watch);
    try {
      return await super.relay(up, head, index, ex);
    } finally {
      up.socket.off('data', watch);
    }
  }
}

/** A pool that takes back a connection its client abandoned mid-response, as if it were idle. */
class KeepsAbandonedPool extends UpstreamPool {
  private readonly abandoned = new WeakSet<Upstream>();

  keep(up: Upstream): void {
    if (up.ended) {
      up.close();
      return;
    }
    this.abandoned.add(up);
    this.idle.push(up);
  }

  override async acquire(): Promise<{ up: Upstream; reused: boolean }> {
    const up = this.idle.at(-1);
    if (up && this.abandoned.has(up) && !up.ended) {
      this.idle.pop();
      this.abandoned.delete(up);
      return { up, reused: true };
    }
    return super.acquire();
  }
}

/** Returns the upstream connection to the pool when the client leaves, with the rest of the response still in it. */
class ReleasesAtClientClose extends DownstreamConnection {
  protected override async relay(up: Upstream, head: HttpRequest, index: number, ex: Exchange) {
    // Takes the client's FIN for its departure: the exchange is abandoned at once.
    const gone = () => this.ac.abort();
    this.socket.once('end', gone);
    try {
      return await super.relay(up, head, index, ex);
    } finally {
      this.socket.off('end', gone);
    }
  }

  protected override abandon(up: Upstream): void {
    (this.pool as KeepsAbandonedPool).keep(up);
  }
}

/** Serves the requests a client wrote behind one with Connection: close before it closes. */
class ServesPastClose extends DownstreamConnection {
  protected override closeAfter(ex: Exchange): boolean {
    const i = this.heads.indexOf(ex.req);
    if (saidClose(ex.req) && ex.res && !ex.early && i >= 0 && this.heads.length > i + 1) return false;
    return super.closeAfter(ex);
  }
}

/** Relays the origin's close to the client in its response, but keeps the client connection open. */
class AnnouncesOriginClose extends DownstreamConnection {
  protected override responseBytes(res: HttpResponse, req: HttpRequest, close: boolean): Buffer {
    return super.responseBytes(res, req, close || connectionOptions(res.headers).has('close'));
  }
}

export const closeFaults: FaultyProxy[] = [
  {
    name: 'proxy-ignores-client-close',
    breaks: ['proxy-close-client-close-ends'],
    description:
      'answers a request with Connection: close saying close, but keeps the client connection open',
    connection: IgnoresClientClose,
  },
  {
    name: 'proxy-silent-client-close',
    breaks: ['proxy-close-client-close-announced'],
    description: 'closes the client connection after a request with Connection: close without saying close',
    connection: SilentClientClose,
  },
  {
    name: 'proxy-closes-at-close-head',
    breaks: ['proxy-close-origin-mid-stream'],
    description:
      "closes the upstream connection as soon as the origin's response head says close, losing the rest of the body",
    connection: ClosesAtCloseHead,
  },
  {
    name: 'proxy-pools-abandoned-upstream',
    breaks: ['proxy-close-client-abandons'],
    description:
      'returns the upstream connection to its pool when the client leaves mid-response, with the rest of the body still in it',
    connection: ReleasesAtClientClose,
    pool: (host, port, idleMs) => new KeepsAbandonedPool(host, port, idleMs),
  },
  {
    name: 'proxy-announces-close-keeps-open',
    breaks: ['proxy-close-announced-closes'],
    description:
      'says Connection: close to the client when the origin did, but keeps the client connection open for more requests',
    connection: AnnouncesOriginClose,
  },
  {
    name: 'proxy-serves-past-close',
    breaks: ['proxy-close-pipelined-after-close'],
    description:
      'forwards and answers the requests a client pipelined behind one with Connection: close before closing',
    connection: ServesPastClose,
  },
];
