import type { FaultyClient } from './types.js';

export const chunkedClientFaults: FaultyClient[] = [];
