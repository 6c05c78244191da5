import { TargetError } from '../harness/server-mode.js';
import type { ServerTarget } from '../harness/targets.js';
import { VERSION } from '../harness/version.js';
import { FAULTY_SERVERS } from './faulty/servers/index.js';
import { startEmbedded } from './servers/embedded.js';
import { REAL_SERVERS } from './servers/real-targets.js';
import { TEST_CERT, TEST_KEY } from './servers/tls/test-cert.js';

const TEST_TLS = { key: Buffer.from(TEST_KEY), cert: Buffer.from(TEST_CERT) };

export const REFERENCE_TARGET: ServerTarget = {
  name: 'reference',
  version: () => `keepalive-spec ${VERSION}`,
  description: 'the embedded reference server: follows every server-side rule (no installation needed)',
  start: (opts) => startEmbedded('reference', opts),
};

export const REFERENCE_TLS_TARGET: ServerTarget = {
  name: 'reference-tls',
  version: () => `keepalive-spec ${VERSION}, Node ${process.versions.node} TLS`,
  description: 'the reference server over HTTPS (self-signed certificate: use --insecure)',
  start: (opts) => startEmbedded('reference-tls', { ...opts, tls: TEST_TLS }),
};

export const SERVER_TARGETS: ServerTarget[] = [
  REFERENCE_TARGET,
  REFERENCE_TLS_TARGET,
  ...REAL_SERVERS,
  ...FAULTY_SERVERS.map(
    (f): ServerTarget => ({
      name: `faulty:${f.name}`,
      description: `faulty: ${f.description}`,
      start: async (opts) => {
        const running = await startEmbedded(
          `faulty:${f.name}`,
          { ...opts, ...f.options, ...(f.tls ? { tls: TEST_TLS } : {}) },
          f.connection,
        );
        if (f.resources) running.resources = { ...f.resources };
        return running;
      },
    }),
  ),
];

export function findServerTarget(name: string): ServerTarget | undefined {
  return SERVER_TARGETS.find((t) => t.name === name);
}

/** The built-in server target of this name, or TargetError. */
export function resolveServerTarget(name: string): ServerTarget {
  const t = findServerTarget(name);
  if (!t) throw new TargetError(`unknown target ${JSON.stringify(name)} (see: keepalive-spec targets)`);
  return t;
}
