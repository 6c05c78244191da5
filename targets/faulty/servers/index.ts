import { persistenceFaults } from './persistence.js';
import type { FaultyServer } from './types.js';

/** Every faulty server target, area by area. */
export const FAULTY_SERVERS: FaultyServer[] = [...persistenceFaults];
