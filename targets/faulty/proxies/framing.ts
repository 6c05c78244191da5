import type { FaultyProxy } from './types.js';

export const framingFaults: FaultyProxy[] = [];
