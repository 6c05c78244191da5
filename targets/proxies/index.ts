// The built-in intermediaries of proxy mode: the reference proxy, the faulty
// ones (each breaks one rule) and real proxies from Debian.

import { TargetError } from '../../harness/errors.js';
import type { ProxyTarget, ProxyTargetOptions, RunningTarget } from '../../harness/targets.js';
import { VERSION } from '../../harness/version.js';
import { FAULTY_PROXIES } from '../faulty/proxies/index.js';
import type { FaultyProxy } from '../faulty/proxies/types.js';
import { REAL_PROXIES } from './real-proxies.js';
import { ReferenceProxy } from './reference.js';

/** Start a reference-based proxy in this process on a free loopback port. */
async function startInProcess(
  name: string,
  opts: ProxyTargetOptions,
  f?: FaultyProxy,
): Promise<RunningTarget> {
  const proxy = new ReferenceProxy(
    { origin: opts.origin, idleTimeoutMs: opts.idleTimeoutMs, ...f?.options },
    f?.connection,
    f?.pool,
  );
  const port = await proxy.listen();
  return {
    url: new URL(`http://127.0.0.1:${port}/`),
    resources: {},
    description: `${name} (in-process, 127.0.0.1:${port}, idle timeout ${opts.idleTimeoutMs} ms)`,
    stop: () => proxy.close(),
  };
}

export const REFERENCE_PROXY: ProxyTarget = {
  name: 'reference-proxy',
  version: () => `keepalive-spec ${VERSION}`,
  description: 'the reference reverse proxy: follows every proxy rule (no installation needed)',
  start: (opts) => startInProcess('reference-proxy', opts),
};

export const PROXY_TARGETS: ProxyTarget[] = [
  REFERENCE_PROXY,
  ...REAL_PROXIES,
  ...FAULTY_PROXIES.map(
    (f): ProxyTarget => ({
      name: `faulty:${f.name}`,
      description: `faulty: ${f.description}`,
      start: (opts) => startInProcess(`faulty:${f.name}`, opts, f),
    }),
  ),
];

export function findProxyTarget(name: string): ProxyTarget | undefined {
  return PROXY_TARGETS.find((t) => t.name === name);
}

/** The built-in intermediary of this name, or TargetError. */
export function resolveProxyTarget(name: string): ProxyTarget {
  const t = findProxyTarget(name);
  if (!t) throw new TargetError(`unknown proxy target ${JSON.stringify(name)} (see: keepalive-spec targets)`);
  return t;
}
