import type { FaultyClient } from './types.js';

export const framingClientFaults: FaultyClient[] = [];
