import type { FaultyServer } from './types.js';

export const http10Faults: FaultyServer[] = [];
