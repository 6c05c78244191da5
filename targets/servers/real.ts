import { existsSync, readFileSync, rmSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitForPort } from '../../harness/launch/ports.js';
import { type Launched, launch } from '../../harness/launch/process.js';
import type { Resources, RunningTarget, ServerTargetOptions } from '../../harness/targets.js';

/** Is the harness running as root (servers that drop privileges need readable files then)? */
export const isRoot = (): boolean => process.getuid?.() === 0;

/** As root, a server's children (httpd's, squid's, tinyproxy's) run as another user: the first of these that exists. */
export function unprivileged(): { user: string; group: string } {
  let passwd = '';
  let groups = '';
  try {
    passwd = readFileSync('/etc/passwd', 'utf8');
    groups = readFileSync('/etc/group', 'utf8');
  } catch {
    // use the defaults
  }
  const has = (db: string, name: string) => db.split('\n').some((l) => l.startsWith(`${name}:`));
  const user = ['www-data', 'nobody', 'daemon'].find((u) => has(passwd, u)) ?? 'nobody';
  const group = [user, 'nogroup', 'nobody'].find((g) => has(groups, g)) ?? 'nogroup';
  return { user, group };
}

/** The idle timeout in whole seconds, for servers that take no finer unit (rounded up, at least 1). */
export const wholeSeconds = (ms: number): number => Math.max(1, Math.ceil(ms / 1000));

/** Quote a string for the shell command launch() runs. */
export const sh = (s: string): string => `'${s.replaceAll("'", `'\\''`)}'`;

// ---- what the servers serve ----------------------------------------------------------------

/** The default resource, a static page of a few hundred bytes. */
export const INDEX_HTML = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>keepalive-spec</title></head>
<body>
<h1>keepalive-spec</h1>
<p>A small static page served by a real HTTP server under test. The harness requests it
again and again on persistent connections, pipelines it, and asks for it conditionally.</p>
</body>
</html>
`;
export const LARGE_SIZE = 256 * 1024;
export const largeBody = (): Buffer => Buffer.alloc(LARGE_SIZE, 'keepalive-spec large body line.\n');
export const STREAM_LINES = ['streamed chunk one\n', 'streamed chunk two\n', 'streamed chunk three\n'];
/** Fixed validators for the generated applications' default resource (static servers use their own). */
export const APP_ETAG = '"ka-app-1"';
export const APP_LAST_MODIFIED = 'Mon, 02 Nov 2026 10:00:00 GMT';

/**
 * CGI scripts (POSIX sh) for servers that run CGI: a body of unknown length in pieces (the
 * server frames it, chunked toward HTTP/1.1), a POST that reads its whole body, an echo, a 204
 * and a slow answer. The pauses in stream.cgi make the server send what it has before the end,
 * so it cannot count the length.
 */
export const CGI_SCRIPTS: Record<string, string> = {
  'stream.cgi': `#!/bin/sh
printf 'Content-Type: text/plain\\r\\n\\r\\n'
${STREAM_LINES.map((l) => `printf '${l.replace('\n', '\\n')}'`).join('\nsleep 0.02\n')}
`,
  'post.cgi': `#!/bin/sh
# reads the whole request body, then says how long it was
n=$(wc -c | tr -d ' ')
body="received $n bytes"
printf 'Content-Type: text/plain\\r\\nContent-Length: %d\\r\\n\\r\\n%s\\n' $((\${#body} + 1)) "$body"
`,
  'echo.cgi': `#!/bin/sh
printf 'Content-Type: application/octet-stream\\r\\n\\r\\n'
exec cat
`,
  '204.cgi': `#!/bin/sh
printf 'Status: 204 No Content\\r\\n\\r\\n'
`,
  'slow.cgi': `#!/bin/sh
sleep 0.15
printf 'Content-Type: text/plain\\r\\nContent-Length: 14\\r\\n\\r\\nslow response\\n'
`,
};

/** The resources of a static server with the CGI scripts above in its document root. */
/** The resources of our generated applications (the Python WSGI and ASGI apps, the Node script). */
export const APP_RESOURCES: Partial<Resources> = {
  path: '/',
  postPath: '/',
  chunkedPath: '/stream',
  largePath: '/large',
  slowPath: '/slow',
  noContentPath: '/204',
  echoPath: '/echo',
};

export const CGI_RESOURCES: Partial<Resources> = {
  path: '/',
  chunkedPath: '/stream.cgi',
  postPath: '/post.cgi',
  echoPath: '/echo.cgi',
  noContentPath: '/204.cgi',
  slowPath: '/slow.cgi',
  largePath: '/large.bin',
};

/** A fresh temporary directory for one run of `name` (removed by stop(), or at exit at the latest). */
export async function makeTempDir(name: string, opts: { readableByOthers?: boolean } = {}): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `keepalive-spec-${name}-`));
  liveDirs.add(dir);
  // A server that drops root privileges to another user must still read its files.
  if (opts.readableByOthers) await chmod(dir, 0o755);
  return dir;
}

const liveDirs = new Set<string>();
process.once('exit', () => {
  for (const dir of liveDirs) rmSync(dir, { recursive: true, force: true });
});

/** Write files below `dir` (executable when `mode` says so), creating directories on the way. */
export async function writeFiles(
  dir: string,
  files: Record<string, string | Buffer | { content: string | Buffer; mode: number }>,
): Promise<void> {
  for (const [rel, f] of Object.entries(files)) {
    const path = join(dir, rel);
    await mkdir(dirname(path), { recursive: true, mode: 0o755 });
    const { content, mode } = typeof f === 'string' || Buffer.isBuffer(f) ? { content: f, mode: 0o644 } : f;
    await writeFile(path, content, { mode });
    await chmod(path, mode);
  }
}

