import { chunkedClientFaults } from './chunked.js';
import { closeClientFaults } from './close.js';
import { expectClientFaults } from './expect.js';
import { framingClientFaults } from './framing.js';
import { http10ClientFaults } from './http10.js';
import { persistenceClientFaults } from './persistence.js';
import { pipeliningClientFaults } from './pipelining.js';
import { timeoutsClientFaults } from './timeouts.js';
import { tlsClientFaults } from './tls.js';
import type { FaultyClient } from './types.js';
import { upgradeClientFaults } from './upgrade.js';

/** Every faulty client driver, area by area. */
export const FAULTY_CLIENTS: FaultyClient[] = [
  ...http10ClientFaults,
  ...persistenceClientFaults,
  ...pipeliningClientFaults,
  ...chunkedClientFaults,
  ...closeClientFaults,
  ...tlsClientFaults,
  ...timeoutsClientFaults,
  ...framingClientFaults,
  ...expectClientFaults,
  ...upgradeClientFaults,
];
