import type { FaultyServer } from './types.js';

export const expectFaults: FaultyServer[] = [];
