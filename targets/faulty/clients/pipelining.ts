import type { FaultyClient } from './types.js';

export const pipeliningClientFaults: FaultyClient[] = [];
