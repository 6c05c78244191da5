import type { ClientScenario } from '../../harness/client-context.js';
import { chunkedClient } from './chunked.js';
import { closeClient } from './close.js';
import { closeTlsClient } from './close-tls.js';
import { framingClient } from './framing.js';
import { expectClient } from './framing-expect.js';
import { http10Client } from './http10.js';
import { persistenceClient } from './persistence.js';
import { pipeliningClient } from './pipelining.js';
import { timeoutsClient } from './timeouts.js';
import { upgradeClient } from './upgrade.js';

/** Every client-mode scenario; the registry orders them area by area. */
export const CLIENT_SCENARIOS: ClientScenario[] = [
  ...http10Client,
  ...persistenceClient,
  ...pipeliningClient,
  ...chunkedClient,
  ...closeClient,
  ...closeTlsClient,
  ...timeoutsClient,
  ...framingClient,
  ...expectClient,
  ...upgradeClient,
];
