import type { ServerScenario } from '../../harness/context.js';
import { persistence } from './persistence.js';

/** Every server-mode scenario, in report order (area by area). */
export const SERVER_SCENARIOS: ServerScenario[] = [...persistence];
