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
    breaks: ['persist-after-error'],
    description: 'drops the connection after a 4xx response without Connection: close',
    connection: SilentCloseAfterError,
  },
];
