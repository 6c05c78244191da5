import type { ClientScenario } from '../../harness/client.js';

/** Client scenarios of area `close`. */
export const closeClient: ClientScenario[] = [];
