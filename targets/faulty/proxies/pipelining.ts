import type { Socket } from 'node:net';
import { type HttpRequest, Parser } from '../../../harness/wire/parse.js';
import {
  DownstreamConnection,
  type Exchange,
  type ReferenceProxy,
  type Upstream,
  UpstreamPool,
} from '../../proxies/reference.js';
import { SkipsLostRequest } from './timeouts.js';
import type { FaultyProxy } from './types.js';

/**
 * Forwards each pipelined request as soon as its head is complete, each on its own upstream
 * connection, and answers the client in the order the origin answers: a slow first
 * response is overtaken by the second.
 */
class AnswersInOriginOrder extends DownstreamConnection {
  protected override async serve(): Promise<void> {
    const running: Array<Promise<Exchange>> = [];
    for (let i = 0; ; i++) {
      const head = await this.waiters.until(
        () => this.heads[i] ?? (this.parser.error || this.ended ? 'stop' : undefined),
        this.opts.idleTimeoutMs,
        this.ac.signal,
        false,
      );
      if (typeof head === 'string') {
        await Promise.allSettled(running);
        return this.finish();
      }
      running.push(this.forward(head, i));
    }
  }
}

export const pipeliningFaults: FaultyProxy[] = [
  {
    name: 'proxy-pipeline-reorders',
    breaks: ['proxy-pipe-slow-first', 'proxy-pipe-five-ordered'],
    description: 'answers pipelined requests in the order the origin answers them, not the order they came',
    connection: AnswersInOriginOrder,
  },
];

// ---- faults for PXPIPE-02..04 ----------------------------------------------------------------

/** The reference's request loop, except that requests `keep` refuses are dropped unanswered. */
abstract class DropsSomeRequests extends DownstreamConnection {
  protected abstract keep(i: number, head: HttpRequest): boolean;

  protected override async serve(): Promise<void> {
    for (let i = 0; ; i++) {
      const head = await this.waiters.until(
        () => this.heads[i] ?? (this.parser.error || this.ended ? 'stop' : undefined),
        this.opts.idleTimeoutMs,
        this.ac.signal,
        false,
      );
      if (typeof head === 'string') return this.finish();
      if (!this.keep(i, head)) continue;
      const ex = await this.forward(head, i);
      this.answered++;
      if (this.ended && !ex.res) return this.finish();
      if (this.closeAfter(ex)) return this.finish();
    }
  }
}

/** A request queue of two: a request that arrives while two are still unanswered is dropped. */
class QueueOfTwo extends DropsSomeRequests {
  /** how many requests were unanswered when each head arrived */
  private readonly ahead = new Map<HttpRequest, number>();

  constructor(socket: Socket, proxy: ReferenceProxy) {
    super(socket, proxy);
    const push = this.heads.push.bind(this.heads);
    this.heads.push = (...heads: HttpRequest[]) => {
      for (const h of heads) this.ahead.set(h, this.heads.length - this.answered);
      return push(...heads);
    };
  }

  protected keep(_i: number, head: HttpRequest): boolean {
    return (this.ahead.get(head) ?? 0) < 2;
  }
}

/** After a request with a body, discards whatever the client had already pipelined behind it. */
class FlushesAfterBody extends DropsSomeRequests {
  private skipBefore = 0;

  protected keep(i: number, head: HttpRequest): boolean {
    if (i < this.skipBefore) return false;
    if (head.framing.kind !== 'none') this.skipBefore = this.heads.length;
    return true;
  }
}

/** Frames the origin's answer to HEAD by its Content-Length, as if the request had been a GET. */
class ForgetsHead extends UpstreamPool {
  override async acquire(): Promise<{ up: Upstream; reused: boolean }> {
    const got = await super.acquire();
    const parser = got.up.parser;
    const expect = Parser.prototype.expectResponseTo;
    parser.expectResponseTo = (method: string) => expect.call(parser, method === 'HEAD' ? 'GET' : method);
    return got;
  }
}

pipeliningFaults.push(
  {
    name: 'proxy-pipeline-queue-of-two',
    breaks: ['proxy-pipe-five-ordered'],
    description:
      'keeps at most two pipelined requests waiting: what arrives behind them is dropped unanswered',
    connection: QueueOfTwo,
  },
  {
    name: 'proxy-pipeline-flush-after-body',
    breaks: ['proxy-pipe-post-middle'],
    description: 'after a request with a body, discards the requests the client had pipelined behind it',
    connection: FlushesAfterBody,
  },
  {
    name: 'proxy-head-framed-by-length',
    breaks: ['proxy-pipe-head-middle'],
    description:
      "frames the origin's answer to HEAD by its Content-Length and waits for a body that never comes",
    pool: (host, port, idleMs) => new ForgetsHead(host, port, idleMs),
  },
  {
    name: 'proxy-pipeline-skips-lost-request',
    breaks: ['proxy-pipe-origin-dies-get'],
    description:
      'sends nothing for a pipelined request the origin dropped unanswered and goes on with the next: its answer lands on the lost request',
    connection: SkipsLostRequest,
  },
);
