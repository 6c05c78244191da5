import type { FaultyClient } from './types.js';

export const expectClientFaults: FaultyClient[] = [];
