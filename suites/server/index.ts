import type { ServerScenario } from '../../harness/server-context.js';
import { chunked } from './chunked.js';
import { close } from './close.js';
import { tlsScenarios } from './close-tls.js';
import { framing } from './framing.js';
import { bodyless } from './framing-bodyless.js';
import { expectContinue } from './framing-expect.js';
import { http10 } from './http10.js';
import { persistence } from './persistence.js';
import { concurrency } from './persistence-concurrency.js';
import { pipelining } from './pipelining.js';
import { timeouts } from './timeouts.js';
import { upgradeScenarios } from './upgrade.js';
import { webSocketScenarios } from './upgrade-websocket.js';

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
  ...upgradeScenarios,
  ...webSocketScenarios,
];
