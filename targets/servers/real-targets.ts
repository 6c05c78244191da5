// The built-in real server targets, each from a Debian package or Node itself: started on a
// free loopback port with a generated configuration in a temporary directory (see real.ts).

import type { ServerTarget } from '../../harness/targets.js';
import { APACHE_TARGET } from './apache.js';
import { CADDY_TARGET } from './caddy.js';
import { GUNICORN_GTHREAD_TARGET, GUNICORN_SYNC_TARGET } from './gunicorn.js';
import { H2O_TARGET } from './h2o.js';
import { HAPROXY_TARGET } from './haproxy.js';
import { LIGHTTPD_TARGET } from './lighttpd.js';
import { NGINX_TARGET } from './nginx.js';
import { NODE_HTTP_TARGET, NODE_WS_TARGET } from './node-http.js';
import { PYTHON_HTTP10_TARGET, PYTHON_HTTP11_TARGET } from './python-http.js';
import { UVICORN_TARGET } from './uvicorn.js';

export const REAL_SERVERS: ServerTarget[] = [
  NGINX_TARGET,
  APACHE_TARGET,
  LIGHTTPD_TARGET,
  H2O_TARGET,
  CADDY_TARGET,
  HAPROXY_TARGET,
  GUNICORN_SYNC_TARGET,
  GUNICORN_GTHREAD_TARGET,
  UVICORN_TARGET,
  PYTHON_HTTP10_TARGET,
  PYTHON_HTTP11_TARGET,
  NODE_HTTP_TARGET,
  NODE_WS_TARGET,
];
