import type { ConnectionClass, ReferenceProxyOptions, UpstreamPool } from '../../proxies/reference.js';

/** The reference proxy with exactly one behaviour broken. */
export interface FaultyProxy {
  /** used as `keepalive-spec proxy --target faulty:<name>` */
  name: string;
  /** ids of the proxy scenarios built to catch this fault */
  breaks: string[];
  /** ids of scenarios that see this behaviour but may only report it (INFO); see FaultyServer */
  measures?: string[];
  /** the rule it breaks, in a sentence */
  description: string;
  /** the client-connection class with the fault (default: the reference's) */
  connection?: ConnectionClass;
  /** an upstream pool with the fault (default: the reference's) */
  pool?: (host: string, port: number, idleMs: number) => UpstreamPool;
  options?: Partial<ReferenceProxyOptions>;
}
