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
