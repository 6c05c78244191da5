import type { FaultyClient } from './types.js';

export const http10ClientFaults: FaultyClient[] = [];
