// HAProxy (Debian haproxy) in HTTP mode as a reverse proxy to the origin, with its default
// upstream connection reuse (http-reuse safe) and keep-alive on both sides.

import { join } from 'node:path';
import { freePort } from '../../harness/launch/ports.js';
import type { ProxyTarget } from '../../harness/targets.js';
import { HAPROXY } from '../programs.js';
import { haproxyConfig } from '../servers/haproxy.js';
import { makeTempDir, sh, startLaunched, writeFiles } from '../servers/real.js';

export const HAPROXY_PROXY: ProxyTarget = {
  name: 'haproxy-proxy',
  description:
    'HAProxy in HTTP mode (http-keep-alive, default http-reuse safe) forwarding to the origin; idle timeout = timeout http-keep-alive',
  ...HAPROXY.facts,
  async start(opts) {
    const haproxy = HAPROXY.path();
    const port = await freePort();
    const dir = await makeTempDir('haproxy-proxy');
    const conf = haproxyConfig(port, opts.idleTimeoutMs, 'origin', opts.origin);
    await writeFiles(dir, { 'haproxy.cfg': conf });
    return startLaunched({
      name: 'haproxy-proxy',
      dir,
      port,
      opts,
      resources: {},
      processes: [
        { label: 'haproxy', port, command: `${sh(haproxy)} -db -f ${sh(join(dir, 'haproxy.cfg'))}` },
      ],
      describe: ([pid]) =>
        `haproxy-proxy (launched HAProxy, 127.0.0.1:${port} -> ${opts.origin}, timeout http-keep-alive ${opts.idleTimeoutMs}ms, pid ${pid})`,
    });
  },
};
