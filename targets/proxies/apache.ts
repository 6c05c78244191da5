// Apache httpd (Debian apache2), event MPM, as a reverse proxy: mod_proxy_http with ProxyPass,
// keep-alive toward clients and pooled (reused) connections toward the origin.

import { join } from 'node:path';
import { freePort } from '../../harness/launch/ports.js';
import type { ProxyTarget } from '../../harness/targets.js';
import { APACHE } from '../programs.js';
import { apacheHead } from '../servers/apache.js';
import {
  isRoot,
  makeTempDir,
  sh,
  startLaunched,
  unprivileged,
  upstreamIdleMs,
  wholeSeconds,
  writeFiles,
} from '../servers/real.js';

export const APACHE_PROXY: ProxyTarget = {
  name: 'apache-proxy',
  description:
    'Apache httpd (event MPM) as a reverse proxy: mod_proxy_http, ProxyPass / to the origin (nocanon: the path as received), KeepAlive On, upstream connections reused (ttl = upstream idle); idle timeout = KeepAliveTimeout',
  ...APACHE.facts,
  async start(opts) {
    const httpd = APACHE.path();
    const port = await freePort();
    const dir = await makeTempDir('apache-proxy', { readableByOthers: isRoot() });
    const who = isRoot() ? unprivileged() : undefined;
    const ttl = wholeSeconds(upstreamIdleMs(opts.idleTimeoutMs));
    const conf = `${apacheHead(dir, port, opts.idleTimeoutMs, ['proxy', 'proxy_http'])}
ProxyRequests Off
ProxyPass "/" "http://${opts.origin}/" nocanon ttl=${ttl}
<Location />
  Require all granted
</Location>
`;
    await writeFiles(dir, { 'httpd.conf': conf, 'run/.keep': '' });
    return startLaunched({
      name: 'apache-proxy',
      dir,
      port,
      opts,
      resources: {},
      logs: ['error.log'],
      processes: [
        {
          label: 'apache2',
          port,
          command: `${sh(httpd)} -d ${sh(dir)} -f ${sh(join(dir, 'httpd.conf'))} -DFOREGROUND`,
        },
      ],
      describe: ([pid]) =>
        `apache-proxy (launched Apache httpd, event MPM, 127.0.0.1:${port} -> ${opts.origin}, KeepAliveTimeout ${opts.idleTimeoutMs}ms, upstream ttl ${ttl} s${who ? `, children as ${who.user}` : ''}, pid ${pid})`,
    });
  },
};
