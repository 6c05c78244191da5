// Built-in client drivers (driver protocol v1): `keepalive-spec client --target <name>`.

import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TargetError } from '../../harness/server-mode.js';
import type { ClientTarget } from '../../harness/targets.js';
import { FAULTY_CLIENTS } from '../faulty/clients/index.js';

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

const executable = (path: string) => {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
};

/** Is `program` an executable on PATH? */
export const onPath = (program: string) =>
  (process.env.PATH ?? '').split(delimiter).some((dir) => dir !== '' && executable(join(dir, program)));

const found = new Map<string, boolean>();
/** Can python3 import `module`? (asked once per process) */
const pythonHas = (module: string) => {
  if (!found.has(module))
    found.set(
      module,
      onPath('python3') &&
        spawnSync('python3', ['-c', `import ${module}`], { stdio: 'ignore', timeout: 20_000 }).status === 0,
    );
  return found.get(module) === true;
};

export const CLIENT_TARGETS: ClientTarget[] = [
  {
    name: 'reference',
    description: 'the reference client: raw sockets, our strict parser, follows every client-side rule',
    command: () => nodeDriver('./reference-driver.js'),
  },
  {
    name: 'node-http',
    description:
      "Node's http module, one http.Agent({ keepAlive: true }) for the plan (no HTTP/1.0: skipped)",
    command: () => nodeDriver('./node-http-driver.js'),
  },
  {
    name: 'node-fetch',
    description:
      "Node's built-in fetch (undici) with its default keep-alive dispatcher (no HTTP/1.0: skipped)",
    command: () => nodeDriver('./node-fetch-driver.js'),
  },
  {
    name: 'curl',
    description:
      'the curl tool: one invocation per plan (--next between steps, --parallel --parallel-immediate when concurrent, --http1.0); a delay is a pause URL on another origin inside that invocation, so reuse spans it',
    requires: 'curl',
    install: 'apt-get install curl',
    installed: () => onPath('curl'),
    command: () => nodeDriver('./curl-driver.js'),
  },
  {
    name: 'wget',
    description:
      'GNU wget: one invocation per run of steps with the same method, headers and body (no reuse across runs); delays as pause URLs; concurrent = one wget per step; no HTTP/1.0: skipped',
    requires: 'wget',
    install: 'apt-get install wget',
    installed: () => onPath('wget'),
    command: () => nodeDriver('./wget-driver.js'),
  },
  {
    name: 'python-http-client',
    description:
      'Python 3 http.client: one HTTPConnection per origin for the plan, one resend of an idempotent request when a reused connection was closed (as xmlrpc.client does); threads when concurrent',
    requires: 'python3',
    install: 'apt-get install python3',
    installed: () => onPath('python3'),
    command: () => `python3 ${JSON.stringify(shipped('./python-http-client.py'))}`,
  },
  {
    name: 'python-requests',
    description:
      'python-requests: one requests.Session for the plan, shared by threads when concurrent (no HTTP/1.0: skipped)',
    requires: 'python3 with the requests library',
    install: 'apt-get install python3-requests',
    installed: () => pythonHas('requests'),
    command: () => `python3 ${JSON.stringify(shipped('./python-requests.py'))}`,
  },
  ...FAULTY_CLIENTS.map(
    (f): ClientTarget => ({
      name: `faulty:${f.name}`,
      description: `faulty: ${f.description}`,
      command: () => nodeDriver('./reference-driver.js', `--fault ${f.name}`),
    }),
  ),
];

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
