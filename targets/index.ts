import { FAULTY_SERVERS } from './faulty/servers/index.js';
import { startEmbedded } from './servers/embedded.js';
import type { ServerTarget } from './types.js';

export const REFERENCE_TARGET: ServerTarget = {
  name: 'reference',
  description: 'the embedded reference server: follows every server-side rule (no installation needed)',
  start: (opts) => startEmbedded('reference', opts),
};

export const SERVER_TARGETS: ServerTarget[] = [
  REFERENCE_TARGET,
  ...FAULTY_SERVERS.map(
    (f): ServerTarget => ({
      name: `faulty:${f.name}`,
      description: `faulty: ${f.description}`,
      start: (opts) => startEmbedded(`faulty:${f.name}`, { ...opts, ...f.options }, f.connection),
    }),
  ),
];

export function findServerTarget(name: string): ServerTarget | undefined {
  return SERVER_TARGETS.find((t) => t.name === name);
}
