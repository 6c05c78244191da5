import type { ProxyScenario } from '../../harness/proxy-context.js';

export const http10: ProxyScenario[] = [];
