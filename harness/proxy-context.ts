// What a proxy-mode scenario works with: both hops. Downstream it is a server-mode
// context (raw connections to the intermediary, c1, c2, ...); upstream it scripts
// the shared origin for its own requests and sees what arrived there, on which
// upstream connection (u1, u2, ...), and when. At the end the upstream events
// join the scenario's transcript, so both hops read as one timeline.

import { randomBytes } from 'node:crypto';
import type { Area, Scenario, TimingConfig, WireEvent } from './model.js';
import type { Origin, OriginEarly, OriginScript } from './proxy-origin.js';
import { ServerCtx, type ServerTargetInfo } from './server-context.js';
import type { ReceivedRequest, ServerConn } from './wire/server.js';
import type { Transcript } from './wire/transcript.js';

/** One of the scenario's requests as the origin received it. */
export interface Arrival {
  req: ReceivedRequest;
  /** the path's last part: what the scenario named it (ctx.at(name)) */
  name: string;
  /** the upstream connection's label in this scenario, u1, u2, ... in order of first use */
  conn: string;
  /** scenario time when it was complete */
  at: number;
}

export class ProxyCtx extends ServerCtx {
  /** this scenario's mark in every path it sends: /ksp-<nonce>/... */
  readonly nonce = randomBytes(6).toString('hex');
  private readonly labels = new Map<ServerConn, string>();

  constructor(
    target: ServerTargetInfo,
    readonly origin: Origin,
    timing: TimingConfig,
    transcript: Transcript,
    signal: AbortSignal,
    area?: Area,
  ) {
    super(target, timing, transcript, signal, undefined, area);
    origin.register(this.nonce, { script: (req) => ({ response: defaultAnswer(req) }) });
  }

  /** The default resource of a proxy scenario: a path of its own on the origin. */
  override get path(): string {
    return this.at('r');
  }

  /** A path on the origin that is this scenario's: /ksp-<nonce>/<name>. */
  at(name: string): string {
    return `/ksp-${this.nonce}/${name}`;
  }

  /** What the origin does with this scenario's requests (default: 200 with a body naming the path). */
  serve(script: OriginScript, early?: OriginEarly): void {
    this.origin.register(this.nonce, { script, ...(early ? { early } : {}) });
  }

  /** The scenario's requests that reached the origin, in arrival order; only those named `name`, if given. */
  arrivals(name?: string): Arrival[] {
    return this.origin
      .arrivals(this.nonce)
      .map((req) => ({
        req,
        name: nameOf(req.msg.target),
        conn: this.upLabel(req.conn),
        at: this.upTime(req.at),
      }))
      .filter((a) => name === undefined || a.name === name);
  }

  /** Wait until at least `n` of the scenario's requests (named `name`, if given) reached the origin; those that did. */
  async waitArrivals(n: number, timeoutMs = this.timing.timeoutMs, name?: string): Promise<Arrival[]> {
    const r = await this.origin.until(
      () => {
        const a = this.arrivals(name);
        return a.length >= n ? a : undefined;
      },
      timeoutMs,
      this.signal,
    );
    if (r === 'timeout') {
      this.transcript.expiredWaits++;
      return this.arrivals(name);
    }
    return r;
  }

  /** Wait for the origin to see `conn` end (FIN or RST from the intermediary); false if it did not within `timeoutMs`. */
  async upstreamEnded(conn: ServerConn, timeoutMs = this.timing.timeoutMs): Promise<boolean> {
    const r = await this.origin.until(() => (conn.ended ? true : undefined), timeoutMs, this.signal);
    return r === true;
  }

  /** The upstream connections that carried the scenario's bytes. */
  upstreamConns(): ServerConn[] {
    const conns = this.origin.connsOf(this.nonce);
    for (const c of conns) this.upLabel(c);
    return conns;
  }

  /** The scenario's label of an upstream connection: u1, u2, ... in the order it first used them. */
  upLabel(conn: ServerConn): string {
    let l = this.labels.get(conn);
    if (!l) {
      l = `u${this.labels.size + 1}`;
      this.labels.set(conn, l);
    }
    return l;
  }

  /** An origin transcript time as a time of this scenario's transcript. */
  upTime(t: number): number {
    return t + this.origin.transcript.t0 - this.transcript.t0;
  }

  /** "u1: GET /a, GET /b (open); u2: POST /c (closed by the proxy)": what the origin saw. */
  describeUpstream(): string {
    const conns = this.upstreamConns();
    if (conns.length === 0) return 'nothing reached the origin';
    return conns
      .map((c) => {
        const reqs = c.requests
          .filter((r) => r.msg.target.includes(this.nonce))
          .map((r) => `${r.msg.method} ${nameOf(r.msg.target)}`);
        const others = c.requests.length - reqs.length;
        const end =
          c.clientRstAt !== undefined
            ? 'reset by the proxy'
            : c.clientFinAt !== undefined
              ? 'closed by the proxy'
              : c.serverRstAt !== undefined
                ? 'reset by the origin'
                : c.serverFinAt !== undefined
                  ? 'closed by the origin'
                  : 'open';
        const err = c.parseError ? `, unparsable: ${c.parseError.message}` : '';
        return `${this.upLabel(c)}: ${reqs.join(', ') || 'no complete request'}${others ? ` (+${others} of other scenarios)` : ''} (${end}${err})`;
      })
      .join('; ');
  }

  override async cleanup(): Promise<void> {
    this.origin.unregister(this.nonce);
    this.mergeUpstream();
    super.cleanup();
  }

  /** The upstream events of the scenario's connections, while it ran, join its transcript. */
  private mergeUpstream(): void {
    const conns = this.upstreamConns();
    if (conns.length === 0) return;
    const labels = new Map(conns.map((c) => [c.label, this.upLabel(c)]));
    const shift = this.origin.transcript.t0 - this.transcript.t0;
    const until = this.transcript.now();
    const events: WireEvent[] = this.origin.transcript.events
      .filter((e) => labels.has(e.conn) && e.t + shift >= 0 && e.t + shift <= until)
      .map((e) => ({ ...e, t: e.t + shift, conn: labels.get(e.conn)! }));
    this.transcript.events.push(...events);
    this.transcript.events.sort((a, b) => a.t - b.t);
  }
}

/** The last part of a scenario path: /ksp-<nonce>/a?x -> 'a' */
function nameOf(target: string): string {
  const path = target.split('?')[0]!;
  return path.slice(path.lastIndexOf('/') + 1);
}

function defaultAnswer(req: ReceivedRequest) {
  return {
    status: 200,
    headers: [['Content-Type', 'text/plain']] as Array<[string, string]>,
    body: `origin ${req.msg.method} ${req.msg.target}`,
  };
}

export type ProxyScenario = Scenario<ProxyCtx> & { role: 'proxy' };
