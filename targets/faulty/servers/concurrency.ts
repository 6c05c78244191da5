import type * as net from 'node:net';
import { ReferenceConnection } from '../../servers/reference.js';
import type { FaultyServer } from './types.js';

/** Connections served at once by the connection-cap target. */
const CAP = 8;

interface Slots {
  active: number;
  waiting: Array<() => void>;
}

// Per server (keyed by the options object every connection of one server shares).
const slotsOf = new WeakMap<object, Slots>();

function acquire(key: object, socket: net.Socket): Promise<void> {
  let slots = slotsOf.get(key);
  if (!slots) slotsOf.set(key, (slots = { active: 0, waiting: [] }));
  const s = slots;
  return new Promise((resolve) => {
    const admit = () => {
      s.active++;
      socket.once('close', () => {
        s.active--;
        s.waiting.shift()?.();
      });
      resolve();
    };
    if (s.active < CAP) return admit();
    s.waiting.push(admit);
    socket.once('close', () => {
      const i = s.waiting.indexOf(admit);
      if (i >= 0) s.waiting.splice(i, 1);
    });
  });
}

/**
 * Serves at most 8 connections at a time, like a prefork server with 8 workers: a connection
 * holds its worker from its first request until it closes, idle or not; later ones wait.
 * (Its idle timeout is 10 s, so idle connections hold their workers longer than a scenario waits.)
 */
class ConnectionCap extends ReferenceConnection {
  private admitted = false;
  private queued = false;

  protected override async process(): Promise<void> {
    if (!this.admitted) {
      if (this.queued) return;
      this.queued = true;
      this.busy = true; // no request timeout while waiting for a worker
      await acquire(this.opts, this.socket);
      this.busy = false;
      this.admitted = true;
      if (this.socket.destroyed) return;
    }
    return super.process();
  }
}

// Per server, every live connection.
const connectionsOf = new WeakMap<object, Set<SerialisedConnections>>();

/** Processes no request while any other connection holds an unfinished request (one global parser lock). */
class SerialisedConnections extends ReferenceConnection {
  private wake?: () => void;

  constructor(...args: ConstructorParameters<typeof ReferenceConnection>) {
    super(...args);
    let set = connectionsOf.get(this.opts);
    if (!set) connectionsOf.set(this.opts, (set = new Set()));
    const all = set;
    all.add(this);
    this.socket.once('close', () => {
      all.delete(this);
      this.wakeOthers();
    });
  }

  private others(): SerialisedConnections[] {
    return [...(connectionsOf.get(this.opts) ?? [])].filter((o) => o !== this);
  }

  private blocked(): boolean {
    return this.others().some((o) => !o.closing && !o.socket.destroyed && !o.parser.idle);
  }

  /** Another connection's parser state may have changed: let waiting connections look again. */
  private wakeOthers(): void {
    for (const o of this.others()) o.wake?.();
  }

  protected override feed(chunk: Buffer): void {
    super.feed(chunk);
    this.wakeOthers();
  }

  protected override closeGracefully(): void {
    super.closeGracefully();
    this.wakeOthers();
  }

  protected override async process(): Promise<void> {
    if (this.wake) return;
    if (this.blocked()) {
      this.busy = true; // no request timeout while waiting for the lock
      while (this.blocked() && !this.socket.destroyed)
        await new Promise<void>((r) => {
          this.wake = r;
        });
      this.wake = undefined;
      this.busy = false;
    }
    return super.process();
  }
}

export const concurrencyFaults: FaultyServer[] = [
  {
    name: 'connection-cap',
    breaks: ['conc-idle-many'],
    description: `serves ${CAP} connections at a time, each holding its slot until it closes (10 s keep-alive timeout); later ones wait`,
    connection: ConnectionCap,
    // Like a prefork server with a long KeepAliveTimeout: idle connections hold their workers well beyond T.
    options: { idleTimeoutMs: 10_000 },
  },
  {
    name: 'serialised-connections',
    breaks: ['conc-stalled-neighbour'],
    description: 'answers nothing on any connection while another holds an unfinished request',
    connection: SerialisedConnections,
  },
];
