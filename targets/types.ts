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
}

export interface ServerTargetOptions {
  /** the idle keep-alive timeout the target should use */
  idleTimeoutMs: number;
}

export interface ServerTarget {
  name: string;
  description: string;
  /** what must be installed, for `keepalive-spec targets` */
  requires?: string;
  start(opts: ServerTargetOptions): Promise<RunningTarget>;
}
