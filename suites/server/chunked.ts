import type { ServerScenario } from '../../harness/context.js';

/** Area `chunked`. */
export const chunked: ServerScenario[] = [];
