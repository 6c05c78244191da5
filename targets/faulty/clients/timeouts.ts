import type { HttpResponse } from '../../../harness/wire/parse.js';
import {
  type Connection,
  type Line,
  type PlanRequest,
  ReferenceClient,
} from '../../clients/reference-client.js';
import type { FaultyClient } from './types.js';

/**
 * Sockets that stay writable after the server's FIN (allowHalfOpen), so a
 * request written into a connection the server closed really goes on the wire
 * (Node would otherwise refuse the write locally and nothing would be seen).
 */
async function halfOpen(c: Promise<Connection>): Promise<Connection> {
  const conn = await c;
  conn.socket.allowHalfOpen = true;
  return conn;
}

/** Checks an idle connection's liveness only by writing to it: the server's FIN goes unnoticed. */
class StaleIdleReuse extends ReferenceClient {
  protected override acquire(url: URL): Promise<Connection> {
    return halfOpen(super.acquire(url));
  }
  override onIdleEnd(_c: Connection): void {}
  protected override reusable(c: Connection): boolean {
    return !c.dead;
  }
}

/** Drops idle connections after 500 ms with an abortive close (RST), whatever the server advertised. */
class IdleReset extends ReferenceClient {
  private readonly timers = new Map<Connection, NodeJS.Timeout>();
  override async perform(req: PlanRequest): Promise<Line> {
    const line = await super.perform(req);
    for (const list of this.pool.values())
      for (const c of list) {
        if (c.busy || c.dead) continue;
        clearTimeout(this.timers.get(c));
        const timer = setTimeout(() => {
          if (c.busy || c.dead) return;
          c.dead = true;
          c.socket.resetAndDestroy();
        }, 500);
        timer.unref();
        this.timers.set(c, timer);
      }
    return line;
  }
}

/** After a failure before any response byte, sends the request again into the same (closed) connection. */
class RetrySameConnection extends ReferenceClient {
  protected override acquire(url: URL): Promise<Connection> {
    return halfOpen(super.acquire(url));
  }
  // The reference perform(), except that a retry goes into the connection that failed.
  override async perform(req: PlanRequest): Promise<Line> {
    const url = new URL(req.url);
    let conn: Connection;
    try {
      conn = await this.acquire(url);
    } catch (e) {
      return { id: req.id, error: `connect failed: ${(e as Error).message}` };
    }
    for (let attempt = 0; ; attempt++) {
      conn.receivedNow = 0;
      const sent = this.send(conn, this.requestBytes(req, url));
      const r = await conn.response(req.method.toUpperCase());
      if ('failure' in r) {
        if (this.mayRetry(req, conn, r.beforeAnyByte, attempt) && conn.socket.writable) continue;
        conn.close();
        return { id: req.id, error: r.failure };
      }
      conn.used = true;
      const keep = this.keepAfter(req, r);
      if (!keep) this.retire(conn);
      const whole = await sent;
      conn.busy = false;
      if (!keep || !whole || this.poisoned(conn)) this.retire(conn);
      const headers: Record<string, string> = {};
      for (const h of r.headers) headers[h.name.toLowerCase()] = h.value;
      return { id: req.id, status: r.status, body: r.body.toString('latin1'), headers };
    }
  }
}

/**
 * A connection that ends before a complete status line is taken as an empty
 * HTTP/0.9-style response: 200 with an empty body (and no retry).
 */
class ClosedAsEmptyResponse extends ReferenceClient {
  /** requests whose connection failed before any response byte */
  private readonly silent = new Set<string>();
  protected override mayRetry(req: PlanRequest, _conn: Connection, beforeAnyByte: boolean): boolean {
    if (beforeAnyByte) this.silent.add(req.id);
    return false;
  }
  override async perform(req: PlanRequest): Promise<Line> {
    const line = await super.perform(req);
    const noStatusLine =
      'error' in line &&
      (this.silent.has(req.id) || /^connection ended inside a start line/.test(line.error));
    return noStatusLine ? { id: req.id, status: 200, body: '', headers: {} } : line;
  }
}

/** Retries any request, POST included, even after response bytes arrived. */
class RetryPost extends ReferenceClient {
  protected override mayRetry(
    _req: PlanRequest,
    conn: Connection,
    _beforeAnyByte: boolean,
    attempt: number,
  ): boolean {
    return attempt === 0 && conn.used;
  }
}

/** Retries an idempotent request that failed before any response byte up to five times, on any connection. */
class RetryLoop extends ReferenceClient {
  protected override mayRetry(
    req: PlanRequest,
    _conn: Connection,
    beforeAnyByte: boolean,
    attempt: number,
  ): boolean {
    return attempt < 5 && beforeAnyByte && req.method.toUpperCase() !== 'POST';
  }
}

/** Answers a 408 by sending the request again on the same connection, ignoring its Connection: close. */
class Retry408SameConnection extends ReferenceClient {
  protected override keepAfter(req: PlanRequest, res: HttpResponse): boolean {
    return res.status === 408 || super.keepAfter(req, res);
  }
  override async perform(req: PlanRequest): Promise<Line> {
    const line = await super.perform(req);
    return 'status' in line && line.status === 408 ? super.perform(req) : line;
  }
}

export const timeoutsClientFaults: FaultyClient[] = [
  {
    name: 'stale-idle-reuse',
    breaks: ['client-idle-close-noticed'],
    description: 'does not notice the FIN of an idle pooled connection and writes the next request into it',
    client: StaleIdleReuse,
  },
  {
    name: 'idle-reset',
    breaks: ['client-idle-pool-timeout', 'client-idle-keepalive-hint'],
    description: 'drops idle connections after 500 ms with RST instead of FIN',
    client: IdleReset,
  },
  {
    name: 'retry-same-connection',
    breaks: ['client-retry-idempotent-fin'],
    description: 'retries a failed request on the connection the server closed, not on a new one',
    client: RetrySameConnection,
  },
  {
    name: 'closed-as-empty-response',
    breaks: [
      'client-retry-idempotent-fin',
      'client-retry-idempotent-rst',
      'client-retry-idempotent-partial',
      'client-no-retry-post-fin',
      'client-no-retry-post-rst',
      'client-no-retry-post-partial',
      'client-retry-once-reused',
      'client-retry-once-fresh',
    ],
    description:
      'takes a connection that ends before a complete status line as an empty 200 (HTTP/0.9 style)',
    client: ClosedAsEmptyResponse,
  },
  {
    name: 'retry-post',
    breaks: ['client-no-retry-post-fin', 'client-no-retry-post-rst', 'client-no-retry-post-partial'],
    description: 'resends any failed request on a new connection, POST included, even after response bytes',
    client: RetryPost,
  },
  {
    name: 'retry-loop',
    breaks: ['client-retry-once-reused', 'client-retry-once-fresh'],
    description: 'retries a request that failed before any response byte up to five times',
    client: RetryLoop,
  },
  {
    name: 'retry-408-same-connection',
    breaks: ['client-408-on-reused'],
    description: 'resends a request answered 408 + close on the same connection',
    client: Retry408SameConnection,
  },
];
