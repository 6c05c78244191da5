import type { ReferenceClient } from '../../clients/reference-client.js';

/** The reference client with exactly one behaviour broken. */
export interface FaultyClient {
  /** used as `keepalive-spec client --target faulty:<name>` */
  name: string;
  /** ids of the client scenarios built to catch this fault */
  breaks: string[];
  description: string;
  client: new () => ReferenceClient;
}
