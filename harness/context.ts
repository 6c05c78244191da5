// What a server-mode scenario gets to work with: connections to the target,
// request builders with the right Host, resources, deadlines and a transcript.

import { randomBytes } from 'node:crypto';
import type { Resources } from '../targets/types.js';
import { skip } from './check.js';
import type { Sightings } from './crosscheck.js';
import type { Scenario, TimingConfig } from './model.js';
import { buildRequest, type HeaderList, type Req, type RequestSpec } from './wire/build.js';
import { type Conn, type Endpoint, openConn } from './wire/conn.js';
import type { Transcript } from './wire/transcript.js';
import { Aborted, sleep } from './wire/wait.js';

export interface ServerTargetInfo {
  url: URL;
  endpoint: Endpoint;
  /** the Host header value */
  authority: string;
  resources: Resources;
}

export type ResourceKind = Exclude<keyof Resources, 'path'>;

const RESOURCE_OPTION: Record<ResourceKind, string> = {
  chunkedPath: '--chunked-path',
  postPath: '--post-path',
  largePath: '--large-path',
  slowPath: '--slow-path',
  noContentPath: '--no-content-path',
  echoPath: '--echo-path',
};

const RESOURCE_WHAT: Record<ResourceKind, string> = {
  chunkedPath: 'a resource that answers with a chunked body',
  postPath: 'a resource that accepts a POST body',
  largePath: 'a large resource',
  slowPath: 'a slow resource',
  noContentPath: 'a resource that answers 204',
  echoPath: 'a resource that echoes a POST body',
};

export class ServerCtx {
  private conns: Conn[] = [];
  private counter = 0;

  constructor(
    readonly target: ServerTargetInfo,
    readonly timing: TimingConfig,
    readonly transcript: Transcript,
    readonly signal: AbortSignal,
    /** where this scenario's connections report cross-cutting findings */
    private readonly crossCheck?: { scenario: string; sightings: Sightings },
  ) {}

  /** the resource requested by default */
  get path(): string {
    return this.target.resources.path;
  }

  /** A resource of a particular kind, or a skip that names the option to provide one. */
  resource(kind: ResourceKind): string {
    const p = this.target.resources[kind];
    if (!p) skip(`the target offers no ${RESOURCE_WHAT[kind]} (name one with ${RESOURCE_OPTION[kind]})`);
    return p;
  }

  /** A new connection to the target, labelled c1, c2, ... and closed when the scenario ends. */
  async connect(): Promise<Conn> {
    const label = `c${++this.counter}`;
    const cc = this.crossCheck;
    const conn = await openConn(this.target.endpoint, {
      label,
      transcript: this.transcript,
      timeoutMs: this.timing.timeoutMs,
      signal: this.signal,
      observe: cc
        ? (rule, what) =>
            cc.sightings.add({
              rule,
              what,
              scenario: cc.scenario,
              conn: label,
              events: this.transcript.events.filter((e) => e.conn === label),
            })
        : undefined,
    });
    this.conns.push(conn);
    return conn;
  }

  /** A path the target almost surely does not serve, unique to this run: /ka-spec-<nonce>. */
  missingPath(prefix = 'ka-spec'): string {
    return `/${prefix}-${randomBytes(5).toString('hex')}`;
  }

  request(spec: RequestSpec): Req {
    return buildRequest({ host: this.target.authority, ...spec });
  }

  get(target = this.path, headers: HeaderList = []): Req {
    return this.request({ method: 'GET', target, headers });
  }

  head(target = this.path, headers: HeaderList = []): Req {
    return this.request({ method: 'HEAD', target, headers });
  }

  note(text: string): void {
    this.transcript.note(text);
  }

  now(): number {
    return this.transcript.now();
  }

  /** A pause; throws Aborted when the scenario is cancelled meanwhile. */
  async sleep(ms: number): Promise<void> {
    if (this.signal.aborted) throw new Aborted();
    await sleep(ms, this.signal);
    if (this.signal.aborted) throw new Aborted();
  }

  /** Close every connection the scenario opened. */
  cleanup(): void {
    for (const c of this.conns) c.destroy();
    this.conns = [];
  }
}

export type ServerScenario = Scenario<ServerCtx> & { role: 'server' };
