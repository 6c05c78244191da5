// Where the programs targets need are, whether they are installed, and which
// version: shared by the server targets and the client drivers.

import { spawnSync } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export const executable = (path: string): boolean => {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
};

/**
 * The absolute path of `program`: where Debian's packages put it first (the sbin directories
 * are not on a user's PATH; a PATH may start with shims of other installations), else on PATH.
 */
export function findProgram(program: string): string | undefined {
  const dirs = [
    '/usr/sbin',
    '/usr/bin',
    '/sbin',
    '/bin',
    ...(process.env.PATH ?? '').split(delimiter).filter(Boolean),
  ];
  for (const dir of dirs) {
    const path = join(dir, program);
    if (executable(path)) return path;
  }
  return undefined;
}

/** The program's path, or an error that says how to install it. */
export function requireProgram(program: string, name: string, install: string): string {
  const path = findProgram(program);
  if (!path) throw new Error(`${name} is not installed (${install})`);
  return path;
}

/** What a target says about the program it runs (keepalive-spec targets). */
export interface ProgramFacts {
  requires: string;
  install: string;
  installed: () => boolean;
  version: () => string;
}

/**
 * A program from one Debian package, declared once: its facts for every target that runs it
 * (a server target and a proxy target of the same program share them), and its path.
 */
export interface DebianProgram {
  facts: ProgramFacts;
  /** the program's path, or an error that says how to install it */
  path(): string;
}

export function debianProgram(spec: {
  binary: string;
  pkg: string;
  requires?: string;
  versionArgs: string[];
  pick?: (s: string) => string;
}): DebianProgram {
  const install = `apt-get install ${spec.pkg}`;
  return {
    facts: {
      requires: spec.requires ?? spec.binary,
      install,
      installed: () => findProgram(spec.binary) !== undefined,
      version: () => versionOf(findProgram(spec.binary), spec.versionArgs, spec.pick),
    },
    path: () => requireProgram(spec.binary, spec.binary, install),
  };
}

export const NGINX = debianProgram({
  binary: 'nginx',
  pkg: 'nginx-light',
  requires: 'nginx (Debian nginx-light)',
  versionArgs: ['-v'],
  pick: (s) => s.replace(/^nginx version: /, ''),
});
export const APACHE = debianProgram({
  binary: 'apache2',
  pkg: 'apache2',
  requires: 'Apache httpd (Debian apache2)',
  versionArgs: ['-v'],
  pick: (s) => /Apache\/\S+/.exec(s)?.[0] ?? s,
});
export const LIGHTTPD = debianProgram({
  binary: 'lighttpd',
  pkg: 'lighttpd',
  versionArgs: ['-v'],
  pick: (s) => s.split(' ')[0] ?? s,
});
export const H2O = debianProgram({ binary: 'h2o', pkg: 'h2o', versionArgs: ['--version'] });
export const CADDY = debianProgram({
  binary: 'caddy',
  pkg: 'caddy',
  versionArgs: ['version'],
  pick: (s) => `caddy ${s.split(' ')[0]}`,
});
export const HAPROXY = debianProgram({
  binary: 'haproxy',
  pkg: 'haproxy',
  versionArgs: ['-v'],
  pick: (s) => /HAProxy version \S+/.exec(s)?.[0] ?? s,
});

/** Debian's python3 (where its python3-* packages live), else the first on PATH. */
export function debianPython(): string | undefined {
  return executable('/usr/bin/python3') ? '/usr/bin/python3' : findProgram('python3');
}

const imports = new Map<string, boolean>();
/**
 * Can this python (default: Debian's; the client drivers run the first python3 on PATH)
 * import `module`? Asked once per process.
 */
export function pythonHas(module: string, python = debianPython()): boolean {
  const key = `${python} ${module}`;
  let known = imports.get(key);
  if (known === undefined) {
    known =
      python !== undefined &&
      spawnSync(python, ['-c', `import ${module}`], { stdio: 'ignore', timeout: 10_000 }).status === 0;
    imports.set(key, known);
  }
  return known;
}

/**
 * The python3 to run a driver that needs `module`: the first python3 on PATH (what the other
 * Python drivers run) if it can import it, else Debian's (where python3-<module> puts it).
 */
export function pythonWith(module: string): string | undefined {
  if (onPath('python3') && pythonHas(module, 'python3')) return 'python3';
  const debian = debianPython();
  return debian && pythonHas(module, debian) ? debian : undefined;
}

/** What a program prints for `args` (default: its first line), cut by `pick`; 'unknown' if it cannot run. */
export function versionOf(
  cmd: string | undefined,
  args: string[],
  pick: (s: string) => string = (s) => s.split('\n')[0]!.trim(),
): string {
  if (!cmd) return 'unknown';
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 10_000 });
  const text = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim();
  return r.status === 0 || text ? pick(text) : 'unknown';
}

/** Is `program` an executable on PATH? */
export const onPath = (program: string): boolean =>
  (process.env.PATH ?? '').split(delimiter).some((dir) => dir !== '' && executable(join(dir, program)));
