import { existsSync, readFileSync } from 'node:fs';

/** The package version, found from source (tsx) and from dist alike. */
export const VERSION: string = (() => {
  for (const rel of ['../package.json', '../../package.json']) {
    const url = new URL(rel, import.meta.url);
    if (existsSync(url)) {
      const pkg = JSON.parse(readFileSync(url, 'utf8'));
      if (pkg.name === 'keepalive-spec') return pkg.version as string;
    }
  }
  return 'unknown';
})();
