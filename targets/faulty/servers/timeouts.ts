import type { FaultyServer } from './types.js';

export const timeoutsFaults: FaultyServer[] = [];
