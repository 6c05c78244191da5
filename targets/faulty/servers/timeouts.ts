import { buildResponse } from '../../../harness/wire/build.js';
import type { HttpRequest } from '../../../harness/wire/parse.js';
import { ReferenceConnection } from '../../servers/reference.js';
import type { FaultyServer } from './types.js';

const TEXT: Array<[string, string]> = [['Content-Type', 'text/plain']];

/** Ends timed-out connections (idle or stalled) with RST instead of FIN: SO_LINGER 0 on timeout. */
class TimeoutReset extends ReferenceConnection {
  protected override onIdleTimeout(): void {
    this.reset();
  }
  protected override onRequestTimeout(): void {
    this.reset();
  }
  private reset(): void {
    this.closing = true;
    this.socket.resetAndDestroy();
  }
}

/** Writes an unsolicited 408 (with close) on a connection that has been idle, then closes. */
class IdleUnsolicited408 extends ReferenceConnection {
  protected override onIdleTimeout(): void {
    this.onRequestTimeout();
  }
}

/** Gives up on a stalled request with a 408 that does not say Connection: close, then closes anyway. */
class Timeout408WithoutClose extends ReferenceConnection {
  protected override onRequestTimeout(): void {
    this.socket.write(buildResponse({ status: 408, headers: TEXT, body: 'request timeout\n' }));
    this.closeGracefully();
  }
}

/**
 * When a request body stalls, answers 408 but keeps the connection and starts
 * parsing afresh: the bytes that follow are read as a new request.
 */
class BodyTimeoutKeepsConnection extends ReferenceConnection {
  protected override onRequestTimeout(): void {
    if (!/body|chunk|trailer/.test(this.parser.describeState())) {
      super.onRequestTimeout();
      return;
    }
    this.parser = this.newParser();
    this.socket.write(
      buildResponse({
        status: 408,
        headers: [...TEXT, ['Connection', 'keep-alive']],
        body: 'request timeout\n',
      }),
    );
    this.armTimer();
  }
}

/** Advertises Keep-Alive: timeout three times longer than the idle timeout it really applies. */
class AdvertisedTimeoutTooLong extends ReferenceConnection {
  protected override connectionHeaders(req: HttpRequest, close: boolean): Array<[string, string]> {
    const real = Math.floor(this.opts.idleTimeoutMs / 1000);
    return super
      .connectionHeaders(req, close)
      .map(([n, v]): [string, string] =>
        n === 'Keep-Alive' ? [n, v.replace(`timeout=${real}`, `timeout=${3 * real}`)] : [n, v],
      );
  }
}

/** Ignores a client's FIN on an idle connection; only its idle timer (2 s here) ends the connection. */
class IgnoresHalfClose extends ReferenceConnection {
  protected override onClientEnd(): void {
    if (this.parser.idle && this.queue.length === 0 && !this.busy) return;
    super.onClientEnd();
  }
}

/** Enforces its request limit silently: the last response before the close does not say close. */
class SilentRequestLimit extends ReferenceConnection {
  protected override connectionHeaders(req: HttpRequest, close: boolean): Array<[string, string]> {
    return super.connectionHeaders(req, close && this.served < this.opts.maxRequests);
  }
}

/** Advertises the same Keep-Alive: max= on every response instead of counting down. */
class MaxDoesNotCountDown extends ReferenceConnection {
  protected override connectionHeaders(req: HttpRequest, close: boolean): Array<[string, string]> {
    return super
      .connectionHeaders(req, close)
      .map(([n, v]): [string, string] =>
        n === 'Keep-Alive' ? [n, v.replace(/max=\d+/, `max=${this.opts.maxRequests}`)] : [n, v],
      );
  }
}

/**
 * Its idle close, once the timer fired, lands 150 ms later even if a request
 * arrived meanwhile: that request is answered without close, then the
 * connection is closed under it.
 */
class IdleCloseRacesRequest extends ReferenceConnection {
  protected override onIdleTimeout(): void {
    setTimeout(() => {
      if (!this.socket.destroyed) this.closeGracefully();
    }, 150);
  }
}

/**
 * Resets a connection when a request arrives in the last 100 ms before the
 * advertised idle timeout (it really idles out at 1.5 s, advertising 1 s).
 */
class LateRequestReset extends ReferenceConnection {
  private lastDone?: number;
  protected override async answer(req: HttpRequest): Promise<void> {
    await super.answer(req);
    this.lastDone = Date.now();
  }
  protected override onData(chunk: Buffer): void {
    const advertisedMs = Math.floor(this.opts.idleTimeoutMs / 1000) * 1000;
    const idleFor = this.lastDone === undefined ? 0 : Date.now() - this.lastDone;
    if (!this.closing && this.parser.idle && !this.busy && idleFor > advertisedMs - 100) {
      this.closing = true;
      this.socket.resetAndDestroy();
      return;
    }
    super.onData(chunk);
  }
}

export const timeoutsFaults: FaultyServer[] = [
  {
    name: 'timeout-reset',
    breaks: ['timeout-idle-graceful', 'timeout-partial-head'],
    description: 'resets (RST) idle and stalled connections when they time out, instead of a FIN',
    connection: TimeoutReset,
  },
  {
    name: 'idle-unsolicited-408',
    breaks: ['timeout-idle-measure'],
    description: 'writes an unsolicited 408 Request Timeout on an idle connection before closing it',
    connection: IdleUnsolicited408,
  },
  {
    name: 'timeout-408-keeps-quiet',
    breaks: ['timeout-partial-head'],
    description: 'answers a stalled request with a 408 that lacks Connection: close, then closes',
    connection: Timeout408WithoutClose,
  },
  {
    name: 'body-timeout-keeps-connection',
    breaks: ['timeout-stalled-body'],
    description:
      'answers a stalled request body with 408, keeps the connection and parses what follows as a new request',
    connection: BodyTimeoutKeepsConnection,
  },
  {
    name: 'advertised-timeout-too-long',
    // Keep-Alive: timeout is de facto (no RFC keyword): reported, not failed.
    breaks: [],
    measures: ['timeout-keepalive-honoured'],
    description: 'advertises Keep-Alive: timeout three times longer than the idle timeout it applies',
    connection: AdvertisedTimeoutTooLong,
  },
  {
    name: 'ignores-half-close',
    breaks: ['timeout-half-close'],
    description: 'ignores the client FIN on an idle connection and closes only at its idle timeout (2 s)',
    connection: IgnoresHalfClose,
    options: { idleTimeoutMs: 2000 },
  },
  {
    name: 'silent-request-limit',
    breaks: ['timeout-request-limit'],
    description: 'closes after its 100th request without Connection: close on the last response',
    connection: SilentRequestLimit,
  },
  {
    name: 'max-does-not-count-down',
    // Keep-Alive: max is de facto (no RFC keyword): reported, not failed.
    breaks: [],
    measures: ['timeout-request-limit'],
    description: 'advertises the same Keep-Alive: max= on every response',
    connection: MaxDoesNotCountDown,
  },
  {
    name: 'idle-close-races-request',
    breaks: ['retry-idle-race'],
    description:
      'closes 150 ms after its idle timer fired even if a request came meanwhile (answered without close)',
    connection: IdleCloseRacesRequest,
  },
  {
    name: 'late-request-reset',
    breaks: ['retry-idle-race'],
    description:
      'resets the connection when a request arrives in the last 100 ms before the advertised idle timeout',
    connection: LateRequestReset,
    options: { idleTimeoutMs: 1500 },
  },
];
