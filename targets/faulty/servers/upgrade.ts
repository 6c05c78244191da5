import { createHash } from 'node:crypto';
import { buildResponse } from '../../../harness/wire/build.js';
import type { HttpMessage, HttpRequest } from '../../../harness/wire/parse.js';
import { fieldValue } from '../../../harness/wire/parse.js';
import type { Frame } from '../../../harness/wire/websocket.js';
import { handshakeProblem, offersUpgrade, upgradeProtocols } from '../../../harness/wire/websocket.js';
import { ReferenceConnection, type ResponsePlan } from '../../servers/reference.js';
import { WebSocketSession } from '../../servers/websocket-session.js';
import type { FaultyServer } from './types.js';

/** The request with `Connection: Upgrade` in place of what it said (and HTTP/1.1, if asked). */
function asValidOffer(req: HttpRequest, version?: 'HTTP/1.1'): HttpRequest {
  return {
    ...req,
    version: version ?? req.version,
    headers: [
      ...req.headers.filter((h) => h.name.toLowerCase() !== 'connection'),
      { name: 'Connection', value: 'Upgrade' },
    ],
  };
}

/** Switches to WebSocket on any upgrade offer, whatever protocol it named. */
class SwitchesToUnoffered extends ReferenceConnection {
  protected override handle(req: HttpRequest): ResponsePlan {
    if (offersUpgrade(req.headers) && !upgradeProtocols(req.headers).includes('websocket'))
      return {
        status: 101,
        headers: [
          ['Upgrade', 'websocket'],
          ['Connection', 'Upgrade'],
        ],
        switchTo: 'websocket',
      };
    return super.handle(req);
  }
}

/** Declines an upgrade offer but throws away the bytes that came behind it. */
class DeclinedDropsBehind extends ReferenceConnection {
  protected override declineUpgrade(): void {
    if (this.parser.upgraded) this.parser.takeRest();
    super.declineUpgrade();
  }
}

/** Takes a WebSocket handshake in an HTTP/1.0 request. */
class Http10Upgrade extends ReferenceConnection {
  protected override webSocketHandshake(req: HttpRequest): ResponsePlan {
    return super.webSocketHandshake(req.version === 'HTTP/1.0' ? asValidOffer(req, 'HTTP/1.1') : req);
  }
}

/** Takes Upgrade: websocket as a handshake even where Connection does not name upgrade. */
class UpgradeWithoutConnectionOption extends ReferenceConnection {
  protected override webSocketHandshake(req: HttpRequest): ResponsePlan {
    return super.webSocketHandshake(
      upgradeProtocols(req.headers).includes('websocket') ? asValidOffer(req) : req,
    );
  }
}

/** Switches as soon as a handshake's header section is in: no 100 Continue first, even when asked for. */
class SwitchBeforeContinue extends ReferenceConnection {
  protected override onHead(head: HttpMessage): void {
    const req = head as HttpRequest;
    if (
      handshakeProblem(req) !== undefined ||
      !/100-continue/i.test(fieldValue(req.headers, 'expect') ?? '')
    ) {
      super.onHead(head);
      return;
    }
    const key = fieldValue(req.headers, 'sec-websocket-key')!.trim();
    this.socket.write(buildResponse({ status: 101, headers: this.switchHeaders(key), contentLength: false }));
    this.webSocket = this.newWebSocket(Buffer.alloc(0), req);
  }
}

/** Sec-WebSocket-Accept hashed without the GUID. */
class WrongAccept extends ReferenceConnection {
  protected override switchHeaders(key: string): Array<[string, string]> {
    return super
      .switchHeaders(key)
      .map(([n, v]) =>
        n === 'Sec-WebSocket-Accept' ? [n, createHash('sha1').update(key).digest('base64')] : [n, v],
      );
  }
}

/** Upgrades only the first request of a connection; later handshakes get 400. */
class UpgradeOnlyFirstRequest extends ReferenceConnection {
  protected override webSocketHandshake(req: HttpRequest): ResponsePlan {
    const plan = super.webSocketHandshake(req);
    if (plan.status === 101 && this.served >= 1)
      return {
        status: 400,
        headers: [['Content-Type', 'text/plain']],
        body: Buffer.from('upgrade on a fresh connection only\n'),
      };
    return plan;
  }
}

/** Accepts any Sec-WebSocket-Version. */
class AnyVersion extends ReferenceConnection {
  protected override webSocketHandshake(req: HttpRequest): ResponsePlan {
    return super.webSocketHandshake({
      ...req,
      headers: req.headers.map((h) =>
        h.name.toLowerCase() === 'sec-websocket-version' ? { ...h, value: '13' } : h,
      ),
    });
  }
}

/** Accepts a handshake without Sec-WebSocket-Key (as if the key were empty). */
class NoKeyNeeded extends ReferenceConnection {
  protected override webSocketHandshake(req: HttpRequest): ResponsePlan {
    if (req.headers.some((h) => h.name.toLowerCase() === 'sec-websocket-key'))
      return super.webSocketHandshake(req);
    const plan = super.webSocketHandshake({
      ...req,
      headers: [...req.headers, { name: 'Sec-WebSocket-Key', value: 'AAAAAAAAAAAAAAAAAAAAAA==' }],
    });
    return plan.status === 101 ? { ...plan, headers: this.switchHeaders('') } : plan;
  }
}

