import type { FaultyProxy } from './types.js';

export const http10Faults: FaultyProxy[] = [];
