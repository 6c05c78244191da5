// Faults of Expect: 100-continue handling.

import {
  connectionOptions,
  fieldValue,
  type HttpMessage,
  type HttpRequest,
} from '../../../harness/wire/parse.js';
import { REFERENCE_RESOURCES, ReferenceConnection, type ResponsePlan } from '../../servers/reference.js';
import type { FaultyServer } from './types.js';

const expectsContinue = (head: HttpMessage) =>
  fieldValue(head.headers, 'expect')?.toLowerCase() === '100-continue';

/** Sends 100 only once body bytes arrive (from the body reader): a client that waits for it deadlocks. */
class ContinueOnBody extends ReferenceConnection {
  protected override maybeSendContinue(): void {}
  protected override onData(chunk: Buffer): void {
    if (this.pendingContinue && !this.closing) {
      this.pendingContinue = undefined;
      this.socket.write('HTTP/1.1 100 Continue\r\n\r\n');
    }
    super.onData(chunk);
  }
}

/** Takes its 100 Continue for the answer: the request that got it never gets a final response. */
class ContinueIsFinal extends ReferenceConnection {
  private readonly continued = new WeakSet<HttpMessage>();
  protected override maybeSendContinue(): void {
    const head = this.pendingContinue;
    super.maybeSendContinue();
    if (head && !this.pendingContinue) this.continued.add(head);
  }
  protected override async answer(req: HttpRequest): Promise<void> {
    if (!this.continued.has(req)) return super.answer(req);
    this.served++;
    if (this.shouldClose(req, this.handle(req))) this.closeGracefully();
  }
}

/**
 * Answers a request with Expect for a missing resource at once (404, no close), and
 * forgets its announced body: the body bytes are parsed as the next request.
 */
class EarlyAnswerDesync extends ReferenceConnection {
  protected override onHead(head: HttpMessage): void {
    if (head.kind === 'request' && expectsContinue(head) && this.handle(head).status === 404) {
      // The parser frames the message by this after the callback: no body.
      head.framing = { kind: 'none', reason: 'answered before its body' };
      return;
    }
    super.onHead(head);
  }
}

/**
 * Answers a request with Expect for a missing resource at once without Connection: close,
 * then closes the connection instead of reading the body: the client could not know.
 */
class EarlyAnswerSilentClose extends EarlyAnswerDesync {
  private readonly early = new WeakSet<HttpMessage>();
  protected override onHead(head: HttpMessage): void {
    super.onHead(head);
    if (head.framing.kind === 'none' && expectsContinue(head)) this.early.add(head);
  }
  protected override async answer(req: HttpRequest): Promise<void> {
    await super.answer(req);
    if (this.early.has(req)) this.closeGracefully();
  }
}

/**
 * On its POST resource, refuses Expect: 100-continue at once with 417 (no close), while other
 * paths get 100 as usual, and forgets the announced body: the body bytes are parsed as the
 * next request. A check on a made-up path alone never sees it.
 */
class EarlyRefusalOnPostResourceDesync extends ReferenceConnection {
  private readonly refused = new WeakSet<HttpMessage>();
  protected override onHead(head: HttpMessage): void {
    const onPostResource =
      head.kind === 'request' &&
      head.method === 'POST' &&
      head.target.split('?')[0] === REFERENCE_RESOURCES.postPath;
    if (onPostResource && head.version === 'HTTP/1.1' && expectsContinue(head)) {
      // The parser frames the message by this after the callback: no body.
      head.framing = { kind: 'none', reason: 'answered before its body' };
      this.refused.add(head);
      return;
    }
    super.onHead(head);
  }
  protected override handle(req: HttpRequest): ResponsePlan {
    if (!this.refused.has(req)) return super.handle(req);
    return {
      status: 417,
      headers: [['Content-Type', 'text/plain']],
      body: Buffer.from('100-continue is not supported here\n'),
    };
  }
}

/** Sends 100 Continue to HTTP/1.0 clients too. */
class ContinueToHttp10 extends ReferenceConnection {
  protected override onHead(head: HttpMessage): void {
    const hasBody =
      head.framing.kind === 'chunked' || (head.framing.kind === 'content-length' && head.framing.length > 0);
    if (expectsContinue(head) && hasBody) {
      this.pendingContinue = head;
      this.maybeSendContinue();
    }
  }
}

/** Acts on Connection: close at the first response it writes: closes right after the 100. */
class CloseAfterContinue extends ReferenceConnection {
  protected override maybeSendContinue(): void {
    const head = this.pendingContinue;
    super.maybeSendContinue();
    if (head && !this.pendingContinue && connectionOptions(head.headers).has('close')) this.closeGracefully();
  }
}

export const expectFaults: FaultyServer[] = [
  {
    name: 'continue-on-body',
    breaks: ['expect-100-immediate'],
    description: 'sends 100 Continue only when body bytes arrive, so a client waiting for it deadlocks',
    connection: ContinueOnBody,
  },
  {
    name: 'continue-is-final',
    breaks: ['expect-100-then-final', 'expect-close-after-final', 'expect-early-final-sync'],
    description: 'sends no final response to a request it sent 100 Continue to',
    connection: ContinueIsFinal,
  },
  {
    name: 'early-answer-desync',
    breaks: ['expect-early-final-sync'],
    description:
      'answers an Expect request for a missing resource at once and parses its body as the next request',
    connection: EarlyAnswerDesync,
  },
  {
    name: 'early-answer-silent-close',
    breaks: ['expect-early-final-sync'],
    description:
      'answers an Expect request for a missing resource at once without Connection: close, then closes instead of reading the body',
    connection: EarlyAnswerSilentClose,
  },
  {
    name: 'early-refusal-post-desync',
    breaks: ['expect-early-final-sync'],
    description:
      'answers an Expect request on its POST resource at once with 417 (no close) and parses its body as the next request; made-up paths get 100',
    connection: EarlyRefusalOnPostResourceDesync,
  },
  {
    name: 'continue-to-http10',
    breaks: ['expect-http10-no-interim'],
    description: 'sends 100 Continue to HTTP/1.0 clients',
    connection: ContinueToHttp10,
  },
  {
    name: 'close-after-continue',
    breaks: ['expect-close-after-final'],
    description: 'closes right after the 100 Continue when the request said Connection: close',
    connection: CloseAfterContinue,
  },
];
