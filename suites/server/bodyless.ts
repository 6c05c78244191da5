import type { ServerScenario } from '../../harness/context.js';

/** Area `framing`: HEAD, 204, 304 and 1xx responses. */
export const bodyless: ServerScenario[] = [];
