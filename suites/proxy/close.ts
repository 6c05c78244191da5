import type { ProxyScenario } from '../../harness/proxy-context.js';

export const close: ProxyScenario[] = [];
