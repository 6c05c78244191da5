import type { FaultyServer } from './types.js';

export const bodylessFaults: FaultyServer[] = [];
