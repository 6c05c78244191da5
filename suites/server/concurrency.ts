import type { ServerScenario } from '../../harness/context.js';

/** Area `persistence`. */
export const concurrency: ServerScenario[] = [];