/** A WebSocket connection class with one session behaviour replaced. */
function withSession(Session: typeof WebSocketSession, idleCloseMs?: number) {
  return class extends ReferenceConnection {
    protected override newWebSocket(initial: Buffer, req: HttpRequest): WebSocketSession {
      const idle = this.opts.idleTimeoutMs;
      void req;
      return new Session(
        this.socket,
        { pingAfterMs: idle / 2, idleCloseMs: idleCloseMs ?? idle, closeWaitMs: this.opts.lingerMs },
        initial,
      );
    }
  };
}

/** Starts the WebSocket without the bytes that arrived behind the handshake. */
class LosesEarlyFrames extends ReferenceConnection {
  protected override newWebSocket(_initial: Buffer, req: HttpRequest): WebSocketSession {
    return super.newWebSocket(Buffer.alloc(0), req);
  }
}

class NoPong extends WebSocketSession {
  protected override onPing(): void {}
}

/** Stops answering pings once it has sent a keep-alive ping of its own. */
class NoPongAfterOwnPing extends WebSocketSession {
  protected override onPing(f: Frame): void {
    if (this.pings === 0) super.onPing(f);
  }
}

class CloseNotAnswered extends WebSocketSession {
  protected override onClose(): void {
    this.receivedClose = true;
    this.closeTcp();
  }
}

class AcceptsUnmasked extends WebSocketSession {
  protected override acceptsMask(): boolean {
    return true;
  }
}

/** Ends an idle WebSocket after 1 s with a bare FIN: no close frame. */
class IdleDropSilent extends WebSocketSession {
  protected override onIdle(): void {
    this.closeTcp();
  }
}

export const upgradeFaults: FaultyServer[] = [
  {
    name: 'upgrade-switches-to-unoffered',
    breaks: ['upgrade-declined-keeps-connection', 'upgrade-declined-pipelined'],
    description: 'answers every upgrade offer with 101 to websocket, a protocol the client did not offer',
    connection: SwitchesToUnoffered,
  },
  {
    name: 'upgrade-declined-drops-behind',
    breaks: ['upgrade-declined-pipelined'],
    description: 'declines an upgrade offer but discards the bytes that came behind it',
    connection: DeclinedDropsBehind,
  },
  {
    name: 'upgrade-http10-honoured',
    breaks: ['upgrade-http10-ignored'],
    description: 'switches to WebSocket on an HTTP/1.0 handshake',
    connection: Http10Upgrade,
  },
  {
    name: 'upgrade-without-connection-option',
    breaks: ['upgrade-not-in-connection-ignored'],
    description: 'takes Upgrade: websocket as a handshake when Connection does not name upgrade',
    connection: UpgradeWithoutConnectionOption,
  },
  {
    name: 'upgrade-101-without-100',
    breaks: ['upgrade-expect-100-before-101'],
    description:
      'sends no 100 Continue to an upgrade offer with Expect: 100-continue, only the 101 once the body came',
    connection: SwitchBeforeContinue,
  },
  {
    name: 'ws-wrong-accept',
    breaks: ['ws-handshake-kept-connection'],
    description: 'computes Sec-WebSocket-Accept without the RFC 6455 GUID',
    connection: WrongAccept,
  },
  {
    name: 'ws-upgrade-first-request-only',
    breaks: ['ws-handshake-kept-connection'],
    description: 'answers a WebSocket handshake with 400 unless it is the first request on its connection',
    connection: UpgradeOnlyFirstRequest,
  },
  {
    name: 'ws-no-pong',
    breaks: ['ws-ping-pong', 'ws-frame-behind-handshake'],
    measures: ['ws-ping-after-idle'],
    description: 'never answers a ping',
    connection: withSession(NoPong),
  },
  {
    name: 'ws-no-pong-after-own-ping',
    measures: ['ws-ping-after-idle'],
    breaks: [],
    description: 'stops answering pings once it has sent a keep-alive ping of its own',
    connection: withSession(NoPongAfterOwnPing),
  },
  {
    name: 'ws-close-not-answered',
    breaks: ['ws-close-handshake'],
    description: 'ends the TCP connection on a close frame without sending one back',
    connection: withSession(CloseNotAnswered),
  },
  {
    name: 'ws-any-version',
    breaks: ['ws-bad-version'],
    description: 'switches whatever Sec-WebSocket-Version says',
    connection: AnyVersion,
  },
  {
    name: 'ws-no-key-needed',
    breaks: ['ws-missing-key'],
    description: 'switches on a handshake without Sec-WebSocket-Key',
    connection: NoKeyNeeded,
  },
  {
    name: 'ws-loses-early-frames',
    breaks: ['ws-frame-behind-handshake'],
    description: 'drops the bytes that arrived behind the handshake when it switches',
    connection: LosesEarlyFrames,
  },
  {
    name: 'ws-accepts-unmasked',
    breaks: ['ws-unmasked-frame-closes'],
    description: 'takes unmasked frames from a client',
    connection: withSession(AcceptsUnmasked),
  },
  {
    name: 'ws-idle-drop-silent',
    breaks: [],
    measures: ['ws-idle-lifetime'],
    description: 'drops a WebSocket idle for 1 s with a bare FIN, no close frame',
    connection: withSession(IdleDropSilent, 1000),
  },
];
