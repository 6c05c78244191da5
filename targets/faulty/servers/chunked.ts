import type { FaultyServer } from './types.js';

export const chunkedFaults: FaultyServer[] = [];
