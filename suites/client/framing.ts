import type { ClientScenario } from '../../harness/client.js';

/** Client scenarios of area `framing`. */
export const framingClient: ClientScenario[] = [];
