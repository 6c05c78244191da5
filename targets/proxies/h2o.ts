// H2O (Debian h2o) as a reverse proxy (proxy.reverse.url), upstream connections kept alive.

import { join } from 'node:path';
import { freePort } from '../../harness/launch/ports.js';
import type { ProxyTarget } from '../../harness/targets.js';
import { H2O } from '../programs.js';
import { h2oHead } from '../servers/h2o.js';
import { makeTempDir, sh, startLaunched, upstreamIdleMs, wholeSeconds, writeFiles } from '../servers/real.js';

export const H2O_PROXY: ProxyTarget = {
  name: 'h2o-proxy',
  description:
    'H2O as a reverse proxy (proxy.reverse.url, upstream keep-alive: proxy.timeout.keepalive); idle timeout = http1-request-timeout (whole seconds, rounded up)',
  ...H2O.facts,
  async start(opts) {
    const h2o = H2O.path();
    const port = await freePort();
    const dir = await makeTempDir('h2o-proxy');
    const idle = wholeSeconds(opts.idleTimeoutMs);
    const conf = `${h2oHead(dir, port, idle)}
proxy.timeout.keepalive: ${upstreamIdleMs(opts.idleTimeoutMs)}
hosts:
  default:
    paths:
      /:
        proxy.reverse.url: http://${opts.origin}/
`;
    await writeFiles(dir, { 'h2o.conf': conf });
    return startLaunched({
      name: 'h2o-proxy',
      dir,
      port,
      opts,
      resources: {},
      logs: ['error.log'],
      processes: [{ label: 'h2o', port, command: `${sh(h2o)} -c ${sh(join(dir, 'h2o.conf'))}` }],
      describe: ([pid]) =>
        `h2o-proxy (launched H2O, 127.0.0.1:${port} -> ${opts.origin}, http1-request-timeout ${idle} s, proxy.timeout.keepalive ${upstreamIdleMs(opts.idleTimeoutMs)} ms, pid ${pid})`,
    });
  },
};
