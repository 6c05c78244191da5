import type { ProxyTarget } from '../../harness/targets.js';

/** Real intermediaries from Debian, each started with a temporary configuration that forwards to the origin. */
export const REAL_PROXIES: ProxyTarget[] = [];
