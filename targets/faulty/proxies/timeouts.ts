import type { FaultyProxy } from './types.js';

export const timeoutsFaults: FaultyProxy[] = [];
