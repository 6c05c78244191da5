import { saysClose } from '../../../harness/check.js';
import type { HttpRequest, HttpResponse } from '../../../harness/wire/parse.js';
import { DownstreamConnection, type Exchange, type Upstream, UpstreamPool } from '../../proxies/reference.js';
import type { FaultyProxy } from './types.js';

/** Retries any request whose upstream connection was lost, POST included. */
class RetriesEverything extends DownstreamConnection {
  protected override retries(_req: HttpRequest, reused: boolean, _up: Upstream): boolean {
    return reused;
  }
}

/**
 * When the origin drops a request unanswered, neither retries nor answers it: it goes on with the
 * client's next request, so the client waits for an answer that never comes, and in a pipeline
 * every later answer lands on the request before it.
 */
export class SkipsLostRequest extends DownstreamConnection {
  private lost = false;
  /** a request went unanswered: the client waits for it, so the idle timeout must not end its wait */
  private skipped = false;

  protected override idleTimeout(): void {
    if (!this.skipped) super.idleTimeout();
  }

  protected override retries(): boolean {
    this.lost = true; // asked only when nothing came back
    return false;
  }

  protected override errorResponse(status: number, why: string, close: boolean): Buffer {
    return this.lost ? Buffer.alloc(0) : super.errorResponse(status, why, close);
  }

  protected override closeAfter(ex: Exchange): boolean {
    if (this.lost && !ex.res) {
      this.lost = false;
      this.skipped = true;
      return false;
    }
    return super.closeAfter(ex);
  }
}

/** Opens a new upstream connection for every request and closes it after the response. */
class NeverReuses extends UpstreamPool {
  override async acquire(): Promise<{ up: Upstream; reused: boolean }> {
    return { up: await this.open(), reused: false };
  }

  override release(up: Upstream): void {
    up.close();
  }
}

/** Closes the client connection when the origin closed its own, but strips the origin's Connection: close as hop-by-hop. */
class MirrorsOriginClose extends DownstreamConnection {
  protected override closeAfter(ex: Exchange): boolean {
    return super.closeAfter(ex) || (!!ex.res && saysClose(ex.res));
  }

  protected override responseBytes(res: HttpResponse, req: HttpRequest, close: boolean): Buffer {
    return super.responseBytes(res, req, close && !saysClose(res));
  }
}

/** Resets an idle client connection at the idle timeout instead of closing it. */
class ResetsIdleClient extends DownstreamConnection {
  protected override idleTimeout(): void {
    this.socket.resetAndDestroy();
  }
}

/** Resets idle upstream connections when the pool times them out. */
class ResetsIdleUpstream extends UpstreamPool {
  constructor(
    host: string,
    port: number,
    private readonly idleFor: number,
  ) {
    super(host, port, idleFor);
  }

  override release(up: Upstream, reusable: boolean): void {
    super.release(up, reusable);
    if (!this.idle.includes(up)) return;
    clearTimeout(up.idleTimer);
    up.idleTimer = setTimeout(() => {
      up.ended = true;
      up.socket.resetAndDestroy();
    }, this.idleFor);
    up.idleTimer.unref();
  }
}

export const timeoutsFaults: FaultyProxy[] = [
  {
    name: 'proxy-retries-post',
    breaks: ['proxy-retry-post-fin', 'proxy-retry-post-reset', 'proxy-pipe-origin-dies-post'],
    description:
      'retries a POST on a new upstream connection when the reused one is lost before any response',
    connection: RetriesEverything,
  },
  {
    name: 'proxy-skips-lost-request',
    breaks: ['proxy-retry-get-fin', 'proxy-retry-get-reset'],
    description:
      'sends nothing for a request the origin dropped unanswered and goes on with the next: the client hangs, or gets the next answer',
    connection: SkipsLostRequest,
  },
  {
    name: 'proxy-never-reuses-upstream',
    breaks: [],
    measures: ['proxy-idle-upstream-reuse', 'proxy-per-upstream-reuse'],
    description: 'opens a new upstream connection for every request (no pool)',
    pool: (host, port, idleMs) => new NeverReuses(host, port, idleMs),
  },
  {
    name: 'proxy-mirrors-origin-close',
    breaks: ['proxy-idle-no-silent-close'],
    description:
      'closes the client connection when the origin closed its own, without Connection: close in the response',
    connection: MirrorsOriginClose,
  },
  {
    name: 'proxy-resets-idle-client',
    breaks: ['proxy-idle-client-timeout'],
    description: 'resets (RST) an idle client connection at its idle timeout',
    connection: ResetsIdleClient,
  },
  {
    name: 'proxy-resets-idle-upstream',
    breaks: ['proxy-idle-upstream-timeout'],
    description: 'resets (RST) idle upstream connections when the pool times them out',
    pool: (host, port, idleMs) => new ResetsIdleUpstream(host, port, idleMs),
  },
];
