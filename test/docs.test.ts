import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { CATALOGUE, GENERATED, parseCatalogue, requirementsModule } from '../scripts/extract-requirements.js';
import { coverage, coverageMarkdown } from '../suites/coverage.js';
import { allScenarios } from '../suites/index.js';
import { REQUIREMENTS } from '../suites/requirements.js';
import { NOT_COVERED_YET } from '../suites/uncovered.js';

describe('generated documentation', () => {
  it('suites/requirements.ts is exactly what docs/requirements.md makes (run: npm run docs)', () => {
    const catalogue = readFileSync(CATALOGUE, 'utf8');
    expect(readFileSync(GENERATED, 'utf8')).to.equal(requirementsModule(catalogue));
    expect(REQUIREMENTS.map((r) => r.id)).to.deep.equal(parseCatalogue(catalogue).map((r) => r.id));
  });

  it('every catalogue entry has a role, a level, an area and a source', () => {
    for (const r of REQUIREMENTS) {
      expect(['server', 'client', 'both', 'proxy'], `${r.id} role`).to.include(r.role);
      expect(r.level, `${r.id} level`).to.not.equal('');
      expect(r.area, `${r.id} area`).to.not.equal('');
      expect(r.source, `${r.id} source`).to.not.equal('');
    }
    expect(new Set(REQUIREMENTS.map((r) => r.id)).size, 'unique ids').to.equal(REQUIREMENTS.length);
  });

  it('docs/coverage.md is up to date (run: npm run docs)', () => {
    const committed = readFileSync(join(import.meta.dirname, '..', 'docs', 'coverage.md'), 'utf8');
    expect(committed).to.equal(coverageMarkdown(coverage(allScenarios()), 'npm run docs'));
  });

  it('every scenario covers only known requirement ids of its own role', () => {
    const known = new Map(REQUIREMENTS.map((r) => [r.id, r.role]));
    for (const s of allScenarios())
      for (const id of s.covers) {
        expect(known.has(id), `${s.id} covers unknown ${id}`).to.equal(true);
        expect(['both', s.role], `${s.id} (${s.role}) covers ${id} (${known.get(id)})`).to.include(
          known.get(id),
        );
      }
  });

  for (const role of ['server', 'client'] as const)
    it(`every ${role}-role requirement is covered or has a stated reason`, () => {
      const rows = coverage(allScenarios(), role);
      expect(rows, `${role} rows`).to.not.be.empty;
      for (const row of rows)
        expect(
          row.scenarios.length > 0 || (row.reason !== undefined && row.reason !== NOT_COVERED_YET),
          `${row.requirement.id} (${role}): ${row.reason}`,
        ).to.equal(true);
    });
});

describe('the API documentation', () => {
  /** Every name an entry point exports: `export { a, type B } from`, `export function f`, `export type { C }`. */
  function exportedNames(file: string): string[] {
    const text = readFileSync(join(import.meta.dirname, '..', 'api', file), 'utf8');
    const names: string[] = [];
    for (const m of text.matchAll(/export (?:type )?\{([^}]*)\}/g))
      for (const part of m[1]!.split(','))
        if (part.trim())
          names.push(
            part
              .trim()
              .replace(/^type /, '')
              .split(/\s+as\s+/)
              .pop()!,
          );
    for (const m of text.matchAll(/export (?:async )?(?:function|const|class) (\w+)/g)) names.push(m[1]!);
    return names;
  }

  it('docs/api.md names every export of every entry point', () => {
    const doc = readFileSync(join(import.meta.dirname, '..', 'docs', 'api.md'), 'utf8');
    const names = ['index.ts', 'mocha.ts', 'node-test.ts'].flatMap(exportedNames);
    expect(names).to.include.members(['runServerSuite', 'conformance', 'Reporter']);
    expect(names.filter((n) => !doc.includes(`\`${n}`))).to.deep.equal([]);
  });
});
