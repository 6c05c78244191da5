import type { Header, HttpRequest, HttpResponse } from '../../../harness/wire/parse.js';
import { newWebSocketKey, offersUpgrade, upgradeProtocols } from '../../../harness/wire/websocket.js';
import { DownstreamConnection, type Upstream, UpstreamPool } from '../../proxies/reference.js';
import type { FaultyProxy } from './types.js';

/** Relays the 101, then drops what the client sends: no tunnel behind it. */
class NoTunnel extends DownstreamConnection {
  protected override tunnel(up: Upstream, res: HttpResponse): void {
    super.tunnel(up, res);
    this.pipe = () => {};
  }
}

/** Makes its own WebSocket handshake upstream (a key of its own) and relays the origin's 101 as it is. */
class OwnHandshake extends DownstreamConnection {
  protected override requestFields(req: HttpRequest): Header[] {
    return super
      .requestFields(req)
      .map((h) => (h.name.toLowerCase() === 'sec-websocket-key' ? { ...h, value: newWebSocketKey() } : h));
  }
}

/** A pool that takes back whatever it is given, a switched connection too. */
class LeakyPool extends UpstreamPool {
  adopt(up: Upstream): void {
    this.idle.push(up);
  }
  override async acquire(): Promise<{ up: Upstream; reused: boolean }> {
    const up = this.idle.pop();
    return up ? { up, reused: true } : { up: await this.open(), reused: false };
  }
}

/** Returns the upstream connection of a tunnel to the pool as soon as the 101 is relayed. */
class PoolsSwitched extends DownstreamConnection {
  protected override tunnel(up: Upstream, res: HttpResponse): void {
    super.tunnel(up, res);
    (this.pool as LeakyPool).adopt(up);
  }
}

/** Never reads on after a declined upgrade offer: the next request on the connection hangs. */
class StuckAfterDecline extends DownstreamConnection {
  protected override declined(): void {}
}

/** Passes a WebSocket offer on whatever the client's HTTP version. */
class Http10Upgrade extends DownstreamConnection {
  protected override upgradeTo(req: HttpRequest): string | undefined {
    return offersUpgrade(req.headers) && upgradeProtocols(req.headers).includes('websocket')
      ? 'websocket'
      : undefined;
  }
}

export const upgradeFaults: FaultyProxy[] = [
  {
    name: 'proxy-ws-no-tunnel',
    breaks: ['proxy-ws-tunnel', 'proxy-ws-upstream-not-reused'],
    description: "relays the origin's 101, then drops the client's bytes: no tunnel behind it",
    connection: NoTunnel,
  },
  {
    name: 'proxy-ws-own-handshake',
    breaks: ['proxy-ws-tunnel'],
    description: "sends a WebSocket key of its own upstream and relays the origin's 101 unchanged",
    connection: OwnHandshake,
  },
  {
    name: 'proxy-ws-pools-switched-upstream',
    breaks: ['proxy-ws-upstream-not-reused'],
    description: 'puts the upstream connection of a WebSocket back into its pool once the 101 is relayed',
    connection: PoolsSwitched,
    pool: (host, port, idleMs) => new LeakyPool(host, port, idleMs),
  },
  {
    name: 'proxy-upgrade-declined-stuck',
    breaks: ['proxy-upgrade-declined-persists'],
    description:
      'after an upgrade offer the origin declined, reads no further request on the client connection',
    connection: StuckAfterDecline,
  },
  {
    name: 'proxy-upgrade-http10-passed',
    breaks: ['proxy-upgrade-http10-not-passed'],
    description: "passes an HTTP/1.0 client's WebSocket handshake on as an HTTP/1.1 upgrade offer",
    connection: Http10Upgrade,
  },
];
