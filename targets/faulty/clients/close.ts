import type { HttpResponse } from '../../../harness/wire/parse.js';
import { connectionOptions } from '../../../harness/wire/parse.js';
import {
  type Connection,
  type Line,
  type PlanRequest,
  ReferenceClient,
} from '../../clients/reference-client.js';
import type { FaultyClient } from './types.js';

/** The response as a client sees it that misses its `close` token. */
function withoutClose(res: HttpResponse): HttpResponse {
  const headers = res.headers.map((h) =>
    h.name.toLowerCase() === 'connection'
      ? {
          ...h,
          value: h.value
            .split(',')
            .filter((t) => t.trim().toLowerCase() !== 'close')
            .join(','),
        }
      : h,
  );
  return { ...res, headers };
}

/** Does not look at the response's Connection: close at all: only the server's FIN retires a connection. */
class IgnoresResponseClose extends ReferenceClient {
  protected override keepAfter(req: PlanRequest, res: HttpResponse): boolean {
    return super.keepAfter(req, withoutClose(res));
  }
}

/** Compares the first Connection line with "close", exactly: misses Close, lists, and a second line. */
class CloseExactFirstLine extends ReferenceClient {
  protected override keepAfter(req: PlanRequest, res: HttpResponse): boolean {
    const first = res.headers.find((h) => h.name.toLowerCase() === 'connection')?.value;
    return super.keepAfter(req, first === 'close' ? res : withoutClose(res));
  }
}

/** Lets keep-alive win when a response says both keep-alive and close. */
class KeepAliveWins extends ReferenceClient {
  protected override keepAfter(req: PlanRequest, res: HttpResponse): boolean {
    return super.keepAfter(req, connectionOptions(res.headers).has('keep-alive') ? withoutClose(res) : res);
  }
}

/** Forgets that its own request said close: reuses the connection when the server did not close it. */
class IgnoresOwnClose extends ReferenceClient {
  protected override keepAfter(req: PlanRequest, res: HttpResponse): boolean {
    const headers = Object.fromEntries(
      Object.entries(req.headers ?? {}).filter(([n]) => n.toLowerCase() !== 'connection'),
    );
    return super.keepAfter({ ...req, headers }, res);
  }
}

/** Stops using a finished connection but does not close it: it waits for the server (or the end of the plan). */
class LazyClose extends ReferenceClient {
  protected override retire(c: Connection): void {
    c.dead = true;
  }
}

/** Takes a response without a length for one with an empty body. */
class NoLengthEmpty extends ReferenceClient {
  override async perform(req: PlanRequest): Promise<Line> {
    const line = await super.perform(req);
    if (!('status' in line) || 'content-length' in line.headers) return line;
    if (/(^|,)\s*chunked\s*$/i.test(line.headers['transfer-encoding'] ?? '')) return line;
    return { ...line, body: '' };
  }
}

/** Refuses close-delimited bodies: a response without a length that ends with the connection is an error. */
class NoLengthError extends ReferenceClient {
  override async perform(req: PlanRequest): Promise<Line> {
    const line = await super.perform(req);
    if (!('status' in line) || 'content-length' in line.headers || 'transfer-encoding' in line.headers)
      return line;
    if (line.status === 204 || line.status === 304 || req.method === 'HEAD') return line;
    return { id: line.id, error: 'connection closed before the end of the response' };
  }
}

/** Writes the whole request at once and never looks at the connection while the body goes out. */
class UploadsRegardless extends ReferenceClient {
  protected override send(conn: Connection, bytes: Buffer): Promise<boolean> {
    return new Promise((resolve) => conn.socket.write(bytes, (e) => resolve(!e)));
  }
}

/** Loses the server's early answer to an upload: reports the refused upload as a transport error. */
class UploadErrorNotStatus extends ReferenceClient {
  override async perform(req: PlanRequest): Promise<Line> {
    const line = await super.perform(req);
    if ('status' in line && line.status >= 400 && (req.body?.length ?? 0) > 1024 * 1024)
      return { id: line.id, error: 'write EPIPE: the server closed the connection during the upload' };
    return line;
  }
}

const TOKENS = ['mixed-case', 'upper-case', 'list-last', 'list-first', 'with-keep-alive', 'second-line'].map(
  (v) => `client-close-token-${v}`,
);

export const closeClientFaults: FaultyClient[] = [
  {
    name: 'ignores-response-close',
    breaks: ['client-close-response-close', ...TOKENS],
    description: "ignores a response's Connection: close; only the server's FIN retires a connection",
    client: IgnoresResponseClose,
  },
  {
    name: 'close-exact-first-line',
    breaks: TOKENS,
    description: 'recognises close only as the exact value "close" of the first Connection line',
    client: CloseExactFirstLine,
  },
  {
    name: 'keep-alive-wins',
    breaks: ['client-close-token-with-keep-alive'],
    description: 'keeps the connection when a response says both keep-alive and close',
    client: KeepAliveWins,
  },
  {
    name: 'ignores-own-close',
    breaks: ['client-close-request-close'],
    description: 'reuses a connection after its own request said Connection: close',
    client: IgnoresOwnClose,
  },
  {
    name: 'lazy-close',
    breaks: ['client-close-response-close', ...TOKENS, 'client-close-request-close'],
    description: 'stops using a connection after close but leaves it open until the end of the plan',
    client: LazyClose,
  },
  {
    name: 'no-length-empty',
    breaks: [
      'client-close-delimited',
      'client-close-delimited-false-keep-alive',
      'client-close-delimited-unknown-coding',
    ],
    description: 'takes a response without Content-Length or chunked for an empty one',
    client: NoLengthEmpty,
  },
  {
    name: 'no-length-error',
    breaks: ['client-close-delimited', 'client-close-delimited-false-keep-alive'],
    description: 'reports a close-delimited response as an error',
    client: NoLengthError,
  },
  {
    name: 'uploads-regardless',
    breaks: ['client-close-early-413'],
    description: 'writes a request body in full whatever the server answered meanwhile',
    client: UploadsRegardless,
  },
  {
    name: 'upload-error-not-status',
    breaks: ['client-close-early-413'],
    description: 'reports an upload the server refused early as a transport error, losing the response',
    client: UploadErrorNotStatus,
  },
];
