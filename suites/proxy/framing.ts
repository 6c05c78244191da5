import type { ProxyScenario } from '../../harness/proxy-context.js';

export const framing: ProxyScenario[] = [];
