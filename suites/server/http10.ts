import type { ServerScenario } from '../../harness/context.js';

/** Area `http10`. */
export const http10: ServerScenario[] = [];
