// Built-in client drivers (driver protocol v1): `keepalive-spec client --target <name>`.

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { FAULTY_CLIENTS } from '../faulty/clients/index.js';

export interface ClientTarget {
  name: string;
  description: string;
  /** what must be installed, for `keepalive-spec targets` */
  requires?: string;
  /** the driver command */
  command(): string;
}

/**
 * A compiled driver script of ours, run with the node that runs the harness.
 * From source (tsx, in development) the compiled copy in dist/ is used: run `npm run build` first.
 */
const nodeDriver = (file: string, args = '') => {
  let path = fileURLToPath(new URL(file, import.meta.url));
  if (!existsSync(path)) path = path.replace(/([\\/])targets([\\/])clients([\\/])/, '$1dist$1targets$2clients$3');
  return `${JSON.stringify(process.execPath)} ${JSON.stringify(path)}${args ? ` ${args}` : ''}`;
};

export const CLIENT_TARGETS: ClientTarget[] = [
  {
    name: 'reference',
    description: 'the reference client: raw sockets, our strict parser, follows every client-side rule',
    command: () => nodeDriver('./reference-driver.js'),
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
