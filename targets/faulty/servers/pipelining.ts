import type { HttpRequest, ParseError } from '../../../harness/wire/parse.js';
import { Parser } from '../../../harness/wire/parse.js';
import { ReferenceConnection, type ResponsePlan } from '../../servers/reference.js';
import type { FaultyServer } from './types.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Answers only the first request that a read completes; the others that came with it are dropped. */
class FirstPerRead extends ReferenceConnection {
  protected override collect(): void {
    const [first] = this.parser.messages.splice(0);
    if (first) this.parser.messages.push(first);
    super.collect();
  }
}

/** Answers the newest queued request first (a stack, not a queue). */
class LifoPipeline extends ReferenceConnection {
  protected override collect(): void {
    const fresh = this.parser.messages.splice(0) as HttpRequest[];
    this.queue.unshift(...fresh.reverse().map((req) => ({ kind: 'request' as const, req })));
    super.collect();
  }
}

/** Parses every read on its own: bytes of a request not complete at the end of a read are forgotten. */
class DropsPartialReads extends ReferenceConnection {
  protected override feed(chunk: Buffer): void {
    const p = new Parser({ kind: 'request' });
    p.push(chunk);
    for (const m of p.messages) this.queue.push({ kind: 'request', req: m as HttpRequest });
    if (p.error) this.queue.push({ kind: 'error', error: p.error });
  }
}

/**
 * A worker pool: pipelined requests are answered in parallel and each response is written in
 * 16 KiB slices as it is produced, so responses interleave and a fast one overtakes a slow one.
 * (A response that closes the connection still goes out last.)
 */
class ParallelResponses extends ReferenceConnection {
  private readonly inflight = new Set<Promise<void>>();

  protected override async answer(req: HttpRequest): Promise<void> {
    const plan = this.handle(req);
    this.served++;
    const close = this.shouldClose(req, plan);
    if (close) {
      await Promise.all(this.inflight);
      if (plan.delayMs) await sleep(plan.delayMs);
      if (this.socket.destroyed) return;
      this.socket.write(this.serialize(req, plan, true));
      this.closeGracefully();
      return;
    }
    const p = this.sliced(req, plan);
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
  }

  private async sliced(req: HttpRequest, plan: ResponsePlan): Promise<void> {
    if (plan.delayMs) await sleep(plan.delayMs);
    const bytes = this.serialize(req, plan, false);
    for (let at = 0; at < bytes.length; at += 16 * 1024) {
      if (this.socket.destroyed || this.socket.writableEnded) return;
      this.socket.write(bytes.subarray(at, at + 16 * 1024));
      await new Promise<void>((r) => setImmediate(r));
    }
  }

  protected override writeError(error: ParseError): void {
    if (this.inflight.size === 0) super.writeError(error);
    else void Promise.all(this.inflight).then(() => super.writeError(error));
  }

  protected override closeNow(): void {
    if (this.inflight.size === 0) super.closeNow();
    else void Promise.all(this.inflight).then(() => super.closeNow());
  }
}

/** Resets the connection when its output stays backed up (no drain) for 100 ms. */
class ResetOnBacklog extends ReferenceConnection {
  protected override async answer(req: HttpRequest): Promise<void> {
    const done = super.answer(req);
    if (this.socket.writableNeedDrain && !this.socket.destroyed) {
      const timer = setTimeout(() => this.socket.resetAndDestroy(), 100);
      this.socket.once('drain', () => clearTimeout(timer));
      this.socket.once('close', () => clearTimeout(timer));
    }
    await done;
  }
}

/** Keeps at most 32 pipelined requests and silently discards the rest, instead of pausing its reads. */
class PipelineCap extends ReferenceConnection {
  protected override collect(): void {
    super.collect();
    if (this.queue.length > 32) {
      this.queue.length = 32;
      this.socket.resume();
    }
  }
}

export const pipeliningFaults: FaultyServer[] = [
  {
    name: 'first-per-read',
    breaks: [
      'pipe-order-mixed',
      'pipe-order-ten',
      'pipe-split-crlf-1-1',
      'pipe-split-crlf-1-2',
      'pipe-split-crlf-1-3',
      'pipe-deep',
      'pipe-large-first',
      'pipe-slow-first',
    ],
    description: 'answers only the first request a read completes and drops the others read with it',
    connection: FirstPerRead,
  },
  {
    name: 'lifo-pipeline',
    breaks: [
      'pipe-order-mixed',
      'pipe-order-ten',
      'pipe-split-crlf-1-1',
      'pipe-split-crlf-1-2',
      'pipe-split-crlf-1-3',
      'pipe-deep',
      'pipe-large-first',
      'pipe-slow-first',
    ],
    description: 'answers the newest queued pipelined request first (responses out of request order)',
    connection: LifoPipeline,
  },
  {
    name: 'drops-partial-reads',
    breaks: [
      'pipe-split-leftover',
      'pipe-split-bytewise',
      'pipe-split-crlf-1-1',
      'pipe-split-crlf-1-2',
      'pipe-split-crlf-1-3',
      'pipe-split-crlf-2-2',
    ],
    description:
      'parses each read on its own and forgets the bytes of a request that a read leaves unfinished',
    connection: DropsPartialReads,
  },
  {
    name: 'parallel-responses',
    breaks: ['pipe-large-first', 'pipe-slow-first', 'pipe-deep'],
    description:
      'answers pipelined requests in parallel, writing response slices as they come (interleaved, overtaking)',
    connection: ParallelResponses,
  },
  {
    name: 'reset-on-backlog',
    breaks: ['pipe-deep'],
    description: 'resets the connection when its output stays backed up for 100 ms',
    connection: ResetOnBacklog,
  },
  {
    name: 'pipeline-cap',
    breaks: ['pipe-deep'],
    description: 'keeps at most 32 pipelined requests and silently discards the rest',
    connection: PipelineCap,
  },
];
