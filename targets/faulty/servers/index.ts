import { bodylessFaults } from './bodyless.js';
import { chunkedFaults } from './chunked.js';
import { closeFaults } from './close.js';
import { concurrencyFaults } from './concurrency.js';
import { expectFaults } from './expect.js';
import { framingFaults } from './framing.js';
import { http10Faults } from './http10.js';
import { persistenceFaults } from './persistence.js';
import { pipeliningFaults } from './pipelining.js';
import { timeoutsFaults } from './timeouts.js';
import { tlsFaults } from './tls.js';
import type { FaultyServer } from './types.js';
import { upgradeFaults } from './upgrade.js';

/** Every faulty server target, area by area. */
export const FAULTY_SERVERS: FaultyServer[] = [
  ...http10Faults,
  ...persistenceFaults,
  ...concurrencyFaults,
  ...pipeliningFaults,
  ...chunkedFaults,
  ...closeFaults,
  ...tlsFaults,
  ...timeoutsFaults,
  ...framingFaults,
  ...bodylessFaults,
  ...expectFaults,
  ...upgradeFaults,
];