/** The document root `www/` with index.html and large.bin, and the CGI scripts if asked. */
export async function writeDocroot(dir: string, opts: { cgi?: boolean } = {}): Promise<string> {
  const www = join(dir, 'www');
  await writeFiles(www, {
    'index.html': INDEX_HTML,
    'large.bin': largeBody(),
    ...(opts.cgi
      ? Object.fromEntries(Object.entries(CGI_SCRIPTS).map(([n, c]) => [n, { content: c, mode: 0o755 }]))
      : {}),
  });
  return www;
}

/** A file compiled beside this module (a script of ours run by node); from source, its copy in dist/. */
export function compiledFile(file: string): string {
  const path = fileURLToPath(new URL(file, import.meta.url));
  if (existsSync(path)) return path;
  return path.replace(/([\\/])targets([\\/])servers([\\/])/, '$1dist$1targets$2servers$3');
}

/**
 * The reference server as a process of its own behind a real server (HAProxy's backend, the
 * WebSocket resource that nginx and Caddy proxy to). Its idle timeout is long, so that the
 * front's idle upstream connections stay usable.
 */
export function referenceBackend(port: number, idleSeconds = 60): ProcessSpec {
  const backend = compiledFile('./reference-main.js');
  if (!existsSync(backend))
    throw new Error(`the reference backend ${backend} is missing (run: npm run build)`);
  return {
    label: 'reference backend',
    port,
    command: `${sh(process.execPath)} ${sh(backend)} --port ${port} --idle ${idleSeconds} --max-requests 1000000`,
  };
}

// ---- launching ------------------------------------------------------------------------------

export interface ProcessSpec {
  /** names the process in messages, e.g. 'nginx' */
  label: string;
  /** the command, run through the shell with `exec` so that the launched pid is the server's */
  command: string;
  /** ready when this loopback port accepts TCP */
  port: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export interface LaunchedTargetSpec {
  name: string;
  /** the temporary directory: the processes' working directory by default; removed by stop() */
  dir: string;
  /** started in this order, each after the previous one is ready (e.g. a backend, then a proxy) */
  processes: ProcessSpec[];
  /** the loopback port clients connect to */
  port: number;
  resources: Partial<Resources>;
  /** what the target is and how it was set up, given the pids */
  describe(pids: number[]): string;
  /** log files (relative to dir) whose last lines explain a failed start */
  logs?: string[];
  opts: ServerTargetOptions;
}

const DEFAULT_STARTUP_MS = 10_000;

/** The last lines of what a process printed, and of its log files. */
function lastWords(proc: Launched, dir: string, logs: string[]): string {
  const lines = proc.tail().split('\n').filter(Boolean);
  for (const log of logs) {
    try {
      lines.push(...readFileSync(join(dir, log), 'utf8').split('\n').filter(Boolean).slice(-5));
    } catch {
      // no such log yet
    }
  }
  const last = lines.slice(-4).map((l) => l.trim().slice(0, 300));
  return last.length ? `; last output: ${last.join(' | ')}` : '';
}

/** Launch the processes of a real server target and wait until each accepts TCP. */
export async function startLaunched(spec: LaunchedTargetSpec): Promise<RunningTarget> {
  const started: Array<{ proc: Launched; label: string }> = [];
  const logs = spec.logs ?? [];
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      for (const { proc } of [...started].reverse()) await proc.stop();
      await rm(spec.dir, { recursive: true, force: true });
      liveDirs.delete(spec.dir);
    })();
    return stopped;
  };
  const deadline = spec.opts.startupTimeoutMs ?? DEFAULT_STARTUP_MS;
  for (const p of spec.processes) {
    let proc: Launched;
    try {
      proc = launch(`exec ${p.command}`, { cwd: p.cwd ?? spec.dir, ...(p.env ? { env: p.env } : {}) });
    } catch (e) {
      await stop();
      throw new Error(`cannot start ${p.label}: ${(e as Error).message}`);
    }
    started.push({ proc, label: p.label });
    try {
      await waitForPort('127.0.0.1', p.port, deadline, {
        gaveUp: () =>
          proc.exitInfo ? `${p.label} ${proc.exitInfo} before accepting connections` : undefined,
      });
    } catch (e) {
      // Give a process that is dying a moment to say why.
      await Promise.race([proc.exited, new Promise((r) => setTimeout(r, 200))]);
      const message = (e as Error).message;
      const why = `${proc.exitInfo ? message : `${p.label}: ${message}`}${lastWords(proc, spec.dir, logs)}`;
      await stop();
      throw new Error(why);
    }
  }
  const pids = started.map((s) => s.proc.pid);
  return {
    url: new URL(`http://127.0.0.1:${spec.port}/`),
    resources: spec.resources,
    description: spec.describe(pids),
    stop,
    died: Promise.race(
      started.map(({ proc, label }) =>
        proc.exited.then((info) => `${label} ${info}${lastWords(proc, spec.dir, logs)}`),
      ),
    ),
    processGroups: pids,
    tempDir: spec.dir,
  };
}

// ---- intermediaries (proxy mode) ------------------------------------------------------------

/** The host and port of a proxy target's origin, given as 'host:port'. */
export function splitOrigin(origin: string): { host: string; port: number } {
  const i = origin.lastIndexOf(':');
  return { host: origin.slice(0, i), port: Number(origin.slice(i + 1)) };
}

/** How long a real proxy keeps an idle upstream connection: as the reference proxy (at least 1 s). */
export const upstreamIdleMs = (idleTimeoutMs: number): number => Math.max(idleTimeoutMs, 1000);
