import type { FaultyClient } from './types.js';

export const timeoutsClientFaults: FaultyClient[] = [];
