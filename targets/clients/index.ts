import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { TargetError } from '../../harness/server-mode.js';
import type { ClientTarget } from '../../harness/targets.js';
import { VERSION } from '../../harness/version.js';
import { FAULTY_CLIENTS } from '../faulty/clients/index.js';
import { onPath, pythonHas, pythonWith, versionOf } from '../programs.js';

export type { ClientTarget };

/**
 * A compiled driver script of ours, run with the node that runs the harness.
 * From source (tsx, in development) the compiled copy in dist/ is used: run `npm run build` first.
 */
const nodeDriver = (file: string, args = '') => {
  let path = fileURLToPath(new URL(file, import.meta.url));
  if (!existsSync(path))
    path = path.replace(/([\\/])targets([\\/])clients([\\/])/, '$1dist$1targets$2clients$3');
  return `${JSON.stringify(process.execPath)} ${JSON.stringify(path)}${args ? ` ${args}` : ''}`;
};

/**
 * A file shipped beside this module that tsc does not emit (a Python driver):
 * the build copies it into dist/; from source, or from a dist/ built without that
 * copy step, the file in targets/clients/ is used.
 */
const shipped = (file: string) => {
  const path = fileURLToPath(new URL(file, import.meta.url));
  return existsSync(path) ? path : path.replace(/([\\/])dist([\\/])targets([\\/])/, '$1targets$3');
};

export const CLIENT_TARGETS: ClientTarget[] = [
  {
    name: 'reference',
    description: 'the reference client: raw sockets, our strict parser, follows every client-side rule',
    version: () => `keepalive-spec ${VERSION}`,
    command: () => nodeDriver('./reference-driver.js'),
  },
  {
    name: 'node-http',
    description:
      "Node's http module, one http.Agent({ keepAlive: true }) for the plan (no HTTP/1.0: skipped)",
    version: () => `Node ${process.versions.node}`,
    command: () => nodeDriver('./node-http-driver.js'),
  },
  {
    name: 'node-fetch',
    description:
      "Node's built-in fetch (undici) with its default keep-alive dispatcher (no HTTP/1.0: skipped)",
    version: () => `Node ${process.versions.node} (undici ${process.versions.undici ?? '?'})`,
    command: () => nodeDriver('./node-fetch-driver.js'),
  },
  {
    name: 'curl',
    description:
      'the curl tool: one invocation per plan (--next between steps, --parallel --parallel-immediate when concurrent, --http1.0); a delay is a pause URL on another origin inside that invocation, so reuse spans it',
    requires: 'curl',
    install: 'apt-get install curl',
    installed: () => onPath('curl'),
    version: () => versionOf('curl', ['--version'], (s) => s.split(' ').slice(0, 2).join(' ')),
    command: () => nodeDriver('./curl-driver.js'),
  },
  {
    name: 'wget',
    description:
      'GNU wget: one invocation per run of steps with the same method, headers and body (no reuse across runs); delays as pause URLs; concurrent = one wget per step; no HTTP/1.0: skipped',
    requires: 'wget',
    install: 'apt-get install wget',
    installed: () => onPath('wget'),
    version: () =>
      versionOf('wget', ['--version'], (s) => s.split('\n')[0]!.split(' ').slice(0, 3).join(' ')),
    command: () => nodeDriver('./wget-driver.js'),
  },
  {
    name: 'python-http-client',
    description:
      'Python 3 http.client: one HTTPConnection per origin for the plan, one resend of an idempotent request when a reused connection was closed (as xmlrpc.client does); threads when concurrent',
    requires: 'python3',
    install: 'apt-get install python3',
    installed: () => onPath('python3'),
    version: () => versionOf('python3', ['--version']),
    command: () => `python3 ${JSON.stringify(shipped('./python-http-client.py'))}`,
  },
  {
    name: 'python-requests',
    description:
      'python-requests: one requests.Session for the plan, shared by threads when concurrent (no HTTP/1.0: skipped)',
    requires: 'python3 with the requests library',
    install: 'apt-get install python3-requests',
    installed: () => onPath('python3') && pythonHas('requests', 'python3'),
    version: () =>
      versionOf('python3', [
        '-c',
        'import requests,sys;print("requests",requests.__version__,"on Python",sys.version.split()[0])',
      ]),
    command: () => `python3 ${JSON.stringify(shipped('./python-requests.py'))}`,
  },
  {
    name: 'node-websocket',
    description:
      "the WebSocket built into Node (undici's browser API; --experimental-websocket before Node 22) for WebSocket steps, fetch for plain HTTP steps (no client ping; no HTTP/1.0: skipped)",
    version: () => `Node ${process.versions.node} (undici ${process.versions.undici ?? '?'})`,
    command: () =>
      Number(process.versions.node.split('.')[0]) >= 22
        ? nodeDriver('./node-websocket-driver.js')
        : nodeDriver('./node-websocket-driver.js').replace(/^("[^"]*")/, '$1 --experimental-websocket'),
  },
  {
    name: 'node-ws',
    description:
      'the ws package (WebSocket steps; plain HTTP steps through node:http, one keep-alive agent per scheme shared with the handshakes; no HTTP/1.0: skipped)',
    requires: 'the ws package (a devDependency: npm install ws)',
    install: 'npm install ws',
    installed: () => wsVersion() !== undefined,
    version: () => `ws ${wsVersion() ?? '?'} on Node ${process.versions.node}`,
    command: () => nodeDriver('./node-ws-driver.js'),
  },
  {
    name: 'python-websockets',
    description:
      'the Python websockets library, asyncio client (WebSocket steps; plain HTTP steps through http.client as python-http-client; no HTTP/1.0: skipped)',
    requires: 'python3 with the websockets library',
    install: 'apt-get install python3-websockets',
    installed: () => pythonWith('websockets') !== undefined,
    version: () =>
      versionOf(pythonWith('websockets'), [
        '-c',
        'import websockets,sys;print("websockets",websockets.version.version,"on Python",sys.version.split()[0])',
      ]),
    command: () =>
      `${JSON.stringify(pythonWith('websockets') ?? 'python3')} ${JSON.stringify(shipped('./python-websockets.py'))}`,
  },
  ...FAULTY_CLIENTS.map(
    (f): ClientTarget => ({
      name: `faulty:${f.name}`,
      description: `faulty: ${f.description}`,
      command: () => nodeDriver('./reference-driver.js', `--fault ${f.name}`),
    }),
  ),
];

/** The version of the ws package this installation resolves, or undefined without it. */
function wsVersion(): string | undefined {
  try {
    const require = createRequire(import.meta.url);
    return (require('ws/package.json') as { version: string }).version;
  } catch {
    return undefined;
  }
}

export function findClientTarget(name: string): ClientTarget | undefined {
  return CLIENT_TARGETS.find((t) => t.name === name);
}

/** The built-in client driver of this name, or TargetError. */
export function resolveClientTarget(name: string): ClientTarget {
  const t = findClientTarget(name);
  if (!t)
    throw new TargetError(`unknown client target ${JSON.stringify(name)} (see: keepalive-spec targets)`);
  return t;
}
