import type { ConnectionClass, ReferenceOptions } from '../../servers/reference.js';

/** The reference server with exactly one behaviour broken. */
export interface FaultyServer {
  /** used as `--target faulty:<name>` */
  name: string;
  /** ids of the scenarios built to catch this fault */
  breaks: string[];
  /** the rule it breaks, in a sentence */
  description: string;
  connection: ConnectionClass;
  options?: Partial<ReferenceOptions>;
  /** serve over TLS (for the TLS rules) */
  tls?: boolean;
}
