import type { ClientScenario } from '../../harness/client.js';

/** Client scenarios of area `pipelining`. */
export const pipeliningClient: ClientScenario[] = [];
