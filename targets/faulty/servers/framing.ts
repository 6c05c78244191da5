import type { FaultyServer } from './types.js';

export const framingFaults: FaultyServer[] = [];
