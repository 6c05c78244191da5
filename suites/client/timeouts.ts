import type { ClientScenario } from '../../harness/client.js';

/** Client scenarios of area `timeouts`. */
export const timeoutsClient: ClientScenario[] = [];
