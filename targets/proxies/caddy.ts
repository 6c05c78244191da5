// Caddy 2 (Debian caddy) as a reverse proxy (reverse_proxy), plain HTTP/1.1 only, no admin
// endpoint, its state in the temporary directory; upstream connections pooled (HTTP/1.1).

import { join } from 'node:path';
import { freePort } from '../../harness/launch/ports.js';
import type { ProxyTarget } from '../../harness/targets.js';
import { CADDY } from '../programs.js';
import { caddyGlobal } from '../servers/caddy.js';
import { makeTempDir, sh, startLaunched, upstreamIdleMs, writeFiles } from '../servers/real.js';

export const CADDY_PROXY: ProxyTarget = {
  name: 'caddy-proxy',
  description:
    'Caddy 2 as a reverse proxy (reverse_proxy, HTTP/1.1 on both sides, upstream connections pooled); idle timeout = servers { timeouts { idle } } (upstream: transport http { keepalive })',
  ...CADDY.facts,
  async start(opts) {
    const caddy = CADDY.path();
    const port = await freePort();
    const dir = await makeTempDir('caddy-proxy');
    // The site answers any Host (":port"): scenarios send other hosts, and HTTP/1.0 none at all.
    const conf = `${caddyGlobal(dir, opts.idleTimeoutMs)}

http://:${port} {
	bind 127.0.0.1
	reverse_proxy ${opts.origin} {
		transport http {
			versions 1.1
			keepalive ${upstreamIdleMs(opts.idleTimeoutMs)}ms
		}
	}
}
`;
    await writeFiles(dir, { Caddyfile: conf });
    return startLaunched({
      name: 'caddy-proxy',
      dir,
      port,
      opts,
      resources: {},
      processes: [
        {
          label: 'caddy',
          port,
          command: `${sh(caddy)} run --config ${sh(join(dir, 'Caddyfile'))} --adapter caddyfile`,
          env: { HOME: dir, XDG_DATA_HOME: join(dir, 'data'), XDG_CONFIG_HOME: join(dir, 'config') },
        },
      ],
      describe: ([pid]) =>
        `caddy-proxy (launched Caddy, 127.0.0.1:${port} -> ${opts.origin}, idle timeout ${opts.idleTimeoutMs}ms, pid ${pid})`,
    });
  },
};
