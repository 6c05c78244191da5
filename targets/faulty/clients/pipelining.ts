// A pipelining variant of the reference client, and faulty clients that each
// break one pipelining rule (PIPE-05..09). The reference client does not
// pipeline, so these rules need a client that does: PipeliningClient writes up
// to two requests on one connection before their responses when the plan is
// concurrent (sequential plans go through the reference client unchanged).
// As written it keeps every rule; each fault overrides one decision.

import * as net from 'node:net';
import type { HttpResponse } from '../../../harness/wire/parse.js';
import {
  Connection,
  type Line,
  type Plan,
  type PlanRequest,
  ReferenceClient,
} from '../../clients/reference-client.js';
import type { FaultyClient } from './types.js';

const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'TRACE']);

/** A request waiting for a connection, or written and waiting for its response. */
interface Job {
  req: PlanRequest;
  url: URL;
  /** automatic retries so far */
  attempt: number;
  done: (line: Line) => void;
}

/** One connection with its queue of outstanding requests, in the order written. */
class Pipe {
  readonly queue: Job[] = [];
  /** nothing more may be written on it */
  closing = false;
  reading = false;
  private readonly waiters = new Set<() => void>();

  constructor(
    readonly conn: Connection,
    /** it replaces a connection that failed: one request at a time until its first response (RFC 9112 §9.3.2) */
    public probation: boolean,
  ) {
    const wake = () => {
      const ws = [...this.waiters];
      this.waiters.clear();
      for (const w of ws) w();
    };
    for (const ev of ['data', 'end', 'close', 'error']) conn.socket.on(ev, wake);
  }

  changed(): Promise<void> {
    return new Promise((resolve) => this.waiters.add(resolve));
  }

  get usable(): boolean {
    return !this.closing && !this.conn.dead && !this.conn.ended;
  }
}

export class PipeliningClient extends ReferenceClient {
  /** requests outstanding at once on one connection */
  protected readonly depth = 2;
  private pipelining = false;
  private readonly pipes: Pipe[] = [];
  /** requests not yet written, in order */
  private readonly backlog: Job[] = [];
  private opening = false;
  /** the next connection replaces one that failed with requests outstanding */
  private replacing = false;

  override async runPlan(plan: Plan, emit: (line: Line) => void): Promise<void> {
    this.pipelining = plan.concurrent;
    await super.runPlan(plan, emit);
  }

  override perform(req: PlanRequest): Promise<Line> {
    if (!this.pipelining) return super.perform(req);
    return new Promise((done) => {
      this.backlog.push({ req, url: new URL(req.url), attempt: 0, done });
      this.pump();
    });
  }

  // ---- the decisions a fault overrides ----------------------------------------------

  /** May this job be written behind the requests already outstanding on the pipe? */
  protected mayPipeline(p: Pipe, _job: Job): boolean {
    if (p.probation) return false;
    return p.queue.every((j) => this.mayQueueBehind(j.req));
  }

  /** Nothing is pipelined behind a non-idempotent request until its final response (RFC 9112 §9.3.2). */
  protected mayQueueBehind(req: PlanRequest): boolean {
    return IDEMPOTENT.has(req.method.toUpperCase());
  }

  /** A connection opened to replace a failed one starts without pipelining (RFC 9112 §9.3.2). */
  protected probationAfterFailure(): boolean {
    return true;
  }

  /** A 1xx is interim: it answers nothing (RFC 9112 §9.2). */
  protected isFinal(m: HttpResponse): boolean {
    return !m.interim;
  }

  /** After this response nothing more is written on the connection (RFC 9112 §9.6). */
  protected stopsWriting(req: PlanRequest, res: HttpResponse): boolean {
    return !this.keepAfter(req, res);
  }

  /** A request left unanswered by a dying connection: send it again elsewhere? (RFC 9112 §9.3.2) */
  protected retryUnanswered(job: Job, responseStarted: boolean): boolean {
    return !responseStarted && job.attempt === 0 && IDEMPOTENT.has(job.req.method.toUpperCase());
  }

  // ---- machinery ----------------------------------------------------------------------

  private canCarry(p: Pipe, job: Job): boolean {
    if (!p.usable) return false;
    if (p.queue.length === 0) return true;
    return p.queue.length < this.depth && this.mayPipeline(p, job);
  }

  /** Write what can be written; open a connection when none is usable. */
  private pump(): void {
    while (this.backlog.length > 0) {
      const job = this.backlog[0]!;
      const pipe = this.pipes.find((p) => this.canCarry(p, job));
      if (!pipe) {
        if (!this.opening && !this.pipes.some((p) => p.usable)) void this.open(job.url);
        return;
      }
      this.backlog.shift();
      this.write(pipe, job);
    }
  }

