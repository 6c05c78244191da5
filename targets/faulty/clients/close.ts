import type { FaultyClient } from './types.js';

export const closeClientFaults: FaultyClient[] = [];
