// What a server-mode scenario gets to work with: connections to the target,
// request builders with the right Host, resources, deadlines and a transcript.

import { randomBytes } from 'node:crypto';
import { skip } from './check.js';
import type { Sightings } from './crosscheck.js';
import type { Area, Scenario, TimingConfig } from './model.js';
import type { PostRefusal } from './probe.js';
import type { Resources } from './targets.js';
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
  /** set when a valid POST before the run was answered 405 or 501 (harness/probe.ts) */
  postRefused?: PostRefusal;
  /** set when two GETs written at once did not both get answered before the run: why (harness/probe.ts) */
  pipelineBroken?: string;
}

export type ResourceKind = Exclude<keyof Resources, 'path'>;

const RESOURCE_OPTION: Record<ResourceKind, string> = {
  chunkedPath: '--chunked-path',
  postPath: '--post-path',
  largePath: '--large-path',
  slowPath: '--slow-path',
  noContentPath: '--no-content-path',
  echoPath: '--echo-path',
  wsPath: '--ws-path',
};

/** What the target offers none of: "the target offers no <what>". */
const RESOURCE_WHAT: Record<ResourceKind, string> = {
  chunkedPath: 'resource that answers with a chunked body',
  postPath: 'resource that accepts a POST body',
  largePath: 'large resource',
  slowPath: 'slow resource',
  noContentPath: 'resource that answers 204',
  echoPath: 'resource that echoes a POST body',
  wsPath: 'WebSocket resource',
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
    /** the scenario's area: only the pipelining area pipelines on a target that drops pipelines */
    readonly area?: Area,
  ) {}

  /** the resource requested by default */
  get path(): string {
    return this.target.resources.path;
  }

  /** A resource of a particular kind, or a skip that names the option to provide one. */
  resource(kind: ResourceKind): string {
    if (kind === 'postPath') this.needsPost();
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
      // One root cause, one failure: where the target drops pipelined requests, only the
      // pipelining scenarios pipeline; the others send each request once the one before is answered.
      ...(this.target.pipelineBroken && this.area !== 'pipelining'
        ? { noPipelining: this.target.pipelineBroken }
        : {}),
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

  /** The resource that takes request bodies (--post-path, else the URL path); a skip where POST is refused. */
  get postTarget(): string {
    this.needsPost();
    return this.target.resources.postPath ?? this.path;
  }

  /** A request with this target's Host. A POST on a target that refuses POST skips the scenario. */
  request(spec: RequestSpec): Req {
    if (spec.method === 'POST') this.needsPost();
    return buildRequest({ host: this.target.authority, ...spec });
  }

  /**
   * For a scenario that sends a POST (a request body): skipped with the reason when the
   * target refused a valid POST before the run. The verdict would be about the refusal,
   * not the framing under test. Requests built with request() and resource('postPath')
   * call this; a scenario that writes a POST as raw bytes calls it itself.
   */
  needsPost(): void {
    const refused = this.target.postRefused;
    if (refused)
      skip(
        `the target refuses a valid POST at ${refused.path} (${refused.status}): this scenario needs one (name a resource that takes POST with --post-path)`,
      );
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
