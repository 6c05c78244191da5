// Engine types of a target: what a server target offers and how it runs, and a client driver.

/** Resources a server target offers to scenarios that need a particular kind of resource. */
export interface Resources {
  /** the resource requested by default (the URL's path) */
  path: string;
  /** answers GET with a chunked body of unknown length */
  chunkedPath?: string;
  /** accepts a POST body */
  postPath?: string;
  /** the largest resource, for flow-control scenarios */
  largePath?: string;
  /** a resource that answers slowly */
  slowPath?: string;
  /** answers 204 */
  noContentPath?: string;
  /** echoes a POST body */
  echoPath?: string;
  /** speaks WebSocket: answers a valid opening handshake with 101 (RFC 6455) */
  wsPath?: string;
}

export interface RunningTarget {
  url: URL;
  resources: Partial<Resources>;
  /** e.g. 'reference (in-process)', 'launched: nginx -c ...' */
  description: string;
  stop(): Promise<void>;
  /** resolves if the target dies on its own, with a one-line reason */
  died?: Promise<string>;
  /** served with our own test certificate: connect without verifying it */
  tlsInsecure?: boolean;
  /** process group ids of the processes it launched (a real server), for leak checks */
  processGroups?: number[];
  /** the temporary directory holding its configuration and files, removed by stop() */
  tempDir?: string;
}

export interface ServerTargetOptions {
  /** the idle keep-alive timeout the target should use */
  idleTimeoutMs: number;
  /** how long a launched server may take to accept TCP connections (default 10 s) */
  startupTimeoutMs?: number;
}

export interface ServerTarget {
  name: string;
  description: string;
  /** what must be installed, for `keepalive-spec targets` */
  requires?: string;
  /** how to install it (Debian/Ubuntu), e.g. 'apt-get install nginx-light' */
  install?: string;
  /** whether what it requires is installed (absent: built in, always available) */
  installed?(): boolean;
  /** the version of what it runs, e.g. 'nginx/1.22.1' (for the matrix and reports) */
  version?(): string;
  /**
   * The most scenarios it can serve at once without starving some of them (e.g. gunicorn's
   * sync workers serve one connection each); runs should use no higher --concurrency.
   */
  concurrency?: number;
  start(opts: ServerTargetOptions): Promise<RunningTarget>;
}

/** A built-in client driver: a command that speaks the driver protocol (README: the driver protocol). */
export interface ClientTarget {
  name: string;
  description: string;
  /** what must be installed, for `keepalive-spec targets` */
  requires?: string;
  /** how to install it (Debian/Ubuntu packages) */
  install?: string;
  /** whether what it requires is installed (absent: nothing to install) */
  installed?(): boolean;
  /** the version of the client, e.g. 'curl 7.88.1' */
  version?(): string;
  /** the driver command */
  command(): string;
}

export interface ProxyTargetOptions extends ServerTargetOptions {
  /** where the intermediary forwards to: the harness's origin, host:port */
  origin: string;
}

/** A built-in intermediary (proxy mode): started pointing at the harness's origin. */
export interface ProxyTarget {
  name: string;
  description: string;
  requires?: string;
  install?: string;
  installed?(): boolean;
  version?(): string;
  /** the most scenarios it can serve at once (see ServerTarget.concurrency) */
  concurrency?: number;
  start(opts: ProxyTargetOptions): Promise<RunningTarget>;
}
