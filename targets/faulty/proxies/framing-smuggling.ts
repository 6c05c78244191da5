import type { FaultyProxy } from './types.js';

export const smugglingFaults: FaultyProxy[] = [];
