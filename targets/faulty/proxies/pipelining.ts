import { DownstreamConnection, type Exchange } from '../../proxies/reference.js';
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
    breaks: ['proxy-pipe-slow-first'],
    description: 'answers pipelined requests in the order the origin answers them, not the order they came',
    connection: AnswersInOriginOrder,
  },
];
