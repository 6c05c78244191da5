import type { FaultyProxy } from './types.js';

export const closeFaults: FaultyProxy[] = [];
