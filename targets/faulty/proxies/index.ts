import { chunkedFaults } from './chunked.js';
import { closeFaults } from './close.js';
import { framingFaults } from './framing.js';
import { desyncFaults } from './framing-desync.js';
import { smugglingFaults } from './framing-smuggling.js';
import { http10Faults } from './http10.js';
import { persistenceFaults } from './persistence.js';
import { pipeliningFaults } from './pipelining.js';
import { timeoutsFaults } from './timeouts.js';
import type { FaultyProxy } from './types.js';
import { upgradeFaults } from './upgrade.js';

/** Every faulty proxy, area by area. */
export const FAULTY_PROXIES: FaultyProxy[] = [
  ...http10Faults,
  ...persistenceFaults,
  ...pipeliningFaults,
  ...chunkedFaults,
  ...closeFaults,
  ...timeoutsFaults,
  ...framingFaults,
  ...desyncFaults,
  ...smugglingFaults,
  ...upgradeFaults,
];
