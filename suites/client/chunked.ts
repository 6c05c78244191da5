import type { ClientScenario } from '../../harness/client.js';

/** Client scenarios of area `chunked`. */
export const chunkedClient: ClientScenario[] = [];