  private async open(url: URL): Promise<void> {
    this.opening = true;
    const origin = `${url.hostname}:${url.port || 80}`;
    try {
      const socket = net.connect({ host: url.hostname, port: Number(url.port || 80), allowHalfOpen: true });
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', () => resolve());
        socket.once('error', reject);
      });
      const conn = new Connection(socket, origin, this);
      const list = this.pool.get(origin) ?? [];
      list.push(conn);
      this.pool.set(origin, list);
      this.pipes.push(new Pipe(conn, this.replacing && this.probationAfterFailure()));
      this.replacing = false;
    } catch (e) {
      for (const j of this.backlog.splice(0))
        j.done({ id: j.req.id, error: `connect failed: ${(e as Error).message}` });
    } finally {
      this.opening = false;
    }
    this.pump();
  }

  private write(p: Pipe, job: Job): void {
    p.queue.push(job);
    p.conn.busy = true;
    p.conn.parser.expectResponseTo(job.req.method);
    p.conn.socket.write(this.requestBytes(job.req, job.url));
    if (!p.reading) void this.read(p);
  }

  /** Responses in order, each to the first outstanding request. */
  private async read(p: Pipe): Promise<void> {
    p.reading = true;
    while (p.queue.length > 0) {
      const job = p.queue[0]!;
      const r = await this.next(p);
      if ('failure' in r) {
        this.abandon(p, r.started);
        break;
      }
      p.queue.shift();
      p.probation = false;
      p.conn.used = true;
      const headers: Record<string, string> = {};
      for (const h of r.headers) headers[h.name.toLowerCase()] = h.value;
      job.done({ id: job.req.id, status: r.status, body: r.body.toString('latin1'), headers });
      if (this.stopsWriting(job.req, r)) {
        p.closing = true;
        if (p.queue.length > 0) this.abandon(p, false);
        else p.conn.close();
        break;
      }
      if (p.queue.length === 0) {
        p.conn.busy = false;
        if (this.poisoned(p.conn)) {
          p.closing = true;
          p.conn.close();
        }
      }
      this.pump();
    }
    p.reading = false;
    this.pump();
  }

  private async next(p: Pipe): Promise<HttpResponse | { failure: string; started: boolean }> {
    const parser = p.conn.parser;
    for (;;) {
      const m = parser.messages.shift() as HttpResponse | undefined;
      if (m) {
        if (this.isFinal(m)) return m;
        continue;
      }
      if (parser.error) return { failure: parser.error.message, started: true };
      if (p.conn.ended || p.conn.dead)
        return {
          failure: `connection ${p.conn.reset ? 'reset' : 'closed'} before a complete response`,
          started: parser.pendingBytes > 0,
        };
      await p.changed();
    }
  }

  /** The connection is done with requests still outstanding: retry them elsewhere, or report them. */
  private abandon(p: Pipe, headStarted: boolean): void {
    p.closing = true;
    p.conn.close();
    const left = p.queue.splice(0);
    const again: Job[] = [];
    left.forEach((job, i) => {
      if (this.retryUnanswered(job, i === 0 && headStarted)) again.push({ ...job, attempt: job.attempt + 1 });
      else job.done({ id: job.req.id, error: 'the connection ended before the response' });
    });
    if (again.length > 0) {
      this.replacing = true;
      this.backlog.unshift(...again);
    }
    this.pump();
  }
}

/** Counts a 1xx as the response: every later request on the connection gets the previous one's response. */
class OneXxAsFinal extends PipeliningClient {
  protected override isFinal(): boolean {
    return true;
  }
}

/** Fails every request still queued when a pipelined connection dies, instead of retrying it. */
class FailQueued extends PipeliningClient {
  protected override retryUnanswered(): boolean {
    return false;
  }
}

/** Re-pipelines the whole backlog at once on the connection that replaces a failed one. */
class BurstAfterFailure extends PipeliningClient {
  protected override probationAfterFailure(): boolean {
    return false;
  }
}

/** Pipelines behind a POST. */
class PipelineBehindPost extends PipeliningClient {
  protected override mayQueueBehind(): boolean {
    return true;
  }
}

/** Keeps writing on a connection after a response that said Connection: close. */
class WriteAfterClose extends PipeliningClient {
  protected override stopsWriting(): boolean {
    return false;
  }
}

export const pipeliningClientFaults: FaultyClient[] = [
  {
    name: 'pipe-1xx-as-final',
    breaks: ['client-pipe-order'],
    description: 'pipelines, and takes a 1xx as the response to the request it precedes',
    client: OneXxAsFinal,
  },
  {
    name: 'pipe-fail-queued',
    breaks: ['client-pipe-retry-unanswered-fin', 'client-pipe-retry-unanswered-rst'],
    description: 'pipelines, and fails the queued requests when the connection dies instead of retrying them',
    client: FailQueued,
  },
  {
    name: 'pipe-burst-after-failure',
    breaks: ['client-pipe-no-burst-after-failure'],
    description: 'pipelines the whole backlog at once on the connection that replaces a failed one',
    client: BurstAfterFailure,
  },
  {
    name: 'pipe-behind-post',
    breaks: ['client-pipe-not-behind-post'],
    description: 'pipelines requests behind a POST before its response',
    client: PipelineBehindPost,
  },
  {
    name: 'pipe-write-after-close',
    breaks: ['client-pipe-close-midway'],
    description: 'pipelines, and keeps writing on a connection after a response with Connection: close',
    client: WriteAfterClose,
  },
];
