import type { FaultyServer } from './types.js';

export const concurrencyFaults: FaultyServer[] = [];
