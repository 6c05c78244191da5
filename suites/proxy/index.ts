import type { ProxyScenario } from '../../harness/proxy-context.js';
import { chunked } from './chunked.js';
import { close } from './close.js';
import { framing } from './framing.js';
import { desyncs } from './framing-desync.js';
import { smuggling } from './framing-smuggling.js';
import { http10 } from './http10.js';
import { persistence } from './persistence.js';
import { pipelining } from './pipelining.js';
import { timeouts } from './timeouts.js';
import { upgrade } from './upgrade.js';

/** Every proxy-mode scenario; the registry orders them area by area. */
export const PROXY_SCENARIOS: ProxyScenario[] = [
  ...http10,
  ...persistence,
  ...pipelining,
  ...chunked,
  ...close,
  ...timeouts,
  ...framing,
  ...desyncs,
  ...smuggling,
  ...upgrade,
];
