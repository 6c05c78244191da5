import type { FaultyServer } from './types.js';

export const pipeliningFaults: FaultyServer[] = [];
