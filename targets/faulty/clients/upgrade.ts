import { connectionOptions, type HttpResponse, Parser } from '../../../harness/wire/parse.js';
import { encodeFrame, type FrameSpec, upgradeProtocols } from '../../../harness/wire/websocket.js';
import {
  type Connection,
  type Line,
  type PlanRequest,
  ReferenceClient,
  type WsSession,
} from '../../clients/reference-client.js';
import type { FaultyClient } from './types.js';

/** The request offered an upgrade: Upgrade named in Connection. */
const offers = (req: PlanRequest): boolean => {
  const headers = Object.entries(req.headers ?? {}).map(([name, value]) => ({ name, value }));
  return headers.some((h) => h.name.toLowerCase() === 'upgrade') && connectionOptions(headers).has('upgrade');
};

/** Takes any answer to an upgrade offer as a switch: the response body goes to the "new protocol", not to the caller. */
class DeclinedUpgradeSwitched extends ReferenceClient {
  override async perform(req: PlanRequest): Promise<Line> {
    const line = await super.perform(req);
    return offers(req) && 'status' in line ? { ...line, body: '' } : line;
  }
}

/** Puts the connection back into its HTTP pool once its WebSocket has closed. */
class ReusesAfterWebSocket extends ReferenceClient {
  protected override afterWebSocket(c: Connection): void {
    if (c.ended) {
      super.afterWebSocket(c);
      return;
    }
    c.onData = undefined;
    c.parser = new Parser({ kind: 'response', lenient: true });
    c.busy = false;
  }
}

/** Leaves pings unanswered. */
class IgnoresPing extends ReferenceClient {
  protected override answerPing(): void {}
}

/** Answers the server's close frame by dropping the TCP connection, without a close frame. */
class NoCloseReply extends ReferenceClient {
  protected override answerClose(s: WsSession): void {
    s.closeSent = true;
    s.conn.socket.end();
  }
}

/** Closes its WebSocket by closing the TCP connection, without a close frame. */
class CloseWithoutFrame extends ReferenceClient {
  protected override closeWebSocket(s: WsSession): void {
    s.closeSent = true;
    s.conn.socket.end();
  }
}

/** Sends its frames unmasked. */
class Unmasked extends ReferenceClient {
  override frameBytes(spec: FrameSpec): Buffer {
    return encodeFrame({ ...spec, mask: false });
  }
}

/** Checks the 101's Upgrade and Connection fields but not its Sec-WebSocket-Accept. */
class AcceptUnchecked extends ReferenceClient {
  protected override handshakeProblem(_key: string, res: HttpResponse): string | undefined {
    return upgradeProtocols(res.headers).includes('websocket') ? undefined : 'no Upgrade: websocket';
  }
}

export const upgradeClientFaults: FaultyClient[] = [
  {
    name: 'declined-upgrade-switched',
    breaks: ['client-upgrade-declined-reuse'],
    description:
      'takes any answer to an upgrade offer as a switch: the body of a 200 goes to the new protocol',
    client: DeclinedUpgradeSwitched,
  },
  {
    name: 'reuses-after-websocket',
    breaks: ['client-upgrade-no-http-after-101'],
    description: 'puts a connection back into its HTTP pool once its WebSocket has closed',
    client: ReusesAfterWebSocket,
  },
  {
    name: 'ws-ignores-ping',
    breaks: ['client-ws-ping-pong'],
    description: "leaves the server's WebSocket pings unanswered",
    client: IgnoresPing,
  },
  {
    name: 'ws-no-close-reply',
    breaks: ['client-ws-close-reply'],
    description: "drops the TCP connection on the server's close frame without a close frame of its own",
    client: NoCloseReply,
  },
  {
    name: 'ws-close-without-frame',
    breaks: ['client-ws-close-initiated'],
    description: 'closes its WebSocket by closing the TCP connection, without a close frame',
    client: CloseWithoutFrame,
  },
  {
    name: 'ws-unmasked',
    breaks: ['client-ws-masked'],
    description: 'sends its WebSocket frames unmasked',
    client: Unmasked,
  },
  {
    name: 'ws-accept-unchecked',
    breaks: ['client-ws-bad-accept'],
    description:
      'takes a 101 with Upgrade: websocket for a WebSocket without checking its Sec-WebSocket-Accept',
    client: AcceptUnchecked,
  },
];
