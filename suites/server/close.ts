import type { ServerScenario } from '../../harness/context.js';

/** Area `close`. */
export const close: ServerScenario[] = [];
