import type { ServerScenario } from '../../harness/context.js';

/** Area `framing`. */
export const framing: ServerScenario[] = [];
