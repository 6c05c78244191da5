import type { ClientScenario } from '../../harness/client.js';

/** Client scenarios of area `http10`. */
export const http10Client: ClientScenario[] = [];
