// The engine (harness/) is handed its scenarios, targets and report formats:
// it imports nothing above it, so it can be used without the CLI's wiring.

import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { expect } from 'chai';

const ROOT = join(import.meta.dirname, '..');
const ENGINE = join(ROOT, 'harness');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** Every relative module a file imports (static, dynamic, and export ... from). */
function relativeImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found = text.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)['"](\.{1,2}\/[^'"]+)['"]/g);
  return [...found].map((m) => m[1]!);
}

describe('the layout', () => {
  it('harness/ imports nothing from suites/, targets/, reports/, cli/ or api/', () => {
    const upward: string[] = [];
    let seen = 0;
    for (const file of sources(ENGINE))
      for (const spec of relativeImports(file)) {
        seen++;
        const to = relative(ENGINE, resolve(dirname(file), spec));
        if (to.startsWith('..')) upward.push(`${relative(ROOT, file)} imports ${spec}`);
      }
    expect(seen, 'imports read').to.be.greaterThan(50);
    expect(upward).to.deep.equal([]);
  });
});
