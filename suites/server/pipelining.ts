import type { ServerScenario } from '../../harness/context.js';

/** Area `pipelining`. */
export const pipelining: ServerScenario[] = [];
