import type { FaultyProxy } from './types.js';

export const chunkedFaults: FaultyProxy[] = [];
