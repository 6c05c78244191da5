import type { ClientScenario } from '../../harness/client.js';

/** Client scenarios of area `framing`: surplus bytes, 1xx, request framing, 100-continue. */
export const expectClient: ClientScenario[] = [];
