import type { ServerScenario } from '../../harness/context.js';

/** Area `timeouts`. */
export const timeouts: ServerScenario[] = [];
