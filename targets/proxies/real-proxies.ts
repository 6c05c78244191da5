import type { ProxyTarget } from '../../harness/targets.js';
import { APACHE_PROXY } from './apache.js';
import { CADDY_PROXY } from './caddy.js';
import { H2O_PROXY } from './h2o.js';
import { HAPROXY_PROXY } from './haproxy.js';
import { LIGHTTPD_PROXY } from './lighttpd.js';
import { NGINX_PROXY, NGINX_PROXY_KEEPALIVE } from './nginx.js';
import { SQUID_PROXY } from './squid.js';
import { TINYPROXY_PROXY } from './tinyproxy.js';
import { TRAFFICSERVER_PROXY } from './trafficserver.js';
import { VARNISH_PROXY } from './varnish.js';

/** Real intermediaries from Debian, each started with a temporary configuration that forwards to the origin. */
export const REAL_PROXIES: ProxyTarget[] = [
  NGINX_PROXY,
  NGINX_PROXY_KEEPALIVE,
  HAPROXY_PROXY,
  CADDY_PROXY,
  APACHE_PROXY,
  H2O_PROXY,
  LIGHTTPD_PROXY,
  SQUID_PROXY,
  VARNISH_PROXY,
  TINYPROXY_PROXY,
  TRAFFICSERVER_PROXY,
];
