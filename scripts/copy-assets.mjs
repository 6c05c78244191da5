// Part of the build: copy the non-TypeScript driver files next to their compiled siblings in dist/.
import { copyFileSync, readdirSync } from 'node:fs';

for (const f of readdirSync('targets/clients')) {
  if (f.endsWith('.py')) copyFileSync(`targets/clients/${f}`, `dist/targets/clients/${f}`);
}
