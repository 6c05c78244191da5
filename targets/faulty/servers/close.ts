import type { FaultyServer } from './types.js';

export const closeFaults: FaultyServer[] = [];
