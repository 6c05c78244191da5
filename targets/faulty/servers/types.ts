import type { Resources } from '../../../harness/targets.js';
import type { ConnectionClass, ReferenceOptions } from '../../servers/reference.js';

/** The reference server with exactly one behaviour broken. */
export interface FaultyServer {
  /** used as `--target faulty:<name>` */
  name: string;
  /** ids of the scenarios built to catch this fault */
  breaks: string[];
  /**
   * ids of scenarios that see this behaviour but may not fail it: a permitted choice, or a de facto
   * rule with no RFC keyword (level INFO). Self-validation expects them to report it as `info`, with
   * what was expected and seen, where the reference gets `pass` or a plain measurement.
   */
  measures?: string[];
  /** the rule it breaks, in a sentence */
  description: string;
  connection: ConnectionClass;
  options?: Partial<ReferenceOptions>;
  /**
   * The resources it declares, in place of the reference's (REFERENCE_RESOURCES): e.g. none
   * for chunked bodies, so that the harness finds its chunked resource itself, as for a URL.
   */
  resources?: Partial<Resources>;
  /** serve over TLS (for the TLS rules) */
  tls?: boolean;
}
