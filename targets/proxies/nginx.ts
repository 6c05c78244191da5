// nginx (Debian nginx-light) as a reverse proxy: proxy_pass to the origin, in two setups.
// nginx-proxy keeps nginx's default upstream side (HTTP/1.0, a new connection per request);
// nginx-proxy-keepalive pools upstream connections (upstream keepalive, HTTP/1.1, Connection "").

import { join } from 'node:path';
import { freePort } from '../../harness/launch/ports.js';
import type { ProxyTarget, ProxyTargetOptions, RunningTarget } from '../../harness/targets.js';
import { NGINX } from '../programs.js';
import { nginxHead } from '../servers/nginx.js';
import { makeTempDir, sh, startLaunched, upstreamIdleMs, writeFiles } from '../servers/real.js';

async function startNginxProxy(
  name: string,
  opts: ProxyTargetOptions,
  pooled: boolean,
): Promise<RunningTarget> {
  const nginx = NGINX.path();
  const port = await freePort();
  const dir = await makeTempDir(name);
  const upstream = pooled
    ? `  upstream origin {
    server ${opts.origin};
    keepalive 16;
    keepalive_timeout ${upstreamIdleMs(opts.idleTimeoutMs)}ms;
  }`
    : `  upstream origin { server ${opts.origin}; }`;
  const conf = `${nginxHead(dir)}
  keepalive_timeout ${opts.idleTimeoutMs}ms;
${upstream}
  server {
    listen 127.0.0.1:${port};
    server_name localhost;
    location / {
      proxy_pass http://origin;
${pooled ? '      proxy_http_version 1.1;\n      proxy_set_header Connection "";\n' : ''}    }
  }
}
`;
  await writeFiles(dir, { 'nginx.conf': conf, 'tmp/.keep': '' });
  return startLaunched({
    name,
    dir,
    port,
    opts,
    resources: {},
    processes: [
      {
        label: 'nginx',
        port,
        command: `${sh(nginx)} -p ${sh(dir)} -c ${sh(join(dir, 'nginx.conf'))} -e stderr`,
      },
    ],
    describe: ([pid]) =>
      `${name} (launched nginx, 127.0.0.1:${port} -> ${opts.origin}, keepalive_timeout ${opts.idleTimeoutMs}ms, ${pooled ? `upstream keepalive 16 (HTTP/1.1, idle ${upstreamIdleMs(opts.idleTimeoutMs)}ms)` : 'no upstream keepalive (HTTP/1.0)'}, pid ${pid})`,
  });
}

export const NGINX_PROXY: ProxyTarget = {
  name: 'nginx-proxy',
  description:
    "nginx as a reverse proxy (proxy_pass) with nginx's default upstream side: HTTP/1.0 and a new upstream connection per request; idle timeout = keepalive_timeout",
  ...NGINX.facts,
  start: (opts) => startNginxProxy('nginx-proxy', opts, false),
};

export const NGINX_PROXY_KEEPALIVE: ProxyTarget = {
  name: 'nginx-proxy-keepalive',
  description:
    'nginx as a reverse proxy (proxy_pass) with pooled upstream connections: upstream { keepalive 16 }, proxy_http_version 1.1, Connection ""; idle timeout = keepalive_timeout (upstream: keepalive_timeout in the upstream block)',
  ...NGINX.facts,
  start: (opts) => startNginxProxy('nginx-proxy-keepalive', opts, true),
};
