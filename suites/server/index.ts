import type { ServerScenario } from '../../harness/server-context.js';
import { bodyless } from './bodyless.js';
import { chunked } from './chunked.js';
import { close } from './close.js';
import { concurrency } from './concurrency.js';
import { expectContinue } from './expect.js';
import { framing } from './framing.js';
import { http10 } from './http10.js';
import { persistence } from './persistence.js';
import { pipelining } from './pipelining.js';
import { timeouts } from './timeouts.js';
import { tlsScenarios } from './tls.js';

/** Every server-mode scenario; the registry orders them area by area. */
export const SERVER_SCENARIOS: ServerScenario[] = [
  ...http10,
  ...persistence,
  ...concurrency,
  ...pipelining,
  ...chunked,
  ...close,
  ...tlsScenarios,
  ...timeouts,
  ...framing,
  ...bodyless,
  ...expectContinue,
];
