import type { HttpRequest } from '../../../harness/wire/parse.js';
import { ReferenceConnection, type ResponsePlan } from '../../servers/reference.js';
import type { FaultyServer } from './types.js';

/** Closes after every response, and announces it: HTTP/1.0 behaviour for HTTP/1.1 clients. */
class NoPersistence extends ReferenceConnection {
  protected override shouldClose(): boolean {
    return true;
  }
}

/** Closes after the second response on a connection without saying Connection: close. */
class SilentClose extends ReferenceConnection {
  protected override shouldClose(req: HttpRequest, plan: ResponsePlan): boolean {
    return this.served >= 2 || super.shouldClose(req, plan);
  }
  protected override connectionHeaders(req: HttpRequest, close: boolean): Array<[string, string]> {
    return close && this.served >= 2
      ? super.connectionHeaders(req, false)
      : super.connectionHeaders(req, close);
  }
}

/** Drops the connection after any 4xx response, without announcing it. */
class SilentCloseAfterError extends ReferenceConnection {
  protected override shouldClose(req: HttpRequest, plan: ResponsePlan): boolean {
    return plan.status >= 400 || super.shouldClose(req, plan);
  }
  protected override connectionHeaders(req: HttpRequest, _close: boolean): Array<[string, string]> {
    return super.connectionHeaders(req, false);
  }
}

/** Streams its chunked resource with neither Content-Length nor chunked framing, and keeps the connection. */
class UndelimitedStream extends ReferenceConnection {
  protected override serialize(req: HttpRequest, plan: ResponsePlan, close: boolean): Buffer {
    if (!plan.chunks || req.method === 'HEAD') return super.serialize(req, plan, close);
    const head = super.serialize(req, { ...plan, chunks: undefined, body: Buffer.alloc(0) }, close);
    const text = head.toString('latin1').replace(/Content-Length: 0\r\n/, '');
    return Buffer.concat([Buffer.from(text, 'latin1'), ...plan.chunks]);
  }
}

export const persistenceFaults: FaultyServer[] = [
  {
    name: 'no-persistence',
    breaks: ['persist-default'],
    description: 'closes every HTTP/1.1 connection after one response (announced with Connection: close)',
    connection: NoPersistence,
  },
  {
    name: 'silent-close',
    breaks: ['persist-silent-close', 'persist-default'],
    description: 'closes after the second response without Connection: close',
    connection: SilentClose,
  },
  {
    name: 'silent-close-after-error',
    breaks: ['persist-after-error', 'persist-silent-close'],
    description: 'drops the connection after a 4xx response without Connection: close',
    connection: SilentCloseAfterError,
  },
  {
    name: 'undelimited-stream',
    breaks: ['persist-self-delimited'],
    description:
      'sends its streamed resource without Content-Length or chunked framing and keeps the connection open',
    connection: UndelimitedStream,
  },
];
